//! Typed errors of the run, one enum per layer, and [`RunError`]: the only error type `main` sees and maps to an
//! exit code (in [`RunError::exit_code`]).
//!
//! Row-level failures are not errors here: they are report rows and counters (see [`crate::report`]).

use std::path::PathBuf;

use crate::exit_code;

/// A problem with a flag, an environment variable or a config file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("failed to read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("failed to parse config file {}: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid {key} (--{flag} / COGNITO_BULK_{env} / config key `{key}`): {message}")]
    Invalid {
        key: String,
        flag: String,
        env: String,
        message: String,
    },
    #[error("{0}")]
    Usage(String),
}

impl ConfigError {
    /// An invalid value of config key `key` (named with its flag and environment variable too).
    pub(crate) fn invalid(key: &str, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            key: key.to_string(),
            flag: key.replace('_', "-"),
            env: key.to_ascii_uppercase(),
            message: message.into(),
        }
    }
}

/// A problem with the input file as a whole; the job stops before any call.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InputError {
    #[error("failed to read {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The private copy the passes read could not be written (`$TMPDIR` full or not writable).
    #[error(
        "failed to copy {} to a private temporary file in {}: {source}. Set TMPDIR to a directory with room for \
         a copy of the input",
        path.display(),
        std::env::temp_dir().display()
    )]
    Copy {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:1: the file is empty; expected a header row naming the key column and the attributes", path.display())]
    NoHeader { path: PathBuf },
    #[error("{}:1: no key column: {message}", path.display())]
    NoKeyColumn { path: PathBuf, message: String },
    /// Columns that name no attribute (offline, or against the pool's schema): every problem of the header at once,
    /// with the attribute columns that passed, so that the pool's names can be checked too.
    #[error(
        "{}:1: {} (fix the header: every row would be refused)",
        path.display(),
        problems.iter().map(|(_, p)| p.as_str()).collect::<Vec<_>>().join("; ")
    )]
    UnknownColumns {
        path: PathBuf,
        /// (column number, "column N `name`: why"), in column order.
        problems: Vec<(usize, String)>,
        /// The columns that passed the offline check, by column number.
        attributes: Vec<(usize, String)>,
    },
    #[error("{}:1: column {column} `{name}` appears twice in the header", path.display())]
    DuplicateColumn {
        path: PathBuf,
        column: usize,
        name: String,
    },
    #[error("{}:1: {message}", path.display())]
    Header { path: PathBuf, message: String },
    #[error("{}:{line}: {message}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Changed { path: PathBuf, message: String },
}

/// A problem with the report file (or the undo file).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportError {
    #[error("failed to create report {} (choose another path with --report): {source}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "report {} already exists: pass --resume to continue that run, --overwrite to replace it, \
         or --report to choose another path",
        path.display()
    )]
    Exists { path: PathBuf },
    #[error("failed to read report {} to resume it: {message}", path.display())]
    Journal { path: PathBuf, message: String },
    #[error("failed to write report {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "failed to create undo file {} (choose another path with --undo-file): {source}",
        path.display()
    )]
    UndoCreate {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "undo file {} already exists and may hold the only record of an earlier run's old values: {hint}",
        path.display()
    )]
    UndoExists { path: PathBuf, hint: String },
    #[error("failed to write undo file {}: {message}", path.display())]
    UndoWrite { path: PathBuf, message: String },
    #[error(
        "{} is in use by another cognito-bulk run ({}): one run per report; wait for that run to end or stop it, \
         or choose another path (lock file {})",
        path.display(),
        holder_text(*holder),
        lock.display()
    )]
    Locked {
        path: PathBuf,
        lock: PathBuf,
        holder: Option<u32>,
    },
    #[error(
        "failed to lock {} with lock file {} (one run per report; choose another path): {source}",
        path.display(),
        lock.display()
    )]
    Lock {
        path: PathBuf,
        lock: PathBuf,
        source: std::io::Error,
    },
}

fn holder_text(holder: Option<u32>) -> String {
    match holder {
        Some(pid) => format!("pid {pid}"),
        None => "pid not recorded yet".into(),
    }
}

/// A problem with the pool snapshot of `--skip-unchanged`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SnapshotError {
    #[error("--snapshot {}:{line}: {message}", path.display())]
    File {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("interrupted by {} while listing the pool for --skip-unchanged: nothing was sent", signal.name())]
    Interrupted {
        signal: crate::exec::control::Signal,
    },
}

/// A problem with `export`'s output file.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    #[error(
        "output {} already exists: pass --overwrite to replace it, or --output to choose another path",
        path.display()
    )]
    Exists { path: PathBuf },
    #[error("failed to create output {} (choose another path with --output): {source}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("failed to write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `--output` is locked by another run, or its lock file could not be created.
    #[error(transparent)]
    Lock(#[from] ReportError),
}

