//! Request-rate quotas: one token bucket per Cognito quota category, plus the per-user write bucket.
//!
//! A bucket holds at most `rate` tokens (a burst of one second) and refills continuously. Over quota, the caller
//! answers `TooManyRequestsException` "Rate exceeded" and applies nothing.

use super::protocol::Operation;

pub use cognito_ops::Category;

/// The category `op` draws on, from the one table of Cognito's operations (`cognito_ops::OPERATIONS`, from the
/// "per-category request rate quotas" of Cognito's quotas page). `None`: not limited here.
pub(crate) fn category_of(op: Operation) -> Option<Category> {
    cognito_ops::category_of(op.name())
}

/// Cognito's per-user write limit ("10 operations per user per second").
pub const DEFAULT_PER_USER_WRITE_RATE: f64 = 10.0;

/// A continuously refilled token bucket with capacity equal to its rate: the model of one Cognito quota
/// category. Public so that clients can test their pacing against the same model without a server.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    rate: f64,
    tokens: f64,
    last: f64,
}

impl TokenBucket {
    /// A full bucket at time `now` (seconds).
    pub fn new(rate: f64, now: f64) -> Self {
        Self {
            rate,
            tokens: rate,
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, now: f64) -> bool {
        let elapsed = (now - self.last).max(0.0);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        self.last = self.last.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The category buckets of one emulator (`None` = no quota).
#[derive(Debug)]
pub(crate) struct Quotas {
    buckets: [Option<TokenBucket>; Category::COUNT],
}

impl Quotas {
    pub(crate) fn new(rates: &[Option<f64>; Category::COUNT], now: f64) -> Self {
        Self {
            buckets: rates.map(|rate| rate.map(|r| TokenBucket::new(r, now))),
        }
    }

    /// The rate the category's bucket enforces (`None`: no quota).
    pub(crate) fn rate(&self, category: Category) -> Option<f64> {
        self.buckets[category.index()].as_ref().map(|b| b.rate)
    }

    /// Takes a token from the category's bucket; `true` if allowed.
    pub(crate) fn try_take(&mut self, category: Category, now: f64) -> bool {
        match &mut self.buckets[category.index()] {
            Some(bucket) => bucket.try_take(now),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_is_capacity_then_refills_continuously() {
        let mut b = TokenBucket::new(25.0, 0.0);
        let granted = (0..60).filter(|_| b.try_take(0.0)).count();
        assert_eq!(granted, 25);
        assert!(!b.try_take(0.039));
        assert!(b.try_take(0.04));
        assert!(!b.try_take(0.04));
    }

    #[test]
    fn refill_is_capped_at_one_second_of_tokens() {
        let mut b = TokenBucket::new(10.0, 0.0);
        let granted = (0..100).filter(|_| b.try_take(100.0)).count();
        assert_eq!(granted, 10);
    }
}
