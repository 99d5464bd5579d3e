//! Dispatcher tests with a scripted backend under paused tokio time.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use super::*;
use crate::input::row::Attribute;

#[derive(Default)]
struct Scripted {
    answers: Mutex<HashMap<String, VecDeque<Result<Applied, CallError>>>>,
    calls: Mutex<HashMap<String, u32>>,
    latency: Duration,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

use super::super::backend::Applied;

impl Scripted {
    fn answer(self, user: &str, answers: Vec<Result<Applied, CallError>>) -> Self {
        self.answers
            .lock()
            .unwrap()
            .insert(user.into(), answers.into());
        self
    }
    fn calls(&self, user: &str) -> u32 {
        self.calls.lock().unwrap().get(user).copied().unwrap_or(0)
    }
}

impl Backend for Scripted {
    type RowState = ();

    async fn update(&self, request: &UpdateRequest, _: &mut ()) -> Result<Applied, CallError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        *self
            .calls
            .lock()
            .unwrap()
            .entry(request.username.clone())
            .or_default() += 1;
        tokio::time::sleep(self.latency).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let next = self
            .answers
            .lock()
            .unwrap()
            .get_mut(&request.username)
            .and_then(VecDeque::pop_front);
        next.unwrap_or(Ok(Applied {
            request_id: Some(format!("req-{}", request.username)),
            ..Applied::default()
        }))
    }
}

fn err(disposition: Disposition, code: &str) -> Result<Applied, CallError> {
    Err(CallError {
        disposition,
        code: code.into(),
        message: format!("{code} happened"),
        request_id: None,
        ambiguous: false,
        outage: None,
        paced_elsewhere: false,
    })
}

pub(super) fn job(i: u64) -> RowJob {
    RowJob {
        id: RowId {
            line: i + 2,
            hash: i,
        },
        request: UpdateRequest {
            username: format!("u{i}"),
            attributes: vec![Attribute {
                name: "custom:tier".into(),
                value: "gold".into(),
            }],
            delete: vec![],
            membership: Default::default(),
        },
        verify_first: false,
    }
}

struct Run {
    outcomes: Vec<RowOutcome>,
    control: Arc<RunControl>,
    /// The executor's limiter once the run is over.
    pacer: Arc<Pacer>,
}

async fn run(
    backend: Arc<Scripted>,
    rows: u64,
    concurrency: usize,
    control: Arc<RunControl>,
) -> Run {
    let (row_tx, row_rx) = mpsc::channel(4);
    let (out_tx, mut out_rx) = mpsc::channel(16);
    let pacer = Arc::new(Pacer::adaptive_only(1000.0));
    let dispatcher = Dispatcher {
        backend,
        pacer: pacer.clone(),
        policy: RetryPolicy::new(3, Duration::from_secs(600)).without_jitter(),
        concurrency,
        control: control.clone(),
        intents: None,
        outage: Arc::default(),
    };
    let reader = tokio::spawn(async move {
        for i in 0..rows {
            if row_tx.send(job(i)).await.is_err() {
                break;
            }
        }
    });
    let exec = tokio::spawn(dispatcher.run(row_rx, out_tx));
    let mut outcomes = Vec::new();
    while let Some(mut o) = out_rx.recv().await {
        drop(o.take_slot());
        outcomes.push(o);
    }
    exec.await.unwrap();
    reader.await.unwrap();
    outcomes.sort_by_key(|o| o.id.line);
    Run {
        outcomes,
        control,
        pacer,
    }
}

fn statuses(run: &Run) -> Vec<Status> {
    run.outcomes.iter().map(|o| o.status).collect()
}

