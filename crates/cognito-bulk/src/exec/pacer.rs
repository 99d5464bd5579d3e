//! The rate limiter every attempt passes: the [`AdaptiveRate`] schedule, then a `governor` token bucket at the
//! configured ceiling as the hard bound (no 1-second window holds more than `--rate` requests plus one bunch and
//! the few milliseconds of catch-up the schedule allows; see [`quota`]).
//!
//! governor sleeps on its own clock, which paused tokio time does not drive, so tests of the executor build a
//! pacer without it ([`Pacer::adaptive_only`]); the governor quota is tested here with real time.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::adaptive::{AdaptiveRate, BUNCH, CATCH_UP};

#[derive(Debug)]
pub(crate) struct Pacer {
    ceiling: Option<DefaultDirectRateLimiter>,
    adaptive: AdaptiveRate,
}

/// governor's quota for `rate` requests per second, evenly spaced, with room for the adaptive schedule's bunches
/// once throttled ([`BUNCH`] requests at once) and its [`CATCH_UP`] (one request, or two at 1,000/s): in
/// any second, at most `rate` requests plus that. Without that room, a request the schedule lets out a little early
/// after a late one would wait on governor's own timer, and every such wait would lower the average rate.
pub(crate) fn quota(rate: f64) -> Quota {
    let period = Duration::from_secs_f64(1.0 / rate).max(Duration::from_nanos(1));
    let burst = BUNCH + (rate * CATCH_UP.as_secs_f64()).ceil() as u32;
    Quota::with_period(period)
        .expect("period is non-zero")
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

impl Pacer {
    /// The production pacer: governor ceiling + adaptive rate (slow start, the default settle margin).
    pub(crate) fn new(rate: f64) -> Self {
        Self::with_margin(rate, super::adaptive::DEFAULT_MARGIN)
    }

    /// The production pacer settling `margin` below the estimated free share (`--rate-margin`).
    pub(crate) fn with_margin(rate: f64, margin: f64) -> Self {
        Pacer {
            ceiling: Some(RateLimiter::direct(quota(rate))),
            adaptive: AdaptiveRate::with_margin(rate, margin),
        }
    }

    /// The adaptive schedule only (tokio time only), opening at the ceiling: for paused-time tests of the
    /// executor that are not about pacing.
    #[cfg(test)]
    pub(crate) fn adaptive_only(rate: f64) -> Self {
        Self::schedule_only(AdaptiveRate::new(rate).without_slow_start())
    }

    /// A given adaptive schedule only (tokio time only): for paused-time tests of the pacing itself.
    #[cfg(test)]
    pub(crate) fn schedule_only(adaptive: AdaptiveRate) -> Self {
        Pacer {
            ceiling: None,
            adaptive,
        }
    }

    /// Waits until one more request may be sent.
    pub(crate) async fn acquire(&self) {
        self.adaptive.acquire().await;
        if let Some(limiter) = &self.ceiling {
            limiter.until_ready().await;
        }
    }

    /// A throttled answer to a request sent at `sent`.
    pub(crate) fn on_throttle(&self, sent: tokio::time::Instant) {
        self.adaptive.on_throttle(sent);
    }

    pub(crate) fn on_success(&self) {
        self.adaptive.on_success();
    }

    /// The current adaptive rate (requests/s).
    pub(crate) fn rate(&self) -> f64 {
        self.adaptive.rate()
    }

    /// The rate settled at after the last throttle (`None` while never throttled).
    pub(crate) fn settled(&self) -> Option<f64> {
        self.adaptive.settled()
    }

    /// The configured ceiling (`--rate`).
    pub(crate) fn ceiling(&self) -> f64 {
        self.adaptive.ceiling()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_allows_only_a_bunch_and_the_catch_up_as_burst() {
        let q = quota(25.0);
        assert_eq!(q.burst_size().get(), BUNCH + 1);
        assert_eq!(q.replenish_interval(), Duration::from_millis(40));
        assert_eq!(
            quota(1000.0).burst_size().get(),
            BUNCH + 2,
            "2 ms at 1000/s, plus a bunch"
        );
    }

    #[test]
    fn governor_admits_a_bunch_and_the_catch_up_then_waits_a_period() {
        let limiter = RateLimiter::direct(quota(5.0));
        for _ in 0..=BUNCH {
            assert!(limiter.check().is_ok());
        }
        assert!(
            limiter.check().is_err(),
            "the next request within 200 ms must wait"
        );
    }
}
