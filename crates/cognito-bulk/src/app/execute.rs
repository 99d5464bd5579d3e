//! The execution phase of `update`: the reader (the same row planner as the pre-flight), the dispatcher and its
//! row workers, the sink that owns the report, and the signal watcher, wired together with bounded channels.
//! Returns the run's summary once every row has an outcome (or the run was aborted).

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::Client;
use tokio::sync::mpsc;

use super::messages::{resume_command, shell_quote};
use super::plan::Plan;
use crate::cognito::backend::{CognitoBackend, ReadFirst};
use crate::config::Settings;
use crate::error::RunError;
use crate::exec::control::{Live, RunControl};
use crate::exec::dispatcher::{Dispatcher, RowJob};
use crate::exec::outage::Outage;
use crate::exec::outcome::{RowOutcome, Status};
use crate::exec::pacer::Pacer;
use crate::exec::retry::RetryPolicy;
use crate::input::duplicates::DuplicateTracker;
use crate::operations::Sent;
use crate::preflight::{PassSpec, RowPlan};
use crate::report::journal;
use crate::report::progress::Progress;
use crate::report::sink::{Sink, Thresholds};
use crate::report::summary::RunSummary;
use crate::report::undo::UndoFile;
use crate::report::writer::{ReportWriter, SharedReport};
use crate::signals;

/// Everything the execution phase needs, decided before it.
pub(crate) struct Execution<'a> {
    pub(crate) settings: &'a Settings,
    /// The pre-flight's plan: the execution pass plans its rows from the same sources.
    pub(crate) plan: Plan,
    pub(crate) client: Client,
    /// When the run began (the pre-flight included).
    pub(crate) started: Instant,
    /// The endpoint's outages, since the pre-flight's reads: `--max-outage` bounds them all.
    pub(crate) outage: Arc<Outage>,
}

impl Execution<'_> {
    pub(crate) async fn run(
        self,
        report: ReportWriter,
        undo: Option<Arc<UndoFile>>,
    ) -> Result<RunSummary, RunError> {
        let settings = self.settings;
        let common = &settings.common;
        let total = self.plan.pre.total;
        // `--skip-unchanged` by per-user reads: AdminGetUser before each write.
        let skip_by_reads = self.plan.by_reads();
        let started = self.started;
        let control = Arc::new(RunControl::default());
        let watcher = tokio::spawn(signals::watch(
            control.clone(),
            settings.retry.shutdown_grace,
        ));
        // With a read before each write, the executor paces the reads and the backend paces the writes. The read
        // limiter exists in every run: read-backs after ambiguous failures use it. With a snapshot, unchanged rows
        // never reach the backend: only the undo file reads before a write.
        let writes = Arc::new(Pacer::with_margin(settings.rate, settings.rate_margin));
        let reads = Arc::new(Pacer::with_margin(
            settings.compare.read_rate,
            settings.rate_margin,
        ));
        let group_reads = Arc::new(Pacer::with_margin(
            settings.compare.group_read_rate(),
            settings.rate_margin,
        ));
        let read_first = (skip_by_reads || undo.is_some()).then(|| ReadFirst {
            skip_unchanged: skip_by_reads,
            undo: undo.clone(),
        });
        let pacer = match read_first {
            Some(_) => reads.clone(),
            None => writes.clone(),
        };
        let write_pacer = writes.clone();
        let (row_tx, row_rx) = mpsc::channel::<RowJob>(settings.concurrency * 2);
        let (out_tx, out_rx) = mpsc::channel::<RowOutcome>(1024);
        let reader = {
            let (sources, control, out_tx) = (self.plan.sources, control.clone(), out_tx.clone());
            let duplicates = self.plan.duplicates.restart();
            tokio::task::spawn_blocking(move || {
                feed_rows(&sources.spec(), duplicates, &row_tx, &out_tx, &control)
            })
        };
        let report = SharedReport::new(report)?;
        let sent = Arc::new(Sent::default());
        let dispatcher = Dispatcher {
            backend: Arc::new(CognitoBackend {
                read_first,
                sent: sent.clone(),
                ..CognitoBackend::new(
                    self.client.clone(),
                    common.target.pool_id.clone(),
                    writes,
                    reads,
                    group_reads,
                )
            }),
            pacer: pacer.clone(),
            policy: RetryPolicy::new(settings.retry.max_attempts, settings.retry.max_row_time)
                .with_settle_after_timeout(settings.retry.attempt_timeout),
            concurrency: settings.concurrency,
            control: control.clone(),
            intents: Some(Arc::new(report.clone())),
            outage: self.outage.clone(),
        };
        let sink = Sink {
            writer: report.clone(),
            thresholds: Thresholds {
                max_failures: settings.max_failures,
                max_failure_ratio: settings.max_failure_ratio,
                max_consecutive_failures: settings.max_consecutive_failures,
            },
            control: control.clone(),
            pacer: Some(write_pacer.clone()),
            sent: sent.clone(),
            progress: Progress::new(total, common.quiet),
            total,
        };
        let (_, mut tally, read) =
            tokio::join!(dispatcher.run(row_rx, out_tx), sink.run(out_rx), reader);
        watcher.abort();
        read.map_err(|e| RunError::Internal(format!("the reader failed: {e}")))??;
        // The journal (write-ahead records, then outcomes; a resumed run's new rows after the old ones) becomes
        // one row per input line. Not when it could not be written: it is left for --resume as it is.
        if tally.lost.is_none() && report.lock().is_broken() {
            tally.lost = control.reason().map(|r| r.to_string());
        }
        if tally.lost.is_none()
            && let Err(e) = journal::compact(&common.report)
        {
            // The journal is whole and can be resumed as it is: the run's outcome stands.
            tracing::warn!("the report was not compacted to one row per line: {e}");
        }

        let mut summary = RunSummary {
            tally,
            total,
            elapsed: started.elapsed(),
            attempts: Live::get(&control.live.attempts),
            throttled: Live::get(&control.live.throttled),
            report: common.report.clone(),
            target: common.target.describe(),
            stop: control.reason(),
            signal: control.signal(),
            resume_command: None,
            notes: vec![],
            settled_rate: write_pacer.settled(),
            sent: sent.counts(),
            paused: self.outage.paused_total(),
        };
        if !summary.all_done() {
            summary.resume_command = Some(resume_command(&common.report));
        }
        summary.notes.push(rate_note(&summary, &write_pacer));
        if !summary.paused.is_zero() {
            summary.notes.push(format!(
                "paused {} in all while the endpoint could not be reached (--max-outage {} bounds the total)",
                humantime::format_duration(Duration::from_secs(summary.paused.as_secs())),
                humantime::format_duration(settings.retry.max_outage)
            ));
        }
        let read_backs = Live::get(&control.live.read_backs);
        if read_backs > 0 {
            summary.notes.push(format!(
                "read-back: {read_backs} users read after an ambiguous failure (dropped connection, timeout, 5xx); \
                 {} confirmed by read-back and not resent",
                Live::get(&control.live.confirmed)
            ));
        }
        if let Some(undo) = &undo {
            summary.notes.push(format!(
                "undo file: {} ({} rows this run); `cognito-bulk update {}` with the same pool options restores \
                 the previous values",
                undo.path().display(),
                undo.rows(),
                shell_quote(&undo.path().display().to_string())
            ));
        }
        Ok(summary)
    }
}

