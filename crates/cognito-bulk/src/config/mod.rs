//! Configuration: the raw layers ([`layers`]: built-in defaults < config file < environment < flags, all of the
//! same shape) and the resolved, checked settings ([`settings`]) the rest of the program trusts.
//!
//! Precedence: built-in defaults (the shipped `config.toml`, embedded) < `--config` file < environment
//! (`COGNITO_BULK_*`) < flags. clap merges environment and flags; [`layers::layered`] merges the rest.

mod layers;
mod settings;
#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) use layers::BUILT_IN;
pub(crate) use layers::{FileConfig, layered};
pub(crate) use settings::*;
