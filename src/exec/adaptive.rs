//! The adaptive sending rate: slows down when Cognito throttles and recovers when throttling stops, never above
//! the configured ceiling. The quota is shared with traffic the job cannot see, so the free share is found by
//! probing, as the AWS SDKs' adaptive retry mode does (a CUBIC curve, see design-guide.md §8.4):
//!
//! * on a throttle: `w_max` = the rate that actually succeeded over the last second (not the rate allowed, which
//!   may be far above what the quota let through), and the rate drops to `BETA · w_max`. At most once per
//!   [`COOLDOWN`], so one burst of throttled answers counts as one signal;
//! * afterwards: `rate(t) = C·(t − K)³ + w_max` with `K = ∛(w_max·(1 − BETA)/C)`: back to `w_max` within a few
//!   seconds, a long plateau there, then a slow probe above it.
//!
//! Requests are spaced evenly, one slot every `1/rate` seconds. tokio's timer wakes up to a millisecond late; a
//! slot may therefore start up to [`CATCH_UP`] in the past, so late wake-ups don't lower the average rate (at
//! the cost of at most that much of a burst). Time is tokio's, so tests run under paused time.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Multiplicative decrease on a throttle.
pub const BETA: f64 = 0.8;
/// CUBIC scaling constant (requests/s per s³): small, for a long plateau at the rate that last worked.
pub const C: f64 = 0.1;
/// Throttles closer together than this count as one signal.
pub const COOLDOWN: Duration = Duration::from_secs(1);
/// How far behind the schedule a slot may start (see the module doc).
pub const CATCH_UP: Duration = Duration::from_millis(2);

/// Successes per 100 ms bucket over the last second.
#[derive(Debug)]
struct SuccessMeter {
    buckets: [u32; 10],
    /// Index of the 100 ms period of the newest bucket, counted from `origin`.
    newest: u64,
    origin: Instant,
}

impl SuccessMeter {
    fn new(now: Instant) -> Self {
        SuccessMeter {
            buckets: [0; 10],
            newest: 0,
            origin: now,
        }
    }

    fn advance(&mut self, now: Instant) {
        let period = (now.duration_since(self.origin).as_millis() / 100) as u64;
        let steps = period.saturating_sub(self.newest).min(10);
        for i in 1..=steps {
            self.buckets[((self.newest + i) % 10) as usize] = 0;
        }
        self.newest = self.newest.max(period);
    }

    fn record(&mut self, now: Instant) {
        self.advance(now);
        self.buckets[(self.newest % 10) as usize] += 1;
    }

    /// Successes over the last second.
    fn per_second(&mut self, now: Instant) -> f64 {
        self.advance(now);
        self.buckets.iter().map(|b| f64::from(*b)).sum()
    }
}

#[derive(Debug)]
struct State {
    rate: f64,
    next_slot: Instant,
    last_decrease: Option<Instant>,
    w_max: f64,
    k: f64,
    successes: SuccessMeter,
}

/// An evenly spaced sending schedule whose rate adapts to throttling.
#[derive(Debug)]
pub struct AdaptiveRate {
    ceiling: f64,
    floor: f64,
    state: Mutex<State>,
}

impl AdaptiveRate {
    pub fn new(ceiling: f64) -> Self {
        let floor = (ceiling * 0.02).clamp(0.2, 1.0).min(ceiling);
        let now = Instant::now();
        AdaptiveRate {
            ceiling,
            floor,
            state: Mutex::new(State {
                rate: ceiling,
                next_slot: now,
                last_decrease: None,
                w_max: ceiling,
                k: 0.0,
                successes: SuccessMeter::new(now),
            }),
        }
    }

    /// Waits for the next sending slot.
    pub async fn acquire(&self) {
        let (slot, now) = {
            let mut s = self.state.lock().expect("rate state");
            let now = Instant::now();
            let earliest = now.checked_sub(CATCH_UP).unwrap_or(now);
            let slot = s.next_slot.max(earliest);
            s.next_slot = slot + Duration::from_secs_f64(1.0 / s.rate);
            (slot, now)
        };
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
    }

    /// A throttled answer: slow down (once per cooldown).
    pub fn on_throttle(&self) {
        let mut s = self.state.lock().expect("rate state");
        let now = Instant::now();
        if s.last_decrease
            .is_some_and(|t| now.duration_since(t) < COOLDOWN)
        {
            return;
        }
        let succeeded = s.successes.per_second(now);
        s.w_max = s.rate.min(succeeded).max(self.floor);
        s.rate = (s.w_max * BETA).max(self.floor);
        s.k = (s.w_max * (1.0 - BETA) / C).cbrt();
        s.last_decrease = Some(now);
    }

    /// A successful answer: count it and follow the recovery curve.
    pub fn on_success(&self) {
        let mut s = self.state.lock().expect("rate state");
        let now = Instant::now();
        s.successes.record(now);
        if let Some(t) = s.last_decrease {
            let dt = now.duration_since(t).as_secs_f64();
            let target = C * (dt - s.k).powi(3) + s.w_max;
            s.rate = target.clamp(self.floor, self.ceiling);
        }
    }

    /// The current sending rate (requests/s).
    pub fn rate(&self) -> f64 {
        self.state.lock().expect("rate state").rate
    }

    pub fn ceiling(&self) -> f64 {
        self.ceiling
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_evenly_spaced_at_the_ceiling() {
        let r = AdaptiveRate::new(10.0);
        let start = Instant::now();
        for _ in 0..11 {
            r.acquire().await;
        }
        assert_eq!(Instant::now().duration_since(start), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_wake_up_is_made_up_without_a_burst_beyond_the_catch_up() {
        let r = AdaptiveRate::new(1000.0);
        r.acquire().await;
        tokio::time::advance(Duration::from_millis(20)).await; // the caller was slow
        let start = Instant::now();
        for _ in 0..3 {
            r.acquire().await;
        }
        assert_eq!(
            Instant::now(),
            start,
            "2 ms of slots (and the one due now) are available at once"
        );
        r.acquire().await;
        assert!(Instant::now() > start, "but no more");
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_drops_below_what_succeeded_then_recovers_to_it() {
        let r = AdaptiveRate::new(100.0);
        for _ in 0..50 {
            tokio::time::advance(Duration::from_millis(40)).await;
            r.on_success();
        }
        // About 25 successes per second got through while 100/s were allowed: the quota is about 25/s.
        r.on_throttle();
        r.on_throttle();
        let w_max = r.rate() / BETA;
        assert!(
            (22.0..=25.0).contains(&w_max),
            "w_max is what succeeded: {w_max}"
        );
        let k = (w_max * (1.0 - BETA) / C).cbrt();
        tokio::time::advance(Duration::from_secs_f64(k)).await;
        r.on_success();
        assert!(
            (r.rate() - w_max).abs() < 0.01,
            "back at the rate that worked: {}",
            r.rate()
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        r.on_success();
        assert!(
            r.rate() < w_max + 1.0,
            "a plateau, not a jump: {}",
            r.rate()
        );
        tokio::time::advance(Duration::from_secs(60)).await;
        r.on_success();
        assert_eq!(r.rate(), 100.0, "never above the ceiling");
    }

    #[tokio::test(start_paused = true)]
    async fn throttles_within_the_cooldown_count_once_and_the_floor_holds() {
        let r = AdaptiveRate::new(10.0);
        r.on_throttle();
        let once = r.rate();
        r.on_throttle();
        assert_eq!(r.rate(), once);
        for _ in 0..100 {
            r.on_throttle();
            tokio::time::advance(COOLDOWN).await;
        }
        assert!(r.rate() >= 0.2);
    }
}
