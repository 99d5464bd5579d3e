//! The resolved, checked settings the rest of the program trusts: every key is checked here once, naming the
//! flag, variable and key in its errors. `update`, `validate` and `export` resolve the groups they share
//! ([`TargetSettings`], [`RetrySettings`], [`CompareSettings`]) through the same functions, so a config key means
//! the same in each.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::layers::FileConfig;
use crate::cli::{CompareWith, LogFormat};
use crate::error::ConfigError;
use crate::input::row::Attribute;
use crate::input::validate::check_attribute;

/// Where requests go.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Endpoint {
    /// The built-in emulator, started in-process: its pools kept in `state` between runs, seeded from `seed`
    /// when there is no state yet.
    Emulator { seed: PathBuf, state: PathBuf },
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
            Endpoint::Emulator { seed, state } => {
                let origin = if state.exists() {
                    "kept from earlier runs".to_string()
                } else {
                    format!("seeded from {}", seed.display())
                };
                format!(
                    "local emulator (pool {}, state {}, {origin})",
                    self.pool_id,
                    state.display()
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
    /// Cells are read as they are (no leading-quote convention).
    pub(crate) raw_values: bool,
    /// The input's field separator.
    pub(crate) delimiter: u8,
}

/// Which rows of an earlier report run again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResumeMode {
    /// A new run: every row.
    Fresh,
    /// Skip rows already `updated` or `unchanged`; run the rest.
    Resume,
    /// Run only rows the report lists as `failed` (and rows it does not list at all).
    RetryFailed,
}

/// The retry and timing keys of every subcommand that calls the pool (`update`, `validate`, `export`).
#[derive(Debug, Clone)]
pub(crate) struct RetrySettings {
    pub(crate) max_attempts: u32,
    pub(crate) attempt_timeout: Duration,
    pub(crate) max_row_time: Duration,
    pub(crate) shutdown_grace: Duration,
    /// The longest time a run spends paused by outages of the endpoint, in all (`--max-outage`): pool reads
    /// and writes alike.
    pub(crate) max_outage: Duration,
}

impl RetrySettings {
    pub(crate) fn resolve(cfg: &FileConfig) -> Result<Self, ConfigError> {
        let max_attempts = required(cfg.max_attempts, "max_attempts")?;
        if max_attempts == 0 {
            return Err(ConfigError::invalid("max_attempts", "must be at least 1"));
        }
        Ok(RetrySettings {
            max_attempts,
            attempt_timeout: duration(cfg.attempt_timeout.clone(), "attempt_timeout")?,
            max_row_time: duration(cfg.max_row_time.clone(), "max_row_time")?,
            shutdown_grace: duration(cfg.shutdown_grace.clone(), "shutdown_grace")?,
            max_outage: duration(cfg.max_outage.clone(), "max_outage")?,
        })
    }
}

/// How `--skip-unchanged` compares rows with the pool (`update` and `validate`).
#[derive(Debug, Clone)]
pub(crate) struct CompareSettings {
    pub(crate) skip_unchanged: bool,
    /// Auto, a pool snapshot, or per-user reads.
    pub(crate) compare_with: CompareWith,
    /// `--snapshot FILE`: an earlier export to compare with instead of listing the pool.
    pub(crate) snapshot: Option<PathBuf>,
    /// ListUsers pages per second (UserList quota: 30/s), for `export` and the snapshot of `--skip-unchanged`.
    pub(crate) list_rate: f64,
    /// AdminGetUser reads per second (UserRead quota).
    pub(crate) read_rate: f64,
}

impl CompareSettings {
    /// AdminListGroupsForUser reads per second: [`crate::operations::RESOURCE_READ_RATE`], or `read_rate` when
    /// that is lower.
    pub(crate) fn group_read_rate(&self) -> f64 {
        crate::operations::RESOURCE_READ_RATE.min(self.read_rate)
    }

