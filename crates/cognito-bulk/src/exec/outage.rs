//! Riding out an outage of the endpoint. When it cannot be reached (connection refused, DNS, connect timeout) or
//! answers only server errors (five 5xx in a row across rows, no success between), the whole run pauses instead
//! of failing rows: the dispatcher starts no new row, one row in flight probes the endpoint with backoff (1 s,
//! 2 s, 4 s, then every 5 s), the others wait, and no row uses up attempts or its time budget while paused. Rows
//! in flight keep their exactly-once handling: after the pause, an ambiguous failure is read back before any
//! resend. The first answer that is not an outage signal ends the pause. `--max-outage` bounds the time paused in
//! the whole run, every outage counted (a flapping endpoint that answers briefly between outages included): past
//! it the run stops (exit 5, resumable). The pool reads before and beside the writes ride out outages the same
//! way, on the same budget ([`Outage::read`]).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::backend::{CallError, Disposition, OutageSignal, TIMEOUT};
use super::pacer::Pacer;
use super::retry::{Retries, RetryPolicy};

/// Consecutive server errors (across rows, no success between) that make an outage.
const SERVER_ERRORS: u32 = 5;
/// The longest wait between two probes.
pub(crate) const PROBE_EVERY: Duration = Duration::from_secs(5);

/// What a paused row does next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Turn {
    /// Send again (the outage is over, or this row is the probe).
    Retry,
    /// The outage has lasted longer than `--max-outage`.
    Exceeded(Duration),
    /// The run is stopping.
    Stopping,
}

#[derive(Debug, Default)]
struct State {
    /// When the current outage began.
    since: Option<Instant>,
    /// The time paused by the outages that ended.
    before: Duration,
    /// The line of the row that probes, and when it last did.
    prober: Option<(u64, Instant)>,
    probes: u32,
}

/// The endpoint's reachability, shared by the dispatcher and the row workers.
#[derive(Debug)]
pub(crate) struct Outage {
    max: Duration,
    /// Server errors in a row across rows, no success between.
    server_errors: AtomicU32,
    state: Mutex<State>,
    paused: watch::Sender<bool>,
}

impl Default for Outage {
    /// The default `--max-outage` (15 minutes).
    fn default() -> Self {
        Outage::new(Duration::from_secs(15 * 60))
    }
}

