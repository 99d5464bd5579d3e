//! The settings the pre-flight depends on ([`PlanSettings`]), resolved by the subcommand: what the plan
//! (`plan.rs`) and the `--skip-unchanged` comparison (`compare.rs`) both read, so that neither imports the other's
//! settings.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{CommonSettings, CompareSettings, ResumeMode};
use crate::exec::outage::Outage;

/// The settings the plan depends on, resolved by the subcommand.
pub(crate) struct PlanSettings<'a> {
    pub(crate) common: &'a CommonSettings,
    pub(crate) compare: &'a CompareSettings,
    pub(crate) mode: ResumeMode,
    /// For the ListUsers pages of a snapshot.
    pub(crate) attempt_timeout: Duration,
    /// The endpoint's outages: every read of the pool waits them out on the run's `--max-outage` budget.
    pub(crate) outage: &'a Arc<Outage>,
}
