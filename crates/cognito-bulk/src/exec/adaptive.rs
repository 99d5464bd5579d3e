//! The adaptive sending rate: slows down when Cognito throttles and recovers when throttling stops, never above
//! the configured ceiling. The quota is shared with traffic the job cannot see (the application's own users), and
//! a throttle is the only thing that tells the job it took more than its free share; every throttle the job
//! provokes is also a moment when a live request may be throttled. So the schedule is built to find the free share
//! with few throttles, and to be the one throttled when the bucket runs dry:
//!
//! * slow start: a run begins at [`START_RATE`] and doubles every [`DOUBLING`] (continuously) until the first
//!   throttle or the ceiling, instead of opening at the ceiling. Cognito's buckets hold a second of quota, which
//!   hides the limit until drained: the rate that succeeded during the ramp overstates the free share, so the first
//!   throttle takes half of it, [`SLOW_START_EXIT`], as TCP does;
//! * the free share is estimated from the job's own successes between two throttles: at both the bucket was
//!   empty, so what the job got in between is what the others left it ([`MIN_WINDOW`] at least; the last second
//!   when the throttles are closer);
//! * on a throttle: `w_max` = the lower of that estimate and the current rate; the rate drops to
//!   `min(BETA, 1 − margin) · w_max` and the schedule pauses for [`PAUSE_SLOTS`] slots at the new rate, so the
//!   bucket refills before anyone else's request finds it empty. Throttled answers to requests sent before that
//!   pause ended were already answered by this decrease and are ignored. A throttle while the job was at or below
//!   its settle point means the free share dropped (the live traffic grew): the estimate is then at most
//!   [`UNEXPECTED`] of the current rate, so one decrease is enough for most drops;
//! * afterwards: `rate(t) = C·w_max·(t − K)³ + W` with `W = (1 − margin)·w_max` (the rate it *settles* at, a margin
//!   below the estimate: `--rate-margin`) and `K` such that the curve starts at the dropped rate: back to `W`
//!   within about 3 s, a plateau there, then a probe that reaches 1.8 × `w_max` about 8 s after the throttle, so a
//!   free share that doubled is found within 10 s;
//! * once the job has been throttled (the quota is contended), its requests go out in bunches of [`BUNCH`]: a
//!   bunch tests whether that many tokens are left, so as the bucket runs low (the job probing above the free
//!   share, or the live traffic growing) a bunch meets the empty bucket, and the job is throttled and backs off,
//!   before a single live request does. A run that is never throttled sends one request per slot.
//!
//! Each request goes at a random point of its slot (`1/rate` long; a bunch's slot is as long as its requests'; a
//! slot shorter than [`UNJITTERED_SLOT`] at its start): evenly spaced requests at the bucket's own refill rate would
//! meet every refilled token first and starve the live callers without ever being throttled themselves, so the job
//! would never learn. tokio's timer wakes up to a millisecond late; a slot may therefore start up to [`CATCH_UP`]
//! in the past, so late wake-ups don't lower the average rate. Time is tokio's, so tests run under paused time.

use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

/// After a throttle the rate drops to this share of `w_max`, then recovers to the settle point.
const BETA: f64 = 0.8;
/// CUBIC scaling, relative to `w_max` (per s³): back to the settle point within about 3 s, a plateau there, then
/// a probe that reaches 1.8 × `w_max` about 8 s after the throttle.
pub(crate) const C: f64 = 0.005;
/// The shortest window the free share is estimated over.
const MIN_WINDOW: Duration = Duration::from_secs(1);
/// After a decrease nothing is sent for this many slots at the new settle rate (at most [`MAX_PAUSE`]).
const PAUSE_SLOTS: f64 = 4.0;
/// The longest pause after a decrease.
const MAX_PAUSE: Duration = Duration::from_secs(1);
/// A throttle at or below the settle point puts the free share at most this part of the current rate.
const UNEXPECTED: f64 = 0.6;
/// Requests per bunch once the job has been throttled.
pub(crate) const BUNCH: u32 = 3;
/// Slots this short (above 500 requests/s, far above any Cognito quota) are used at their start: tokio's timer
/// is a millisecond coarse anyway, and a random point would only add to the busiest second.
const UNJITTERED_SLOT: Duration = Duration::from_millis(2);
/// How far behind the schedule a slot may start (see the module doc).
pub(crate) const CATCH_UP: Duration = Duration::from_millis(2);
/// Slow start: the first rate (requests/s; the ceiling when lower)...
const START_RATE: f64 = 4.0;
/// ...doubled every this long until the first throttle or the ceiling (4/s to 1,000/s in 1.6 s).
const DOUBLING: Duration = Duration::from_millis(200);
/// Slow start ends on the first throttle with the share estimated as this part of what succeeded over the last
/// second (the bucket's second of quota drained in it too).
const SLOW_START_EXIT: f64 = 0.5;
/// The default settle margin (`rate_margin`).
pub(crate) const DEFAULT_MARGIN: f64 = 0.1;

