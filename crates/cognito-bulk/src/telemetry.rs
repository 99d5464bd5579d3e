//! Logging: tracing to standard error, text or JSON, filtered by `RUST_LOG` (default `info`, `warn` with
//! `--quiet`; the AWS SDK's own lines only from `error`, since the job reports what they would say, once, in its
//! own words). While a progress bar is on screen, log lines are printed above it instead of through it.
//!
//! Attribute values and credentials are never logged anywhere in the program; attribute names are.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::ProgressBar;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::cli::LogFormat;

static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Registers (or clears) the progress bar log lines must be printed around.
pub(crate) fn set_progress_bar(bar: Option<ProgressBar>) {
    *BAR.lock().expect("progress bar registry") = bar;
}

/// Installs the global subscriber. Safe to call more than once (later calls are ignored).
pub(crate) fn init(format: LogFormat, quiet: bool) {
    let default = if quiet { "warn" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{default},aws_config=error,aws_smithy_runtime=error,aws_runtime=error"
        ))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(StderrAroundBar)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

struct StderrAroundBar;

impl<'a> MakeWriter<'a> for StderrAroundBar {
    type Writer = LineWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(Vec::with_capacity(256))
    }
}

/// Buffers one log event and writes it whole, suspending the progress bar if one is shown.
struct LineWriter(Vec<u8>);

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        let bytes = std::mem::take(&mut self.0);
        let write = || {
            let _ = std::io::stderr().lock().write_all(&bytes);
        };
        match BAR.lock().ok().and_then(|b| b.clone()) {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}
