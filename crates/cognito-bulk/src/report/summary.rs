//! The final summary: printed only after the report is complete, from the same counts the exit code is
//! computed from.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::tally::Tally;
use crate::exec::control::{Signal, StopReason};
use crate::exec::outcome::Status;
use crate::exit_code;
use crate::operations::{Category, Op, SentCounts};

#[derive(Debug, Clone)]
pub(crate) struct RunSummary {
    pub(crate) tally: Tally,
    /// Input rows (from the pre-flight).
    pub(crate) total: u64,
    pub(crate) elapsed: Duration,
    pub(crate) attempts: u64,
    pub(crate) throttled: u64,
    pub(crate) report: PathBuf,
    /// Where the job went (as in the start banner, which `--quiet` hides).
    pub(crate) target: String,
    pub(crate) stop: Option<StopReason>,
    pub(crate) signal: Option<Signal>,
    /// The command that continues this run, when there is something left to do.
    pub(crate) resume_command: Option<String>,
    /// Extra lines (e.g. the undo file) printed after the counts.
    pub(crate) notes: Vec<String>,
    /// The rate the job settled at after its last throttle (requests/s), if it was throttled.
    pub(crate) settled_rate: Option<f64>,
    /// Requests sent per operation, counted as they left the client.
    pub(crate) sent: SentCounts,
    /// The time the run was paused by outages of the endpoint, the pre-flight's reads included.
    pub(crate) paused: Duration,
}

impl RunSummary {
    /// Rows with no outcome in the report (only after an abort).
    fn unrecorded(&self) -> u64 {
        self.total.saturating_sub(self.tally.rows())
    }

    pub(crate) fn all_done(&self) -> bool {
        self.unrecorded() == 0
            && self.tally.rows()
                == self.tally.count(Status::Updated) + self.tally.count(Status::Unchanged)
    }