/// 100 ms buckets kept by the success meter (one second).
const BUCKETS: usize = 10;

/// Successes per 100 ms bucket over the last second, and in total.
#[derive(Debug)]
struct SuccessMeter {
    buckets: [u32; BUCKETS],
    /// Index of the 100 ms period of the newest bucket, counted from `origin`.
    newest: u64,
    origin: Instant,
    total: u64,
}

impl SuccessMeter {
    fn new(now: Instant) -> Self {
        SuccessMeter {
            buckets: [0; BUCKETS],
            newest: 0,
            origin: now,
            total: 0,
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
        self.total += 1;
    }

    /// Successes over the last second.
    fn last_second(&mut self, now: Instant) -> f64 {
        self.advance(now);
        f64::from(self.buckets.iter().sum::<u32>())
    }
}

#[derive(Debug)]
struct State {
    rate: f64,
    next_slot: Instant,
    ramp: Ramp,
    /// When the last decrease was (`None` before the first).
    last_decrease: Option<Instant>,
    /// Where the free share is estimated from: the last decrease (or the first slot), and the success count then.
    window: (Instant, u64),
    /// The free-share estimate at the last decrease.
    w_max: f64,
    /// The plateau after the last throttle, `(1 − margin)·w_max`.
    settled: f64,
    k: f64,
    successes: SuccessMeter,
    /// The current bunch: when it goes, and how many more requests go with it.
    bunch: Option<(Instant, u32)>,
    /// Picks the points in the slots.
    rng: StdRng,
}

impl State {
    /// How long nothing is sent after a decrease; throttles of requests sent before it ended were answered by
    /// the decrease.
    fn pause(&self) -> Duration {
        Duration::from_secs_f64(PAUSE_SLOTS / self.settled).min(MAX_PAUSE)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ramp {
    NotStarted,
    Since(Instant),
    Over,
}

/// A jittered sending schedule whose rate adapts to throttling.
#[derive(Debug)]
pub(crate) struct AdaptiveRate {
    ceiling: f64,
    floor: f64,
    margin: f64,
    state: Mutex<State>,
}

impl AdaptiveRate {
    /// The production schedule: slow start, then CUBIC with the default margin.
    #[cfg(test)]
    pub(crate) fn new(ceiling: f64) -> Self {
        Self::with_margin(ceiling, DEFAULT_MARGIN)
    }

    /// Slow start, then CUBIC settling `margin` (0 ≤ margin < 1) below the estimated free share.
    pub(crate) fn with_margin(ceiling: f64, margin: f64) -> Self {
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
                window: (now, 0),
                w_max: ceiling,
                settled: ceiling,
                k: 0.0,
                successes: SuccessMeter::new(now),
                bunch: None,
                rng: StdRng::from_os_rng(),
            }),
        }
    }

    /// Picks the points in the slots from a seeded generator: for tests that replay the same run.
    #[cfg(test)]
    pub(crate) fn seeded(self, seed: u64) -> Self {
        self.state.lock().expect("rate state").rng = StdRng::seed_from_u64(seed);
        self
    }

    /// Opens at the ceiling (no slow start): for tests of the executor that are not about pacing.
    #[cfg(test)]
    pub(crate) fn without_slow_start(self) -> Self {
        {
            let mut s = self.state.lock().expect("rate state");
            s.rate = self.ceiling;
            s.ramp = Ramp::Over;
        }
        self
    }

