//! Reading a whole pool (or the part a filter selects) with ListUsers, fast and exactly once.
//!
//! One ListUsers stream is bound by page latency (60 users per page, one page at a time). Without a user filter
//! the pool is read in 16 partitions at once, `sub ^= "0"` … `sub ^= "f"` (a `sub` is a random lowercase UUID, so
//! the prefixes split any pool evenly and every user is in exactly one of them), all behind ONE UserList limiter
//! ([`Pacer`] at `--list-rate`, adaptive on throttles like the write path). A user `--filter` forces one stream
//! (Cognito accepts one attribute per filter). If the endpoint refuses the partition filter
//! (`InvalidParameterException` on the first `sub` page), the pool is read as one unfiltered stream instead and
//! [`ListStats::fallback_reason`] says why.
//!
//! Exactly once: a page is emitted only after it was answered, and a failed page is retried with the same
//! pagination token (never the partition from its start), throttles with the throttle backoff, transient failures
//! up to `max_attempts` ([`RetryPolicy`]). The error table is [`super::classify`]'s. A stop of the [`RunControl`]
//! (Ctrl-C) ends the listing with [`ListError::Stopped`].
//!
//! ListUsers is eventually consistent: a user created or changed a moment ago may be missing or show old values.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::Client;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::classify;
pub(crate) use crate::error::ListError;
use crate::exec::backend::{CallError, Disposition, TIMEOUT};
use crate::exec::control::{Live, RunControl};
use crate::exec::outage::{Outage, READER, ReadFailure, Ridden};
use crate::exec::pacer::Pacer;
use crate::exec::retry::{GiveUp, Retries, RetryPolicy};
use crate::input::membership::{ENABLED, GROUPS};

/// Users per ListUsers page (the API's maximum).
pub(crate) const PAGE_SIZE: i32 = 60;

/// The partitions of a pool: the first hex digit of `sub`.
const PARTITIONS: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
];

/// What to list and how fast.
#[derive(Debug, Clone)]
pub(crate) struct ListSpec {
    pub(crate) pool_id: String,
    /// Cognito's ListUsers `Filter`, passed as is (forces one stream).
    pub(crate) filter: Option<String>,
    /// Split by `sub ^= "0"` … `"f"` when there is no filter; falls back to one stream if refused.
    pub(crate) partitions: bool,
    /// `--list-rate`: ListUsers pages per second, a ceiling; adaptive under it on throttles.
    pub(crate) list_rate: f64,
    /// Timeout of one ListUsers attempt.
    pub(crate) attempt_timeout: Duration,
    /// Retries of throttled / transient pages (`max_attempts` for transient failures, `max_row_time` as the time
    /// budget of one page).
    pub(crate) retry: RetryPolicy,
    /// The endpoint's outages: a page that cannot reach it waits (every stream at once) on the run's
    /// `--max-outage` budget instead of using up its attempts.
    pub(crate) outage: Arc<Outage>,
}

impl ListSpec {
    /// The whole pool, in partitions, with the default retry policy (5 attempts, 15 minutes a page).
    pub(crate) fn new(
        pool_id: impl Into<String>,
        list_rate: f64,
        attempt_timeout: Duration,
    ) -> Self {
        ListSpec {
            pool_id: pool_id.into(),
            filter: None,
            partitions: true,
            list_rate,
            attempt_timeout,
            retry: RetryPolicy::new(5, Duration::from_secs(15 * 60)),
            outage: Arc::default(),
        }
    }
}

/// One listed user: the username and every attribute ListUsers returned, `sub` included, in its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedUser {
    pub(crate) username: String,
    pub(crate) attributes: Vec<(String, String)>,
    /// `Enabled`.
    pub(crate) enabled: bool,
}