    pub(crate) fn resolve(cfg: &FileConfig) -> Result<Self, ConfigError> {
        let settings = CompareSettings {
            skip_unchanged: cfg.skip_unchanged.unwrap_or(false),
            compare_with: cfg.compare_with.unwrap_or_default(),
            snapshot: cfg.snapshot.clone(),
            list_rate: positive_rate(cfg.list_rate, "list_rate")?,
            read_rate: positive_rate(cfg.read_rate, "read_rate")?,
        };
        // `--snapshot` and `--compare-with` only mean something with `--skip-unchanged`.
        if settings.snapshot.is_some() && !settings.skip_unchanged {
            return Err(ConfigError::Usage(
                "--snapshot is what --skip-unchanged compares rows with: add --skip-unchanged"
                    .into(),
            ));
        }
        if settings.snapshot.is_some() && settings.compare_with == CompareWith::Reads {
            return Err(ConfigError::Usage(
                "--snapshot compares with an export, --compare-with reads with AdminGetUser reads: choose one".into(),
            ));
        }
        Ok(settings)
    }
}

/// Everything `validate` needs, resolved and checked.
#[derive(Debug, Clone)]
pub(crate) struct ValidateSettings {
    pub(crate) common: CommonSettings,
    pub(crate) retry: RetrySettings,
    pub(crate) compare: CompareSettings,
    /// `--offline`: do not reach the pool.
    pub(crate) offline: bool,
    /// `--allow-verification-messages` (its variable or key): the guard passes, as it would for `update`.
    pub(crate) allow_verification_messages: bool,
    /// A report was named (`--report`, its variable or key): write the problems there.
    pub(crate) problems_report: bool,
}

impl ValidateSettings {
    pub(crate) fn for_validate(args: &crate::cli::ValidateArgs) -> Result<Self, ConfigError> {
        let cli = FileConfig {
            skip_unchanged: args.skip_unchanged.then_some(true),
            allow_verification_messages: args.messages.allow_verification_messages.then_some(true),
            ..FileConfig::from_common(&args.common)?
                .overlaid_with(FileConfig::from_compare(&args.compare))
        };
        let cfg = super::layered(args.common.target.config.as_deref(), cli)?;
        let mut compare = CompareSettings::resolve(&cfg)?;
        // Comparing needs the pool.
        compare.skip_unchanged &= !args.offline;
        Ok(ValidateSettings {
            common: CommonSettings::resolve(&args.common.csv, &cfg)?,
            retry: RetrySettings::resolve(&cfg)?,
            compare,
            offline: args.offline,
            allow_verification_messages: cfg.allow_verification_messages.unwrap_or(false),
            problems_report: cfg.report.is_some(),
        })
    }
}

/// Everything `update` needs, resolved and checked.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) common: CommonSettings,
    pub(crate) retry: RetrySettings,
    pub(crate) compare: CompareSettings,
    pub(crate) rate: f64,
    pub(crate) concurrency: usize,
    pub(crate) max_failures: Option<u64>,
    pub(crate) max_failure_ratio: Option<f64>,
    pub(crate) max_consecutive_failures: u64,
    pub(crate) skip_invalid: bool,
    pub(crate) allow_verification_messages: bool,
    /// Once throttled, settle this fraction below the estimated free share (`--rate-margin`).
    pub(crate) rate_margin: f64,
    /// A new run, `--resume` or `--retry-failed`.
    pub(crate) mode: ResumeMode,
    /// `--overwrite`: replace an existing report.
    pub(crate) overwrite: bool,
    /// `--overwrite-undo`: replace an existing undo file (never implied by `--overwrite`).
    pub(crate) overwrite_undo: bool,
    /// `--dry-run`: every check, nothing written.
    pub(crate) dry_run: bool,
    /// `--undo-file`.
    pub(crate) undo_file: Option<PathBuf>,
    /// `--summary-json`.
    pub(crate) summary_json: Option<PathBuf>,
    /// `--resume` or `--retry-failed` named a report that does not exist yet: this is a fresh run.
    pub(crate) resumed_nothing: bool,
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

