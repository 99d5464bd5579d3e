//! The jobs as readable outlines: [`update`] (pre-flight, safety checks, report, execution, summary) and
//! [`validate`] (the same checks, nothing written). Each returns the process exit code or a [`RunError`].
//!
//! [`RunError`]: crate::error::RunError

mod compare;
mod execute;
mod export;
mod messages;
mod outputs;
mod update;
mod validate;

pub use export::export;
pub use update::update;
pub use validate::validate;
