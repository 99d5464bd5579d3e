//! Configuration layering and resolution: the raw layers ([`FileConfig`]: the built-in defaults, the config file,
//! the environment and the flags, all of the same shape) and the resolved, checked [`Settings`] the rest of the
//! program trusts.
//!
//! Precedence: built-in defaults (the shipped `config.toml`, embedded) < `--config` file < environment
//! (`COGNITO_BULK_*`) < flags. clap merges environment and flags; this module merges the rest and checks every
//! value once, naming the flag, variable and key in its errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::{CommonArgs, LogFormat, UpdateArgs};
use crate::error::ConfigError;
use crate::input::row::Attribute;
use crate::input::validate::check_attribute;

/// The shipped `config.toml`: the commented template of every key and the built-in defaults.
pub(crate) const BUILT_IN: &str = include_str!("../../../config.toml");

/// One configuration layer, as written in a TOML file (every key optional).
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub(crate) user_pool_id: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) profile: Option<String>,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) emulator_seed: Option<PathBuf>,
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
    pub(crate) skip_invalid: Option<bool>,
    pub(crate) allow_verification_messages: Option<bool>,
    pub(crate) skip_unchanged: Option<bool>,
    pub(crate) read_rate: Option<f64>,
    pub(crate) allow_multiline_values: Option<bool>,
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
            skip_invalid,
            allow_verification_messages,
            skip_unchanged,
            read_rate,
            allow_multiline_values,
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
            ..FileConfig::from_target(&args.target)
        })
    }

    /// The layer of the target and logging flags, shared by every subcommand that reaches a pool.
    pub(crate) fn from_target(args: &crate::cli::TargetArgs) -> Self {
        FileConfig {
            user_pool_id: args.user_pool_id.clone(),
            region: args.region.clone(),
            profile: args.profile.clone(),
            endpoint_url: args.endpoint_url.clone(),
            emulator_seed: args.emulator_seed.clone(),
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
            allow_verification_messages: args.allow_verification_messages.then_some(true),
            skip_unchanged: args.skip_unchanged.then_some(true),
            read_rate: args.read_rate,
            rate_margin: args.rate_margin,
            ..base
        })
    }
}

fn parse_set_pair(pair: &str, origin: &str) -> Result<(String, String), ConfigError> {
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

/// Where requests go.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Endpoint {
    /// The built-in emulator, started in-process and seeded from this file.
    Emulator { seed: PathBuf },
    /// A Cognito-compatible endpoint named with `--endpoint-url`.
    Url(String),
    /// Amazon Cognito in `region`, reached with the standard AWS credential chain.
    Aws,
}

/// The resolved destination of the job.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TargetSettings {
    pub(crate) pool_id: String,
    pub(crate) region: String,
    pub(crate) profile: Option<String>,
    pub(crate) endpoint: Endpoint,
}

impl TargetSettings {
    /// The start banner's words for where the job goes.
    pub(crate) fn describe(&self) -> String {
        match &self.endpoint {
            Endpoint::Emulator { seed } => {
                format!(
                    "local emulator (pool {}, seeded from {})",
                    self.pool_id,
                    seed.display()
                )
            }
            Endpoint::Url(url) => format!("endpoint {url} (pool {})", self.pool_id),
            Endpoint::Aws => format!("AWS {} {}", self.region, self.pool_id),
        }
    }
}

/// Settings shared by `update` and `validate`.
#[derive(Debug, Clone)]
pub(crate) struct CommonSettings {
    pub(crate) input: PathBuf,
    pub(crate) target: TargetSettings,
    pub(crate) username_column: Option<String>,
    /// `--set` attributes, checked like any cell.
    pub(crate) set: Vec<Attribute>,
    pub(crate) report: PathBuf,
    pub(crate) log_format: LogFormat,
    pub(crate) quiet: bool,
    /// Quoted values may span lines (otherwise such rows are invalid).
    pub(crate) allow_multiline_values: bool,
}

