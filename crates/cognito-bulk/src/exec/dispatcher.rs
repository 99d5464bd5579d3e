//! The dispatcher and the row workers.
//!
//! The dispatcher takes a concurrency permit, then a rate token, and only then pulls the next row from the
//! reader's bounded channel (so backpressure reaches the reader and the file never sits in memory). Each row runs
//! in its own task: attempts, classification, backoff, and every retry passes the rate limiter again. Each task
//! sends its own outcome, so a finished row reaches the report at once.
//!
//! Stopping: on [`RunControl::stop`] no more rows are taken, the rows in flight finish, the rows still unread are
//! sent on as `not_attempted`. On [`RunControl::abort`] the rows in flight are dropped and reported `failed` with
//! code `Interrupted`, and unread rows are left out (a resumed run picks them up).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::backend::{Backend, CallError, Disposition, ReadBack, TIMEOUT};
use super::control::{Live, RunControl, StopReason};
use super::outage::{Outage, Turn};
use super::pacer::Pacer;
use super::retry::{GiveUp, Retries, RetryPolicy};
use crate::exec::outcome::{INTERRUPTED, RowOutcome, Slot, Status};
use crate::input::row::{RowId, UpdateRequest};

/// A checked row on its way to the service.
#[derive(Debug, Clone)]
pub(crate) struct RowJob {
    pub(crate) id: RowId,
    pub(crate) request: UpdateRequest,
    /// An earlier run may have sent this row without recording its outcome (its journal says `sending`): read
    /// the user back before the first request, and send only what does not hold yet.
    pub(crate) verify_first: bool,
}

/// The journal's write-ahead record: called for each row before its first request, so that a run stopped in any
/// way (`kill -9`, a full disk) leaves a record of every row that may have been applied. An error stops the run
/// and the row is not sent.
pub(crate) trait IntentLog: Send + Sync {
    /// Writes the row's `sending` record; the returned future resolves once the record is on the disk, and the
    /// row's first request waits for it.
    fn sending(&self, job: &RowJob) -> Result<OnDisk, String>;
}

/// Resolves once a write-ahead record is on the disk, or with why it could not be put there.
pub(crate) type OnDisk =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>>;

impl RowJob {
    /// The row's outcome with `status`: its line, key and attribute names.
    pub(crate) fn outcome(&self, status: Status) -> RowOutcome {
        RowOutcome::new(self.id, &self.request.username, status)
            .with_attributes(self.request.attribute_names())
    }

    /// The outcome of a row the run never sent.
    pub(crate) fn not_attempted(&self) -> RowOutcome {
        self.outcome(Status::NotAttempted)
            .with_error("", "the run stopped before this row was sent")
    }
}

/// The executor: drains the row channel through the backend.
pub(crate) struct Dispatcher<B> {
    pub(crate) backend: Arc<B>,
    pub(crate) pacer: Arc<Pacer>,
    pub(crate) policy: RetryPolicy,
    pub(crate) concurrency: usize,
    pub(crate) control: Arc<RunControl>,
    /// The write-ahead record of each row (none in tests that are not about the journal).
    pub(crate) intents: Option<Arc<dyn IntentLog>>,
    /// The endpoint's reachability: no row starts while the run is paused by an outage.
    pub(crate) outage: Arc<Outage>,
}

struct InFlight {
    job: RowJob,
    attempts: Arc<AtomicU32>,
    started: Instant,
}

