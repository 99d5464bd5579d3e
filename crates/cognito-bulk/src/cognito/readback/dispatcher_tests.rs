//! Read-back decisions of the executor's row worker, against a scripted backend that keeps users the way Cognito stores
//! them (an `email` change without `email_verified` un-verifies it) and compares with the real
//! [`crate::cognito::readback::holds`], under paused tokio time.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::cognito::before::Before;
use crate::cognito::readback;
use tokio::sync::mpsc;

use crate::exec::backend::{Applied, Backend, CallError, Disposition, ReadBack};
use crate::exec::control::{Live, RunControl};
use crate::exec::dispatcher::*;
use crate::exec::outcome::{RowOutcome, Status};
use crate::exec::pacer::Pacer;
use crate::exec::retry::RetryPolicy;
use crate::input::row::{RowId, UpdateRequest};

/// How one write attempt ends.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Ok,
    /// Applied, then the connection dropped before the answer.
    DropAfterApply,
    /// The connection dropped before the service applied anything.
    DropBeforeApply,
    /// HTTP 500 `InternalErrorException` without applying.
    ServerError,
    /// A throttle (never read back).
    Throttle,
}

#[derive(Default)]
struct Store {
    users: Mutex<HashMap<String, BTreeMap<String, String>>>,
    fates: Mutex<VecDeque<Fate>>,
    /// Answers of the read-backs, in order: `false` = the read fails (HTTP 500).
    reads_fail: Mutex<VecDeque<bool>>,
    writes: Mutex<HashMap<String, u32>>,
    applied: Mutex<HashMap<String, u32>>,
    reads: Mutex<u32>,
}

impl Store {
    fn with_user(self, name: &str, attrs: &[(&str, &str)]) -> Self {
        self.users.lock().unwrap().insert(
            name.into(),
            attrs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        );
        self
    }
    fn fates(self, fates: &[Fate]) -> Self {
        *self.fates.lock().unwrap() = fates.iter().copied().collect();
        self
    }
    fn failing_reads(self, answers: &[bool]) -> Self {
        *self.reads_fail.lock().unwrap() = answers.iter().copied().collect();
        self
    }
    fn applied(&self, user: &str) -> u32 {
        self.applied.lock().unwrap().get(user).copied().unwrap_or(0)
    }
    fn writes(&self, user: &str) -> u32 {
        self.writes.lock().unwrap().get(user).copied().unwrap_or(0)
    }
    fn attr(&self, user: &str, name: &str) -> Option<String> {
        self.users.lock().unwrap()[user].get(name).cloned()
    }

    /// Applies the row as Cognito stores it.
    fn apply(&self, request: &UpdateRequest) {
        let mut users = self.users.lock().unwrap();
        let attrs = users.get_mut(&request.username).expect("known user");
        for a in &request.attributes {
            let flag = format!("{}_verified", a.name);
            let address = a.name == "email" || a.name == "phone_number";
            if address && attrs.get(&a.name) != Some(&a.value) && request.get(&flag).is_none() {
                attrs.insert(flag, "false".into());
            }
            let value = if a.name.ends_with("_verified") {
                a.value.to_lowercase()
            } else {
                a.value.clone()
            };
            attrs.insert(a.name.clone(), value);
        }
        for n in &request.delete {
            attrs.remove(n);
            if n == "email" || n == "phone_number" {
                attrs.remove(&format!("{n}_verified"));
            }
        }
        *self
            .applied
            .lock()
            .unwrap()
            .entry(request.username.clone())
            .or_default() += 1;
    }
}

fn fail(disposition: Disposition, code: &str, ambiguous: bool) -> CallError {
    CallError {
        disposition,
        code: code.into(),
        message: format!("{code} happened"),
        request_id: None,
        ambiguous,
        outage: None,
        paced_elsewhere: false,
    }
}

impl Backend for Store {
    type RowState = ();

