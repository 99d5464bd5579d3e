//! Live progress: an indicatif bar on standard error when it is a terminal; otherwise (cron, CI, Kubernetes) a
//! one-line status in the log every [`LOG_INTERVAL`]; nothing with `--quiet`. Owned by the sink task.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::Instant;

use crate::telemetry;

/// How often the status line is logged when standard error is not a terminal.
pub(crate) const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// What the progress line shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct View {
    pub(crate) done: u64,
    pub(crate) total: u64,
    pub(crate) updated: u64,
    pub(crate) failed: u64,
    pub(crate) throttled: u64,
    /// UserUpdate requests per second actually sent (every write operation, retries included), over the last few
    /// seconds.
    pub(crate) effective_rate: f64,
    /// The adaptive rate the limiter allows now.
    pub(crate) allowed_rate: f64,
    /// Requests sent so far (the denominator of the throttle share).
    pub(crate) attempts: u64,
    /// The rate the limiter settled at after the last throttle (`None` while never throttled).
    pub(crate) settled: Option<f64>,
}

impl View {
    fn counters(&self) -> String {
        let settled = self
            .settled
            .map(|r| format!(", settled {r:.1}/s"))
            .unwrap_or_default();
        format!(
            "updated {} · failed {} · throttled {} ({}) · {:.1} write requests/s (limit now {:.1}/s{settled})",
            self.updated,
            self.failed,
            self.throttled,
            percent(self.throttled, self.attempts),
            self.effective_rate,
            self.allowed_rate
        )
    }
}

/// `part` as a percentage of `whole`, one decimal (`0.0%` when nothing was sent).
pub(crate) fn percent(part: u64, whole: u64) -> String {
    let share = if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    };
    format!("{share:.1}%")
}

/// Where a live progress line goes: an indicatif bar when standard error is a terminal, a status line in the log
/// every [`LOG_INTERVAL`] otherwise, nothing with `--quiet`. Shared by `update` ([`Progress`]) and `export`.
pub(crate) enum LiveLine {
    Bar(ProgressBar),
    Log { next: Instant },
    Off,
}

impl LiveLine {
    /// `bar` makes the bar, styled; it is called only when standard error is a terminal.
    pub(crate) fn new(quiet: bool, bar: impl FnOnce() -> ProgressBar) -> Self {
        if quiet {
            return LiveLine::Off;
        }
        if !std::io::stderr().is_terminal() {
            return LiveLine::Log {
                next: Instant::now() + LOG_INTERVAL,
            };
        }
        let bar = bar();
        telemetry::set_progress_bar(Some(bar.clone()));
        LiveLine::Bar(bar)
    }

    /// Shows the state: the bar's position and message, or `log` when a status line is due.
    pub(crate) fn show(
        &mut self,
        position: u64,
        message: impl FnOnce() -> String,
        log: impl FnOnce(),
    ) {
        match self {
            LiveLine::Bar(bar) => {
                bar.set_position(position);
                bar.set_message(message());
            }
            LiveLine::Log { next } => {
                if Instant::now() >= *next {
                    *next = Instant::now() + LOG_INTERVAL;
                    log();
                }
            }
            LiveLine::Off => {}
        }
    }

    pub(crate) fn finish(&mut self) {
        if let LiveLine::Bar(bar) = self {
            bar.finish_and_clear();
            telemetry::set_progress_bar(None);
        }
    }
}

/// `update`'s progress: a bar of rows done out of the total.
pub(crate) struct Progress(LiveLine);

impl Progress {
    pub(crate) fn new(total: u64, quiet: bool) -> Self {
        Progress(LiveLine::new(quiet, || {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30.cyan/blue} {pos}/{len} rows · ETA {eta} · {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar
        }))
    }

    pub(crate) fn update(&mut self, view: &View) {
        self.0.show(
            view.done,
            || view.counters(),
            || {
                tracing::info!(
                    done = view.done,
                    total = view.total,
                    updated = view.updated,
                    failed = view.failed,
                    throttled = view.throttled,
                    effective_rate = (view.effective_rate * 10.0).round() / 10.0,
                    "progress {}/{}: {}",
                    view.done,
                    view.total,
                    view.counters()
                );
            },
        );
    }

    pub(crate) fn finish(&mut self) {
        self.0.finish();
    }
}

/// The rate of a growing counter over a sliding window of recent samples.
#[derive(Debug, Default)]
pub(crate) struct RateMeter {
    samples: std::collections::VecDeque<(Instant, u64)>,
}

impl RateMeter {
    const WINDOW: Duration = Duration::from_secs(5);

    pub(crate) fn sample(&mut self, now: Instant, count: u64) -> f64 {
        self.samples.push_back((now, count));
        while self.samples.len() > 2 && now.duration_since(self.samples[0].0) > Self::WINDOW {
            self.samples.pop_front();
        }
        let (t0, c0) = self.samples[0];
        let dt = now.duration_since(t0).as_secs_f64();
        if dt <= 0.0 {
            0.0
        } else {
            (count - c0) as f64 / dt
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rate_meter_measures_the_recent_window() {
        let mut m = RateMeter::default();
        let t = Instant::now();
        assert_eq!(m.sample(t, 0), 0.0);
        for s in 1..=10u64 {
            let r = m.sample(t + Duration::from_secs(s), s * 20);
            assert!((r - 20.0).abs() < 1e-9, "{r}");
        }
    }
}