impl Outage {
    pub(crate) fn new(max: Duration) -> Self {
        Outage {
            max,
            server_errors: AtomicU32::new(0),
            state: Mutex::default(),
            paused: watch::Sender::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An answer that is not an outage signal (a success, or any error the endpoint itself gave): it is reachable.
    /// Called for every row that succeeds: without an outage or server errors in a row it takes no lock.
    pub(crate) fn reachable(&self) {
        if self.server_errors.swap(0, Ordering::Relaxed) == 0 && !self.is_paused() {
            return;
        }
        let mut state = self.lock();
        if let Some(since) = state.since.take() {
            state.prober = None;
            state.probes = 0;
            state.before += since.elapsed();
            tracing::warn!(
                "the endpoint answers again after {:.0} s: the run continues",
                since.elapsed().as_secs_f64()
            );
            self.paused.send_replace(false);
        }
    }

    /// A failed attempt: whether the run is (now) paused by an outage. Any other failure means the endpoint
    /// answered.
    pub(crate) fn failed(&self, err: &CallError) -> bool {
        self.failed_as(err, err.outage)
    }

    /// [`Outage::failed`], with `signal` as the outage signal of `err`.
    fn failed_as(&self, err: &CallError, signal: Option<OutageSignal>) -> bool {
        let Some(signal) = signal else {
            self.reachable();
            return false;
        };
        let mut state = self.lock();
        if state.since.is_some() {
            return true;
        }
        if signal == OutageSignal::ServerError
            && self.server_errors.fetch_add(1, Ordering::Relaxed) + 1 < SERVER_ERRORS
        {
            return false;
        }
        state.since = Some(Instant::now());
        let what = match signal {
            OutageSignal::Unreachable => "cannot be reached",
            OutageSignal::ServerError => "answers only server errors",
        };
        tracing::warn!(
            code = %err.code,
            "the endpoint {what} ({}): the run pauses (no row fails meanwhile), probing every {} s for at most \
             --max-outage {} in all",
            err.message,
            PROBE_EVERY.as_secs(),
            humantime::format_duration(self.max)
        );
        self.paused.send_replace(true);
        true
    }

    /// Waits for the row on `line` while the run is paused: one row probes (after a backoff), the others wait
    /// for the endpoint to answer.
    pub(crate) async fn wait(&self, line: u64, stopping: &CancellationToken) -> Turn {
        let mut paused = self.paused.subscribe();
        loop {
            let (since, before, probe) = {
                let mut state = self.lock();
                let Some(since) = state.since else {
                    return Turn::Retry;
                };
                let stale = state
                    .prober
                    .is_none_or(|(l, at)| l == line || at.elapsed() > PROBE_EVERY * 3);
                let probe = stale.then(|| {
                    state.prober = Some((line, Instant::now()));
                    state.probes += 1;
                    Duration::from_secs(1 << (state.probes - 1).min(2)).min(PROBE_EVERY)
                });
                (since, state.before, probe)
            };
            let in_all = before + since.elapsed();
            if in_all >= self.max {
                return Turn::Exceeded(in_all);
            }
            let wait = probe.unwrap_or(PROBE_EVERY);
            tokio::select! {
                biased;
                _ = stopping.cancelled() => return Turn::Stopping,
                _ = tokio::time::sleep(wait) => {
                    if probe.is_some() {
                        if let Some((prober, at)) = &mut self.lock().prober
                            && *prober == line
                        {
                            *at = Instant::now();
                        }
                        return Turn::Retry;
                    }
                }
                _ = paused.wait_for(|p| !*p) => return Turn::Retry,
            }
        }
    }

    /// For the dispatcher: returns once the run is not paused (at once when it is not).
    pub(crate) async fn wait_clear(&self) {
        let mut paused = self.paused.subscribe();
        let _ = paused.wait_for(|p| !*p).await;
    }

    /// Whether the run is paused now.
    pub(crate) fn is_paused(&self) -> bool {
        *self.paused.borrow()
    }

    /// The time the run has been paused by outages so far, the current one included.
    pub(crate) fn paused_total(&self) -> Duration {
        let state = self.lock();
        state.before + state.since.map_or(Duration::ZERO, |s| s.elapsed())
    }
}

/// The reader id of a pool read that is not a row (a row's id is its line): the pre-flight's reads, and the
/// listing streams (`READER - n` for stream `n`), so that one of them probes at a time.
pub(crate) const READER: u64 = u64::MAX;

/// Why a pool read gave up.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    /// Its last error: not retried, or its retries used up.
    Failed(CallError),
    /// The endpoint stayed unreachable past `--max-outage` (the time paused in all).
    Unreachable(Duration),
    /// The run is stopping.
    Stopping,
}

impl ReadFailure {
    /// The credentials lack the permission (`AccessDeniedException`): the one failure of a read that may make a
    /// check offline.
    pub(crate) fn is_denied(&self) -> bool {
        matches!(self, ReadFailure::Failed(e) if e.code == "AccessDeniedException")
    }
}

impl std::fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadFailure::Failed(e) => write!(f, "{}: {}", e.code, e.message),
            ReadFailure::Unreachable(d) => write!(
                f,
                "the endpoint could not be reached for {} in all, past --max-outage",
                humantime::format_duration(Duration::from_secs(d.as_secs()))
            ),
            ReadFailure::Stopping => f.write_str("the run is stopping"),
        }
    }
}

/// What a failed read does next.
pub(crate) enum Ridden {
    /// Not an outage: the caller's retries decide.
    NotAnOutage,
    /// The outage is over (or this reader probes): send again; the time paused is not part of its budget.
    Resumed(Duration),
    /// Give up.
    GaveUp(ReadFailure),
}

