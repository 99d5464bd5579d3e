//! The adaptive sending rate: slows down when Cognito throttles and recovers when throttling stops, never above
//! the configured ceiling. The quota is shared with traffic the job cannot see, so the free share is found by
//! probing, as the AWS SDKs' adaptive retry mode does (a CUBIC curve, see design-guide.md §8.4):
//!
//! * slow start: a run begins at [`START_RATE`] and doubles every [`DOUBLING`] (continuously) until the first
//!   throttle or the ceiling, instead of opening at the ceiling, so a run whose `--rate` is far above its free
//!   share provokes only a few throttles while it searches (Cognito's buckets hold a second of quota, which hides
//!   the limit until drained: the rate that succeeded during the ramp overstates the free share, so the first
//!   throttle halves it, [`SLOW_START_EXIT`], as TCP does);
//! * on a throttle: `w_max` = the rate that actually succeeded over the last second (not the rate allowed, which
//!   may be far above what the quota let through), and the rate drops to `min(BETA, 1 − margin) · w_max`. At most
//!   once per [`COOLDOWN`], so one burst of throttled answers counts as one signal;
//! * afterwards: `rate(t) = C·(t − K)³ + W` with `W = (1 − margin)·w_max` (the rate it *settles* at, a margin
//!   below the rate that was throttled: `--rate-margin`) and `K` such that the curve starts at the dropped rate:
//!   back to `W` within a few seconds, a long plateau there, then a slow probe above it.
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
/// Slow start: the first rate (requests/s; the ceiling when lower)...
pub const START_RATE: f64 = 4.0;
/// ...doubled every this long until the first throttle or the ceiling (4/s to 1,000/s in 1.6 s).
pub const DOUBLING: Duration = Duration::from_millis(200);
/// Slow start ends on the first throttle with `w_max` = this share of what succeeded over the last second.
pub const SLOW_START_EXIT: f64 = 0.5;
/// The default settle margin (`rate_margin`).
pub const DEFAULT_MARGIN: f64 = 0.1;

/// 100 ms buckets kept by the success meter.
const BUCKETS: usize = 50;
/// The long window of the success meter (see [`SuccessMeter::per_second`]).
const LONG_WINDOW: Duration = Duration::from_secs(5);

/// Successes per 100 ms bucket over the last [`LONG_WINDOW`].
#[derive(Debug)]
struct SuccessMeter {
    buckets: [u32; BUCKETS],
    /// Index of the 100 ms period of the newest bucket, counted from `origin`.
    newest: u64,
    origin: Instant,
}

impl SuccessMeter {
    fn new(now: Instant) -> Self {
        SuccessMeter {
            buckets: [0; BUCKETS],
            newest: 0,
            origin: now,
        }
    }

    fn advance(&mut self, now: Instant) {
        let period = (now.duration_since(self.origin).as_millis() / 100) as u64;
        let steps = period.saturating_sub(self.newest).min(BUCKETS as u64);
        for i in 1..=steps {
            self.buckets[((self.newest + i) % BUCKETS as u64) as usize] = 0;
        }
        self.newest = self.newest.max(period);
    }

    fn record(&mut self, now: Instant) {
        self.advance(now);
        self.buckets[(self.newest % BUCKETS as u64) as usize] += 1;
    }

    /// The success rate a throttle reveals: the lower of the last second's and the last [`LONG_WINDOW`]'s
    /// average (once that long has passed). A bucket that refilled while the job ran below the quota lets a
    /// second of successes exceed the quota before the first throttle; the long average dilutes that burst, the
    /// short one follows a drop of the free share at once.
    fn per_second(&mut self, now: Instant) -> f64 {
        self.advance(now);
        let last = |n: usize| -> f64 {
            (0..n)
                .map(|i| {
                    let idx = (self.newest + BUCKETS as u64 - i as u64) % BUCKETS as u64;
                    f64::from(self.buckets[idx as usize])
                })
                .sum()
        };
        let short = last(10);
        if now.duration_since(self.origin) < LONG_WINDOW {
            return short;
        }
        short.min(last(BUCKETS) / LONG_WINDOW.as_secs_f64())
    }
}

#[derive(Debug)]
struct State {
    rate: f64,
    next_slot: Instant,
    /// Slow start: when the first slot was taken; `None` before it, or when slow start is off or over.
    ramp: Ramp,
    last_decrease: Option<Instant>,
    w_max: f64,
    /// The plateau after the last throttle, `(1 − margin)·w_max`.
    settled: f64,
    k: f64,
    successes: SuccessMeter,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ramp {
    NotStarted,
    Since(Instant),
    Over,
}

/// An evenly spaced sending schedule whose rate adapts to throttling.
#[derive(Debug)]
pub struct AdaptiveRate {
    ceiling: f64,
    floor: f64,
    margin: f64,
    state: Mutex<State>,
}

impl AdaptiveRate {
    /// The production schedule: slow start, then CUBIC with the default margin.
    pub fn new(ceiling: f64) -> Self {
        Self::with_margin(ceiling, DEFAULT_MARGIN)
    }

