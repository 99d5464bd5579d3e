//! The seam between the executor and the service: [`Backend`] sends one update and returns either [`Applied`]
//! or a classified [`CallError`]. The service's implementation lives in the layer above; tests use scripted fakes.

use std::future::Future;

use crate::input::row::UpdateRequest;

/// What the executor does with a failed attempt (the service layer's classification table decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// The service is over its request-rate quota: slow down, retry; does not use up the row's attempts.
    Throttled,
    /// A transient failure (server error, timeout, dropped connection): retry with backoff, up to the attempt limit.
    Transient,
    /// The credentials expired: retry once they have been refreshed; does not use up the row's attempts.
    CredentialsExpired,
    /// A problem with this row (unknown user, rejected value...): no retry, the row fails.
    FailRow,
    /// A problem with the whole run (pool missing, permissions, credentials): the row fails and the run stops.
    StopRun,
}

/// A failed attempt, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallError {
    pub(crate) disposition: Disposition,
    /// The service's error code (`TooManyRequestsException`) or a transport condition (`Timeout`, `ConnectionError`).
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) request_id: Option<String>,
    /// The request may have been applied although no success came back (the connection dropped after the
    /// request was written, a timeout after sending, an HTTP 5xx): the executor reads the user back before any
    /// resend. False for throttles, 4xx answers and failures before sending (connection refused).
    pub(crate) ambiguous: bool,
    /// Whether this failure says the endpoint itself is down (set by the service layer, which knows its codes):
    /// enough of them pause the whole run instead of failing rows (see `outage.rs`).
    pub(crate) outage: Option<OutageSignal>,
    /// A throttle of a call on another quota than the executor's limiter paces (the backend's own limiter was
    /// told): the executor must not slow down for it.
    pub(crate) paced_elsewhere: bool,
}

/// The code of an attempt that got no answer within its timeout (the request may still be applied later).
pub(crate) const TIMEOUT: &str = "Timeout";

/// What a failure says about the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutageSignal {
    /// It could not be reached at all (connection refused, DNS, connect timeout): nothing was sent.
    Unreachable,
    /// It answered with a server error (HTTP 5xx, an internal-error code).
    ServerError,
}

/// What a read-back after an ambiguous failure found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadBack {
    /// The user already holds every value of the row: it was applied, nothing is resent.
    Confirmed { request_id: Option<String> },
    /// Not (entirely) applied: resend (only what is missing).
    NotApplied,
    /// The read itself failed: resend, as without read-back.
    Failed(CallError),
    /// Confirmed, but the run must stop (the undo row could not be written): the row fails with this error.
    Stop(CallError),
    /// The backend cannot read back: resend.
    Unsupported,
}

/// A successful attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Applied {
    pub(crate) request_id: Option<String>,
    /// The user already had the row's values, so nothing was written (reported `unchanged`).
    pub(crate) unchanged: bool,
}

/// Sends one update. Implementations must not retry: the executor owns retries, so every attempt is rate-limited
/// and counted.
///
/// One attempt may make more than one call (a read before the write, a delete after it); the executor paces the
/// attempt and the backend paces any further calls it makes.
pub(crate) trait Backend: Send + Sync + 'static {
    /// What the backend remembers about a row from one attempt to the next (e.g. the values read before the first
    /// write, which a retry must not read again: the failed attempt may have been applied). A fresh default for
    /// every row; `()` when nothing is kept.
    type RowState: Default + Send;

    fn update(
        &self,
        request: &UpdateRequest,
        state: &mut Self::RowState,
    ) -> impl Future<Output = Result<Applied, CallError>> + Send;

    /// The write requests the last attempt sent beyond its first, taken (the counter starts again at the next
    /// attempt): a row's `attempts` counts every write request, and one attempt may send several (an update and
    /// a delete, a call per group).
    fn take_extra_writes(&self, state: &mut Self::RowState) -> u32 {
        let _ = state;
        0
    }

    /// After an attempt failed with an [ambiguous](CallError::ambiguous) error: reads the user (paced by the
    /// backend's read limiter) and says whether the row's values already hold. May record in `state` which part
    /// of the row held, so that the resend repeats only the rest.
    fn read_back(
        &self,
        request: &UpdateRequest,
        state: &mut Self::RowState,
    ) -> impl Future<Output = ReadBack> + Send {
        let _ = (request, state);
        async { ReadBack::Unsupported }
    }
}