impl Outage {
    /// After a failed read: waits out an outage the failure belongs to, on the run's budget. For a read, no answer
    /// in time is an outage too (whether the request was applied does not matter: a read changes nothing).
    pub(crate) async fn ride_out(
        &self,
        err: &CallError,
        id: u64,
        stopping: &CancellationToken,
    ) -> Ridden {
        let signal = err
            .outage
            .or((err.code == TIMEOUT).then_some(OutageSignal::Unreachable));
        if !self.failed_as(err, signal) {
            return Ridden::NotAnOutage;
        }
        let paused = Instant::now();
        match self.wait(id, stopping).await {
            Turn::Retry => Ridden::Resumed(paused.elapsed()),
            Turn::Exceeded(d) => Ridden::GaveUp(ReadFailure::Unreachable(d)),
            Turn::Stopping => Ridden::GaveUp(ReadFailure::Stopping),
        }
    }

    /// One read of the pool (DescribeUserPool, GetProvisionedLimit, a page of ListGroups or ListUsersInGroup),
    /// retried as a row's call is: throttles and transient failures with the job's backoff under `policy`, paced
    /// by `pacer`, an outage waited out on the run's budget, any other error returned at once.
    pub(crate) async fn read<T, F, Fut>(
        &self,
        policy: RetryPolicy,
        pacer: Option<&Pacer>,
        stopping: &CancellationToken,
        mut call: F,
    ) -> Result<T, ReadFailure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CallError>>,
    {
        let mut retries = Retries::new(policy, Instant::now());
        loop {
            if let Some(pacer) = pacer {
                pacer.acquire().await;
            }
            let sent = Instant::now();
            let err = match call().await {
                Ok(value) => {
                    self.reachable();
                    if let Some(pacer) = pacer {
                        pacer.on_success();
                    }
                    return Ok(value);
                }
                Err(err) => err,
            };
            if let (Some(pacer), Disposition::Throttled) = (pacer, err.disposition) {
                pacer.on_throttle(sent);
            }
            let delay = match self.ride_out(&err, READER, stopping).await {
                Ridden::Resumed(paused) => {
                    retries.pause(paused);
                    continue;
                }
                Ridden::GaveUp(why) => return Err(why),
                Ridden::NotAnOutage => match retries.after(err.disposition) {
                    Ok(delay) => delay,
                    Err(_) => return Err(ReadFailure::Failed(err)),
                },
            };
            tokio::select! {
                biased;
                _ = stopping.cancelled() => return Err(ReadFailure::Stopping),
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> CallError {
        CallError {
            disposition: Disposition::Transient,
            code: "ConnectionError".into(),
            message: "connection refused".into(),
            request_id: None,
            ambiguous: false,
            outage: Some(OutageSignal::Unreachable),
            paced_elsewhere: false,
        }
    }

    fn server_error() -> CallError {
        CallError {
            disposition: Disposition::Transient,
            code: "InternalErrorException".into(),
            message: "boom".into(),
            request_id: None,
            ambiguous: true,
            outage: Some(OutageSignal::ServerError),
            paced_elsewhere: false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_row_probes_with_backoff_the_others_wait_for_the_answer() {
        let outage = std::sync::Arc::new(Outage::new(Duration::from_secs(600)));
        let stop = CancellationToken::new();
        assert!(outage.failed(&refused()));
        assert!(outage.is_paused());
        let started = Instant::now();
        assert_eq!(outage.wait(2, &stop).await, Turn::Retry, "the probe");
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        assert!(outage.failed(&refused()));
        assert_eq!(outage.wait(2, &stop).await, Turn::Retry);
        assert_eq!(started.elapsed(), Duration::from_secs(3), "then 2 s");

        let waiter = {
            let (outage, stop) = (outage.clone(), stop.clone());
            tokio::spawn(async move { outage.wait(3, &stop).await })
        };
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(
            !waiter.is_finished(),
            "another row waits while the probe is out"
        );
        outage.reachable();
        assert_eq!(waiter.await.unwrap(), Turn::Retry);
        assert!(!outage.is_paused());
        outage.wait_clear().await;
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_pause_only_when_they_persist_and_the_pause_is_bounded() {
        let outage = Outage::new(Duration::from_secs(30));
        for _ in 1..SERVER_ERRORS {
            assert!(!outage.failed(&server_error()));
        }
        outage.reachable();
        for _ in 1..SERVER_ERRORS {
            assert!(
                !outage.failed(&server_error()),
                "a success between resets the count"
            );
        }
        assert!(outage.failed(&server_error()));
        let stop = CancellationToken::new();
        let mut turns = 0;
        let turn = loop {
            match outage.wait(2, &stop).await {
                Turn::Retry => turns += 1,
                other => break other,
            }
        };
        assert!(
            matches!(turn, Turn::Exceeded(d) if d >= Duration::from_secs(30)),
            "{turn:?}"
        );
        assert!(
            (6..=9).contains(&turns),
            "probes 1, 2, 4, then every 5 s: {turns}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_budget_counts_every_outage_of_a_flapping_endpoint() {
        let outage = Outage::new(Duration::from_secs(10));
        let stop = CancellationToken::new();
        // Down 3 s (probes after 1 s and 2 s), up for a moment, down again: the second outage starts with 3 s used.
        assert!(outage.failed(&refused()));
        assert_eq!(outage.wait(2, &stop).await, Turn::Retry);
        assert!(outage.failed(&refused()));
        assert_eq!(outage.wait(2, &stop).await, Turn::Retry);
        outage.reachable();
        assert_eq!(outage.paused_total(), Duration::from_secs(3));
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(outage.failed(&refused()));
        let turn = loop {
            match outage.wait(2, &stop).await {
                Turn::Retry => {}
                other => break other,
            }
        };
        assert_eq!(
            turn,
            Turn::Exceeded(Duration::from_secs(10)),
            "3 s + 7 s, not 10 s of the second outage"
        );
        assert_eq!(outage.paused_total(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_waits_out_an_outage_and_retries_other_failures() {
        let outage = Outage::new(Duration::from_secs(60));
        let stop = CancellationToken::new();
        let policy = RetryPolicy::new(3, Duration::from_secs(600)).without_jitter();
        // A server error (retried after a backoff), refused twice (an outage: no attempt used), then the answer.
        let script = std::sync::Mutex::new(vec![
            Ok(7),
            Err(refused()),
            Err(refused()),
            Err(server_error()),
        ]);
        let calls = std::sync::atomic::AtomicU32::new(0);
        let read = outage
            .read(policy, None, &stop, || {
                calls.fetch_add(1, Ordering::Relaxed);
                let next = script.lock().unwrap().pop().unwrap();
                async move { next }
            })
            .await;
        assert_eq!(read.unwrap(), 7);
        assert_eq!(calls.load(Ordering::Relaxed), 4);
        assert!(!outage.is_paused());
        assert_eq!(
            outage.paused_total(),
            Duration::from_secs(3),
            "probes after 1 s and 2 s"
        );

        // Past the budget: the read gives up with the time paused.
        let short = Outage::new(Duration::from_secs(5));
        let read: Result<u32, _> = short
            .read(policy, None, &stop, || async { Err(refused()) })
            .await;
        assert!(
            matches!(read, Err(ReadFailure::Unreachable(d)) if d >= Duration::from_secs(5)),
            "{read:?}"
        );
        // An error that is not retried comes back at once.
        let denied = CallError {
            disposition: Disposition::StopRun,
            code: "AccessDeniedException".into(),
            outage: None,
            ..refused()
        };
        let read: Result<u32, _> = outage
            .read(policy, None, &stop, || {
                let e = denied.clone();
                async move { Err(e) }
            })
            .await;
        assert!(matches!(read, Err(ReadFailure::Failed(e)) if e.code == "AccessDeniedException"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_that_gets_no_answer_in_time_waits_like_an_outage() {
        let outage = Outage::new(Duration::from_secs(60));
        let stop = CancellationToken::new();
        let policy = RetryPolicy::new(2, Duration::from_secs(600)).without_jitter();
        let timeout = CallError {
            code: TIMEOUT.into(),
            outage: None,
            ambiguous: true,
            ..refused()
        };
        // Three timeouts: more than the 2 attempts a transient failure may use, none of them counted.
        let script = std::sync::Mutex::new(vec![
            Ok(1),
            Err(timeout.clone()),
            Err(timeout.clone()),
            Err(timeout),
        ]);
        let read = outage
            .read(policy, None, &stop, || {
                let next = script.lock().unwrap().pop().unwrap();
                async move { next }
            })
            .await;
        assert_eq!(read.unwrap(), 1);
        assert_eq!(
            outage.paused_total(),
            Duration::from_secs(7),
            "probes after 1, 2 and 4 s"
        );
    }
}
