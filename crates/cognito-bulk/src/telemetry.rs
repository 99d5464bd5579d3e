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

/// The log format of this process, once chosen.
static FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

fn json() -> bool {
    FORMAT.get() == Some(&LogFormat::Json)
}

/// Prints `text` on standard output. A closed or failing standard output (`cognito-bulk update ... | head`) is
/// not an error of the run: what cannot be printed is simply not printed, and the run goes on.
pub(crate) fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Prints `text` on standard error, ignoring a closed or failing standard error as [`out`] does.
pub(crate) fn err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Prints one line on standard error, as [`err`].
pub(crate) fn err_line(line: &str) {
    err(&format!("{line}\n"));
}

/// A line for the person running the job (the banner, a notice), on standard error: `cognito-bulk: <line>` as
/// text, or a JSON object (`{"level":"INFO","message":...}`) with `--log-format json`, so that every line of
/// standard error is JSON then.
pub(crate) fn say(line: &str) {
    if json() {
        tracing::info!("{line}");
    } else {
        err_line(&format!("cognito-bulk: {line}"));
    }
}

/// A problem the pre-flight found in a row (`file:line: ...`), on standard error, text or JSON.
pub(crate) fn problem(file: &str, line: u64, message: &str) {
    if json() {
        tracing::warn!(file, line, "{message}");
    } else {
        err_line(&format!("{file}:{line}: {message}"));
    }
}

/// The error that ends the process, on standard error: a sentence, or a JSON object with the exit code.
pub(crate) fn fatal(message: &str, exit_code: i32) {
    if json() {
        let line = serde_json::json!({
            "timestamp": humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
            "level": "ERROR",
            "message": message,
            "exit_code": exit_code,
        });
        err_line(&line.to_string());
    } else {
        err_line(&format!("cognito-bulk: error: {message}"));
    }
}

/// The run's final counts as one `summary` event (JSON mode only: the text summary is on standard output).
pub(crate) fn summary_event(summary: &serde_json::Value) {
    if json() {
        let mut line = summary.clone();
        if let Some(object) = line.as_object_mut() {
            object.insert(
                "timestamp".into(),
                humantime::format_rfc3339_millis(std::time::SystemTime::now())
                    .to_string()
                    .into(),
            );
            object.insert("level".into(), "INFO".into());
            object.insert("event".into(), "summary".into());
        }
        err_line(&line.to_string());
    }
}

/// Registers (or clears) the progress bar log lines must be printed around.
pub(crate) fn set_progress_bar(bar: Option<ProgressBar>) {
    *BAR.lock().expect("progress bar registry") = bar;
}

/// Installs the global subscriber. Safe to call more than once (later calls are ignored).
pub(crate) fn init(format: LogFormat, quiet: bool) {
    let _ = FORMAT.set(format);
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
