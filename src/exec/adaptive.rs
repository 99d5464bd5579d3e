//! The adaptive sending rate: slows down when Cognito throttles and recovers when throttling stops, never above
//! the configured ceiling. The quota is shared with traffic the job cannot see, so the free share is found by
//! probing, as the AWS SDKs' adaptive retry mode does (a CUBIC curve, see design-guide.md §8.4):
//!
//! * on a throttle: remember the rate as `w_max`, drop to `BETA · w_max` (at most once per [`COOLDOWN`], so one
//!   burst of throttled answers counts as one signal);
//! * afterwards: `rate(t) = C·(t − K)³ + w_max` with `K = ∛(w_max·(1 − BETA)/C)`: back to `w_max` quickly, a
//!   plateau there, then a probe above it.
//!
//! Requests are spaced evenly (one slot every `1/rate` seconds, no bursts). Time is tokio's, so tests run under
//! paused time.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Multiplicative decrease on a throttle.
pub const BETA: f64 = 0.8;
/// CUBIC scaling constant (requests/s per s³).
pub const C: f64 = 0.4;
/// Throttles closer together than this count as one signal.
pub const COOLDOWN: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct State {
    rate: f64,
    next_slot: Instant,
    last_decrease: Option<Instant>,
    w_max: f64,
    k: f64,
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
        AdaptiveRate {
            ceiling,
            floor,
            state: Mutex::new(State {
                rate: ceiling,
                next_slot: Instant::now(),
                last_decrease: None,
                w_max: ceiling,
                k: 0.0,
            }),
        }
    }

    /// Waits for the next sending slot.
    pub async fn acquire(&self) {
        let slot = {
            let mut s = self.state.lock().expect("rate state");
            let now = Instant::now();
            let slot = s.next_slot.max(now);
            s.next_slot = slot + Duration::from_secs_f64(1.0 / s.rate);
            slot
        };
        tokio::time::sleep_until(slot).await;
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
        s.w_max = s.rate;
        s.rate = (s.rate * BETA).max(self.floor);
        s.k = (s.w_max * (1.0 - BETA) / C).cbrt();
        s.last_decrease = Some(now);
    }

    /// A successful answer: follow the recovery curve.
    pub fn on_success(&self) {
        let mut s = self.state.lock().expect("rate state");
        if let Some(t) = s.last_decrease {
            let dt = Instant::now().duration_since(t).as_secs_f64();
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
    async fn throttle_slows_down_once_per_cooldown_then_recovers() {
        let r = AdaptiveRate::new(100.0);
        r.on_throttle();
        r.on_throttle();
        assert_eq!(r.rate(), 80.0, "a burst of throttles is one signal");
        tokio::time::advance(COOLDOWN).await;
        r.on_throttle();
        assert!((r.rate() - 64.0).abs() < 1e-9);
        // Recovery: back near the last maximum after K seconds, plateau, then above it.
        let k = (80.0_f64 * (1.0 - BETA) / C).cbrt();
        tokio::time::advance(Duration::from_secs_f64(k)).await;
        r.on_success();
        assert!((r.rate() - 80.0).abs() < 0.01, "{}", r.rate());
        tokio::time::advance(Duration::from_secs(10)).await;
        r.on_success();
        assert_eq!(r.rate(), 100.0, "never above the ceiling");
    }

    #[tokio::test(start_paused = true)]
    async fn never_below_the_floor() {
        let r = AdaptiveRate::new(10.0);
        for _ in 0..100 {
            r.on_throttle();
            tokio::time::advance(COOLDOWN).await;
        }
        assert!(r.rate() >= 0.2);
    }
}
