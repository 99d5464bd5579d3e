//! Retry timing: exponential backoff with full jitter (a delay drawn uniformly from `[0, min(cap, base·2ⁿ)]`,
//! as AWS recommends), with separate curves for throttling and for transient failures.
//!
//! Whether to retry is decided by [`super::backend::Disposition`]; this module only says how long to wait.

use std::time::Duration;

use rand::Rng;

/// One backoff curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    /// Full jitter when true; the exact upper bound when false (for tests).
    pub jitter: bool,
}

impl Backoff {
    /// The delay before retry number `retry` (1 for the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
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
pub struct RetryPolicy {
    /// Most attempts for transient failures (throttled and expired-credential attempts do not count).
    pub max_attempts: u32,
    /// Time budget of one row, all attempts and waits included.
    pub max_row_time: Duration,
    pub throttle: Backoff,
    pub transient: Backoff,
    /// Most consecutive expired-credential answers for one row before it fails.
    pub max_credential_retries: u32,
}

impl RetryPolicy {
    pub fn new(max_attempts: u32, max_row_time: Duration) -> Self {
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
        }
    }

    /// The same policy without jitter, for deterministic tests.
    pub fn without_jitter(mut self) -> Self {
        self.throttle.jitter = false;
        self.transient.jitter = false;
        self
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
}
