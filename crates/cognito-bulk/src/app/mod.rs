//! The jobs as readable outlines: [`update`] (pre-flight, safety checks, report, execution, summary),
//! [`validate`] (the same checks, nothing written) and [`export`] (the pool to a CSV in `update`'s input format).
//! Each returns the process exit code or a [`RunError`].
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
