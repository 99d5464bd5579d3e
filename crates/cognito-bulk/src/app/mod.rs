//! The jobs as readable outlines: [`update`] (pre-flight, safety checks, report, execution, summary) and
//! [`validate`] (the same checks, nothing written). Each returns the process exit code or a [`RunError`].
//!
//! [`RunError`]: crate::error::RunError

mod compare;
mod execute;
mod export;
mod messages;
mod outputs;
mod plan;
mod plan_settings;
mod update;
mod validate;

pub(crate) use export::export;
pub(crate) use update::update;
pub(crate) use validate::validate;
