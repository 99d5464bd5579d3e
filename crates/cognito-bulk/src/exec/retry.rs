//! Retry timing: exponential backoff with full jitter (a delay drawn uniformly from `[0, min(cap, base·2ⁿ)]`,
//! as AWS recommends), with separate curves for throttling and for transient failures.
//!
//! Whether to retry is decided by [`super::backend::Disposition`]; [`Retries`] counts one call's failures against
//! the [`RetryPolicy`] and says how long to wait before the next attempt, or why to give up. The row workers and
//! the ListUsers reader both use it.

use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

use super::backend::Disposition;

/// One backoff curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Backoff {
    pub(crate) base: Duration,
    cap: Duration,
    /// Full jitter when true; the exact upper bound when false (for tests).
    jitter: bool,
}

impl Backoff {
    /// The delay before retry number `retry` (1 for the first retry).
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1).min(20)));
        let bound = exp.min(self.cap);
        if self.jitter && !bound.is_zero() {
            rand::rng().random_range(Duration::ZERO..=bound)
        } else {
            bound
        }
    }
}

/// The retry rules of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RetryPolicy {
    /// Most attempts for transient failures (throttled and expired-credential attempts do not count).
    pub(crate) max_attempts: u32,
    /// Time budget of one row, all attempts and waits included.
    pub(crate) max_row_time: Duration,
    pub(crate) throttle: Backoff,
    pub(crate) transient: Backoff,
    /// Most consecutive expired-credential answers for one row before it fails.
    max_credential_retries: u32,
    /// After an attempt timed out, how long to wait before reading the user back: a request the service (or a
    /// proxy) still holds may land after the client gave up. The attempt timeout itself in a run.
    pub(crate) settle_after_timeout: Duration,
}

impl RetryPolicy {
    /// The retries of one read of the pool (DescribeUserPool, GetProvisionedLimit, a page of ListGroups or
    /// ListUsersInGroup): the job's backoff (throttles do not use up attempts), 8 attempts for other transient
    /// failures, 15 minutes in all; an outage is waited out apart ([`super::outage::Outage::read`]).
    pub(crate) fn pool_read() -> Self {
        RetryPolicy::new(8, Duration::from_secs(15 * 60))
    }

    pub(crate) fn new(max_attempts: u32, max_row_time: Duration) -> Self {
        RetryPolicy {
            max_attempts,
            max_row_time,
            throttle: Backoff {
                base: Duration::from_millis(250),
                cap: Duration::from_secs(20),
                jitter: true,
            },
            transient: Backoff {
                base: Duration::from_millis(100),
                cap: Duration::from_secs(10),
                jitter: true,
            },
            max_credential_retries: 10,
            settle_after_timeout: Duration::ZERO,
        }
    }

    /// Waits `settle` after a timed-out attempt before the read-back.
    #[must_use]
    pub(crate) fn with_settle_after_timeout(mut self, settle: Duration) -> Self {
        self.settle_after_timeout = settle;
        self
    }

    /// The same policy without jitter, for deterministic tests.
    #[cfg(test)]
    pub(crate) fn without_jitter(mut self) -> Self {
        self.throttle.jitter = false;
        self.transient.jitter = false;
        self
    }
}

/// Why a failed call is not retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GiveUp {
    /// This many transient failures: `--max-attempts` reached.
    Attempts(u32),
    /// The credentials were still expired after refreshing.
    CredentialsStillExpired,
    /// A failure of this call only, never retried ([`Disposition::FailRow`]).
    NotRetryable,
    /// A failure of the whole run ([`Disposition::StopRun`]).
    StopRun,
    /// The next attempt would start after the call's time budget (`--max-row-time`).
    Budget,
}

/// One call's failures so far (a row's update, a ListUsers page), under a [`RetryPolicy`].
#[derive(Debug)]
pub(crate) struct Retries {
    policy: RetryPolicy,
    deadline: Instant,
    throttled: u32,
    transient: u32,
    expired: u32,
}

impl Retries {
    /// A call whose time budget started at `started`.
    pub(crate) fn new(policy: RetryPolicy, started: Instant) -> Self {
        Retries {
            policy,
            deadline: started + policy.max_row_time,
            throttled: 0,
            transient: 0,
            expired: 0,
        }
    }

    /// Time the run spent paused by an outage: not part of the call's budget.
    pub(crate) fn pause(&mut self, paused: Duration) {
        self.deadline += paused;
    }

    /// Counts a failure: the delay before the next attempt, or why there is none. Throttles and expired
    /// credentials do not use up `max_attempts`.
    pub(crate) fn after(&mut self, disposition: Disposition) -> Result<Duration, GiveUp> {
        let (curve, n) = match disposition {
            Disposition::Throttled => {
                self.throttled += 1;
                (self.policy.throttle, self.throttled)
            }
            Disposition::Transient => {
                self.transient += 1;
                if self.transient >= self.policy.max_attempts {
                    return Err(GiveUp::Attempts(self.transient));
                }
                (self.policy.transient, self.transient)
            }
            Disposition::CredentialsExpired => {
                self.expired += 1;
                if self.expired > self.policy.max_credential_retries {
                    return Err(GiveUp::CredentialsStillExpired);
                }
                (self.policy.transient, self.expired)
            }
            Disposition::FailRow => return Err(GiveUp::NotRetryable),
            Disposition::StopRun => return Err(GiveUp::StopRun),
        };
        let delay = curve.delay(n);
        if Instant::now() + delay >= self.deadline {
            return Err(GiveUp::Budget);
        }
        Ok(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
            jitter: false,
        };
        let delays: Vec<u128> = (1..=6).map(|n| b.delay(n).as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.delay(1000).as_millis(), 1000);
    }

    #[test]
    fn full_jitter_stays_within_the_bound() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
            jitter: true,
        };
        let delays: Vec<Duration> = (0..200).map(|_| b.delay(3)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(400)));
        assert!(
            delays.iter().any(|d| *d < Duration::from_millis(200)),
            "jitter spreads the delays"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retries_say_why_they_give_up() {
        let policy = RetryPolicy::new(3, Duration::from_secs(600)).without_jitter();
        let mut r = Retries::new(policy, Instant::now());
        assert_eq!(
            r.after(Disposition::Transient),
            Ok(Duration::from_millis(100))
        );
        assert_eq!(
            r.after(Disposition::Throttled),
            Ok(Duration::from_millis(250))
        );
        assert_eq!(
            r.after(Disposition::Transient),
            Ok(Duration::from_millis(200))
        );
        assert_eq!(
            r.after(Disposition::Transient),
            Err(GiveUp::Attempts(3)),
            "throttles do not use up attempts"
        );
        assert_eq!(r.after(Disposition::FailRow), Err(GiveUp::NotRetryable));
        assert_eq!(r.after(Disposition::StopRun), Err(GiveUp::StopRun));
        for _ in 0..10 {
            assert!(r.after(Disposition::CredentialsExpired).is_ok());
        }
        assert_eq!(
            r.after(Disposition::CredentialsExpired),
            Err(GiveUp::CredentialsStillExpired)
        );

        // A 1 s budget: throttle delays of 250 ms and 500 ms fit, 1 s does not.
        let policy = RetryPolicy::new(3, Duration::from_secs(1)).without_jitter();
        let mut r = Retries::new(policy, Instant::now());
        assert!(r.after(Disposition::Throttled).is_ok());
        assert!(r.after(Disposition::Throttled).is_ok());
        assert_eq!(r.after(Disposition::Throttled), Err(GiveUp::Budget));
    }
}