impl ListedUser {
    /// Adds the user's groups (`;`-separated, from a ListUsersInGroup listing of `memberships`) and enabled state
    /// under the membership column names, as `export --groups` writes them and the snapshot reads them.
    pub(crate) fn add_membership(
        &mut self,
        memberships: &std::collections::HashMap<String, Vec<String>>,
    ) {
        let groups = memberships.get(&self.username).map(|g| g.join(";"));
        self.attributes
            .push((GROUPS.into(), groups.unwrap_or_default()));
        self.attributes
            .push((ENABLED.into(), self.enabled.to_string()));
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the listing went.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ListStats {
    /// Users listed (sent on the channel).
    pub(crate) users: u64,
    /// Pages answered.
    pub(crate) pages: u64,
    /// Throttled attempts.
    pub(crate) throttles: u64,
    /// Whether the pool was read in `sub` partitions.
    pub(crate) partitioned: bool,
    /// Why partitions were asked for but not used (the endpoint refused the `sub` filter).
    pub(crate) fallback_reason: Option<String>,
    pub(crate) elapsed: Duration,
}

/// Live counters of a listing, for a progress line (all relaxed atomics).
#[derive(Debug, Default)]
pub(crate) struct ListProgress {
    pub(crate) users: AtomicU64,
    pub(crate) pages: AtomicU64,
    pub(crate) throttles: AtomicU64,
    pub(crate) attempts: AtomicU64,
}

impl ListProgress {
    pub(crate) fn users(&self) -> u64 {
        self.users.load(Ordering::Relaxed)
    }
    pub(crate) fn pages(&self) -> u64 {
        self.pages.load(Ordering::Relaxed)
    }
    pub(crate) fn throttles(&self) -> u64 {
        self.throttles.load(Ordering::Relaxed)
    }
}

/// One answered page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Page {
    pub(crate) users: Vec<ListedUser>,
    next_token: Option<String>,
}

/// Where pages come from: the SDK client, or a scripted fake in tests. One call = one attempt, never retried here.
trait PageSource: Sync {
    fn page(
        &self,
        pool_id: &str,
        filter: Option<&str>,
        token: Option<&str>,
    ) -> impl std::future::Future<Output = Result<Page, CallError>> + Send;
}

impl PageSource for Client {
    async fn page(
        &self,
        pool_id: &str,
        filter: Option<&str>,
        token: Option<&str>,
    ) -> Result<Page, CallError> {
        let out = self
            .list_users()
            .user_pool_id(pool_id)
            .limit(PAGE_SIZE)
            .set_filter(filter.map(str::to_string))
            .set_pagination_token(token.map(str::to_string))
            .send()
            .await
            .map_err(classify::from_sdk)?;
        let users = out
            .users()
            .iter()
            .map(|u| ListedUser {
                username: u.username().unwrap_or_default().to_string(),
                attributes: u
                    .attributes()
                    .iter()
                    .map(|a| {
                        (
                            a.name().to_string(),
                            a.value().unwrap_or_default().to_string(),
                        )
                    })
                    .collect(),
                enabled: u.enabled(),
            })
            .collect();
        Ok(Page {
            users,
            next_token: out.pagination_token().map(str::to_string),
        })
    }
}

/// Lists the users `spec` selects into `out`, each exactly once (see the module doc), with live counters the
/// caller can show while it runs.
pub(crate) async fn list_users_with_progress(
    client: &Client,
    spec: &ListSpec,
    control: &RunControl,
    out: mpsc::Sender<ListedUser>,
    progress: &ListProgress,
) -> Result<ListStats, ListError> {
    let reader = Reader {
        source: client,
        spec,
        control,
        out,
        progress,
        pacer: Pacer::new(spec.list_rate),
    };
    reader.run().await
}

/// The attribute a ListUsers filter tests (`email` in `email ^= "a"`), to name it without its value; `?` when the
/// filter has no operator.
pub(crate) fn filter_attribute(filter: &str) -> &str {
    match filter.split_once('=') {
        Some((left, _)) => left.trim_end_matches('^').trim().trim_matches('"'),
        None => "?",
    }
}

/// The reader id of the stream a filter selects (see [`READER`]): the streams of one listing tell apart.
fn stream_id(filter: Option<&str>) -> u64 {
    let hash = filter.map_or(0, |f| {
        f.bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
    });
    READER - 1 - hash % 4096
}

/// `sub ^= "<prefix>"`.
fn partition_filter(prefix: char) -> String {
    format!("sub ^= \"{prefix}\"")
}

struct Reader<'a, S> {
    source: &'a S,
    spec: &'a ListSpec,
    control: &'a RunControl,
    out: mpsc::Sender<ListedUser>,
    progress: &'a ListProgress,
    pacer: Pacer,
}