/// Everything that ends a run without a per-row outcome for every row, plus refusals before the first call.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    List(#[from] ListError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(
        "refused to start: {invalid} of {total} rows are invalid (listed above); fix them, or pass --skip-invalid to send only the valid rows"
    )]
    InvalidRows { invalid: u64, total: u64 },
    #[error("refused to start: {0}")]
    Refused(String),
    #[error("failed to reach the user pool: {0}")]
    Target(String),
    /// No credentials to sign requests with (checked before anything else).
    #[error("{0}")]
    Credentials(String),
    #[error("failed to start the built-in emulator: {0}")]
    Emulator(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl RunError {
    /// The one map from errors to exit codes.
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            RunError::Config(_) => exit_code::USAGE,
            RunError::Report(
                ReportError::Create { .. }
                | ReportError::Exists { .. }
                | ReportError::UndoCreate { .. }
                | ReportError::UndoExists { .. }
                | ReportError::Locked { .. }
                | ReportError::Lock { .. },
            ) => exit_code::USAGE,
            RunError::Report(ReportError::Journal { .. }) => exit_code::INPUT,
            RunError::Report(ReportError::Write { .. } | ReportError::UndoWrite { .. }) => {
                exit_code::INTERNAL
            }
            RunError::Input(_) | RunError::InvalidRows { .. } => exit_code::INPUT,
            RunError::Snapshot(SnapshotError::File { .. }) => exit_code::INPUT,
            RunError::Snapshot(SnapshotError::Interrupted { signal }) => signal.exit_code(),
            RunError::Refused(_) => exit_code::REFUSED,
            RunError::Target(_) | RunError::Credentials(_) => exit_code::STOPPED,
            RunError::Emulator(_) => exit_code::USAGE,
            RunError::Internal(_) => exit_code::INTERNAL,
            RunError::List(e) => list_exit_code(e),
            RunError::Export(
                ExportError::Exists { .. } | ExportError::Create { .. } | ExportError::Lock(_),
            ) => exit_code::USAGE,
            RunError::Export(ExportError::Write { .. }) => exit_code::INTERNAL,
        }
    }
}

/// A listing that did not finish: a bad `--filter` is a usage error; a stopped listing is a stop (a signal's own
/// code is chosen by the caller, which knows the signal); the pool, permissions or a page that kept failing stop
/// the run as `update` does.
fn list_exit_code(e: &ListError) -> i32 {
    match e {
        ListError::Filter { .. } => exit_code::USAGE,
        ListError::Fatal { .. }
        | ListError::Page { .. }
        | ListError::Stopped
        | ListError::ReceiverClosed => exit_code::STOPPED,
    }
}

/// An error and its causes, as one line (the emulator's helper, shared by the job's errors).
pub(crate) use cognito_emulator::display_chain as chain;

impl ConfigError {
    /// Every problem found in what the user typed, as one usage error ending with `last` (e.g. "Nothing was
    /// written."); `Ok` when there is none.
    pub(crate) fn all(problems: &[String], last: &str) -> Result<(), ConfigError> {
        match problems.is_empty() {
            true => Ok(()),
            false => Err(ConfigError::Usage(sentences(problems, last))),
        }
    }
}

/// Several problems found at once, as one text: each a sentence, then `last`.
fn sentences(problems: &[String], last: &str) -> String {
    problems
        .iter()
        .map(String::as_str)
        .chain([last])
        .map(|p| match p.ends_with(['.', '?', '!']) {
            true => p.to_string(),
            false => format!("{p}."),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_kind_has_its_documented_code() {
        let p = || PathBuf::from("in.csv");
        let cases: Vec<(RunError, i32)> = vec![
            (ConfigError::invalid("rate", "x").into(), 2),
            (ReportError::Exists { path: p() }.into(), 2),
            (
                ReportError::UndoExists {
                    path: p(),
                    hint: String::new(),
                }
                .into(),
                2,
            ),
            (
                ReportError::Locked {
                    path: p(),
                    lock: p(),
                    holder: Some(1),
                }
                .into(),
                2,
            ),
            (InputError::NoHeader { path: p() }.into(), 3),
            (
                RunError::InvalidRows {
                    invalid: 1,
                    total: 2,
                },
                3,
            ),
            (
                ReportError::Journal {
                    path: p(),
                    message: "x".into(),
                }
                .into(),
                3,
            ),
            (RunError::Refused("x".into()), 6),
            (RunError::Target("x".into()), 5),
            (RunError::Internal("x".into()), 1),
            (
                ListError::Fatal {
                    pool_id: "p".into(),
                    code: "ResourceNotFoundException".into(),
                    message: "x".into(),
                }
                .into(),
                5,
            ),
            (ExportError::Exists { path: p() }.into(), 2),
            (
                ListError::Filter {
                    attribute: "f".into(),
                    code: "InvalidParameterException".into(),
                    message: "x".into(),
                }
                .into(),
                2,
            ),
        ];
        for (err, code) in cases {
            assert_eq!(err.exit_code(), code, "{err}");
        }
    }

    #[test]
    fn config_errors_name_flag_env_and_key() {
        let msg = ConfigError::invalid("max_row_time", "bad").to_string();
        assert_eq!(
            msg,
            "invalid max_row_time (--max-row-time / COGNITO_BULK_MAX_ROW_TIME / config key `max_row_time`): bad"
        );
    }
}

/// Why a listing did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ListError {
    /// The pool, the account or the credentials (missing pool, access denied, bad credentials).
    #[error("ListUsers on pool {pool_id} failed: {code}: {message}")]
    Fatal {
        pool_id: String,
        code: String,
        message: String,
    },
    /// The endpoint rejected the user's `--filter` (named by its attribute only: its value may be personal data).
    #[error("ListUsers refused the --filter on `{attribute}`: {code}: {message}")]
    Filter {
        attribute: String,
        code: String,
        message: String,
    },
    /// A page kept failing (transient errors beyond `max_attempts`, or its time budget used up), or failed with
    /// an error that is not retried.
    #[error("ListUsers on pool {pool_id} failed: {code}: {message} ({note})")]
    Page {
        pool_id: String,
        code: String,
        message: String,
        note: String,
    },
    /// The run was stopped (Ctrl-C, SIGTERM) before the end of the listing.
    #[error("the listing was stopped before the end")]
    Stopped,
    /// The receiver of the listed users went away.
    #[error("the listing's receiver closed")]
    ReceiverClosed,
}
