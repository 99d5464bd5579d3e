//! The raw configuration layers, all of one shape ([`FileConfig`]): the built-in defaults (the shipped
//! `config.toml`, embedded), the `--config` file, and the command line with the environment (clap has merged
//! those two). Nothing here checks a value: [`super::settings`] does, once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cli::{CommonArgs, LogFormat, UpdateArgs};
use crate::error::ConfigError;

/// The shipped `config.toml`: the commented template of every key and the built-in defaults.
pub(crate) const BUILT_IN: &str = include_str!("../../../../config.toml");

/// One configuration layer, as written in a TOML file (every key optional).
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub(crate) user_pool_id: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) profile: Option<String>,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) emulator_seed: Option<PathBuf>,
    pub(crate) emulator_state: Option<PathBuf>,
    pub(crate) username_column: Option<String>,
    pub(crate) set: Option<BTreeMap<String, String>>,
    pub(crate) report: Option<PathBuf>,
    pub(crate) log_format: Option<LogFormat>,
    pub(crate) quiet: Option<bool>,
    pub(crate) rate: Option<f64>,
    pub(crate) concurrency: Option<usize>,
    pub(crate) max_attempts: Option<u32>,
    pub(crate) attempt_timeout: Option<String>,
    pub(crate) max_row_time: Option<String>,
    pub(crate) max_failures: Option<u64>,
    pub(crate) max_failure_ratio: Option<f64>,
    pub(crate) max_consecutive_failures: Option<u64>,
    pub(crate) shutdown_grace: Option<String>,
    pub(crate) max_outage: Option<String>,
    pub(crate) skip_invalid: Option<bool>,
    pub(crate) allow_verification_messages: Option<bool>,
    pub(crate) skip_unchanged: Option<bool>,
    pub(crate) read_rate: Option<f64>,
    pub(crate) allow_multiline_values: Option<bool>,
    pub(crate) raw_values: Option<bool>,
    pub(crate) delimiter: Option<String>,
    pub(crate) list_rate: Option<f64>,
    pub(crate) compare_with: Option<crate::cli::CompareWith>,
    pub(crate) snapshot: Option<PathBuf>,
    pub(crate) rate_margin: Option<f64>,
}

macro_rules! overlay {
    ($base:expr, $over:expr, $($field:ident),+ $(,)?) => {
        $( if $over.$field.is_some() { $base.$field = $over.$field; } )+
    };
}

impl FileConfig {
    /// Parses one TOML layer; `origin` names it in errors.
    pub(crate) fn parse(text: &str, origin: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: origin.to_path_buf(),
            source,
        })
    }

    /// Reads and parses a config file.
    pub(crate) fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Returns `self` with every key that `over` sets replaced by `over`'s value.
    #[must_use]
    pub(crate) fn overlaid_with(mut self, over: FileConfig) -> Self {
        overlay!(
            self,
            over,
            user_pool_id,
            region,
            profile,
            endpoint_url,
            emulator_seed,
            emulator_state,
            username_column,
            set,
            report,
            log_format,
            quiet,
            rate,
            concurrency,
            max_attempts,
            attempt_timeout,
            max_row_time,
            max_failures,
            max_failure_ratio,
            max_consecutive_failures,
            shutdown_grace,
            max_outage,
            skip_invalid,
            allow_verification_messages,
            skip_unchanged,
            read_rate,
            allow_multiline_values,
            raw_values,
            delimiter,
            list_rate,
            compare_with,
            snapshot,
            rate_margin,
        );
        self
    }

    /// The layer given by the command line and the environment (clap has already merged those two).
    pub(crate) fn from_common(args: &CommonArgs) -> Result<Self, ConfigError> {
        let mut set = BTreeMap::new();
        if let Ok(env) = std::env::var("COGNITO_BULK_SET") {
            for pair in env.split(';').filter(|p| !p.trim().is_empty()) {
                let (name, value) = parse_set_pair(pair, "COGNITO_BULK_SET")?;
                set.insert(name, value);
            }
        }
        for pair in &args.set {
            let (name, value) = parse_set_pair(pair, "--set")?;
            set.insert(name, value);
        }
        Ok(FileConfig {
            username_column: args.username_column.clone(),
            set: (!set.is_empty()).then_some(set),
            report: args.report.clone(),
            allow_multiline_values: args.allow_multiline_values.then_some(true),
            raw_values: args.raw_values.then_some(true),
            delimiter: args.delimiter.clone(),
            ..FileConfig::from_target(&args.target)
        })
    }

    /// The layer of the target and logging flags, shared by every subcommand that reaches a pool.
    pub(crate) fn from_target(args: &crate::cli::TargetArgs) -> Self {
        FileConfig {
            max_outage: args.max_outage.clone(),
            user_pool_id: args.user_pool_id.clone(),
            region: args.region.clone(),
            profile: args.profile.clone(),
            endpoint_url: args.endpoint_url.clone(),
            emulator_seed: args.emulator_seed.clone(),
            emulator_state: args.emulator_state.clone(),
            log_format: args.log_format,
            quiet: args.quiet.then_some(true),
            ..FileConfig::default()
        }
    }

    /// The layer of the flags that choose how `--skip-unchanged` compares.
    pub(crate) fn from_compare(args: &crate::cli::CompareArgs) -> Self {
        FileConfig {
            list_rate: args.list.list_rate,
            compare_with: args.compare_with,
            snapshot: args.snapshot.clone(),
            ..FileConfig::default()
        }
    }

    /// The command-line and environment layer of `update`.
    pub(crate) fn from_update(args: &UpdateArgs) -> Result<Self, ConfigError> {
        let base =
            Self::from_common(&args.common)?.overlaid_with(Self::from_compare(&args.compare));
        Ok(FileConfig {
            rate: args.rate,
            concurrency: args.concurrency,
            max_attempts: args.max_attempts,
            attempt_timeout: args.attempt_timeout.clone(),
            max_row_time: args.max_row_time.clone(),
            max_failures: args.max_failures,
            max_failure_ratio: args.max_failure_ratio,
            max_consecutive_failures: args.max_consecutive_failures,
            shutdown_grace: args.shutdown_grace.clone(),
            skip_invalid: args.skip_invalid.then_some(true),
            allow_verification_messages: args.messages.allow_verification_messages.then_some(true),
            skip_unchanged: args.skip_unchanged.then_some(true),
            read_rate: args.read_rate,
            rate_margin: args.rate_margin,
            ..base
        })
    }
}

pub(super) fn parse_set_pair(pair: &str, origin: &str) -> Result<(String, String), ConfigError> {
    match pair.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(ConfigError::invalid(
            "set",
            format!("{origin} `{pair}` is not NAME=VALUE"),
        )),
    }
}

/// Merges built-in defaults < config file (`--config` or `COGNITO_BULK_CONFIG`) < environment and flags.
pub(crate) fn layered(
    config_path: Option<&Path>,
    cli: FileConfig,
) -> Result<FileConfig, ConfigError> {
    let mut merged = FileConfig::parse(BUILT_IN, Path::new("<built-in config.toml>"))?;
    if let Some(path) = config_path {
        merged = merged.overlaid_with(FileConfig::load(path)?);
    }
    Ok(merged.overlaid_with(cli))
}
