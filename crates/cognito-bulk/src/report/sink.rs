//! The sink task: the only owner of the report file, the counters and the progress line. It receives every
//! [`RowOutcome`], writes it, flushes when no other outcome is waiting, and stops the run when a failure
//! threshold is reached. It ends when every sender is gone, which is how "all rows are done" is known.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::progress::{Progress, RateMeter, View};
use super::tally::Tally;
use super::writer::SharedReport;
use crate::error::ReportError;
use crate::exec::control::{Live, RunControl, StopReason};
use crate::exec::outcome::{INTERRUPTED, RowOutcome, Status};
use crate::exec::pacer::Pacer;
use crate::operations::{Category, Sent};

/// When to stop on failures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Thresholds {
    pub(crate) max_failures: Option<u64>,
    pub(crate) max_failure_ratio: Option<f64>,
    pub(crate) max_consecutive_failures: u64,
}

/// The ratio threshold is only checked once this many rows have finished.
const RATIO_MIN_ROWS: u64 = 100;

pub(crate) struct Sink {
    pub(crate) writer: SharedReport,
    pub(crate) thresholds: Thresholds,
    pub(crate) control: Arc<RunControl>,
    pub(crate) pacer: Option<Arc<Pacer>>,
    /// The requests sent, per operation: the progress line's rate is that of the UserUpdate requests, the unit
    /// of the limit it is shown beside.
    pub(crate) sent: Arc<Sent>,
    pub(crate) progress: Progress,
    pub(crate) total: u64,
}

impl Sink {
    /// Records every outcome until every sender is gone. A failed write to the report (a full disk, an I/O
    /// error, the file removed) stops the run at once: the rows in flight finish, their outcomes (and those of
    /// the rows never started) are counted but not written, and the tally says what was lost.
    pub(crate) async fn run(mut self, mut outcomes: mpsc::Receiver<RowOutcome>) -> Tally {
        let mut tally = Tally::default();
        let mut streak: (String, u64) = (String::new(), 0);
        let mut meter = RateMeter::default();
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut this_run_failed = 0u64;
        let mut this_run_done = 0u64;
        loop {
            tokio::select! {
                next = outcomes.recv() => {
                    let Some(first) = next else { break };
                    let mut batch = Some(first);
                    // Slots are released once the batch is flushed: the next rows start after these are recorded.
                    let mut recorded = Vec::new();
                    let mut outcomes_of_batch = Vec::new();
                    let mut writer = self.writer.lock();
                    while let Some(mut o) = batch {
                        recorded.push(o.take_slot());
                        if o.fresh
                            && tally.lost.is_none()
                            && let Err(e) = writer.write(&o)
                        {
                            self.lose(&mut tally, e);
                        }
                        outcomes_of_batch.push(o);
                        batch = outcomes.try_recv().ok();
                    }
                    if tally.lost.is_none()
                        && let Err(e) = writer.flush()
                    {
                        self.lose(&mut tally, e);
                    }
                    drop(writer);
                    // Counted only once on disk: a row whose outcome could not be written is not done.
                    for o in outcomes_of_batch {
                        if o.fresh && tally.lost.is_some() {
                            tally.unrecorded_sent +=
                                u64::from(matches!(o.status, Status::Updated | Status::Failed));
                            continue;
                        }
                        if o.fresh {
                            tally.written += 1;
                            this_run_done += 1;
                            this_run_failed += u64::from(o.status == Status::Failed);
                        }
                        tally.add(&o);
                        self.check_thresholds(&o, &mut streak, this_run_failed, this_run_done);
                    }
                    drop(recorded);
                }
                _ = tick.tick() => {
                    if tally.lost.is_none()
                        && let Err(e) = self.writer.lock().check_present()
                    {
                        self.lose(&mut tally, e);
                    }
                }
            }
            let sent = self.sent.counts();
            let view = View {
                done: tally.rows(),
                total: self.total,
                updated: tally.count(Status::Updated),
                failed: tally.count(Status::Failed),
                throttled: Live::get(&self.control.live.throttled),
                effective_rate: meter.sample(Instant::now(), sent.on(Category::UserUpdate)),
                allowed_rate: self.pacer.as_ref().map_or(0.0, |p| p.rate()),
                attempts: sent.total(),
                settled: self.pacer.as_ref().and_then(|p| p.settled()),
            };
            self.progress.update(&view);
        }
        if tally.lost.is_none()
            && let Err(e) = self.writer.lock().flush()
        {
            self.lose(&mut tally, e);
        }
        self.progress.finish();
        tally
    }

    /// The report can no longer be written: stop the run (no row starts whose outcome could not be recorded).
    fn lose(&self, tally: &mut Tally, error: ReportError) {
        let message = error.to_string();
        tracing::error!("stopping the run: {message}");
        self.control.stop(StopReason::Journal(message.clone()));
        tally.lost = Some(message);
    }

    fn check_thresholds(&self, o: &RowOutcome, streak: &mut (String, u64), failed: u64, done: u64) {
        if !o.fresh {
            return;
        }
        match o.status {
            Status::Failed if o.error_code != INTERRUPTED => {
                if streak.0 == o.error_code {
                    streak.1 += 1;
                } else {
                    *streak = (o.error_code.clone(), 1);
                }
            }
            Status::Updated | Status::Unchanged => *streak = (String::new(), 0),
            _ => {}
        }
        let t = &self.thresholds;
        let reason = if streak.1 >= t.max_consecutive_failures {
            Some(format!(
                "{} consecutive rows failed with {} (--max-consecutive-failures {})",
                streak.1, streak.0, t.max_consecutive_failures
            ))
        } else if t.max_failures.is_some_and(|max| failed >= max) {
            Some(format!(
                "{failed} rows failed (--max-failures {})",
                t.max_failures.unwrap_or_default()
            ))
        } else if let Some(ratio) = t.max_failure_ratio
            && done >= RATIO_MIN_ROWS
            && failed as f64 / done as f64 > ratio
        {
            Some(format!(
                "{failed} of {done} finished rows failed, more than --max-failure-ratio {ratio}"
            ))
        } else {
            None
        };
        if let Some(reason) = reason
            && !self.control.is_stopping()
        {
            tracing::warn!("stopping the run: {reason}");
            self.control.stop(StopReason::Threshold(reason));
        }
    }
}
