//! Run control shared by every task: the graceful stop (no new rows), the hard abort (drop rows in flight), why
//! the run stopped, and the live counters the progress line shows.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio_util::sync::CancellationToken;

/// Which signal interrupted the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    /// The exit code of a run this signal stopped (128 + the signal's number).
    pub(crate) fn exit_code(self) -> i32 {
        match self {
            Signal::Interrupt => crate::exit_code::INTERRUPTED_SIGINT,
            Signal::Terminate => crate::exit_code::INTERRUPTED_SIGTERM,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

/// Why the run stopped taking rows before the end of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// A pool-level or permission error: every remaining row would fail the same way.
    Fatal { code: String, message: String },
    /// A failure threshold (--max-failures, --max-failure-ratio, --max-consecutive-failures) was reached.
    Threshold(String),
    /// SIGINT or SIGTERM.
    Signal(Signal),
    /// The report or the undo file could not be written (a full disk, an I/O error, the file removed): no row
    /// may start whose outcome could not be recorded.
    Journal(String),
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Fatal { code, message } => write!(f, "{code}: {message}"),
            StopReason::Threshold(what) => f.write_str(what),
            StopReason::Signal(sig) => write!(f, "interrupted by {}", sig.name()),
            StopReason::Journal(what) => f.write_str(what),
        }
    }
}

/// Counters updated by the workers, read by the progress line.
#[derive(Debug, Default)]
pub(crate) struct Live {
    pub(crate) attempts: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) in_flight: AtomicU64,
    /// Read-backs after ambiguous failures, and the rows they confirmed (not resent).
    pub(crate) read_backs: AtomicU64,
    pub(crate) confirmed: AtomicU64,
}

impl Live {
    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn sub(counter: &AtomicU64, n: u64) {
        counter.fetch_sub(n, Ordering::Relaxed);
    }
}

/// Shared by the dispatcher, the workers, the sink and the signal handler.
#[derive(Debug, Default)]
pub(crate) struct RunControl {
    stop: CancellationToken,
    abort: CancellationToken,
    reason: Mutex<Option<StopReason>>,
    signal: Mutex<Option<Signal>>,
    pub(crate) live: Live,
}

impl RunControl {
    /// Stops taking new rows; rows in flight finish. The first reason given is kept (signals are also kept apart,
    /// since they decide the exit code).
    pub(crate) fn stop(&self, reason: StopReason) {
        if let StopReason::Signal(sig) = &reason {
            self.signal.lock().expect("signal").get_or_insert(*sig);
        }
        self.reason.lock().expect("reason").get_or_insert(reason);
        self.stop.cancel();
    }

    /// Stops at once: rows in flight are dropped.
    pub(crate) fn abort(&self) {
        self.stop.cancel();
        self.abort.cancel();
    }

    pub(crate) fn stopping(&self) -> &CancellationToken {
        &self.stop
    }

    pub(crate) fn aborting(&self) -> &CancellationToken {
        &self.abort
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    pub(crate) fn reason(&self) -> Option<StopReason> {
        self.reason.lock().expect("reason").clone()
    }

    pub(crate) fn signal(&self) -> Option<Signal> {
        *self.signal.lock().expect("signal")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_reason_wins_but_a_later_signal_is_remembered() {
        let c = RunControl::default();
        c.stop(StopReason::Threshold("x".into()));
        c.stop(StopReason::Signal(Signal::Terminate));
        assert_eq!(c.reason(), Some(StopReason::Threshold("x".into())));
        assert_eq!(c.signal(), Some(Signal::Terminate));
        assert!(c.is_stopping() && !c.aborting().is_cancelled());
        c.abort();
        assert!(c.aborting().is_cancelled());
    }
}
