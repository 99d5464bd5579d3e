//! The command line, as typed: clap definitions of every subcommand and flag, and nothing else.
//!
//! Flags are `Option<T>` without clap defaults so that the layers resolve in one place
//! ([`crate::config`]): built-in defaults < config file < environment (`COGNITO_BULK_*`) < flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use cognito_emulator::EmulatorArgs;

/// Change attributes, group membership and enabled state of existing Amazon Cognito users in bulk, from a CSV file.
///
/// Each row becomes the calls its columns ask for (AdminUpdateUserAttributes, AdminDeleteUserAttributes, the group
/// and enable/disable calls), behind a rate limiter that never exceeds --rate and slows down when Cognito
/// throttles. Every input row ends in the report exactly once. Without a real user pool id the job runs against
/// the built-in local emulator: nothing reaches AWS by accident.
#[derive(Debug, Parser)]
#[command(
    name = "cognito-bulk",
    version,
    propagate_version = true,
    args_override_self = true,
    max_term_width = 110
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Update users' attributes, group membership and enabled state from a CSV file.
    #[command(after_long_help = EXIT_CODES)]
    Update(Box<UpdateArgs>),
    /// Check a CSV file without writing anything: every check `update` makes before its first write, the pool's
    /// schema and the verification-message guard included.
    Validate(ValidateArgs),
    /// Run the local Cognito-compatible emulator (for trying the tool and testing your own Cognito code).
    Emulator(EmulatorArgs),
    /// Write a pool's users (or some of them) to a CSV file in `update`'s input format, read with ListUsers.
    Export(ExportArgs),
    /// Print a shell completion script on standard output.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on standard output.
    Man,
}

/// The exit codes, at the end of `update --help` (the constants of `crate::exit_code`).
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0    every row was updated (or already had its values)
  1    internal error (a bug)
  2    usage or configuration error (flags, config, a report in use, a symlink)
  3    input error, nothing sent (unreadable file, bad header, invalid rows)
  4    finished, but some rows were not updated: see the report
  5    stopped early, resumable (pool, credentials, permissions, a threshold,
       the report not writable, the endpoint unreachable past --max-outage)
  6    refused by a safety guard (verification messages), nothing sent
  130  interrupted by SIGINT, resumable
  143  terminated by SIGTERM, resumable";

/// Where the job goes and how the input is read; shared by `update` and `validate`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct CommonArgs {
    /// The CSV file to read (`-` reads standard input). The header names the key column and the attributes.
    #[arg(value_name = "CSV")]
    pub(crate) csv: PathBuf,

    /// Column that holds the user key
    ///
    /// Name of the column that holds the user key (a username, a verified alias or a `sub`)
    /// [default: `username`, else `cognito:username`] [env: COGNITO_BULK_USERNAME_COLUMN]
    #[arg(
        help_heading = "Input",
        long,
        value_name = "NAME",
        env = "COGNITO_BULK_USERNAME_COLUMN",
        hide_env = true
    )]
    pub(crate) username_column: Option<String>,

    /// Add NAME=VALUE to every row (repeatable)
    ///
    /// Add attribute NAME=VALUE to every row (repeatable), e.g. `--set email_verified=true`.
    /// [env: COGNITO_BULK_SET, pairs separated by `;`]
    #[arg(long = "set", value_name = "NAME=VALUE", help_heading = "Input")]
    pub(crate) set: Vec<String>,

    /// Report file, also the journal of --resume
    ///
    /// Report file (CSV, one row per input row) [default: <input name>-<UTC time>.report.csv]
    /// [env: COGNITO_BULK_REPORT]
    #[arg(
        help_heading = "Resume and report",
        long,
        value_name = "PATH",
        env = "COGNITO_BULK_REPORT",
        hide_env = true
    )]
    pub(crate) report: Option<PathBuf>,

    /// Accept quoted values that span lines
    ///
    /// Accept quoted values that span lines. Without it such a row is invalid: it is usually a stray `"` that
    /// merged the lines after it into one value [env: COGNITO_BULK_ALLOW_MULTILINE_VALUES]
    #[arg(
        long,
        env = "COGNITO_BULK_ALLOW_MULTILINE_VALUES",
        hide_env = true,
        help_heading = "Input",
        hide_short_help = true
    )]
    pub(crate) allow_multiline_values: bool,

    /// Read cells as they are (keep an export's leading ')
    ///
    /// Read every cell as it is. Without it, a leading `'` that `export` put before a value starting with
    /// `=`, `+`, `-`, `@`, a tab, a carriage return or `'`, or before a value holding a line break, is removed
    /// (the protection against formulas in spreadsheets) [env: COGNITO_BULK_RAW_VALUES]
    #[arg(
        long,
        env = "COGNITO_BULK_RAW_VALUES",
        hide_env = true,
        help_heading = "Input",
        hide_short_help = true
    )]
    pub(crate) raw_values: bool,

    /// Field separator of the input: `,` (the default), `;`, `tab`, or another single character
    ///
    /// The character between fields of the input (a spreadsheet in some locales saves CSV with `;`): one
    /// ASCII character, or `tab` [default: ,] [env: COGNITO_BULK_DELIMITER]
    #[arg(
        long,
        value_name = "CHAR",
        env = "COGNITO_BULK_DELIMITER",
        hide_env = true,
        help_heading = "Input",
        hide_short_help = true
    )]
    pub(crate) delimiter: Option<String>,

    #[command(flatten)]
    pub(crate) target: TargetArgs,
}