    /// Slow start, then CUBIC settling `margin` (0 ≤ margin < 1) below the rate that was throttled.
    pub fn with_margin(ceiling: f64, margin: f64) -> Self {
        let floor = (ceiling * 0.02).clamp(0.2, 1.0).min(ceiling);
        let now = Instant::now();
        AdaptiveRate {
            ceiling,
            floor,
            margin: margin.clamp(0.0, 0.9),
            state: Mutex::new(State {
                rate: START_RATE.min(ceiling),
                next_slot: now,
                ramp: Ramp::NotStarted,
                last_decrease: None,
                w_max: ceiling,
                settled: ceiling,
                k: 0.0,
                successes: SuccessMeter::new(now),
            }),
        }
    }

    /// Opens at the ceiling (no slow start): for tests of the executor that are not about pacing.
    pub fn without_slow_start(self) -> Self {
        {
            let mut s = self.state.lock().expect("rate state");
            s.rate = self.ceiling;
            s.ramp = Ramp::Over;
        }
        self
    }

    /// Waits for the next sending slot.
    pub async fn acquire(&self) {
        let (slot, now) = {
            let mut s = self.state.lock().expect("rate state");
            let now = Instant::now();
            self.ramp_up(&mut s, now);
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
        let mut w_max = s.rate.min(succeeded);
        if s.ramp != Ramp::Over {
            w_max *= SLOW_START_EXIT;
            s.ramp = Ramp::Over;
        }
        s.w_max = w_max.max(self.floor);
        s.settled = (s.w_max * (1.0 - self.margin)).max(self.floor);
        let start = (s.w_max * BETA.min(1.0 - self.margin)).max(self.floor);
        s.rate = start;
        s.k = ((s.settled - start).max(0.0) / C).cbrt();
        s.last_decrease = Some(now);
    }

    /// Slow start: the rate doubles every [`DOUBLING`] from the first slot until a throttle or the ceiling.
    fn ramp_up(&self, s: &mut State, now: Instant) {
        match s.ramp {
            Ramp::Over => {}
            Ramp::NotStarted => s.ramp = Ramp::Since(now),
            Ramp::Since(t) => {
                let doublings = now.duration_since(t).as_secs_f64() / DOUBLING.as_secs_f64();
                s.rate = (START_RATE * doublings.exp2()).min(self.ceiling);
                if s.rate >= self.ceiling {
                    s.ramp = Ramp::Over;
                }
            }
        }
    }

    /// A successful answer: count it and follow the recovery curve.
    pub fn on_success(&self) {
        let mut s = self.state.lock().expect("rate state");
        let now = Instant::now();
        s.successes.record(now);
        self.ramp_up(&mut s, now);
        if let Some(t) = s.last_decrease {
            let dt = now.duration_since(t).as_secs_f64();
            let target = C * (dt - s.k).powi(3) + s.settled;
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

    /// The rate settled at after the last throttle (`None` while never throttled).
    pub fn settled(&self) -> Option<f64> {
        let s = self.state.lock().expect("rate state");
        s.last_decrease.map(|_| s.settled)
    }

    pub fn margin(&self) -> f64 {
        self.margin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_evenly_spaced_at_the_ceiling() {
        let r = AdaptiveRate::new(10.0).without_slow_start();
        let start = Instant::now();
        for _ in 0..11 {
            r.acquire().await;
        }
        assert_eq!(Instant::now().duration_since(start), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_wake_up_is_made_up_without_a_burst_beyond_the_catch_up() {
        let r = AdaptiveRate::new(1000.0).without_slow_start();
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
        // Margin 0: the plain CUBIC curve back to the rate that was throttled.
        let r = AdaptiveRate::with_margin(100.0, 0.0).without_slow_start();
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
    async fn the_margin_settles_below_the_rate_that_was_throttled() {
        let r = AdaptiveRate::with_margin(100.0, 0.25).without_slow_start();
        for _ in 0..40 {
            tokio::time::advance(Duration::from_millis(50)).await;
            r.on_success();
        }
        r.on_throttle(); // about 20/s succeeded
        let settled = r.settled().expect("throttled");
        assert!(
            (18.5..=20.0).contains(&(settled / 0.75)),
            "settles 25% below what succeeded: {settled}"
        );
        assert_eq!(
            r.rate(),
            settled,
            "no deeper than the settle point when the margin exceeds 1 - BETA"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        r.on_success();
        assert!(
            (r.rate() - settled).abs() < 0.2,
            "a plateau there: {}",
            r.rate()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn slow_start_doubles_from_the_start_rate_and_stops_at_the_first_throttle() {
        let r = AdaptiveRate::new(1000.0);
        r.acquire().await;
        assert_eq!(r.rate(), START_RATE);
        tokio::time::advance(DOUBLING * 2).await;
        r.acquire().await;
        assert!((r.rate() - 4.0 * START_RATE).abs() < 1e-9, "{}", r.rate());
        for _ in 0..40 {
            tokio::time::advance(Duration::from_millis(25)).await;
            r.on_success();
        }
        // 40 successes in the last second, partly a full bucket draining: half of it is taken as the share.
        r.on_throttle();
        let share = r.settled().expect("throttled") / (1.0 - DEFAULT_MARGIN);
        assert!((17.5..=20.0).contains(&share), "{share}");
        tokio::time::advance(Duration::from_secs(30)).await;
        r.acquire().await;
        assert!(r.rate() < 1000.0, "slow start is over: CUBIC from here");
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