    /// Waits for the next sending slot: a random point of the next `1/rate` period, or of the next bunch's.
    pub(crate) async fn acquire(&self) {
        let (at, now) = {
            let mut s = self.state.lock().expect("rate state");
            let now = Instant::now();
            self.ramp_up(&mut s, now);
            match s.bunch.as_mut() {
                Some((at, left)) if *left > 0 => {
                    *left -= 1;
                    (*at, now)
                }
                _ => {
                    let n = if s.last_decrease.is_some() { BUNCH } else { 1 };
                    let earliest = now.checked_sub(CATCH_UP).unwrap_or(now);
                    let slot = s.next_slot.max(earliest);
                    let period = Duration::from_secs_f64(f64::from(n) / s.rate);
                    s.next_slot = slot + period;
                    let at = if period >= UNJITTERED_SLOT {
                        slot + period.mul_f64(s.rng.random::<f64>())
                    } else {
                        slot
                    };
                    s.bunch = Some((at, n - 1));
                    (at, now)
                }
            }
        };
        if at > now {
            tokio::time::sleep_until(at).await;
        }
    }

    /// A throttled answer to a request sent at `sent`: slow down, unless an earlier decrease already answered it.
    pub(crate) fn on_throttle(&self, sent: Instant) {
        let mut s = self.state.lock().expect("rate state");
        let now = Instant::now();
        if s.last_decrease.is_some_and(|t| sent < t + s.pause()) {
            return;
        }
        let last_second = s.successes.last_second(now);
        let (since, count) = s.window;
        let window = now.duration_since(since);
        let mut share = if s.ramp != Ramp::Over {
            SLOW_START_EXIT * last_second
        } else if window >= MIN_WINDOW {
            (s.successes.total - count) as f64 / window.as_secs_f64()
        } else {
            last_second
        };
        if s.last_decrease.is_some() && s.rate <= s.settled {
            share = share.min(UNEXPECTED * s.rate);
        }
        s.ramp = Ramp::Over;
        let w_max = s.rate.min(share).max(self.floor);
        s.w_max = w_max;
        s.settled = (w_max * (1.0 - self.margin)).max(self.floor);
        let start = (w_max * BETA.min(1.0 - self.margin)).max(self.floor);
        s.rate = start;
        s.k = ((s.settled - start).max(0.0) / (C * w_max)).cbrt();
        s.last_decrease = Some(now);
        s.window = (now, s.successes.total);
        s.next_slot = s.next_slot.max(now + s.pause());
        s.bunch = None;
    }