/// The summary's line on pacing: how often the run was throttled and the rate it settled at.
fn rate_note(summary: &RunSummary, writes: &Pacer) -> String {
    let share = format!("{:.1}%", summary.throttled_share() * 100.0);
    match writes.settled() {
        Some(settled) => format!(
            "rate: throttled on {share} of requests; settled at {settled:.1} requests/s after the last throttle \
             (--rate {:.1}/s is the ceiling)",
            writes.ceiling()
        ),
        None if summary.attempts == 0 => "rate: nothing was sent".to_string(),
        None => format!(
            "rate: never throttled ({share}); --rate {:.1}/s was the ceiling",
            writes.ceiling()
        ),
    }
}

/// The execution pass: plans every row again (exactly as the pre-flight did) and sends it on.
fn feed_rows(
    spec: &PassSpec<'_>,
    duplicates: DuplicateTracker,
    rows_out: &mpsc::Sender<RowJob>,
    outcomes: &mpsc::Sender<RowOutcome>,
    control: &RunControl,
) -> Result<(), RunError> {
    let (mut planner, mut rows) = spec.open(duplicates)?;
    while let Some(record) = rows.next_record()? {
        if control.aborting().is_cancelled() {
            break;
        }
        let (id, username, plan) = planner.plan(&record)?;
        let verify_first = matches!(plan, RowPlan::Resend(_));
        let sent = match plan {
            RowPlan::Send(request) | RowPlan::Resend(request) => {
                let job = RowJob {
                    id,
                    request,
                    verify_first,
                };
                rows_out.blocking_send(job).is_ok()
            }
            RowPlan::Invalid(problem) => {
                let outcome = RowOutcome::new(id, &username, Status::Invalid)
                    .with_error("", problem.to_string());
                outcomes.blocking_send(outcome).is_ok()
            }
            RowPlan::Unchanged(request) => {
                let outcome = RowOutcome::new(id, &username, Status::Unchanged)
                    .with_attributes(request.attribute_names());
                outcomes.blocking_send(outcome).is_ok()
            }
            RowPlan::Carry(status) => {
                let mut outcome = RowOutcome::new(id, &username, status);
                outcome.fresh = false;
                outcomes.blocking_send(outcome).is_ok()
            }
        };
        if !sent {
            break;
        }
    }
    Ok(())
}
