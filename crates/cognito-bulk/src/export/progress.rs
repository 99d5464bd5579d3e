//! `export`'s live progress: an indicatif spinner line on standard error when it is a terminal (the pool size is
//! not known in advance); otherwise a status line in the log every
//! [`LOG_INTERVAL`](crate::report::progress::LOG_INTERVAL); nothing with `--quiet`
//! (the modes are [`LiveLine`]'s, shared with `update`).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::report::progress::LiveLine;

/// What the line shows.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExportView {
    pub(crate) listed: u64,
    pub(crate) written: u64,
    pub(crate) pages: u64,
    pub(crate) throttled: u64,
    /// Users listed per second over the last few seconds.
    pub(crate) rate: f64,
}

impl ExportView {
    fn counters(&self) -> String {
        format!(
            "selected {} · pages {} · throttled {} · {:.0} users/s",
            self.written, self.pages, self.throttled, self.rate
        )
    }
}

/// `export`'s progress: a spinner line of users listed (the pool size is not known in advance).
pub(crate) struct ExportProgress(LiveLine);

/// How often the view is refreshed.
pub(crate) const TICK: Duration = Duration::from_millis(200);

impl ExportProgress {
    pub(crate) fn new(quiet: bool) -> Self {
        ExportProgress(LiveLine::new(quiet, || {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {pos} users listed · {elapsed} · {msg}")
                    .expect("valid template"),
            );
            bar
        }))
    }

    pub(crate) fn update(&mut self, view: &ExportView) {
        self.0.show(
            view.listed,
            || view.counters(),
            || {
                tracing::info!(
                    listed = view.listed,
                    selected = view.written,
                    pages = view.pages,
                    throttled = view.throttled,
                    "progress: {} users listed · {}",
                    view.listed,
                    view.counters()
                );
            },
        );
    }

    pub(crate) fn finish(&mut self) {
        self.0.finish();
    }
}