    /// Slow start: the rate doubles every [`DOUBLING`] from the first slot until a throttle or the ceiling.
    fn ramp_up(&self, s: &mut State, now: Instant) {
        match s.ramp {
            Ramp::Over => {}
            Ramp::NotStarted => {
                s.ramp = Ramp::Since(now);
                s.window = (now, s.successes.total);
            }
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
    pub(crate) fn on_success(&self) {
        let mut s = self.state.lock().expect("rate state");
        let now = Instant::now();
        s.successes.record(now);
        self.ramp_up(&mut s, now);
        if let Some(t) = s.last_decrease {
            let dt = now.duration_since(t).as_secs_f64();
            let target = C * s.w_max * (dt - s.k).powi(3) + s.settled;
            s.rate = target.clamp(self.floor, self.ceiling);
        }
    }

    /// The current sending rate (requests/s).
    pub(crate) fn rate(&self) -> f64 {
        self.state.lock().expect("rate state").rate
    }

    pub(crate) fn ceiling(&self) -> f64 {
        self.ceiling
    }

    /// The rate settled at after the last throttle (`None` while never throttled).
    pub(crate) fn settled(&self) -> Option<f64> {
        let s = self.state.lock().expect("rate state");
        s.last_decrease.map(|_| s.settled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` successes spread evenly over `over`.
    async fn successes(r: &AdaptiveRate, n: u32, over: Duration) {
        for _ in 0..n {
            tokio::time::advance(over / n).await;
            r.on_success();
        }
    }

    /// A throttle of a request sent now, after the pause of the last decrease.
    fn throttle_now(r: &AdaptiveRate) {
        r.on_throttle(Instant::now());
    }

    /// 25/s succeed, a throttle; then 20/s succeed for 8 s (the probe is above the settle point by then), and a
    /// second throttle: the free share is 20/s.
    async fn two_throttles(r: &AdaptiveRate) {
        successes(r, 50, Duration::from_secs(2)).await;
        throttle_now(r);
        successes(r, 160, Duration::from_secs(8)).await;
        assert!(r.rate() > r.settled().expect("throttled"), "probing");
        throttle_now(r);
    }

    #[tokio::test(start_paused = true)]
    async fn each_request_goes_at_a_random_point_of_its_slot() {
        let r = AdaptiveRate::new(10.0).without_slow_start().seeded(7);
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..100 {
            r.acquire().await;
            sent.push(Instant::now().duration_since(start).as_secs_f64());
        }
        for (k, t) in sent.iter().enumerate() {
            let slot = k as f64 / 10.0;
            assert!((slot..slot + 0.1 + 1e-3).contains(t), "request {k} at {t}");
        }
        let offsets: Vec<f64> = sent
            .iter()
            .enumerate()
            .map(|(k, t)| t - k as f64 / 10.0)
            .collect();
        let early = offsets.iter().filter(|o| **o < 0.05).count();
        assert!(
            (20..=80).contains(&early),
            "the point in the slot is random, not fixed: {early} of 100 in the first half"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_wake_up_is_made_up_without_a_burst_beyond_the_catch_up() {
        let r = AdaptiveRate::new(1000.0).without_slow_start();
        r.acquire().await;
        tokio::time::advance(Duration::from_millis(20)).await; // the caller was slow
        let start = Instant::now();
        r.acquire().await;
        r.acquire().await;
        assert_eq!(Instant::now(), start, "2 ms of slots are available at once");
        for _ in 0..10 {
            r.acquire().await;
        }
        assert!(
            Instant::now().duration_since(start) >= Duration::from_millis(8),
            "but no more: {:?}",
            Instant::now().duration_since(start)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_share_is_what_succeeded_between_two_throttles() {
        let r = AdaptiveRate::with_margin(100.0, 0.1).without_slow_start();
        // 20/s got through between the two throttles: that is the free share.
        two_throttles(&r).await;
        let settled = r.settled().expect("throttled");
        assert!((settled - 18.0).abs() < 0.01, "0.9 × 20/s: {settled}");
        assert!((r.rate() - 16.0).abs() < 0.01, "BETA × 20/s: {}", r.rate());
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_throttle_it_pauses_then_recovers_to_the_settle_point_and_probes() {
        let r = AdaptiveRate::with_margin(100.0, 0.1).without_slow_start();
        two_throttles(&r).await; // w_max 20/s, settled 18/s
        let thrown = Instant::now();
        r.acquire().await;
        let pause = Duration::from_secs_f64(PAUSE_SLOTS / 18.0);
        assert!(
            Instant::now().duration_since(thrown) >= pause,
            "nothing is sent for {pause:?}"
        );
        let k = ((18.0_f64 - 16.0) / (C * 20.0)).cbrt();
        tokio::time::sleep_until(thrown + Duration::from_secs_f64(k)).await;
        r.on_success();
        assert!(
            (r.rate() - 18.0).abs() < 0.01,
            "back at the settle point: {}",
            r.rate()
        );
        tokio::time::sleep_until(thrown + Duration::from_secs_f64(k + 1.0)).await;
        r.on_success();
        assert!(r.rate() < 18.2, "a plateau there, not a jump: {}", r.rate());
        tokio::time::sleep_until(thrown + Duration::from_secs(9)).await;
        r.on_success();
        assert!(
            r.rate() >= 1.8 * 20.0,
            "a doubled share is reached within 10 s: {}",
            r.rate()
        );
        tokio::time::advance(Duration::from_secs(60)).await;
        r.on_success();
        assert_eq!(r.rate(), 100.0, "never above the ceiling");
    }

    #[tokio::test(start_paused = true)]
    async fn once_throttled_requests_go_in_bunches() {
        let r = AdaptiveRate::with_margin(100.0, 0.1).without_slow_start();
        r.acquire().await;
        let single = Instant::now();
        r.acquire().await;
        assert!(
            Instant::now() > single,
            "one request per slot while never throttled"
        );
        successes(&r, 50, Duration::from_secs(2)).await;
        throttle_now(&r);
        for _ in 0..3 {
            r.acquire().await;
            let bunch = Instant::now();
            for _ in 1..BUNCH {
                r.acquire().await;
                assert_eq!(Instant::now(), bunch, "the bunch goes at once");
            }
            tokio::time::advance(Duration::from_millis(1)).await;
        }
        r.acquire().await;
        let last = Instant::now();
        let period = Duration::from_secs_f64(f64::from(BUNCH) / r.rate());
        for _ in 1..BUNCH {
            r.acquire().await;
        }
        r.acquire().await;
        assert!(Instant::now() > last, "the next bunch in the next slot");
        assert!(Instant::now().duration_since(last) < 2 * period);
    }

    #[tokio::test(start_paused = true)]
    async fn throttles_already_answered_by_a_decrease_are_ignored() {
        let r = AdaptiveRate::with_margin(100.0, 0.1).without_slow_start();
        successes(&r, 50, Duration::from_secs(2)).await;
        let sent_before = Instant::now();
        throttle_now(&r);
        let once = r.rate();
        tokio::time::advance(Duration::from_millis(5)).await;
        r.on_throttle(sent_before); // in flight when the rate dropped
        assert_eq!(r.rate(), once);
        r.on_throttle(Instant::now()); // sent during the pause
        assert_eq!(r.rate(), once);
        tokio::time::advance(Duration::from_secs(1)).await;
        throttle_now(&r);
        assert!(
            r.rate() < once,
            "a later request's throttle is a new signal"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_on_the_plateau_means_the_share_dropped() {
        let r = AdaptiveRate::with_margin(100.0, 0.1).without_slow_start();
        two_throttles(&r).await; // w_max 20/s, settled 18/s
        successes(&r, 45, Duration::from_millis(2500)).await; // just before the settle point
        let before = r.rate();
        assert!(before <= 18.0 + 1e-9, "{before}");
        throttle_now(&r);
        let settled = r.settled().expect("throttled");
        assert!(
            settled <= 0.9 * UNEXPECTED * before + 1e-9,
            "the share is put at most {UNEXPECTED} of the rate: settled {settled} from {before}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_margin_settles_below_the_estimated_share() {
        let r = AdaptiveRate::with_margin(100.0, 0.25).without_slow_start();
        two_throttles(&r).await;
        let settled = r.settled().expect("throttled");
        assert!((settled - 15.0).abs() < 0.01, "25% below 20/s: {settled}");
        assert_eq!(
            r.rate(),
            settled,
            "no deeper than the settle point when the margin exceeds 1 - BETA"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn slow_start_doubles_from_the_start_rate_and_stops_at_the_first_throttle() {
        // A ceiling the ramp cannot reach in the test's 2 s (the first slots' random points move the clock on).
        let r = AdaptiveRate::new(100_000.0);
        let start = Instant::now();
        r.acquire().await;
        assert_eq!(r.rate(), START_RATE);
        tokio::time::advance(DOUBLING * 2).await;
        let at = Instant::now();
        r.acquire().await;
        let doublings = at.duration_since(start).as_secs_f64() / DOUBLING.as_secs_f64();
        assert!(doublings >= 2.0);
        assert!(
            (r.rate() - START_RATE * doublings.exp2()).abs() < 1e-9,
            "{}",
            r.rate()
        );
        successes(&r, 40, Duration::from_secs(1)).await;
        // 40 successes in the last second, partly a full bucket draining: half of it is taken as the share.
        throttle_now(&r);
        let share = r.settled().expect("throttled") / (1.0 - DEFAULT_MARGIN);
        assert!((18.0..=20.0).contains(&share), "{share}");
        tokio::time::advance(Duration::from_secs(30)).await;
        r.acquire().await;
        assert!(r.rate() < 1000.0, "slow start is over: CUBIC from here");
    }

    #[tokio::test(start_paused = true)]
    async fn the_floor_holds() {
        let r = AdaptiveRate::new(10.0);
        for _ in 0..100 {
            throttle_now(&r);
            tokio::time::advance(MAX_PAUSE).await;
        }
        assert!(r.rate() >= 0.2);
    }
}