impl<B: Backend> Dispatcher<B> {
    /// Runs until the row channel is closed and every row has an outcome, or until aborted.
    pub(crate) async fn run(
        self,
        mut rows: mpsc::Receiver<RowJob>,
        outcomes: mpsc::Sender<RowOutcome>,
    ) {
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks = JoinSet::new();
        let mut in_flight: HashMap<tokio::task::Id, InFlight> = HashMap::new();
        let stop = self.control.stopping().clone();
        loop {
            while let Some(done) = tasks.try_join_next_with_id() {
                reap(done, &mut in_flight, &outcomes).await;
            }
            let permit = tokio::select! {
                biased;
                _ = stop.cancelled() => break,
                permit = permits.clone().acquire_owned() => permit.expect("semaphore is never closed"),
            };
            tokio::select! {
                biased;
                _ = stop.cancelled() => break,
                _ = self.pacer.acquire() => {}
            }
            // No row starts while the run is paused, unless none is in flight: then this row is the probe.
            while self.outage.is_paused() {
                tokio::select! {
                    biased;
                    _ = stop.cancelled() => break,
                    _ = self.outage.wait_clear() => {}
                    _ = tokio::time::sleep(super::outage::PROBE_EVERY) => {
                        while let Some(done) = tasks.try_join_next_with_id() {
                            reap(done, &mut in_flight, &outcomes).await;
                        }
                        if in_flight.is_empty() {
                            break;
                        }
                    }
                }
            }
            if stop.is_cancelled() {
                break;
            }
            let job = tokio::select! {
                biased;
                _ = stop.cancelled() => break,
                job = rows.recv() => match job { Some(job) => job, None => break },
            };
            let on_disk = match self.intents.as_ref().map(|i| i.sending(&job)) {
                Some(Err(error)) => {
                    self.control.stop(StopReason::Journal(error));
                    let _ = outcomes.send(job.not_attempted()).await;
                    break;
                }
                Some(Ok(on_disk)) => Some(on_disk),
                None => None,
            };
            let attempts = Arc::new(AtomicU32::new(0));
            let worker = Worker {
                outage: self.outage.clone(),
                backend: self.backend.clone(),
                pacer: self.pacer.clone(),
                policy: self.policy,
                control: self.control.clone(),
                attempts: attempts.clone(),
            };
            let (task_job, sink) = (job.clone(), outcomes.clone());
            let handle = tasks.spawn(async move {
                // The record is on the disk before the row's first request leaves (a power cut can't lose it).
                let durable = match on_disk {
                    Some(on_disk) => on_disk.await,
                    None => Ok(()),
                };
                let mut outcome = match durable {
                    Ok(()) => worker.process(task_job).await,
                    Err(error) => {
                        worker.control.stop(StopReason::Journal(error));
                        task_job.not_attempted()
                    }
                };
                // The permit travels with the outcome and is released by the sink once the row is in the report:
                // rows finished but not yet recorded count as in flight (a crash loses at most `concurrency` of
                // them), and a failure threshold the row trips stops the run before the next row starts.
                outcome.slot = Slot::holding(permit);
                let _ = sink.send(outcome).await;
            });
            in_flight.insert(
                handle.id(),
                InFlight {
                    job,
                    attempts,
                    started: Instant::now(),
                },
            );
        }

        let abort = self.control.aborting().clone();
        if !abort.is_cancelled() {
            loop {
                tokio::select! {
                    biased;
                    _ = abort.cancelled() => break,
                    job = rows.recv() => match job {
                        Some(job) => { let _ = outcomes.send(job.not_attempted()).await; }
                        None => break,
                    },
                }
            }
        }
        let mut aborted = false;
        loop {
            tokio::select! {
                biased;
                _ = abort.cancelled(), if !aborted => {
                    aborted = true;
                    tasks.abort_all();
                }
                done = tasks.join_next_with_id() => match done {
                    Some(done) => reap(done, &mut in_flight, &outcomes).await,
                    None => break,
                },
            }
        }
    }
}

async fn reap(
    done: Result<(tokio::task::Id, ()), tokio::task::JoinError>,
    in_flight: &mut HashMap<tokio::task::Id, InFlight>,
    outcomes: &mpsc::Sender<RowOutcome>,
) {
    match done {
        Ok((id, ())) => {
            in_flight.remove(&id);
        }
        Err(err) => {
            let Some(row) = in_flight.remove(&err.id()) else {
                return;
            };
            let mut outcome = row.job.outcome(Status::Failed).with_error(
                INTERRUPTED,
                if err.is_cancelled() {
                    "stopped while a request was in flight; the update may or may not have been applied"
                } else {
                    "the worker failed unexpectedly; the update may or may not have been applied"
                },
            );
            outcome.attempts = row.attempts.load(Ordering::Relaxed);
            outcome.duration = row.started.elapsed();
            let _ = outcomes.send(outcome).await;
        }
    }
}