#[tokio::test(start_paused = true)]
async fn every_row_once_and_concurrency_bounded() {
    let backend = Arc::new(Scripted {
        latency: Duration::from_millis(50),
        ..Default::default()
    });
    let r = run(backend.clone(), 100, 8, Arc::default()).await;
    assert_eq!(r.outcomes.len(), 100);
    assert!(
        r.outcomes
            .iter()
            .enumerate()
            .all(|(i, o)| o.id.line == i as u64 + 2 && o.status == Status::Updated)
    );
    assert!(
        r.outcomes
            .iter()
            .all(|o| o.attempts == 1 && o.request_id.starts_with("req-"))
    );
    assert_eq!(backend.max_in_flight.load(Ordering::SeqCst), 8);
    assert!((0..100).all(|i| backend.calls(&format!("u{i}")) == 1));
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_and_does_not_use_up_attempts() {
    let throttles = (0..6)
        .map(|_| err(Disposition::Throttled, "TooManyRequestsException"))
        .collect();
    let backend = Arc::new(Scripted::default().answer("u1", throttles));
    let r = run(backend.clone(), 3, 2, Arc::default()).await;
    assert_eq!(statuses(&r), vec![Status::Updated; 3]);
    assert_eq!(
        r.outcomes[1].attempts, 7,
        "6 throttles then success, though --max-attempts is 3"
    );
    assert_eq!(backend.calls("u1"), 7);
    assert_eq!(Live::get(&r.control.live.throttled), 6);
}

#[tokio::test(start_paused = true)]
async fn a_throttle_on_another_quota_does_not_slow_the_executor() {
    let throttles = |elsewhere: bool| {
        (0..6)
            .map(|_| {
                let mut e = err(Disposition::Throttled, "TooManyRequestsException");
                if let Err(e) = &mut e {
                    e.paced_elsewhere = elsewhere;
                }
                e
            })
            .collect()
    };
    let own = run(
        Arc::new(Scripted::default().answer("u1", throttles(false))),
        3,
        2,
        Arc::default(),
    )
    .await;
    let other = run(
        Arc::new(Scripted::default().answer("u1", throttles(true))),
        3,
        2,
        Arc::default(),
    )
    .await;
    assert_eq!(statuses(&other), vec![Status::Updated; 3]);
    assert_eq!(Live::get(&other.control.live.throttled), 6, "still counted");
    assert!(
        other.pacer.rate() > own.pacer.rate(),
        "{} vs {}",
        other.pacer.rate(),
        own.pacer.rate()
    );
}

#[tokio::test(start_paused = true)]
async fn transient_errors_give_up_after_max_attempts() {
    let errors = (0..5)
        .map(|_| err(Disposition::Transient, "InternalErrorException"))
        .collect();
    let backend = Arc::new(Scripted::default().answer("u0", errors));
    let r = run(backend.clone(), 2, 2, Arc::default()).await;
    assert_eq!(statuses(&r), vec![Status::Failed, Status::Updated]);
    let failed = &r.outcomes[0];
    assert_eq!(
        (failed.attempts, failed.error_code.as_str()),
        (3, "InternalErrorException")
    );
    assert!(
        failed.message.contains("gave up after 3 attempts"),
        "{}",
        failed.message
    );
    assert_eq!(backend.calls("u0"), 3);
}

#[tokio::test(start_paused = true)]
async fn transient_then_success_is_updated() {
    let backend =
        Arc::new(Scripted::default().answer("u0", vec![err(Disposition::Transient, "Timeout")]));
    let r = run(backend, 1, 1, Arc::default()).await;
    assert_eq!(
        (r.outcomes[0].status, r.outcomes[0].attempts),
        (Status::Updated, 2)
    );
}

#[tokio::test(start_paused = true)]
async fn row_errors_fail_the_row_without_retry() {
    let backend = Arc::new(Scripted::default().answer(
        "u1",
        vec![err(Disposition::FailRow, "UserNotFoundException")],
    ));
    let r = run(backend.clone(), 3, 1, Arc::default()).await;
    assert_eq!(
        statuses(&r),
        vec![Status::Updated, Status::Failed, Status::Updated]
    );
    assert_eq!(r.outcomes[1].error_code, "UserNotFoundException");
    assert_eq!(backend.calls("u1"), 1);
    assert!(r.control.reason().is_none());
}

#[tokio::test(start_paused = true)]
async fn a_pool_level_error_stops_the_run_and_the_rest_is_not_attempted() {
    let backend = Arc::new(Scripted::default().answer(
        "u2",
        vec![err(Disposition::StopRun, "ResourceNotFoundException")],
    ));
    let r = run(backend.clone(), 50, 1, Arc::default()).await;
    assert_eq!(r.outcomes.len(), 50, "every row has exactly one outcome");
    assert_eq!(
        statuses(&r)[..3],
        [Status::Updated, Status::Updated, Status::Failed]
    );
    assert!(
        r.outcomes[3..]
            .iter()
            .all(|o| o.status == Status::NotAttempted && o.attempts == 0)
    );
    assert!(
        matches!(r.control.reason(), Some(StopReason::Fatal { code, .. }) if code == "ResourceNotFoundException")
    );
    assert!((3..50).all(|i| backend.calls(&format!("u{i}")) == 0));
}

#[tokio::test(start_paused = true)]
async fn graceful_stop_lets_rows_in_flight_finish() {
    let backend = Arc::new(Scripted {
        latency: Duration::from_secs(1),
        ..Default::default()
    });
    let control = Arc::new(RunControl::default());
    let stopper = control.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(2500)).await;
        stopper.stop(StopReason::Signal(super::super::control::Signal::Interrupt));
    });
    let r = run(backend, 40, 4, control).await;
    assert_eq!(r.outcomes.len(), 40);
    let updated = r
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Updated)
        .count();
    assert_eq!(
        updated, 12,
        "three rounds of four rows finish; the rows in flight at the signal finish too"
    );
    assert!(
        r.outcomes
            .iter()
            .all(|o| matches!(o.status, Status::Updated | Status::NotAttempted))
    );
}

