//! `export`'s live progress: an indicatif spinner line on standard error when it is a terminal (the pool size is
//! not known in advance); otherwise a status line in the log every [`LOG_INTERVAL`]; nothing with `--quiet`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::Instant;

use crate::report::progress::LOG_INTERVAL;
use crate::telemetry;

/// What the line shows.
#[derive(Debug, Clone, Default)]
pub struct ExportView {
    pub listed: u64,
    pub written: u64,
    pub pages: u64,
    pub throttled: u64,
    /// Users listed per second over the last few seconds.
    pub rate: f64,
}

impl ExportView {
    fn counters(&self) -> String {
        format!(
            "selected {} · pages {} · throttled {} · {:.0} users/s",
            self.written, self.pages, self.throttled, self.rate
        )
    }
}

pub enum ExportProgress {
    Bar(ProgressBar),
    Log { next: Instant },
    Off,
}

/// How often the view is refreshed.
pub const TICK: Duration = Duration::from_millis(200);

impl ExportProgress {
    pub fn new(quiet: bool) -> Self {
        if quiet {
            return ExportProgress::Off;
        }
        if !std::io::stderr().is_terminal() {
            return ExportProgress::Log {
                next: Instant::now() + LOG_INTERVAL,
            };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} users listed · {elapsed} · {msg}")
                .expect("valid template"),
        );
        telemetry::set_progress_bar(Some(bar.clone()));
        ExportProgress::Bar(bar)
    }

    pub fn update(&mut self, view: &ExportView) {
        match self {
            ExportProgress::Bar(bar) => {
                bar.set_position(view.listed);
                bar.set_message(view.counters());
            }
            ExportProgress::Log { next } => {
                if Instant::now() >= *next {
                    *next = Instant::now() + LOG_INTERVAL;
                    tracing::info!(
                        listed = view.listed,
                        selected = view.written,
                        pages = view.pages,
                        throttled = view.throttled,
                        "progress: {} users listed · {}",
                        view.listed,
                        view.counters()
                    );
                }
            }
            ExportProgress::Off => {}
        }
    }

    pub fn finish(&mut self) {
        if let ExportProgress::Bar(bar) = self {
            bar.finish_and_clear();
            telemetry::set_progress_bar(None);
        }
    }
}
