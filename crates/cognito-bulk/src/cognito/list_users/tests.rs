//! Reader tests with a scripted page source under paused tokio time.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::*;

/// A ListUsers call: (filter, pagination token).
type Call = (Option<String>, Option<String>);

/// A pool in memory that answers ListUsers like Cognito: `sub ^= "x"` filters, pages of [`PAGE_SIZE`], tokens.
#[derive(Default)]
struct FakePool {
    users: Vec<ListedUser>,
    refuse_sub_filter: bool,
    /// Errors answered, in order, before the real answer of (filter, token).
    script: Mutex<HashMap<Call, VecDeque<CallError>>>,
    calls: Mutex<Vec<Call>>,
}

fn err(disposition: Disposition, code: &str) -> CallError {
    CallError {
        disposition,
        code: code.into(),
        message: format!("{code} (scripted)"),
        request_id: None,
        ambiguous: false,
        outage: None,
        paced_elsewhere: false,
    }
}

impl FakePool {
    fn with_subs(subs: impl IntoIterator<Item = String>) -> Self {
        let users = subs
            .into_iter()
            .enumerate()
            .map(|(i, sub)| ListedUser {
                username: format!("user{i:05}"),
                attributes: vec![
                    ("sub".into(), sub),
                    ("email".into(), format!("u{i}@x.test")),
                ],
                enabled: true,
            })
            .collect();
        FakePool {
            users,
            ..FakePool::default()
        }
    }

