//! The final summary: printed only after the report is complete, from the same counts the exit code is
//! computed from.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::outcome::Status;
use super::sink::Tally;
use crate::exec::control::{Signal, StopReason};

#[derive(Debug, Clone)]
pub struct RunSummary {
    pub tally: Tally,
    /// Input rows (from the pre-flight).
    pub total: u64,
    pub elapsed: Duration,
    pub attempts: u64,
    pub throttled: u64,
    pub report: PathBuf,
    /// Where the job went (as in the start banner, which `--quiet` hides).
    pub target: String,
    pub stop: Option<StopReason>,
    pub signal: Option<Signal>,
    /// The command that continues this run, when there is something left to do.
    pub resume_command: Option<String>,
    /// Extra lines (e.g. the undo file) printed after the counts.
    pub notes: Vec<String>,
}

impl RunSummary {
    /// Rows with no outcome in the report (only after an abort).
    pub fn unrecorded(&self) -> u64 {
        self.total.saturating_sub(self.tally.rows())
    }

    pub fn all_done(&self) -> bool {
        self.unrecorded() == 0
            && self.tally.rows()
                == self.tally.count(Status::Updated) + self.tally.count(Status::Unchanged)
    }

    pub fn render(&self) -> String {
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
        let rate = if secs > 0.0 {
            self.attempts as f64 / secs
        } else {
            0.0
        };
        let _ = writeln!(
            s,
            "  requests: {} sent ({} throttled), effective rate {:.1} requests/s",
            self.attempts, self.throttled, rate
        );
        if !t.by_code.is_empty() {
            let codes: Vec<String> = t.by_code.iter().map(|(c, n)| format!("{c} {n}")).collect();
            let _ = writeln!(s, "  failures by error code: {}", codes.join(", "));
        }
        if self.unrecorded() > 0 {
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