/// Everything `update` needs, resolved and checked.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) common: CommonSettings,
    pub(crate) rate: f64,
    pub(crate) concurrency: usize,
    pub(crate) max_attempts: u32,
    pub(crate) attempt_timeout: Duration,
    pub(crate) max_row_time: Duration,
    pub(crate) max_failures: Option<u64>,
    pub(crate) max_failure_ratio: Option<f64>,
    pub(crate) max_consecutive_failures: u64,
    pub(crate) shutdown_grace: Duration,
    pub(crate) skip_invalid: bool,
    pub(crate) allow_verification_messages: bool,
    pub(crate) skip_unchanged: bool,
    pub(crate) read_rate: f64,
    /// ListUsers pages per second (UserList quota: 30/s), for `export` and the snapshot of `--skip-unchanged`.
    pub(crate) list_rate: f64,
    /// How `--skip-unchanged` compares: auto, a pool snapshot, or per-user reads.
    pub(crate) compare_with: crate::cli::CompareWith,
    /// `--snapshot FILE`: an earlier export to compare with instead of listing the pool.
    pub(crate) snapshot: Option<PathBuf>,
    /// Once throttled, settle this fraction below the estimated free share (`--rate-margin`).
    pub(crate) rate_margin: f64,
}

pub(crate) fn required<T>(value: Option<T>, key: &str) -> Result<T, ConfigError> {
    value.ok_or_else(|| {
        ConfigError::invalid(
            key,
            "no value in any layer (the built-in config.toml sets one)",
        )
    })
}

pub(crate) fn duration(value: Option<String>, key: &str) -> Result<Duration, ConfigError> {
    let text = required(value, key)?;
    humantime::parse_duration(&text).map_err(|e| {
        ConfigError::invalid(
            key,
            format!("`{text}` is not a duration like `10s` or `15m` ({e})"),
        )
    })
}

pub(crate) fn positive_rate(value: Option<f64>, key: &str) -> Result<f64, ConfigError> {
    let rate = required(value, key)?;
    if !(rate.is_finite() && rate > 0.0 && rate <= 100_000.0) {
        return Err(ConfigError::invalid(
            key,
            format!("{rate} must be a number of requests per second in (0, 100000]"),
        ));
    }
    Ok(rate)
}

fn margin(value: Option<f64>, key: &str) -> Result<f64, ConfigError> {
    let margin = required(value, key)?;
    if !(margin.is_finite() && (0.0..=0.5).contains(&margin)) {
        return Err(ConfigError::invalid(
            key,
            format!(
                "{margin} must be a fraction in [0, 0.5] (e.g. 0.1 = settle 10% below the estimated free share)"
            ),
        ));
    }
    Ok(margin)
}

/// The region part of a pool id (`us-east-1_AbC` → `us-east-1`), if the id has the documented shape.
fn pool_region(pool_id: &str) -> Option<&str> {
    let (region, suffix) = pool_id.split_once('_')?;
    let ok = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !suffix.is_empty()
        && suffix.chars().all(|c| c.is_ascii_alphanumeric())
        && pool_id.len() <= 55;
    ok.then_some(region)
}

/// The region prefix that marks a pool of the built-in emulator.
const LOCAL_REGION: &str = "local";

