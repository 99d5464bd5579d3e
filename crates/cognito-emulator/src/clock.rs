//! The clock behind the quota token buckets: real (tokio) time, or a manual clock that tests move by hand.
//!
//! Wall-clock timestamps in responses (`UserCreateDate`, ...) do not use this clock; they use system time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Source of monotonic time for rate limiting.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// `tokio::time::Instant`, so `#[tokio::test(start_paused = true)]` also controls it.
    #[default]
    Tokio,
    /// Time stands still until [`ManualClock::advance`] is called.
    Manual(ManualClock),
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<Mutex<Duration>>);

impl ManualClock {
    /// A clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }

    fn now(&self) -> Duration {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A started clock: reads seconds since the emulator started.
#[derive(Clone, Debug)]
pub(crate) struct RunningClock {
    clock: Clock,
    origin: tokio::time::Instant,
}

impl RunningClock {
    pub(crate) fn start(clock: Clock) -> Self {
        Self {
            clock,
            origin: tokio::time::Instant::now(),
        }
    }

    /// Seconds since start, as a float.
    pub(crate) fn now_secs(&self) -> f64 {
        match &self.clock {
            Clock::Tokio => self.origin.elapsed().as_secs_f64(),
            Clock::Manual(manual) => manual.now().as_secs_f64(),
        }
    }
}