/// `delimiter`: one ASCII character other than a quote or a line end, or `tab`.
fn delimiter(value: Option<&str>) -> Result<u8, ConfigError> {
    match value {
        None => Ok(b','),
        Some("tab" | "\\t" | "\t") => Ok(b'\t'),
        Some(s) if s.len() == 1 && s.is_ascii() && !matches!(s, "\"" | "\n" | "\r") => {
            Ok(s.as_bytes()[0])
        }
        Some(s) => Err(ConfigError::invalid(
            "delimiter",
            format!("`{s}` must be one ASCII character (`,`, `;`, `|`) or `tab`"),
        )),
    }
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
    if let Some((region, rest)) = pool_id.split_once('_')
        && region != LOCAL_REGION
        && region.eq_ignore_ascii_case(LOCAL_REGION)
    {
        return Err(ConfigError::invalid(
            "user_pool_id",
            format!(
                "`{pool_id}`: pools of the built-in emulator start with `local_` in lower case (`local_{rest}`); a \
                 pool id with another prefix goes to AWS"
            ),
        ));
    }
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
        let state = required(cfg.emulator_state.clone(), "emulator_state")?;
        return Ok(TargetSettings {
            pool_id,
            region: LOCAL_REGION.into(),
            profile,
            endpoint: Endpoint::Emulator { seed, state },
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
                if let Some(why) = crate::schema::unknown_attribute(None, &name) {
                    return Err(ConfigError::invalid("set", why));
                }
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
            raw_values: cfg.raw_values.unwrap_or(false),
            delimiter: delimiter(cfg.delimiter.as_deref())?,
        })
    }
}

impl Settings {
    /// `update`'s settings: the layers under its flags, resolved, plus the flags that are not config keys.
    pub(crate) fn for_update(args: &crate::cli::UpdateArgs) -> Result<Self, ConfigError> {
        let cfg = super::layered(
            args.common.target.config.as_deref(),
            FileConfig::from_update(args)?,
        )?;
        let report_named = cfg.report.is_some();
        let mut settings = Settings::resolve(&args.common.csv, cfg)?;
        settings.mode = match (args.resume, args.retry_failed) {
            (true, _) => ResumeMode::Resume,
            (_, true) => ResumeMode::RetryFailed,
            _ => ResumeMode::Fresh,
        };
        if settings.mode != ResumeMode::Fresh && !report_named {
            return Err(ConfigError::Usage(
                "--resume and --retry-failed continue an earlier run: name its report with --report"
                    .into(),
            ));
        }
        // A scheduled job's first run and its retries share one command line: `--resume` with no report yet
        // is a fresh run.
        if settings.mode != ResumeMode::Fresh
            && std::fs::symlink_metadata(&settings.common.report)
                .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        {
            settings.mode = ResumeMode::Fresh;
            settings.resumed_nothing = true;
        }
        settings.overwrite = args.overwrite;
        settings.overwrite_undo = args.overwrite_undo;
        settings.dry_run = args.dry_run;
        settings.undo_file = args.undo_file.clone();
        settings.summary_json = args.summary_json.clone();
        Ok(settings)
    }

    /// The config keys of `update`, resolved (the flags that are not keys keep their defaults: a fresh run).
    pub(crate) fn resolve(input: &Path, cfg: FileConfig) -> Result<Self, ConfigError> {
        let common = CommonSettings::resolve(input, &cfg)?;
        let concurrency = required(cfg.concurrency, "concurrency")?;
        if !(1..=1024).contains(&concurrency) {
            return Err(ConfigError::invalid(
                "concurrency",
                format!("{concurrency} must be between 1 and 1024"),
            ));
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
            retry: RetrySettings::resolve(&cfg)?,
            compare: CompareSettings::resolve(&cfg)?,
            rate: positive_rate(cfg.rate, "rate")?,
            concurrency,
            max_failures: cfg.max_failures,
            max_failure_ratio: cfg.max_failure_ratio,
            max_consecutive_failures,
            skip_invalid: cfg.skip_invalid.unwrap_or(false),
            allow_verification_messages: cfg.allow_verification_messages.unwrap_or(false),
            rate_margin: margin(cfg.rate_margin, "rate_margin")?,
            mode: ResumeMode::Fresh,
            overwrite: false,
            overwrite_undo: false,
            dry_run: false,
            undo_file: None,
            summary_json: None,
            resumed_nothing: false,
        })
    }
}
