//! `export`'s settings: the same layers as `update` (built-in config.toml < `--config` file < environment < flags)
//! for the target, `list_rate` and the retry keys (`max_attempts`, `attempt_timeout`, `max_row_time`,
//! `shutdown_grace`, from the config file), plus export's own flags.

use std::time::Duration;

use super::output::Destination;
use super::select::Condition;
use crate::cli::{ExportArgs, LogFormat};
use crate::config::{
    self, FileConfig, TargetSettings, duration, positive_rate, required, resolve_target,
};
use crate::error::ConfigError;

#[derive(Debug, Clone)]
pub struct ExportSettings {
    pub target: TargetSettings,
    pub list_rate: f64,
    pub max_attempts: u32,
    pub attempt_timeout: Duration,
    pub max_row_time: Duration,
    pub shutdown_grace: Duration,
    pub log_format: LogFormat,
    pub quiet: bool,
    pub output: Destination,
    pub overwrite: bool,
    /// `--attributes` (without `username`), or every attribute found.
    pub attributes: Option<Vec<String>>,
    pub filter: Option<String>,
    pub conditions: Vec<Condition>,
}

impl ExportSettings {
    pub fn resolve(args: &ExportArgs) -> Result<Self, ConfigError> {
        let t = &args.target;
        let cli = FileConfig {
            user_pool_id: t.user_pool_id.clone(),
            region: t.region.clone(),
            profile: t.profile.clone(),
            endpoint_url: t.endpoint_url.clone(),
            emulator_seed: t.emulator_seed.clone(),
            log_format: t.log_format,
            quiet: t.quiet.then_some(true),
            list_rate: args.list.list_rate,
            ..FileConfig::default()
        };
        let cfg = config::layered(t.config.as_deref(), cli)?;
        let target = resolve_target(&cfg)?;
        let max_attempts = required(cfg.max_attempts, "max_attempts")?;
        if max_attempts == 0 {
            return Err(ConfigError::invalid("max_attempts", "must be at least 1"));
        }
        let filter = match args.filter.as_deref().map(str::trim) {
            Some("") => {
                return Err(ConfigError::Usage(
                    "--filter is empty: give a ListUsers filter such as `email ^= \"a\"`, or leave it out"
                        .into(),
                ));
            }
            other => other.map(str::to_string),
        };
        let attributes = (!args.attributes.is_empty()).then(|| {
            let mut names: Vec<String> = Vec::new();
            for name in args.attributes.iter().map(|n| n.trim()) {
                if !name.is_empty() && name != "username" && !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
            names
        });
        let conditions = args
            .wheres
            .iter()
            .map(|w| Condition::parse(w))
            .collect::<Result<_, _>>()?;
        Ok(ExportSettings {
            output: Destination::from_flag(args.output.as_deref(), &target.pool_id),
            target,
            list_rate: positive_rate(cfg.list_rate, "list_rate")?,
            max_attempts,
            attempt_timeout: duration(cfg.attempt_timeout, "attempt_timeout")?,
            max_row_time: duration(cfg.max_row_time, "max_row_time")?,
            shutdown_grace: duration(cfg.shutdown_grace, "shutdown_grace")?,
            log_format: cfg.log_format.unwrap_or(LogFormat::Text),
            quiet: cfg.quiet.unwrap_or(false),
            overwrite: args.overwrite,
            attributes,
            filter,
            conditions,
        })
    }
}