/// Why a page failed, before it becomes a [`ListError`].
enum PageFailure {
    /// InvalidParameterException: the filter (or token) was refused.
    Refused(CallError),
    Other(ListError),
}

impl<S: PageSource> Reader<'_, S> {
    async fn run(&self) -> Result<ListStats, ListError> {
        let started = Instant::now();
        let mut stats = ListStats::default();
        if let Some(filter) = &self.spec.filter {
            self.stream(Some(filter), None)
                .await
                .map_err(|f| self.user_filter_error(filter, f))?;
        } else if !self.spec.partitions {
            self.stream(None, None).await.map_err(|f| self.error(f))?;
        } else {
            // The first page of the first partition tells whether the endpoint takes the `sub` filter.
            let first = partition_filter(PARTITIONS[0]);
            match self.page(Some(&first), None).await {
                Ok(page) => {
                    stats.partitioned = true;
                    let token = self.emit(page).await?;
                    let rest = PARTITIONS[1..].iter().map(|p| {
                        let filter = partition_filter(*p);
                        async move { self.stream(Some(&filter), None).await }
                    });
                    let first_rest = async {
                        match &token {
                            Some(token) => self.stream(Some(&first), Some(token.clone())).await,
                            None => Ok(()),
                        }
                    };
                    let all = futures_util::future::try_join(
                        first_rest,
                        futures_util::future::try_join_all(rest),
                    );
                    all.await.map_err(|f| self.error(f))?;
                }
                Err(PageFailure::Refused(err)) => {
                    let reason = format!(
                        "the endpoint refused the partition filter `{first}` ({}: {}); reading the pool as one stream",
                        err.code, err.message
                    );
                    tracing::warn!("{reason}");
                    stats.fallback_reason = Some(reason);
                    self.stream(None, None).await.map_err(|f| self.error(f))?;
                }
                Err(PageFailure::Other(e)) => return Err(e),
            }
        }
        stats.users = self.progress.users();
        stats.pages = self.progress.pages();
        stats.throttles = self.progress.throttles();
        stats.elapsed = started.elapsed();
        Ok(stats)
    }

    fn error(&self, failure: PageFailure) -> ListError {
        match failure {
            PageFailure::Refused(err) => self.page_error(&err, "not retried"),
            PageFailure::Other(e) => e,
        }
    }

    fn user_filter_error(&self, filter: &str, failure: PageFailure) -> ListError {
        match failure {
            PageFailure::Refused(err) => ListError::Filter {
                attribute: filter_attribute(filter).to_string(),
                code: err.code,
                message: err.message,
            },
            PageFailure::Other(e) => e,
        }
    }

    fn page_error(&self, err: &CallError, note: &str) -> ListError {
        ListError::Page {
            pool_id: self.spec.pool_id.clone(),
            code: err.code.clone(),
            message: err.message.clone(),
            note: note.to_string(),
        }
    }

    /// Reads one stream to its end, from `token` on.
    async fn stream(&self, filter: Option<&str>, token: Option<String>) -> Result<(), PageFailure> {
        let mut token = token;
        loop {
            let page = self.page(filter, token.as_deref()).await?;
            token = self.emit(page).await.map_err(PageFailure::Other)?;
            if token.is_none() {
                return Ok(());
            }
        }
    }

    /// Sends a page's users on; returns its next token.
    async fn emit(&self, page: Page) -> Result<Option<String>, ListError> {
        Live::add(&self.progress.pages, 1);
        for user in page.users {
            tokio::select! {
                biased;
                _ = self.control.stopping().cancelled() => return Err(ListError::Stopped),
                sent = self.out.send(user) => sent.map_err(|_| ListError::ReceiverClosed)?,
            }
            Live::add(&self.progress.users, 1);
        }
        Ok(page.next_token)
    }

    /// One page, retried until answered (same token every time).
    async fn page(&self, filter: Option<&str>, token: Option<&str>) -> Result<Page, PageFailure> {
        let mut retries = Retries::new(self.spec.retry, Instant::now());
        let stopping = self.control.stopping();
        loop {
            tokio::select! {
                biased;
                _ = stopping.cancelled() => return Err(PageFailure::Other(ListError::Stopped)),
                _ = self.pacer.acquire() => {}
            }
            Live::add(&self.progress.attempts, 1);
            let sent = Instant::now();
            let call = tokio::time::timeout(
                self.spec.attempt_timeout,
                self.source.page(&self.spec.pool_id, filter, token),
            );
            let result = tokio::select! {
                biased;
                _ = stopping.cancelled() => return Err(PageFailure::Other(ListError::Stopped)),
                result = call => result,
            };
            let err = match result {
                Ok(Ok(page)) => {
                    self.pacer.on_success();
                    // An answer ends an outage: the other streams and the run go on at once.
                    self.spec.outage.reachable();
                    return Ok(page);
                }
                Ok(Err(err)) => err,
                Err(_elapsed) => CallError {
                    disposition: Disposition::Transient,
                    code: TIMEOUT.into(),
                    message: "no answer within --attempt-timeout".into(),
                    request_id: None,
                    // A read changes nothing: whether it was answered does not matter.
                    ambiguous: false,
                    outage: None,
                    paced_elsewhere: false,
                },
            };
            tracing::debug!(code = %err.code, filter, "ListUsers attempt failed");
            if err.disposition == Disposition::Throttled {
                self.pacer.on_throttle(sent);
                Live::add(&self.progress.throttles, 1);
            }
            match self
                .spec
                .outage
                .ride_out(&err, stream_id(filter), stopping)
                .await
            {
                Ridden::NotAnOutage => {}
                Ridden::Resumed(paused) => {
                    retries.pause(paused);
                    continue;
                }
                Ridden::GaveUp(why @ ReadFailure::Unreachable(_)) => {
                    return Err(PageFailure::Other(ListError::Page {
                        pool_id: self.spec.pool_id.clone(),
                        code: "EndpointUnreachable".into(),
                        message: why.to_string(),
                        note: format!("last error: {}", err.message),
                    }));
                }
                Ridden::GaveUp(_) => return Err(PageFailure::Other(ListError::Stopped)),
            }
            let delay = match retries.after(err.disposition) {
                Ok(delay) => delay,
                Err(GiveUp::NotRetryable) if err.code == "InvalidParameterException" => {
                    return Err(PageFailure::Refused(err));
                }
                Err(GiveUp::StopRun) => {
                    return Err(PageFailure::Other(ListError::Fatal {
                        pool_id: self.spec.pool_id.clone(),
                        code: err.code,
                        message: err.message,
                    }));
                }
                Err(give_up) => {
                    let note = match give_up {
                        GiveUp::Attempts(n) => {
                            format!("gave up after {n} attempts (--max-attempts)")
                        }
                        GiveUp::CredentialsStillExpired => {
                            "credentials still expired after refreshing".into()
                        }
                        GiveUp::Budget => {
                            "the page's time budget (--max-row-time) is used up".into()
                        }
                        GiveUp::NotRetryable | GiveUp::StopRun => "not retried".into(),
                    };
                    return Err(PageFailure::Other(self.page_error(&err, &note)));
                }
            };
            tokio::select! {
                biased;
                _ = stopping.cancelled() => return Err(PageFailure::Other(ListError::Stopped)),
                _ = tokio::time::sleep(delay) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests;