pub(crate) fn resolve_target(cfg: &FileConfig) -> Result<TargetSettings, ConfigError> {
    let pool_id = required(cfg.user_pool_id.clone(), "user_pool_id")?;
    let Some(pool_region) = pool_region(&pool_id) else {
        return Err(ConfigError::invalid(
            "user_pool_id",
            format!(
                "`{pool_id}` is not a user pool id (expected `<region>_<id>`, e.g. `us-east-1_AbC123`)"
            ),
        ));
    };
    let profile = cfg.profile.clone();
    if let Some(url) = &cfg.endpoint_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::invalid(
                "endpoint_url",
                format!("`{url}` must start with http:// or https://"),
            ));
        }
        let region = cfg
            .region
            .clone()
            .unwrap_or_else(|| pool_region.to_string());
        return Ok(TargetSettings {
            pool_id,
            region,
            profile,
            endpoint: Endpoint::Url(url.clone()),
        });
    }
    if pool_region == LOCAL_REGION {
        let seed = required(cfg.emulator_seed.clone(), "emulator_seed")?;
        return Ok(TargetSettings {
            pool_id,
            region: LOCAL_REGION.into(),
            profile,
            endpoint: Endpoint::Emulator { seed },
        });
    }
    let region = match &cfg.region {
        Some(region) if region != pool_region => {
            return Err(ConfigError::invalid(
                "region",
                format!(
                    "`{region}` differs from the Region of user pool `{pool_id}` ({pool_region})"
                ),
            ));
        }
        _ => pool_region.to_string(),
    };
    Ok(TargetSettings {
        pool_id,
        region,
        profile,
        endpoint: Endpoint::Aws,
    })
}

fn default_report(input: &Path) -> PathBuf {
    let stem = if input == Path::new("-") {
        "stdin".to_string()
    } else {
        input
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "input".into())
    };
    let stamp: String = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    PathBuf::from(format!("{stem}-{stamp}.report.csv"))
}

impl CommonSettings {
    pub(crate) fn resolve(input: &Path, cfg: &FileConfig) -> Result<Self, ConfigError> {
        let set = cfg
            .set
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|(name, value)| {
                let value = check_attribute(&name, &value)
                    .map_err(|p| ConfigError::invalid("set", format!("`{name}`: {}", p.reason)))?;
                Ok(Attribute { name, value })
            })
            .collect::<Result<_, ConfigError>>()?;
        Ok(CommonSettings {
            input: input.to_path_buf(),
            target: resolve_target(cfg)?,
            username_column: cfg.username_column.clone(),
            set,
            report: cfg.report.clone().unwrap_or_else(|| default_report(input)),
            log_format: cfg.log_format.unwrap_or(LogFormat::Text),
            quiet: cfg.quiet.unwrap_or(false),
            allow_multiline_values: cfg.allow_multiline_values.unwrap_or(false),
        })
    }
}

