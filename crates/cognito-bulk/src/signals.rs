//! SIGINT and SIGTERM: the first stops taking new rows and lets the rows in flight finish (for up to the
//! shutdown grace period); a second signal, or the end of the grace period, stops at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

use crate::exec::control::{RunControl, Signal, StopReason};

pub(crate) async fn watch(control: Arc<RunControl>, grace: Duration) {
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::warn!("cannot listen for SIGINT/SIGTERM; the run can't be stopped gracefully");
        return;
    };
    let first = tokio::select! {
        _ = int.recv() => Signal::Interrupt,
        _ = term.recv() => Signal::Terminate,
    };
    tracing::warn!(
        "{} received: no new rows; waiting up to {} for the rows in flight (send it again to stop at once)",
        first.name(),
        humantime::format_duration(grace)
    );
    control.stop(StopReason::Signal(first));
    tokio::select! {
        _ = int.recv() => tracing::warn!("second signal: stopping at once"),
        _ = term.recv() => tracing::warn!("second signal: stopping at once"),
        _ = tokio::time::sleep(grace) => tracing::warn!("shutdown grace period over: stopping at once"),
    }
    control.abort();
}