#[derive(Debug, Args, Clone, Default)]
pub(crate) struct UpdateArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,

    /// Most requests per second, retries included
    ///
    /// Ceiling on requests per second, retries included. Cognito's UserUpdate quota (25/s) is shared with your
    /// live traffic; the job also slows down by itself when throttled [default: 10] [env: COGNITO_BULK_RATE]
    #[arg(
        help_heading = "Rate and retries",
        long,
        value_name = "PER_SECOND",
        env = "COGNITO_BULK_RATE",
        hide_env = true
    )]
    pub(crate) rate: Option<f64>,

    /// Most requests in flight at once
    ///
    /// Most requests in flight at once [default: 16] [env: COGNITO_BULK_CONCURRENCY]
    #[arg(
        help_heading = "Rate and retries",
        long,
        value_name = "N",
        env = "COGNITO_BULK_CONCURRENCY",
        hide_env = true
    )]
    pub(crate) concurrency: Option<usize>,

    /// Most attempts per row for transient errors
    ///
    /// Most attempts per row for transient errors (server errors, timeouts, dropped connections). Throttled
    /// attempts do not count: they are bounded by --max-row-time [default: 5] [env: COGNITO_BULK_MAX_ATTEMPTS]
    #[arg(
        help_heading = "Rate and retries",
        long,
        value_name = "N",
        env = "COGNITO_BULK_MAX_ATTEMPTS",
        hide_env = true
    )]
    pub(crate) max_attempts: Option<u32>,

    /// Timeout of one HTTP attempt
    ///
    /// Timeout of one HTTP attempt, e.g. `10s` [default: 10s] [env: COGNITO_BULK_ATTEMPT_TIMEOUT]
    #[arg(
        help_heading = "Rate and retries",
        long,
        value_name = "DURATION",
        env = "COGNITO_BULK_ATTEMPT_TIMEOUT",
        hide_env = true
    )]
    pub(crate) attempt_timeout: Option<String>,

    /// Time budget of one row, all attempts included
    ///
    /// Time budget of one row across all its attempts and backoffs, e.g. `15m` [default: 15m]
    /// [env: COGNITO_BULK_MAX_ROW_TIME]
    #[arg(
        help_heading = "Rate and retries",
        long,
        value_name = "DURATION",
        env = "COGNITO_BULK_MAX_ROW_TIME",
        hide_env = true,
        hide_short_help = true
    )]
    pub(crate) max_row_time: Option<String>,

    /// Stop after this many failed rows
    ///
    /// Stop the run (remaining rows `not_attempted`) once this many rows have failed [default: no limit]
    /// [env: COGNITO_BULK_MAX_FAILURES]
    #[arg(
        help_heading = "Safety",
        long,
        value_name = "N",
        env = "COGNITO_BULK_MAX_FAILURES",
        hide_env = true
    )]
    pub(crate) max_failures: Option<u64>,

    /// Stop when this fraction of finished rows failed
    ///
    /// Stop the run once more than this fraction of finished rows failed (checked after 100 rows), e.g. `0.1`
    /// [default: no limit] [env: COGNITO_BULK_MAX_FAILURE_RATIO]
    #[arg(
        help_heading = "Safety",
        long,
        value_name = "RATIO",
        env = "COGNITO_BULK_MAX_FAILURE_RATIO",
        hide_env = true
    )]
    pub(crate) max_failure_ratio: Option<f64>,

    /// Stop after this many rows fail in a row
    ///
    /// Stop the run after this many consecutive rows fail with the same error code [default: 25]
    /// [env: COGNITO_BULK_MAX_CONSECUTIVE_FAILURES]
    #[arg(
        help_heading = "Safety",
        long,
        value_name = "N",
        env = "COGNITO_BULK_MAX_CONSECUTIVE_FAILURES",
        hide_env = true
    )]
    pub(crate) max_consecutive_failures: Option<u64>,

    /// After SIGINT/SIGTERM, time for rows in flight
    ///
    /// After SIGINT/SIGTERM, how long rows in flight may take to finish, e.g. `30s` [default: 30s]
    /// [env: COGNITO_BULK_SHUTDOWN_GRACE]
    #[arg(
        help_heading = "Resume and report",
        long,
        value_name = "DURATION",
        env = "COGNITO_BULK_SHUTDOWN_GRACE",
        hide_env = true,
        hide_short_help = true
    )]
    pub(crate) shutdown_grace: Option<String>,

    /// Continue the run recorded in --report
    ///
    /// Continue the run recorded in --report: skip rows already `updated` or `unchanged`, run the rest.
    /// Refuses if the input changed since the report was written.
    #[arg(long, help_heading = "Resume and report")]
    pub(crate) resume: bool,

    /// Run only the rows the report lists as failed
    ///
    /// Like --resume, but run only the rows the report lists as `failed`.
    #[arg(long, conflicts_with = "resume", help_heading = "Resume and report")]
    pub(crate) retry_failed: bool,

    /// Replace an existing report
    ///
    /// Replace an existing report file instead of refusing to start.
    #[arg(long, conflicts_with_all = ["resume", "retry_failed"], help_heading = "Resume and report")]
    pub(crate) overwrite: bool,

    /// Replace an existing undo file
    ///
    /// Replace an existing --undo-file on a new run. Without it a new run refuses an undo file that exists: it may
    /// hold the only record of an earlier run's old values (--overwrite replaces the report only; --resume appends
    /// to both).
    #[arg(
        long,
        conflicts_with_all = ["resume", "retry_failed"],
        help_heading = "Resume and report",
        hide_short_help = true
    )]
    pub(crate) overwrite_undo: bool,

    /// Check everything, send nothing
    ///
    /// Check everything (pre-flight and, with a reachable pool, its schema) and send nothing.
    #[arg(long, help_heading = "Safety", short = 'n')]
    pub(crate) dry_run: bool,

    /// Send the valid rows, report the others invalid
    ///
    /// Start even if some rows are invalid; they are reported `invalid` and never sent
    /// [env: COGNITO_BULK_SKIP_INVALID]
    #[arg(
        long,
        env = "COGNITO_BULK_SKIP_INVALID",
        hide_env = true,
        help_heading = "Safety"
    )]
    pub(crate) skip_invalid: bool,

    #[command(flatten)]
    pub(crate) messages: MessagesArgs,

    /// Skip rows whose values the user already has
    ///
    /// Skip rows whose values the user already has (reported `unchanged`, nothing sent): compared with a pool
    /// snapshot (ListUsers, no MAUs billed) or by reading each user (AdminGetUser), whichever costs less; see
    /// --compare-with [env: COGNITO_BULK_SKIP_UNCHANGED]
    #[arg(
        long,
        env = "COGNITO_BULK_SKIP_UNCHANGED",
        hide_env = true,
        help_heading = "Safety"
    )]
    pub(crate) skip_unchanged: bool,

    /// Most AdminGetUser reads per second
    ///
    /// Ceiling on AdminGetUser requests per second for --skip-unchanged, --undo-file and the read-back after an
    /// ambiguous failure (UserRead quota: 120/s) [default: 50] [env: COGNITO_BULK_READ_RATE]
    #[arg(
        help_heading = "Rate and retries",
        long,
        value_name = "PER_SECOND",
        env = "COGNITO_BULK_READ_RATE",
        hide_env = true,
        hide_short_help = true
    )]
    pub(crate) read_rate: Option<f64>,

    /// Once throttled, settle this far below the free share
    ///
    /// Once throttled, settle this fraction below the free share estimated from the throttles, leaving room for
    /// other traffic on the shared quota (0 to 0.5) [default: 0.1] [env: COGNITO_BULK_RATE_MARGIN]
    #[arg(
        help_heading = "Rate and retries",
        long,
        value_name = "FRACTION",
        env = "COGNITO_BULK_RATE_MARGIN",
        hide_env = true,
        hide_short_help = true
    )]
    pub(crate) rate_margin: Option<f64>,

    /// Also write the final summary as JSON to this file
    ///
    /// Write the run's final counts (the `summary` event of `--log-format json`: every status, the requests
    /// sent and throttled, the settled rate, the duration, the exit code) to this file, mode 0600.
    #[arg(long, value_name = "PATH", help_heading = "Output and logging")]
    pub(crate) summary_json: Option<PathBuf>,

    /// Write the previous values, to undo the run
    ///
    /// Write each changed user's previous values to this CSV (input format), so that
    /// `cognito-bulk update <undo file>` restores them.
    #[arg(long, value_name = "PATH", help_heading = "Safety")]
    pub(crate) undo_file: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) compare: CompareArgs,
}

