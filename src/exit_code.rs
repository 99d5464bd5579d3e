//! The process exit codes, in one place: every way the program can end maps to one of these constants,
//! and [`crate::error::RunError::exit_code`] is the only function that maps an error to a code.
//!
//! The table is documented in the README ("Exit codes"); scheduled jobs page on these values.

/// Every input row was updated (or already had the requested values).
pub const SUCCESS: i32 = 0;
/// An unexpected internal error (a bug): please report it.
pub const INTERNAL: i32 = 1;
/// A usage or configuration error: a flag, a config key, an environment variable, or the report path.
/// clap uses the same code for malformed command lines.
pub const USAGE: i32 = 2;
/// The input file can't be used: unreadable, no header, no key column, bad UTF-8, a row with the wrong number
/// of fields, or (pre-flight) rows that fail validation. Nothing was sent.
pub const INPUT: i32 = 3;
/// The run finished, but some rows were not updated (`failed`, `invalid` or `not_attempted`); the report says which.
pub const ROWS_NOT_UPDATED: i32 = 4;
/// The run was stopped early: a pool-level or permission error (pool missing, bad credentials, access denied), or
/// the failure threshold was reached. The remaining rows are `not_attempted`.
pub const STOPPED: i32 = 5;
/// A safety guard refused to start (for example: the run would send verification messages and
/// `--allow-verification-messages` was not given). Nothing was sent.
pub const REFUSED: i32 = 6;
/// Interrupted by SIGINT (128 + 2); the report is flushed and the run can be resumed.
pub const INTERRUPTED_SIGINT: i32 = 130;
/// Terminated by SIGTERM (128 + 15); the report is flushed and the run can be resumed.
pub const INTERRUPTED_SIGTERM: i32 = 143;

/// The exit code of a run that went to the end of its input (or was stopped on purpose).
pub fn for_summary(summary: &crate::report::summary::RunSummary) -> i32 {
    use crate::exec::control::{Signal, StopReason};
    match (&summary.signal, &summary.stop) {
        (Some(Signal::Interrupt), _) => INTERRUPTED_SIGINT,
        (Some(Signal::Terminate), _) => INTERRUPTED_SIGTERM,
        (None, Some(StopReason::Fatal { .. } | StopReason::Threshold(_))) => STOPPED,
        _ if summary.all_done() => SUCCESS,
        _ => ROWS_NOT_UPDATED,
    }
}

/// The exit code of a run stopped by a signal before its end (e.g. an `export` interrupted while listing).
pub fn for_signal(signal: crate::exec::control::Signal) -> i32 {
    match signal {
        crate::exec::control::Signal::Interrupt => INTERRUPTED_SIGINT,
        crate::exec::control::Signal::Terminate => INTERRUPTED_SIGTERM,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::control::{Signal, StopReason};
    use crate::report::outcome::Status;
    use crate::report::summary::RunSummary;

    fn summary(statuses: &[(Status, u64)]) -> RunSummary {
        let mut tally = crate::report::sink::Tally::default();
        for (s, n) in statuses {
            tally.by_status.insert(*s, *n);
        }
        RunSummary {
            total: statuses.iter().map(|(_, n)| n).sum(),
            tally,
            elapsed: Default::default(),
            attempts: 0,
            throttled: 0,
            report: "r.csv".into(),
            target: "local emulator".into(),
            stop: None,
            signal: None,
            resume_command: None,
            notes: vec![],
        }
    }

    #[test]
    fn run_outcomes_map_to_documented_codes() {
        assert_eq!(
            for_summary(&summary(&[(Status::Updated, 3), (Status::Unchanged, 1)])),
            SUCCESS
        );
        assert_eq!(
            for_summary(&summary(&[(Status::Updated, 3), (Status::Failed, 1)])),
            ROWS_NOT_UPDATED
        );
        assert_eq!(
            for_summary(&summary(&[(Status::Invalid, 1)])),
            ROWS_NOT_UPDATED
        );
        let mut s = summary(&[(Status::Updated, 1), (Status::NotAttempted, 5)]);
        s.stop = Some(StopReason::Fatal {
            code: "NotAuthorizedException".into(),
            message: String::new(),
        });
        assert_eq!(for_summary(&s), STOPPED);
        s.signal = Some(Signal::Terminate);
        assert_eq!(for_summary(&s), INTERRUPTED_SIGTERM);
        s.signal = Some(Signal::Interrupt);
        assert_eq!(for_summary(&s), INTERRUPTED_SIGINT);
        let mut incomplete = summary(&[(Status::Updated, 1)]);
        incomplete.total = 2;
        assert_eq!(for_summary(&incomplete), ROWS_NOT_UPDATED);
    }
}