/// The message of a row confirmed by a read-back instead of being resent.
pub(crate) const CONFIRMED_BY_READ_BACK: &str = "confirmed by read-back";

/// One row's retry loop.
struct Worker<B> {
    outage: Arc<Outage>,
    backend: Arc<B>,
    pacer: Arc<Pacer>,
    policy: RetryPolicy,
    control: Arc<RunControl>,
    attempts: Arc<AtomicU32>,
}

impl<B: Backend> Worker<B> {
    async fn process(&self, job: RowJob) -> RowOutcome {
        let live = &self.control.live;
        Live::add(&live.in_flight, 1);
        let started = Instant::now();
        let mut outcome = self.attempt_until_done(&job, started).await;
        Live::sub(&live.in_flight, 1);
        outcome.attempts = self.attempts.load(Ordering::Relaxed);
        outcome.duration = started.elapsed();
        outcome
    }

    /// A row an earlier run may have sent (`verify_first`): read the user back before the first request.
    /// `Some(outcome)` when that settles the row; `None` to send it.
    async fn verify_first(&self, job: &RowJob, state: &mut B::RowState) -> Option<RowOutcome> {
        if !job.verify_first {
            return None;
        }
        let earlier = CallError {
            code: INTERRUPTED.into(),
            message: "the earlier run stopped while this row was being sent".into(),
            disposition: Disposition::Transient,
            ambiguous: true,
            request_id: None,
            outage: None,
            paced_elsewhere: false,
        };
        self.read_back(job, state, &earlier).await
    }

    /// After an ambiguous failure (`err.ambiguous`), before any resend: asks the backend to read the user back.
    /// `Some(outcome)` when that settles the row (confirmed: `updated`; or a fatal error); `None` to resend.
    /// The read is not counted in the row's `attempts` (which counts requests of the update itself).
    async fn read_back(
        &self,
        job: &RowJob,
        state: &mut B::RowState,
        err: &CallError,
    ) -> Option<RowOutcome> {
        if !err.ambiguous {
            return None;
        }
        let settle = self.policy.settle_after_timeout;
        if err.code == TIMEOUT && !settle.is_zero() {
            // A request the service still holds may land after the client gave up: let it, then read.
            tokio::select! {
                biased;
                _ = self.control.stopping().cancelled() => return None,
                _ = tokio::time::sleep(settle) => {}
            }
        }
        let live = &self.control.live;
        let read_back = self.backend.read_back(&job.request, state).await;
        if !matches!(read_back, ReadBack::Unsupported) {
            Live::add(&live.read_backs, 1);
        }
        match &read_back {
            // An answer: the endpoint is reachable (the probe of an outage may end here).
            ReadBack::Confirmed { .. } | ReadBack::NotApplied | ReadBack::Stop(_) => {
                self.outage.reachable();
            }
            ReadBack::Failed(e) => {
                self.outage.failed(e);
            }
            ReadBack::Unsupported => {}
        }
        match read_back {
            ReadBack::Confirmed { request_id } => {
                Live::add(&live.confirmed, 1);
                tracing::debug!(line = job.id.line, code = %err.code, "confirmed by read-back");
                let mut o = job.outcome(Status::Updated);
                o.message = format!(
                    "{CONFIRMED_BY_READ_BACK} after {} ({}); not resent",
                    err.code, err.message
                );
                o.request_id = request_id.unwrap_or_default();
                Some(o)
            }
            ReadBack::Stop(stop) => {
                self.control.stop(StopReason::Fatal {
                    code: stop.code.clone(),
                    message: stop.message.clone(),
                });
                let mut o = job
                    .outcome(Status::Failed)
                    .with_error(&stop.code, stop.message);
                o.request_id = stop.request_id.unwrap_or_default();
                Some(o)
            }
            ReadBack::NotApplied => None,
            ReadBack::Failed(read_err) => {
                tracing::debug!(line = job.id.line, code = %read_err.code, "read-back failed; resending");
                None
            }
            ReadBack::Unsupported => None,
        }
    }

