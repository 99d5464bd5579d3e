//! The synthetic live caller (`--live-traffic PATTERN`): stands for the application's own traffic on the
//! UserUpdate quota. It makes evenly spaced attempts at a constant rate (`10`) or a repeating pattern of steps
//! (`5@30s,15@30s`: 5/s for 30 s, then 15/s for 30 s, then again), each taking a token from the UserUpdate bucket
//! or being throttled. Its attempts and throttles are counted here, never in the per-operation counters.
//!
//! The attempts are replayed lazily from the quota clock: before any request touches the buckets, and before the
//! stats are read, every attempt due up to now is made in time order. So the live caller behaves the same under
//! real time and under a [`super::ManualClock`], and a job's request always sees the bucket as the live traffic
//! left it. Under real time a background tick also keeps the counts current when nothing else happens.

use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::quota::{Category, Quotas};

/// One step of a live-traffic pattern: `rate` attempts per second for `duration` (`None` = for ever).
#[derive(Clone, Debug, PartialEq)]
pub struct LiveStep {
    /// Attempts per second (0 = a pause).
    pub rate: f64,
    /// How long the step lasts; `None` only for a single, constant step.
    pub duration: Option<Duration>,
}

/// A live-traffic pattern: one constant rate, or steps repeated in a cycle.
#[derive(Clone, Debug, PartialEq)]
pub struct LivePattern {
    /// The steps, in order; repeated for ever.
    pub steps: Vec<LiveStep>,
}

impl LivePattern {
    /// A constant rate (attempts per second).
    pub fn constant(rate: f64) -> Self {
        Self {
            steps: vec![LiveStep {
                rate,
                duration: None,
            }],
        }
    }

    /// Steps of (rate, duration), repeated.
    pub fn steps(steps: &[(f64, Duration)]) -> Self {
        Self {
            steps: steps
                .iter()
                .map(|&(rate, d)| LiveStep {
                    rate,
                    duration: Some(d),
                })
                .collect(),
        }
    }
}

/// A constant rate (attempts per second).
impl From<f64> for LivePattern {
    fn from(rate: f64) -> Self {
        Self::constant(rate)
    }
}

fn parse_rate(s: &str, whole: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.0 => Ok(r),
        _ => Err(format!(
            "expected a rate (attempts per second, 0 or more) in {whole:?}, got {s:?}"
        )),
    }
}

/// Parses `RATE` or `RATE@DURATION,RATE@DURATION,...` (durations such as `30s`, `500ms`, `2m`).
impl FromStr for LivePattern {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !s.contains('@') {
            return Ok(Self::constant(parse_rate(s, s)?));
        }
        let mut steps = Vec::new();
        for part in s.split(',') {
            let (rate, duration) = part.split_once('@').ok_or_else(|| {
                format!("expected RATE@DURATION for every step of {s:?}, got {part:?}")
            })?;
            let duration = humantime::parse_duration(duration.trim())
                .map_err(|e| format!("bad duration {duration:?} in {s:?}: {e}"))?;
            if duration.is_zero() {
                return Err(format!("a step of {s:?} lasts zero time"));
            }
            steps.push(LiveStep {
                rate: parse_rate(rate, s)?,
                duration: Some(duration),
            });
        }
        Ok(Self { steps })
    }
}

/// The live caller's counts, as served in the stats.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LiveStats {
    /// Attempts made.
    pub attempts: u64,
    /// Attempts throttled (no UserUpdate token left).
    pub throttled: u64,
    /// The counts of each second, indexed by the second since the emulator started.
    pub per_second: Vec<LiveSecond>,
}

/// The live caller's counts in one second (served as `[attempts, throttled]`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(from = "[u64; 2]", into = "[u64; 2]")]
pub struct LiveSecond {
    pub attempts: u64,
    pub throttled: u64,
}

impl From<[u64; 2]> for LiveSecond {
    fn from([attempts, throttled]: [u64; 2]) -> Self {
        LiveSecond {
            attempts,
            throttled,
        }
    }
}

impl From<LiveSecond> for [u64; 2] {
    fn from(s: LiveSecond) -> Self {
        [s.attempts, s.throttled]
    }
}

/// The running live caller (kept with the quota buckets, under the state lock).
#[derive(Debug)]
pub(crate) struct LiveTraffic {
    /// (rate, seconds); a single constant step lasts for ever.
    steps: Vec<(f64, f64)>,
    step: usize,
    step_start: f64,
    /// Attempts already made in the current step.
    k: u64,
    /// Time of the next attempt (`INFINITY` when there is none).
    next: f64,
    stats: LiveStats,
}

impl LiveTraffic {
    pub(crate) fn new(pattern: &LivePattern) -> Self {
        let steps: Vec<(f64, f64)> = pattern
            .steps
            .iter()
            .map(|s| {
                (
                    s.rate,
                    s.duration.map_or(f64::INFINITY, |d| d.as_secs_f64()),
                )
            })
            .collect();
        let mut live = Self {
            steps,
            step: 0,
            step_start: 0.0,
            k: 0,
            next: f64::INFINITY,
            stats: LiveStats::default(),
        };
        live.next = live.schedule();
        live
    }