impl Settings {
    pub(crate) fn resolve(input: &Path, cfg: FileConfig) -> Result<Self, ConfigError> {
        let common = CommonSettings::resolve(input, &cfg)?;
        let concurrency = required(cfg.concurrency, "concurrency")?;
        if !(1..=1024).contains(&concurrency) {
            return Err(ConfigError::invalid(
                "concurrency",
                format!("{concurrency} must be between 1 and 1024"),
            ));
        }
        let max_attempts = required(cfg.max_attempts, "max_attempts")?;
        if max_attempts == 0 {
            return Err(ConfigError::invalid("max_attempts", "must be at least 1"));
        }
        if let Some(ratio) = cfg.max_failure_ratio
            && !(ratio > 0.0 && ratio <= 1.0)
        {
            return Err(ConfigError::invalid(
                "max_failure_ratio",
                format!("{ratio} must be in (0, 1]"),
            ));
        }
        let max_consecutive_failures =
            required(cfg.max_consecutive_failures, "max_consecutive_failures")?;
        if max_consecutive_failures == 0 {
            return Err(ConfigError::invalid(
                "max_consecutive_failures",
                "must be at least 1",
            ));
        }
        Ok(Settings {
            common,
            rate: positive_rate(cfg.rate, "rate")?,
            concurrency,
            max_attempts,
            attempt_timeout: duration(cfg.attempt_timeout, "attempt_timeout")?,
            max_row_time: duration(cfg.max_row_time, "max_row_time")?,
            max_failures: cfg.max_failures,
            max_failure_ratio: cfg.max_failure_ratio,
            max_consecutive_failures,
            shutdown_grace: duration(cfg.shutdown_grace, "shutdown_grace")?,
            skip_invalid: cfg.skip_invalid.unwrap_or(false),
            allow_verification_messages: cfg.allow_verification_messages.unwrap_or(false),
            skip_unchanged: cfg.skip_unchanged.unwrap_or(false),
            read_rate: positive_rate(cfg.read_rate, "read_rate")?,
            list_rate: positive_rate(cfg.list_rate, "list_rate")?,
            compare_with: cfg.compare_with.unwrap_or_default(),
            snapshot: cfg.snapshot,
            rate_margin: margin(cfg.rate_margin, "rate_margin")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built_in() -> FileConfig {
        FileConfig::parse(BUILT_IN, Path::new("config.toml")).expect("shipped config.toml parses")
    }

    #[test]
    fn shipped_config_parses_and_resolves_to_the_local_emulator() {
        let settings = Settings::resolve(Path::new("x.csv"), built_in()).unwrap();
        assert_eq!(settings.rate, 10.0);
        assert_eq!(settings.common.target.pool_id, "local_SamplePool1");
        assert!(matches!(
            settings.common.target.endpoint,
            Endpoint::Emulator { .. }
        ));
        assert!(
            settings
                .common
                .target
                .describe()
                .starts_with("local emulator")
        );
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let err = FileConfig::parse("rat = 3\n", Path::new("my.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("my.toml") && err.contains("rat"), "{err}");
    }

    #[test]
    fn later_layers_win() {
        let file = FileConfig {
            rate: Some(5.0),
            concurrency: Some(3),
            ..Default::default()
        };
        let cli = FileConfig {
            rate: Some(7.0),
            ..Default::default()
        };
        let merged = built_in().overlaid_with(file).overlaid_with(cli);
        assert_eq!(merged.rate, Some(7.0));
        assert_eq!(merged.concurrency, Some(3));
    }

    #[test]
    fn a_real_pool_id_goes_to_aws_in_its_region() {
        let cfg = FileConfig {
            user_pool_id: Some("eu-west-1_AbC123".into()),
            ..built_in()
        };
        let target = resolve_target(&cfg).unwrap();
        assert_eq!(target.endpoint, Endpoint::Aws);
        assert_eq!(target.describe(), "AWS eu-west-1 eu-west-1_AbC123");
    }

    #[test]
    fn a_region_that_contradicts_the_pool_id_is_refused() {
        let cfg = FileConfig {
            user_pool_id: Some("eu-west-1_AbC123".into()),
            region: Some("us-east-1".into()),
            ..built_in()
        };
        let err = resolve_target(&cfg).unwrap_err().to_string();
        assert!(
            err.contains("--region") && err.contains("eu-west-1"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_name_flag_variable_and_key() {
        let cfg = FileConfig {
            rate: Some(0.0),
            ..built_in()
        };
        let err = Settings::resolve(Path::new("x.csv"), cfg)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--rate") && err.contains("COGNITO_BULK_RATE") && err.contains("`rate`"),
            "{err}"
        );
        let cfg = FileConfig {
            user_pool_id: Some("nope".into()),
            ..built_in()
        };
        assert!(Settings::resolve(Path::new("x.csv"), cfg).is_err());
        let cfg = FileConfig {
            attempt_timeout: Some("soon".into()),
            ..built_in()
        };
        let err = Settings::resolve(Path::new("x.csv"), cfg)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--attempt-timeout"), "{err}");
    }

    #[test]
    fn set_pairs_need_a_name() {
        assert_eq!(
            parse_set_pair("email_verified=true", "--set").unwrap().1,
            "true"
        );
        assert_eq!(parse_set_pair("custom:note=a=b", "--set").unwrap().1, "a=b");
        assert!(parse_set_pair("=x", "--set").is_err());
        assert!(parse_set_pair("novalue", "--set").is_err());
    }
}
