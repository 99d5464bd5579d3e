//! The rate limiter every attempt passes: a `governor` token bucket at the configured ceiling (a hard bound,
//! burst of one, so no 1-second window ever holds more than `--rate` requests) followed by the
//! [`AdaptiveRate`] schedule under it.
//!
//! governor sleeps on its own clock, which paused tokio time does not drive, so tests of the executor build a
//! pacer without it ([`Pacer::adaptive_only`]); the governor quota is tested here with real time.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::adaptive::AdaptiveRate;

#[derive(Debug)]
pub struct Pacer {
    ceiling: Option<DefaultDirectRateLimiter>,
    adaptive: AdaptiveRate,
}

/// governor's quota for `rate` requests per second, evenly spaced (burst of one).
pub fn quota(rate: f64) -> Quota {
    let period = Duration::from_secs_f64(1.0 / rate).max(Duration::from_nanos(1));
    Quota::with_period(period)
        .expect("period is non-zero")
        .allow_burst(NonZeroU32::MIN)
}

impl Pacer {
    /// The production pacer: governor ceiling + adaptive rate.
    pub fn new(rate: f64) -> Self {
        Pacer {
            ceiling: Some(RateLimiter::direct(quota(rate))),
            adaptive: AdaptiveRate::new(rate),
        }
    }

    /// The adaptive schedule only (tokio time only): for paused-time tests.
    pub fn adaptive_only(rate: f64) -> Self {
        Pacer {
            ceiling: None,
            adaptive: AdaptiveRate::new(rate),
        }
    }

    /// Waits until one more request may be sent.
    pub async fn acquire(&self) {
        if let Some(limiter) = &self.ceiling {
            limiter.until_ready().await;
        }
        self.adaptive.acquire().await;
    }

    pub fn on_throttle(&self) {
        self.adaptive.on_throttle();
    }

    pub fn on_success(&self) {
        self.adaptive.on_success();
    }

    /// The current adaptive rate (requests/s).
    pub fn rate(&self) -> f64 {
        self.adaptive.rate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_has_no_burst_above_the_rate() {
        let q = quota(25.0);
        assert_eq!(q.burst_size().get(), 1);
        assert_eq!(q.replenish_interval(), Duration::from_millis(40));
    }

    #[test]
    fn governor_admits_one_then_waits_a_period() {
        let limiter = RateLimiter::direct(quota(5.0));
        assert!(limiter.check().is_ok());
        assert!(
            limiter.check().is_err(),
            "the second request within 200 ms must wait"
        );
    }
}