    fn script(self, filter: Option<&str>, token: Option<&str>, errors: Vec<CallError>) -> Self {
        self.script.lock().unwrap().insert(
            (filter.map(str::to_string), token.map(str::to_string)),
            errors.into(),
        );
        self
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

impl PageSource for FakePool {
    async fn page(
        &self,
        _pool_id: &str,
        filter: Option<&str>,
        token: Option<&str>,
    ) -> Result<Page, CallError> {
        let key = (filter.map(str::to_string), token.map(str::to_string));
        self.calls.lock().unwrap().push(key.clone());
        tokio::time::sleep(Duration::from_millis(100)).await; // page latency
        if let Some(e) = self
            .script
            .lock()
            .unwrap()
            .get_mut(&key)
            .and_then(VecDeque::pop_front)
        {
            return Err(e);
        }
        let prefix = match filter {
            None => None,
            Some(f) => {
                let p = f
                    .strip_prefix("sub ^= \"")
                    .and_then(|r| r.strip_suffix('"'));
                match p {
                    Some(_) if self.refuse_sub_filter => {
                        return Err(err(Disposition::FailRow, "InvalidParameterException"));
                    }
                    Some(p) => Some(p.to_string()),
                    None if f == "bad" => {
                        return Err(err(Disposition::FailRow, "InvalidParameterException"));
                    }
                    None => Some(String::new()), // any other filter: every user, for the test
                }
            }
        };
        let start: usize = token.map_or(0, |t| t.parse().unwrap());
        let matching: Vec<(usize, &ListedUser)> = self
            .users
            .iter()
            .enumerate()
            .skip(start)
            .filter(|(_, u)| {
                prefix
                    .as_deref()
                    .is_none_or(|p| u.get("sub").unwrap().starts_with(p))
            })
            .collect();
        let page: Vec<ListedUser> = matching
            .iter()
            .take(PAGE_SIZE as usize)
            .map(|(_, u)| (*u).clone())
            .collect();
        let next_token = (matching.len() > PAGE_SIZE as usize)
            .then(|| (matching[PAGE_SIZE as usize - 1].0 + 1).to_string());
        Ok(Page {
            users: page,
            next_token,
        })
    }
}

fn spec() -> ListSpec {
    let mut spec = ListSpec::new("local_Test", 1000.0, Duration::from_secs(10));
    spec.retry = RetryPolicy::new(3, Duration::from_secs(600)).without_jitter();
    spec
}

async fn run(
    pool: &FakePool,
    spec: &ListSpec,
    control: &RunControl,
) -> (Result<ListStats, ListError>, Vec<ListedUser>) {
    let (tx, mut rx) = mpsc::channel(16);
    let progress = ListProgress::default();
    let reader = Reader {
        source: pool,
        spec,
        control,
        out: tx,
        progress: &progress,
        pacer: Pacer::adaptive_only(spec.list_rate),
    };
    let collect = async {
        let mut got = Vec::new();
        while let Some(u) = rx.recv().await {
            got.push(u);
        }
        got
    };
    let (result, got) = tokio::join!(
        async move {
            let r = reader.run().await;
            drop(reader);
            r
        },
        collect
    );
    (result, got)
}

fn uuid_subs(n: usize) -> Vec<String> {
    (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect()
}

fn assert_each_once(pool: &FakePool, got: &[ListedUser]) {
    let mut names: Vec<&str> = got.iter().map(|u| u.username.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "a user was listed twice");
    assert_eq!(names.len(), pool.users.len(), "every user is listed");
}

#[tokio::test(start_paused = true)]
async fn partitions_list_every_user_exactly_once() {
    let pool = FakePool::with_subs(uuid_subs(1000));
    let control = RunControl::default();
    let (stats, got) = run(&pool, &spec(), &control).await;
    let stats = stats.unwrap();
    assert_each_once(&pool, &got);
    assert!(stats.partitioned && stats.fallback_reason.is_none());
    assert_eq!(stats.users, 1000);
    let filters: std::collections::BTreeSet<String> =
        pool.calls().into_iter().filter_map(|(f, _)| f).collect();
    assert_eq!(filters.len(), 16, "{filters:?}");
    assert!(got[0].get("sub").is_some(), "sub is among the attributes");
}

#[tokio::test(start_paused = true)]
async fn subs_clustered_on_one_prefix_are_listed_once() {
    let subs = uuid_subs(300).into_iter().map(|s| format!("0{}", &s[1..]));
    let pool = FakePool::with_subs(subs);
    let (stats, got) = run(&pool, &spec(), &RunControl::default()).await;
    let stats = stats.unwrap();
    assert_each_once(&pool, &got);
    assert_eq!(
        stats.pages,
        5 + 15,
        "5 pages of partition 0, one empty page each other"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_page_is_retried_alone_and_emitted_once() {
    let subs = uuid_subs(400).into_iter().map(|s| format!("3{}", &s[1..]));
    let filter = partition_filter('3');
    let pool = FakePool::with_subs(subs)
        .script(
            Some(&filter),
            Some("120"),
            vec![
                err(Disposition::Throttled, "TooManyRequestsException"),
                err(Disposition::Transient, "InternalErrorException"),
            ],
        )
        .script(
            Some(&filter),
            None,
            vec![err(Disposition::Throttled, "TooManyRequestsException")],
        );
    let (stats, got) = run(&pool, &spec(), &RunControl::default()).await;
    let stats = stats.unwrap();
    assert_each_once(&pool, &got);
    assert_eq!(stats.throttles, 2);
    let calls = pool.calls();
    let starts = calls
        .iter()
        .filter(|(f, t)| f.as_deref() == Some(filter.as_str()) && t.is_none())
        .count();
    assert_eq!(
        starts, 2,
        "the partition's first page: one throttle, one answer"
    );
    let third = calls
        .iter()
        .filter(|(f, t)| f.as_deref() == Some(filter.as_str()) && t.as_deref() == Some("120"))
        .count();
    assert_eq!(
        third, 3,
        "the failed page is asked again, nothing before it"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_partition_filter_falls_back_to_one_stream() {
    let mut pool = FakePool::with_subs(uuid_subs(250));
    pool.refuse_sub_filter = true;
    let (stats, got) = run(&pool, &spec(), &RunControl::default()).await;
    let stats = stats.unwrap();
    assert_each_once(&pool, &got);
    assert!(!stats.partitioned);
    let reason = stats.fallback_reason.unwrap();
    assert!(reason.contains("InvalidParameterException"), "{reason}");
    assert!(
        pool.calls().iter().skip(1).all(|(f, _)| f.is_none()),
        "one unfiltered stream after the refused probe"
    );
}

#[tokio::test(start_paused = true)]
async fn a_user_filter_is_one_stream_and_a_refused_one_is_a_filter_error() {
    let pool = FakePool::with_subs(uuid_subs(130));
    let mut spec = spec();
    spec.filter = Some("email ^= \"u\"".into());
    let (stats, got) = run(&pool, &spec, &RunControl::default()).await;
    let stats = stats.unwrap();
    assert_each_once(&pool, &got);
    assert!(!stats.partitioned);
    assert_eq!(stats.pages, 3);
    assert!(
        pool.calls()
            .iter()
            .all(|(f, _)| f.as_deref() == Some("email ^= \"u\""))
    );

    spec.filter = Some("bad".into());
    let (result, got) = run(&pool, &spec, &RunControl::default()).await;
    assert!(got.is_empty());
    match result {
        Err(ListError::Filter {
            attribute, code, ..
        }) => {
            assert_eq!(
                (attribute.as_str(), code.as_str()),
                ("?", "InvalidParameterException")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_filter_is_named_by_its_attribute_only() {
    assert_eq!(filter_attribute("email ^= \"bob@\""), "email");
    assert_eq!(
        filter_attribute("\"cognito:user_status\" = \"X\""),
        "cognito:user_status"
    );
    assert_eq!(filter_attribute("nonsense"), "?");
}

#[tokio::test(start_paused = true)]
async fn pool_errors_stop_and_transient_errors_give_up_after_max_attempts() {
    let first = partition_filter('0');
    let pool = FakePool::with_subs(uuid_subs(10)).script(
        Some(&first),
        None,
        vec![err(Disposition::StopRun, "ResourceNotFoundException")],
    );
    let (result, _) = run(&pool, &spec(), &RunControl::default()).await;
    assert!(
        matches!(&result, Err(ListError::Fatal { code, .. }) if code == "ResourceNotFoundException"),
        "{result:?}"
    );

    let transient = || err(Disposition::Transient, "InternalErrorException");
    let pool = FakePool::with_subs(uuid_subs(10)).script(
        Some(&first),
        None,
        vec![transient(), transient(), transient()],
    );
    let (result, _) = run(&pool, &spec(), &RunControl::default()).await;
    match result {
        Err(ListError::Page { code, note, .. }) => {
            assert_eq!(code, "InternalErrorException");
            assert!(note.contains("3 attempts"), "{note}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(pool.calls().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_stop_ends_the_listing() {
    let pool = FakePool::with_subs(uuid_subs(5000));
    let control = RunControl::default();
    let (tx, mut rx) = mpsc::channel(1);
    let progress = ListProgress::default();
    let spec = spec();
    let reader = Reader {
        source: &pool,
        spec: &spec,
        control: &control,
        out: tx,
        progress: &progress,
        pacer: Pacer::adaptive_only(spec.list_rate),
    };
    let consume = async {
        let mut n = 0;
        while rx.recv().await.is_some() {
            n += 1;
            if n == 100 {
                control.stop(crate::exec::control::StopReason::Signal(
                    crate::exec::control::Signal::Interrupt,
                ));
            }
        }
        n
    };
    let (result, n) = tokio::join!(
        async move {
            let r = reader.run().await;
            drop(reader);
            r
        },
        consume
    );
    assert_eq!(result, Err(ListError::Stopped));
    assert!(n < 5000, "{n}");
}