    /// The time of attempt `k` of the current step, moving on to later steps as needed. Attempts are evenly
    /// spaced in a step, half an interval from its start.
    fn schedule(&mut self) -> f64 {
        if !self.steps.iter().any(|&(rate, _)| rate > 0.0) {
            return f64::INFINITY;
        }
        loop {
            let (rate, length) = self.steps[self.step];
            if rate > 0.0 {
                let t = self.step_start + (self.k as f64 + 0.5) / rate;
                if t < self.step_start + length {
                    return t;
                }
            }
            if length.is_infinite() {
                return f64::INFINITY;
            }
            self.step_start += length;
            self.step = (self.step + 1) % self.steps.len();
            self.k = 0;
        }
    }

    /// Makes every attempt due up to `now`, in time order, against the UserUpdate bucket.
    pub(crate) fn catch_up(&mut self, now: f64, quotas: &mut Quotas) {
        while self.next <= now {
            let t = self.next;
            let granted = quotas.try_take(Category::UserUpdate, t);
            let second = t.max(0.0) as usize;
            if self.stats.per_second.len() <= second {
                self.stats
                    .per_second
                    .resize(second + 1, LiveSecond::default());
            }
            self.stats.attempts += 1;
            self.stats.per_second[second].attempts += 1;
            if !granted {
                self.stats.throttled += 1;
                self.stats.per_second[second].throttled += 1;
            }
            self.k += 1;
            self.next = self.schedule();
        }
    }

    pub(crate) fn stats(&self) -> LiveStats {
        self.stats.clone()
    }

    /// Zeroes the counts; the seconds keep their indexes.
    pub(crate) fn reset(&mut self) {
        self.stats.attempts = 0;
        self.stats.throttled = 0;
        for s in &mut self.stats.per_second {
            *s = LiveSecond::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(s: &LiveStats) -> Vec<(u64, u64)> {
        s.per_second
            .iter()
            .map(|s| (s.attempts, s.throttled))
            .collect()
    }

    #[test]
    fn parses_constant_and_steps() {
        assert_eq!(
            "10".parse::<LivePattern>().unwrap(),
            LivePattern::constant(10.0)
        );
        assert_eq!(
            "5@30s,15@30s".parse::<LivePattern>().unwrap(),
            LivePattern::steps(&[
                (5.0, Duration::from_secs(30)),
                (15.0, Duration::from_secs(30))
            ])
        );
        assert_eq!(
            "0@500ms, 2.5@2m".parse::<LivePattern>().unwrap(),
            LivePattern::steps(&[
                (0.0, Duration::from_millis(500)),
                (2.5, Duration::from_secs(120))
            ])
        );
        for bad in ["", "fast", "-1", "5@30s,15", "5@soon", "5@0s"] {
            assert!(bad.parse::<LivePattern>().is_err(), "{bad:?} accepted");
        }
    }

    fn run(pattern: &str, until: f64, quota: Option<f64>) -> LiveStats {
        let mut rates = [None; Category::COUNT];
        rates[Category::UserUpdate.index()] = quota;
        let mut quotas = Quotas::new(&rates, 0.0);
        let mut live = LiveTraffic::new(&pattern.parse().unwrap());
        // Catch up in uneven slices: the result must not depend on how often it is called.
        let mut now = 0.0;
        while now < until {
            now = (now + 0.37_f64).min(until);
            live.catch_up(now, &mut quotas);
        }
        live.stats()
    }

    #[test]
    fn evenly_spaced_and_repeating() {
        let s = run("2@1s,4@1s", 4.0, None);
        assert_eq!(seconds(&s), [(2, 0), (4, 0), (2, 0), (4, 0)]);
        assert_eq!((s.attempts, s.throttled), (12, 0));
        assert_eq!(LivePattern::from(8.0), "8".parse().unwrap());
        let s = run("8", 3.0, None);
        assert_eq!(seconds(&s), [(8, 0), (8, 0), (8, 0)]);
        let s = run("0@1s,3@1s", 4.0, None);
        assert_eq!(seconds(&s), [(0, 0), (3, 0), (0, 0), (3, 0)]);
        assert_eq!(run("0", 5.0, None).attempts, 0);
    }

    #[test]
    fn throttled_over_the_quota() {
        // 8/s against a 4/s bucket that starts full: the first 7 attempts drain it (4 tokens + 0.5 per interval),
        // then every other attempt finds half a token and is throttled: 5 of the last 9.
        let s = run("8", 2.0, Some(4.0));
        assert_eq!(s.attempts, 16);
        assert_eq!(s.throttled, 5);
        assert_eq!(seconds(&s), [(8, 1), (8, 4)]);
    }
}
