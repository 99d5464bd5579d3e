//! The run's counts of outcomes, by status and by error code: kept by the sink, read by the summary.

use std::collections::BTreeMap;

use crate::exec::outcome::{RowOutcome, Status};

/// Counts of the run's outcomes.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Tally {
    pub(crate) by_status: BTreeMap<Status, u64>,
    pub(crate) by_code: BTreeMap<String, u64>,
    /// Rows written to the report by this run (carried-over rows are counted in `by_status` only).
    pub(crate) written: u64,
    /// Why the report could not be written any more, if it could not (the run stopped there).
    pub(crate) lost: Option<String>,
    /// Rows sent after that whose outcome is not in the report (each has its `sending` record: `--resume` reads
    /// them back before sending anything again).
    pub(crate) unrecorded_sent: u64,
}

impl Tally {
    pub(crate) fn count(&self, status: Status) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    pub(crate) fn rows(&self) -> u64 {
        self.by_status.values().sum()
    }

    pub(crate) fn add(&mut self, o: &RowOutcome) {
        *self.by_status.entry(o.status).or_default() += 1;
        if !o.error_code.is_empty() && matches!(o.status, Status::Failed) {
            *self.by_code.entry(o.error_code.clone()).or_default() += 1;
        }
    }
}