    async fn update(&self, request: &UpdateRequest, _: &mut ()) -> Result<Applied, CallError> {
        *self
            .writes
            .lock()
            .unwrap()
            .entry(request.username.clone())
            .or_default() += 1;
        let fate = self.fates.lock().unwrap().pop_front().unwrap_or(Fate::Ok);
        match fate {
            Fate::Ok => {
                self.apply(request);
                Ok(Applied {
                    request_id: Some("write".into()),
                    unchanged: false,
                })
            }
            Fate::DropAfterApply => {
                self.apply(request);
                Err(fail(Disposition::Transient, "ConnectionError", true))
            }
            Fate::DropBeforeApply => Err(fail(Disposition::Transient, "ConnectionError", true)),
            Fate::ServerError => Err(fail(Disposition::Transient, "InternalErrorException", true)),
            Fate::Throttle => Err(fail(
                Disposition::Throttled,
                "TooManyRequestsException",
                false,
            )),
        }
    }

    async fn read_back(&self, request: &UpdateRequest, _: &mut ()) -> ReadBack {
        *self.reads.lock().unwrap() += 1;
        if self.reads_fail.lock().unwrap().pop_front() == Some(false) {
            return ReadBack::Failed(fail(
                Disposition::Transient,
                "InternalErrorException",
                false,
            ));
        }
        let read = Before {
            username: request.username.clone(),
            attributes: self.users.lock().unwrap()[&request.username].clone(),
            ..Before::default()
        };
        if readback::holds(request, &read, None).all() {
            ReadBack::Confirmed {
                request_id: Some("read".into()),
            }
        } else {
            ReadBack::NotApplied
        }
    }
}

fn row(set: &[(&str, &str)], delete: &[&str]) -> RowJob {
    RowJob {
        id: RowId { line: 2, hash: 1 },
        request: UpdateRequest::from_pairs("ada", set, delete),
        verify_first: false,
    }
}

async fn run_one(store: Arc<Store>, job: RowJob) -> (RowOutcome, Arc<RunControl>) {
    let (row_tx, row_rx) = mpsc::channel(1);
    let (out_tx, mut out_rx) = mpsc::channel(4);
    let control = Arc::new(RunControl::default());
    let dispatcher = Dispatcher {
        backend: store,
        pacer: Arc::new(Pacer::adaptive_only(100.0)),
        policy: RetryPolicy::new(3, Duration::from_secs(600)).without_jitter(),
        concurrency: 1,
        control: control.clone(),
        intents: None,
        outage: Arc::default(),
    };
    row_tx.send(job).await.unwrap();
    drop(row_tx);
    // The outcome carries the row's concurrency slot: receive it while the dispatcher runs, as the sink does.
    let exec = tokio::spawn(dispatcher.run(row_rx, out_tx));
    let mut outcome = out_rx.recv().await.expect("one outcome");
    drop(outcome.take_slot());
    assert!(out_rx.recv().await.is_none(), "exactly one outcome");
    exec.await.unwrap();
    (outcome, control)
}

fn ada() -> Store {
    Store::default().with_user(
        "ada",
        &[("email", "old@example.com"), ("email_verified", "true")],
    )
}

#[tokio::test(start_paused = true)]
async fn dropped_after_apply_is_confirmed_and_not_resent() {
    let store = Arc::new(ada().fates(&[Fate::DropAfterApply]));
    let (o, control) = run_one(store.clone(), row(&[("custom:tier", "gold")], &[])).await;
    assert_eq!(o.status, Status::Updated);
    assert!(
        o.message.starts_with(CONFIRMED_BY_READ_BACK),
        "{}",
        o.message
    );
    assert!(o.message.contains("ConnectionError"), "{}", o.message);
    assert_eq!(o.error_code, "");
    assert_eq!(o.request_id, "read");
    assert_eq!(o.attempts, 1, "attempts count the writes, not the read");
    assert_eq!((store.writes("ada"), store.applied("ada")), (1, 1));
    assert_eq!(*store.reads.lock().unwrap(), 1);
    assert_eq!(Live::get(&control.live.read_backs), 1);
    assert_eq!(Live::get(&control.live.confirmed), 1);
}