    /// Requests per second on the UserUpdate quota, over the whole run.
    fn user_update_rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        match secs > 0.0 {
            true => self.sent.on(Category::UserUpdate) as f64 / secs,
            false => 0.0,
        }
    }

    /// Throttled requests, as a share of every request sent.
    pub(crate) fn throttled_share(&self) -> f64 {
        match self.sent.total() {
            0 => 0.0,
            n => self.throttled as f64 / n as f64,
        }
    }

    /// The exit code of a run that went to the end of its input (or was stopped on purpose).
    pub(crate) fn exit_code(&self) -> i32 {
        match (&self.signal, &self.stop) {
            (Some(signal), _) => signal.exit_code(),
            (
                None,
                Some(StopReason::Fatal { .. } | StopReason::Threshold(_) | StopReason::Journal(_)),
            ) => exit_code::STOPPED,
            _ if self.all_done() => exit_code::SUCCESS,
            _ => exit_code::ROWS_NOT_UPDATED,
        }
    }

    /// Every count of the run as one JSON object (numbers as numbers): the `summary` event of `--log-format json`
    /// and the `--summary-json` file.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let t = &self.tally;
        let secs = self.elapsed.as_secs_f64();
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        serde_json::json!({
            "rows": self.total,
            "updated": t.count(Status::Updated),
            "unchanged": t.count(Status::Unchanged),
            "failed": t.count(Status::Failed),
            "invalid": t.count(Status::Invalid),
            "not_attempted": t.count(Status::NotAttempted),
            "unrecorded": self.unrecorded(),
            "failures_by_code": t.by_code,
            "requests": self.sent.total(),
            "updates_sent": self.sent.get(Op::AdminUpdateUserAttributes),
            "deletes_sent": self.sent.get(Op::AdminDeleteUserAttributes),
            "reads_sent": self.sent.get(Op::AdminGetUser),
            "sent_by_operation": self
                .sent
                .nonzero()
                .map(|(op, n)| (op.name().to_string(), serde_json::Value::from(n)))
                .collect::<serde_json::Map<_, _>>(),
            "throttled": self.throttled,
            "throttled_share": round(self.throttled_share()),
            "settled_rate": self.settled_rate.map(round),
            "user_update_rate": round(self.user_update_rate()),
            "duration_seconds": round(secs),
            "paused_seconds": round(self.paused.as_secs_f64()),
            "report": self.report.display().to_string(),
            "report_lost": t.lost,
            "stopped": self.stop.as_ref().map(ToString::to_string),
            "resume_command": self.resume_command,
            "exit_code": self.exit_code(),
        })
    }

    pub(crate) fn render(&self) -> String {
        let mut s = String::new();
        let t = &self.tally;
        let counts: Vec<String> = Status::ALL
            .iter()
            .filter(|st| t.count(**st) > 0 || matches!(st, Status::Updated | Status::Failed))
            .map(|st| format!("{} {st}", t.count(*st)))
            .collect();
        let secs = self.elapsed.as_secs_f64();
        let _ = writeln!(
            s,
            "cognito-bulk: {} rows in {:.1}s: {}",
            self.total,
            secs,
            counts.join(", ")
        );
        let _ = writeln!(s, "  target: {}", self.target);
        let sent = self.sent;
        let rate = self.user_update_rate();
        // The three operations of every run always, the others when they were called.
        let always = [
            Op::AdminUpdateUserAttributes,
            Op::AdminDeleteUserAttributes,
            Op::AdminGetUser,
        ];
        let counts: Vec<String> = Op::ALL
            .iter()
            .filter(|op| always.contains(op) || sent.get(**op) > 0)
            .map(|op| format!("{} {}", sent.get(*op), op.name()))
            .collect();
        let _ = writeln!(
            s,
            "  requests: {} ({} throttled); {rate:.1} requests/s on the UserUpdate quota",
            counts.join(", "),
            self.throttled
        );
        if !t.by_code.is_empty() {
            let codes: Vec<String> = t.by_code.iter().map(|(c, n)| format!("{c} {n}")).collect();
            let _ = writeln!(s, "  failures by error code: {}", codes.join(", "));
        }
        if let Some(lost) = &t.lost {
            let _ = writeln!(
                s,
                "  the report could not be written: {lost}. {} rows have no outcome in it ({} of them were sent; \
                 each has its `sending` record, so --resume reads those users back before sending anything again)",
                self.unrecorded(),
                t.unrecorded_sent
            );
        } else if self.unrecorded() > 0 {
            let _ = writeln!(
                s,
                "  {} rows have no outcome in the report yet (stopped at once)",
                self.unrecorded()
            );
        }
        if let Some(stop) = &self.stop {
            let _ = writeln!(s, "  stopped: {stop}");
        }
        for note in &self.notes {
            let _ = writeln!(s, "  {note}");
        }
        let _ = writeln!(s, "  report: {}", self.report.display());
        if let Some(cmd) = &self.resume_command {
            let _ = writeln!(s, "  to continue: {cmd}");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit_code::*;

    fn summary(statuses: &[(Status, u64)]) -> RunSummary {
        let mut tally = Tally::default();
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
            settled_rate: None,
            sent: SentCounts::default(),
            paused: Duration::ZERO,
        }
    }

    #[test]
    fn run_outcomes_map_to_documented_codes() {
        assert_eq!(
            summary(&[(Status::Updated, 3), (Status::Unchanged, 1)]).exit_code(),
            SUCCESS
        );
        assert_eq!(
            summary(&[(Status::Updated, 3), (Status::Failed, 1)]).exit_code(),
            ROWS_NOT_UPDATED
        );
        assert_eq!(
            summary(&[(Status::Invalid, 1)]).exit_code(),
            ROWS_NOT_UPDATED
        );
        let mut s = summary(&[(Status::Updated, 1), (Status::NotAttempted, 5)]);
        s.stop = Some(StopReason::Fatal {
            code: "NotAuthorizedException".into(),
            message: String::new(),
        });
        assert_eq!(s.exit_code(), STOPPED);
        s.signal = Some(Signal::Terminate);
        assert_eq!(s.exit_code(), INTERRUPTED_SIGTERM);
        s.signal = Some(Signal::Interrupt);
        assert_eq!(s.exit_code(), INTERRUPTED_SIGINT);
        let mut incomplete = summary(&[(Status::Updated, 1)]);
        incomplete.total = 2;
        assert_eq!(incomplete.exit_code(), ROWS_NOT_UPDATED);
    }
}