/// The verification-message guard's flag (shared by `update` and `validate`, which checks a file as `update` with
/// the same flag would run it).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct MessagesArgs {
    /// Allow rows that make Cognito send verification messages
    ///
    /// Allow rows that change `email` or `phone_number` without marking them verified: Cognito sends each such
    /// user a verification message. Without it, `update` and `validate` refuse such a file (exit 6)
    /// [env: COGNITO_BULK_ALLOW_VERIFICATION_MESSAGES]
    #[arg(
        help_heading = "Safety",
        long,
        env = "COGNITO_BULK_ALLOW_VERIFICATION_MESSAGES",
        hide_env = true
    )]
    pub(crate) allow_verification_messages: bool,
}

/// How `--skip-unchanged` compares rows with the pool (shared by `update` and `validate`).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct CompareArgs {
    /// `--list-rate`, for the pool snapshot.
    #[command(flatten)]
    pub(crate) list: ListRateArgs,

    /// How --skip-unchanged compares: auto, snapshot, reads
    ///
    /// How --skip-unchanged compares: `snapshot` lists the whole pool first (ListUsers: no monthly active
    /// users billed), `reads` reads each user before its write (AdminGetUser), `auto` picks the faster by the
    /// pool's estimated size [default: auto] [env: COGNITO_BULK_COMPARE_WITH]
    #[arg(
        help_heading = "Safety",
        long,
        value_name = "HOW",
        env = "COGNITO_BULK_COMPARE_WITH",
        hide_env = true,
        hide_short_help = true,
        hide_possible_values = true
    )]
    pub(crate) compare_with: Option<CompareWith>,

    /// Compare with this earlier export
    ///
    /// With --skip-unchanged, compare with this earlier `cognito-bulk export` instead of listing the pool
    /// [env: COGNITO_BULK_SNAPSHOT]
    #[arg(
        help_heading = "Safety",
        long,
        value_name = "FILE",
        env = "COGNITO_BULK_SNAPSHOT",
        hide_env = true,
        hide_short_help = true
    )]
    pub(crate) snapshot: Option<PathBuf>,
}