#[tokio::test(start_paused = true)]
async fn dropped_before_apply_is_resent_after_the_read() {
    let store = Arc::new(ada().fates(&[Fate::DropBeforeApply]));
    let (o, control) = run_one(store.clone(), row(&[("custom:tier", "gold")], &[])).await;
    assert_eq!((o.status, o.attempts), (Status::Updated, 2));
    assert_eq!(o.message, "", "applied by the resend, not confirmed");
    assert_eq!((store.writes("ada"), store.applied("ada")), (2, 1));
    assert_eq!(*store.reads.lock().unwrap(), 1);
    assert_eq!(Live::get(&control.live.confirmed), 0);
}

#[tokio::test(start_paused = true)]
async fn a_server_error_is_read_back_then_resent() {
    let store = Arc::new(ada().fates(&[Fate::ServerError, Fate::ServerError]));
    let (o, _) = run_one(store.clone(), row(&[("custom:tier", "gold")], &[])).await;
    assert_eq!((o.status, o.attempts), (Status::Updated, 3));
    assert_eq!(
        *store.reads.lock().unwrap(),
        2,
        "one read per ambiguous failure"
    );
    assert_eq!(store.applied("ada"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_read_back_falls_back_to_the_resend() {
    let store = Arc::new(ada().fates(&[Fate::DropAfterApply]).failing_reads(&[false]));
    let (o, _) = run_one(store.clone(), row(&[("custom:tier", "gold")], &[])).await;
    assert_eq!((o.status, o.attempts), (Status::Updated, 2));
    assert_eq!(
        store.applied("ada"),
        2,
        "without a read the update is sent again, as before read-back existed"
    );
}

#[tokio::test(start_paused = true)]
async fn throttles_are_never_read_back() {
    let store = Arc::new(ada().fates(&[Fate::Throttle, Fate::Throttle]));
    let (o, control) = run_one(store.clone(), row(&[("custom:tier", "gold")], &[])).await;
    assert_eq!((o.status, o.attempts), (Status::Updated, 3));
    assert_eq!(*store.reads.lock().unwrap(), 0);
    assert_eq!(Live::get(&control.live.read_backs), 0);
}

#[tokio::test(start_paused = true)]
async fn an_email_change_unverified_by_the_service_is_confirmed() {
    let store = Arc::new(ada().fates(&[Fate::DropAfterApply]));
    let (o, _) = run_one(store.clone(), row(&[("email", "new@example.com")], &[])).await;
    assert_eq!(o.status, Status::Updated);
    assert!(
        o.message.starts_with(CONFIRMED_BY_READ_BACK),
        "{}",
        o.message
    );
    assert_eq!(
        store.attr("ada", "email_verified").as_deref(),
        Some("false")
    );
    assert_eq!(store.applied("ada"), 1);
}

#[tokio::test(start_paused = true)]
async fn an_uppercase_flag_stored_lowercase_is_confirmed() {
    let store = Arc::new(ada().fates(&[Fate::DropAfterApply]));
    let (o, _) = run_one(
        store.clone(),
        row(
            &[("email", "new@example.com"), ("email_verified", "TRUE")],
            &[],
        ),
    )
    .await;
    assert!(
        o.message.starts_with(CONFIRMED_BY_READ_BACK),
        "{}",
        o.message
    );
    assert_eq!(store.attr("ada", "email_verified").as_deref(), Some("true"));
    assert_eq!(store.applied("ada"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_deleted_address_is_confirmed_with_its_flag_gone() {
    let store = Arc::new(ada().fates(&[Fate::DropAfterApply]));
    let (o, _) = run_one(store.clone(), row(&[], &["email"])).await;
    assert!(
        o.message.starts_with(CONFIRMED_BY_READ_BACK),
        "{}",
        o.message
    );
    assert_eq!(store.attr("ada", "email_verified"), None);
    assert_eq!(store.applied("ada"), 1);
}

#[tokio::test(start_paused = true)]
async fn the_last_attempt_failing_ambiguously_is_still_read_back() {
    let store =
        Arc::new(ada().fates(&[Fate::ServerError, Fate::ServerError, Fate::DropAfterApply]));
    let (o, _) = run_one(store.clone(), row(&[("custom:tier", "gold")], &[])).await;
    assert_eq!((o.status, o.attempts), (Status::Updated, 3));
    assert!(
        o.message.starts_with(CONFIRMED_BY_READ_BACK),
        "{}",
        o.message
    );
    assert_eq!(store.applied("ada"), 1);
}
