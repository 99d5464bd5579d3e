//! The process exit codes, in one place: every way the program can end maps to one of these constants. This is a
//! leaf (it imports nothing): [`crate::error::RunError::exit_code`] maps an error to a code,
//! `RunSummary::exit_code` a finished run, `Signal::exit_code` a signal.
//!
//! The table is documented in the README ("Exit codes"); scheduled jobs page on these values.

/// Every input row was updated (or already had the requested values).
pub(crate) const SUCCESS: i32 = 0;
/// An unexpected internal error (a bug): please report it.
pub(crate) const INTERNAL: i32 = 1;
/// A usage or configuration error: a flag, a config key, an environment variable, or the report path (including a
/// report or undo file in use by another run).
/// clap uses the same code for malformed command lines.
pub(crate) const USAGE: i32 = 2;
/// The input file can't be used: unreadable, no header, no key column, bad UTF-8, a row with the wrong number
/// of fields, or (pre-flight) rows that fail validation. Nothing was sent.
pub(crate) const INPUT: i32 = 3;
/// The run finished, but some rows were not updated (`failed`, `invalid` or `not_attempted`); the report says which.
pub(crate) const ROWS_NOT_UPDATED: i32 = 4;
/// The run was stopped early: a pool-level or permission error (pool missing, bad credentials, access denied), or
/// the failure threshold was reached. The remaining rows are `not_attempted`.
pub(crate) const STOPPED: i32 = 5;
/// A safety guard refused to start (for example: the run would send verification messages and
/// `--allow-verification-messages` was not given). Nothing was sent.
pub(crate) const REFUSED: i32 = 6;
/// Interrupted by SIGINT (128 + 2); the report is flushed and the run can be resumed.
pub(crate) const INTERRUPTED_SIGINT: i32 = 130;
/// Terminated by SIGTERM (128 + 15); the report is flushed and the run can be resumed.
pub(crate) const INTERRUPTED_SIGTERM: i32 = 143;