    async fn attempt_until_done(&self, job: &RowJob, started: Instant) -> RowOutcome {
        let mut retries = Retries::new(self.policy, started);
        let failed = |err: &CallError, note: &str| {
            let message = if note.is_empty() {
                err.message.clone()
            } else {
                format!("{} ({note})", err.message)
            };
            let mut o = job.outcome(Status::Failed).with_error(&err.code, message);
            o.request_id = err.request_id.clone().unwrap_or_default();
            o
        };
        let stopping = self.control.stopping();
        let mut state = B::RowState::default();
        // What the read-back of a row an earlier run may have sent finds is kept: only the rest is sent.
        if let Some(settled) = self.verify_first(job, &mut state).await {
            return settled;
        }
        let mut attempt = 0u32;
        loop {
            // The row's `attempts` counts write requests (several an attempt, see `take_extra_writes`); the
            // messages count attempts.
            attempt += 1;
            self.attempts.fetch_add(1, Ordering::Relaxed);
            Live::add(&self.control.live.attempts, 1);
            let sent = Instant::now();
            let result = self.backend.update(&job.request, &mut state).await;
            let extra = self.backend.take_extra_writes(&mut state);
            self.attempts.fetch_add(extra, Ordering::Relaxed);
            let err = match result {
                Ok(applied) => {
                    self.outage.reachable();
                    self.pacer.on_success();
                    let status = if applied.unchanged {
                        Status::Unchanged
                    } else {
                        Status::Updated
                    };
                    let mut o = job.outcome(status);
                    o.request_id = applied.request_id.unwrap_or_default();
                    return o;
                }
                Err(err) => err,
            };
            tracing::debug!(line = job.id.line, attempt, code = %err.code, ambiguous = err.ambiguous, "attempt failed");
            if err.disposition == Disposition::Throttled {
                if !err.paced_elsewhere {
                    self.pacer.on_throttle(sent);
                }
                Live::add(&self.control.live.throttled, 1);
            }
            let not_retried = "not retried: the run is stopping";
            let delay = if self.outage.failed(&err) {
                // Paused: this failure uses up neither an attempt nor the row's time budget.
                let paused = Instant::now();
                match self.outage.wait(job.id.line, stopping).await {
                    Turn::Retry => retries.pause(paused.elapsed()),
                    Turn::Stopping => return failed(&err, not_retried),
                    Turn::Exceeded(for_how_long) => {
                        let message = format!(
                            "the endpoint could not be reached for {} (--max-outage)",
                            humantime::format_duration(Duration::from_secs(for_how_long.as_secs()))
                        );
                        self.control.stop(StopReason::Fatal {
                            code: "EndpointUnreachable".into(),
                            message: message.clone(),
                        });
                        return failed(&err, &message);
                    }
                }
                Duration::ZERO
            } else {
                match retries.after(err.disposition) {
                    Ok(delay) => delay,
                    Err(GiveUp::NotRetryable) => return failed(&err, ""),
                    Err(GiveUp::CredentialsStillExpired) => {
                        return failed(&err, "credentials still expired after refreshing");
                    }
                    Err(GiveUp::StopRun) => {
                        self.control.stop(StopReason::Fatal {
                            code: err.code.clone(),
                            message: err.message.clone(),
                        });
                        return failed(&err, "");
                    }
                    // The last attempt may have been applied: read back before reporting the row failed.
                    Err(give_up @ (GiveUp::Attempts(_) | GiveUp::Budget)) => {
                        if let Some(o) = self.read_back(job, &mut state, &err).await {
                            return o;
                        }
                        let note = match give_up {
                            GiveUp::Attempts(n) => {
                                format!("gave up after {n} attempts (--max-attempts)")
                            }
                            _ => format!(
                                "row time budget (--max-row-time) used up after {attempt} attempts"
                            ),
                        };
                        return failed(&err, &note);
                    }
                }
            };
            tokio::select! {
                biased;
                _ = stopping.cancelled() => return failed(&err, not_retried),
                _ = tokio::time::sleep(delay) => {}
            }
            if let Some(o) = self.read_back(job, &mut state, &err).await {
                return o;
            }
            tokio::select! {
                biased;
                _ = stopping.cancelled() => return failed(&err, not_retried),
                _ = self.pacer.acquire() => {}
            }
        }
    }
}

#[cfg(test)]
mod quota_tests;
#[cfg(test)]
mod tests;