#[tokio::test(start_paused = true)]
async fn abort_reports_rows_in_flight_as_interrupted() {
    let backend = Arc::new(Scripted {
        latency: Duration::from_secs(10),
        ..Default::default()
    });
    let control = Arc::new(RunControl::default());
    let stopper = control.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        stopper.stop(StopReason::Signal(super::super::control::Signal::Interrupt));
        tokio::time::sleep(Duration::from_secs(1)).await;
        stopper.abort();
    });
    let r = run(backend, 20, 3, control).await;
    let interrupted: Vec<_> = r
        .outcomes
        .iter()
        .filter(|o| o.error_code == INTERRUPTED)
        .collect();
    assert_eq!(interrupted.len(), 3);
    assert!(
        interrupted
            .iter()
            .all(|o| o.status == Status::Failed && o.attempts == 1)
    );
    assert!(r.outcomes.iter().all(|o| o.status != Status::Updated));
}

#[tokio::test(start_paused = true)]
async fn expired_credentials_are_retried_without_using_up_attempts() {
    let expired = (0..4)
        .map(|_| err(Disposition::CredentialsExpired, "ExpiredTokenException"))
        .collect();
    let backend = Arc::new(Scripted::default().answer("u0", expired));
    let r = run(backend.clone(), 1, 1, Arc::default()).await;
    assert_eq!(
        (r.outcomes[0].status, r.outcomes[0].attempts),
        (Status::Updated, 5),
        "4 expired answers, then success"
    );
}

#[tokio::test(start_paused = true)]
async fn a_row_fails_when_its_time_budget_runs_out_under_throttling() {
    let throttles = (0..200)
        .map(|_| err(Disposition::Throttled, "TooManyRequestsException"))
        .collect();
    let backend = Arc::new(Scripted::default().answer("u0", throttles));
    let (row_tx, row_rx) = mpsc::channel(1);
    let (out_tx, mut out_rx) = mpsc::channel(4);
    let dispatcher = Dispatcher {
        backend,
        pacer: Arc::new(Pacer::adaptive_only(1000.0)),
        policy: RetryPolicy::new(3, Duration::from_secs(30)).without_jitter(),
        concurrency: 1,
        control: Arc::default(),
        intents: None,
        outage: Arc::default(),
    };
    row_tx.send(job(0)).await.unwrap();
    drop(row_tx);
    let exec = tokio::spawn(dispatcher.run(row_rx, out_tx));
    let mut o = out_rx.recv().await.unwrap();
    drop(o.take_slot());
    exec.await.unwrap();
    assert_eq!(
        (o.status, o.error_code.as_str()),
        (Status::Failed, "TooManyRequestsException")
    );
    assert!(o.message.contains("--max-row-time"), "{}", o.message);
    assert!(
        o.attempts > 3,
        "throttles alone don't use up --max-attempts: {}",
        o.attempts
    );
}