#[derive(Debug, Args, Clone, Default)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub(crate) common: CommonArgs,

    /// Check offline only (no schema from the pool)
    ///
    /// Check offline only: do not read the pool's schema even when a pool is configured.
    #[arg(long, help_heading = "Safety")]
    pub(crate) offline: bool,

    #[command(flatten)]
    pub(crate) messages: MessagesArgs,

    /// Skip rows whose values the user already has
    ///
    /// Also compare each row with the pool as `update --skip-unchanged` would, and count only the rows that
    /// would be sent (needs the pool; see --compare-with and --snapshot)
    #[arg(long, conflicts_with = "offline", help_heading = "Safety")]
    pub(crate) skip_unchanged: bool,

    #[command(flatten)]
    pub(crate) compare: CompareArgs,
}

/// How fast the pool is read with ListUsers; shared by every command that lists a pool.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct ListRateArgs {
    /// Most ListUsers pages per second
    ///
    /// Ceiling on ListUsers pages per second (60 users a page), retries included. Cognito's UserList quota (30/s)
    /// is shared with your other callers; the job also slows down by itself when throttled [default: 20]
    /// [env: COGNITO_BULK_LIST_RATE]
    #[arg(
        help_heading = "Rate and retries",
        long,
        value_name = "PAGES_PER_SECOND",
        env = "COGNITO_BULK_LIST_RATE",
        hide_env = true,
        hide_short_help = true
    )]
    pub(crate) list_rate: Option<f64>,
}

/// Where the job goes (the same for every subcommand that reaches a pool), and how it logs.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct TargetArgs {
    /// Config file (TOML)
    ///
    /// Config file (TOML; keys as in the shipped config.toml). [env: COGNITO_BULK_CONFIG]
    #[arg(
        help_heading = "Target",
        long,
        value_name = "PATH",
        env = "COGNITO_BULK_CONFIG",
        hide_env = true
    )]
    pub(crate) config: Option<PathBuf>,

    /// User pool id (`local_*`: the built-in emulator)
    ///
    /// User pool id. A real id (`us-east-1_AbC123`) goes to AWS; a `local_*` id runs on the built-in emulator.
    /// [default: local_SamplePool1] [env: COGNITO_BULK_USER_POOL_ID]
    #[arg(
        help_heading = "Target",
        long,
        value_name = "ID",
        env = "COGNITO_BULK_USER_POOL_ID",
        hide_env = true
    )]
    pub(crate) user_pool_id: Option<String>,

    /// AWS Region (from the pool id by default)
    ///
    /// AWS Region [default: the Region in the pool id] [env: COGNITO_BULK_REGION]
    #[arg(
        help_heading = "Target",
        long,
        value_name = "REGION",
        env = "COGNITO_BULK_REGION",
        hide_env = true
    )]
    pub(crate) region: Option<String>,

    /// AWS profile for credentials
    ///
    /// AWS shared-config profile for credentials [default: the standard credential chain]
    /// [env: COGNITO_BULK_PROFILE]
    #[arg(
        help_heading = "Target",
        long,
        value_name = "NAME",
        env = "COGNITO_BULK_PROFILE",
        hide_env = true
    )]
    pub(crate) profile: Option<String>,

    /// A Cognito-compatible endpoint instead of AWS
    ///
    /// Use this Cognito-compatible endpoint instead of AWS or the built-in emulator (for example a
    /// `cognito-bulk emulator` started by hand) [env: COGNITO_BULK_ENDPOINT_URL]
    #[arg(
        help_heading = "Target",
        long,
        value_name = "URL",
        env = "COGNITO_BULK_ENDPOINT_URL",
        hide_env = true
    )]
    pub(crate) endpoint_url: Option<String>,

    /// Seed file of the built-in emulator
    ///
    /// Seed file (pools and users) for the built-in emulator used with `local_*` pool ids
    /// [default: sample-data/seed.json] [env: COGNITO_BULK_EMULATOR_SEED]
    #[arg(
        help_heading = "Target",
        long,
        value_name = "PATH",
        env = "COGNITO_BULK_EMULATOR_SEED",
        hide_env = true,
        hide_short_help = true
    )]
    pub(crate) emulator_seed: Option<PathBuf>,

    /// State file of the built-in emulator's pools
    ///
    /// Where the built-in emulator used with `local_*` pool ids keeps its pools between runs, so that runs see
    /// each other's changes; the seed is loaded only when it does not exist yet (delete it, or run
    /// `cognito-bulk emulator --reset-state`, to start over) [default: .cognito-bulk/emulator-state.json]
    /// [env: COGNITO_BULK_EMULATOR_STATE]
    #[arg(
        help_heading = "Target",
        long,
        value_name = "PATH",
        env = "COGNITO_BULK_EMULATOR_STATE",
        hide_env = true,
        hide_short_help = true
    )]
    pub(crate) emulator_state: Option<PathBuf>,

    /// Log format on standard error: text or json
    ///
    /// Log format on standard error [default: text] [env: COGNITO_BULK_LOG_FORMAT]
    #[arg(
        help_heading = "Output and logging",
        long,
        value_name = "FORMAT",
        env = "COGNITO_BULK_LOG_FORMAT",
        hide_env = true,
        hide_possible_values = true
    )]
    pub(crate) log_format: Option<LogFormat>,

    /// No banner or progress; errors and the summary only
    ///
    /// No banner, progress bar or status lines; errors and the final summary only [env: COGNITO_BULK_QUIET]
    #[arg(
        long,
        env = "COGNITO_BULK_QUIET",
        hide_env = true,
        help_heading = "Output and logging",
        short = 'q'
    )]
    pub(crate) quiet: bool,

    /// Longest time paused while the endpoint is unreachable, in all
    ///
    /// How long the run may stay paused, in all, while the endpoint cannot be reached (or answers only server
    /// errors), its reads of the pool included, before it stops (exit 5, resumable), e.g. `15m` [default: 15m]
    /// [env: COGNITO_BULK_MAX_OUTAGE]
    #[arg(
        help_heading = "Rate and retries",
        long,
        value_name = "DURATION",
        env = "COGNITO_BULK_MAX_OUTAGE",
        hide_env = true,
        hide_short_help = true
    )]
    pub(crate) max_outage: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) target: TargetArgs,

    #[command(flatten)]
    pub(crate) list: ListRateArgs,

    /// Output file, `-` for standard output
    ///
    /// The CSV file to write (`-`: standard output) [default: <pool id>-<UTC time>.users.csv]
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Output and logging",
        short = 'o'
    )]
    pub(crate) output: Option<PathBuf>,

    /// Replace an existing output file
    ///
    /// Replace an existing --output file instead of refusing to start.
    #[arg(long, help_heading = "Output and logging")]
    pub(crate) overwrite: bool,

    /// Write values as they are (no leading ')
    ///
    /// Write values exactly as Cognito holds them. Without it, a value starting with `=`, `+`, `-`, `@`, a tab, a
    /// carriage return or `'`, or holding a line break, gets a leading `'`, so that a spreadsheet opening the file
    /// runs no formula planted in a user's profile; `update` removes it again.
    #[arg(long, help_heading = "Output and logging", hide_short_help = true)]
    pub(crate) raw_values: bool,

    /// Only these attributes (comma-separated)
    ///
    /// Only these columns besides `username`, comma-separated (e.g. `email,custom:tier`)
    /// [default: every attribute found]
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        help_heading = "Selection"
    )]
    pub(crate) attributes: Vec<String>,

    /// Add the groups and enabled columns
    ///
    /// Add a `cognito-bulk:groups` column (each user's groups, `;`-separated: ListGroups once, then
    /// ListUsersInGroup for every group, on the --list-rate limiter) and a `cognito-bulk:enabled` column, so
    /// that the file restores membership and enabled state too when given to `update`.
    #[arg(long, help_heading = "Selection")]
    pub(crate) groups: bool,

    /// A ListUsers filter, e.g. 'email ^= "a"'
    ///
    /// Cognito's own ListUsers filter, e.g. `email ^= "a"` or `cognito:user_status = "UNCONFIRMED"` (one
    /// attribute; the pool is then read as one stream)
    #[arg(long, value_name = "EXPR", help_heading = "Selection")]
    pub(crate) filter: Option<String>,

    /// Keep users whose NAME is (or is not) VALUE
    ///
    /// Keep only users where NAME=VALUE or NAME!=VALUE holds (repeatable; all must hold; a missing attribute is the
    /// empty value). NAME may be `username` or any attribute, also one not written.
    #[arg(
        long = "where",
        value_name = "NAME=VALUE|NAME!=VALUE",
        help_heading = "Selection"
    )]
    pub(crate) wheres: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_exit_codes_of_the_help_are_the_constants() {
        use crate::exit_code::*;
        for code in [
            SUCCESS,
            INTERNAL,
            USAGE,
            INPUT,
            ROWS_NOT_UPDATED,
            STOPPED,
            REFUSED,
            INTERRUPTED_SIGINT,
            INTERRUPTED_SIGTERM,
        ] {
            assert!(
                EXIT_CODES
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("{code} "))),
                "{code} is not in update --help"
            );
        }
        assert!(EXIT_CODES.lines().all(|l| l.len() <= 80));
    }

    /// The defaults written in `--help` are the built-in config's values.
    #[test]
    fn help_defaults_match_the_built_in_config() {
        let built_in: toml::Table = toml::from_str(crate::config::BUILT_IN).unwrap();
        let update = Cli::command().find_subcommand("update").unwrap().clone();
        let mut checked = 0;
        for arg in update.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            let key = long.replace('-', "_");
            let Some(value) = built_in.get(&key) else {
                continue;
            };
            let shown = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Float(f) => f.to_string(),
                other => other.to_string(),
            };
            let help = arg
                .get_long_help()
                .or(arg.get_help())
                .map(|h| h.to_string())
                .unwrap_or_default();
            if matches!(value, toml::Value::Boolean(false)) {
                continue; // switches: off unless given
            }
            assert!(
                help.contains(&format!("[default: {shown}]")),
                "--{long}: help says `{help}`, config.toml says {shown}"
            );
            checked += 1;
        }
        assert!(checked >= 10, "{checked}");
    }
}

/// `--compare-with` (config `compare_with`). The values are described in the flag's help (doc comments on the
/// variants would switch clap's whole `--help` to another layout).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CompareWith {
    // The cheaper of the two, by estimated time.
    #[default]
    Auto,
    // A snapshot of the whole pool (ListUsers), or the `--snapshot` file.
    Snapshot,
    // AdminGetUser for each row, right before its write.
    Reads,
}
