//! The two jobs as readable outlines: [`update`] (pre-flight, safety checks, report, execution, summary) and
//! [`validate`] (the same checks, nothing written). Each returns the process exit code or a [`RunError`].

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use crate::cli::{UpdateArgs, ValidateArgs};
use crate::cognito::backend::{CognitoBackend, ReadFirst};
use crate::config::{self, CommonSettings, FileConfig, Settings};
use crate::error::{ConfigError, RunError};
use crate::exec::control::{Live, RunControl};
use crate::exec::dispatcher::{Dispatcher, RowJob};
use crate::exec::pacer::Pacer;
use crate::exec::retry::RetryPolicy;
use crate::input::reader::CsvInput;
use crate::input::row::Attribute;
use crate::input::validate::check_attribute;
use crate::preflight::{self, PassSpec, Preflight, ResumeMode, RowPlan};
use crate::report::journal::{self, Journal};
use crate::report::outcome::{RowOutcome, Status};
use crate::report::progress::Progress;
use crate::report::sink::{Sink, Thresholds};
use crate::report::summary::RunSummary;
use crate::report::undo::{UndoFile, undo_columns};
use crate::report::writer::{OpenMode, ReportWriter};
use crate::schema::PoolSchema;
use crate::{exit_code, signals, target, telemetry};

fn checked_set(set: &[(String, String)]) -> Result<Vec<Attribute>, ConfigError> {
    set.iter()
        .map(|(name, value)| {
            let value = check_attribute(name, value)
                .map_err(|p| ConfigError::invalid("set", format!("`{name}`: {}", p.reason)))?;
            Ok(Attribute {
                name: name.clone(),
                value,
            })
        })
        .collect()
}

fn print_problems(input: &Path, pre: &Preflight) {
    for p in &pre.problems {
        eprintln!(
            "{}:{}: {} (user key `{}`)",
            input.display(),
            p.line,
            p.problem,
            p.username
        );
    }
    let unlisted = pre.invalid.saturating_sub(pre.problems.len() as u64);
    if unlisted > 0 {
        eprintln!("... and {unlisted} more invalid rows");
    }
}

fn verification_warning(pre: &Preflight, schema: Option<&PoolSchema>) -> Option<String> {
    let total = pre.email_messages + pre.sms_messages;
    if total == 0 {
        return None;
    }
    let mut msg = format!(
        "{} rows change `email` and {} rows change `phone_number` without setting `email_verified=true` / \
         `phone_number_verified=true` in the same row: Cognito un-verifies each of these users and sends each a \
         verification message ({total} messages)",
        pre.email_messages, pre.sms_messages
    );
    if let Some(schema) = schema {
        if !schema.keep_original_until_verified.is_empty() {
            msg.push_str(&format!(
                "; this pool keeps the old {} active until the user verifies the new value",
                schema.keep_original_until_verified.join(" and ")
            ));
        }
        if pre.email_messages > 0 && schema.uses_default_email_sender() {
            msg.push_str(
                "; the pool sends email with Cognito's default sender, which allows 50 emails a day per account: \
                 the run would exhaust it and then fail",
            );
        }
    }
    msg.push_str(
        ". Add `--set email_verified=true` (or the column) if the new values are already verified, or pass \
         --allow-verification-messages to send them",
    );
    Some(msg)
}

/// `cognito-bulk update`.
pub async fn update(args: UpdateArgs) -> Result<i32, RunError> {
    let cfg = config::layered(
        args.common.config.as_deref(),
        FileConfig::from_update(&args)?,
    )?;
    let report_named = cfg.report.is_some();
    let settings = Settings::resolve(&args.common.csv, cfg)?;
    telemetry::init(settings.common.log_format, settings.common.quiet);
    let common = &settings.common;
    let set = checked_set(&common.set)?;
    let mode = match (args.resume, args.retry_failed) {
        (true, _) => ResumeMode::Resume,
        (_, true) => ResumeMode::RetryFailed,
        _ => ResumeMode::Fresh,
    };
    if mode != ResumeMode::Fresh && !report_named {
        return Err(ConfigError::Usage(
            "--resume and --retry-failed continue an earlier run: name its report with --report"
                .into(),
        )
        .into());
    }

    // Pre-flight, offline: nothing is sent before the whole file has been read and checked.
    let input = Arc::new(CsvInput::open(&common.input)?);
    let journal = match mode {
        ResumeMode::Fresh => None,
        _ => Some(Arc::new(Journal::load(&common.report)?)),
    };
    let spec = PassSpec {
        input: &input,
        username_column: common.username_column.as_deref(),
        set: &set,
        journal: journal.as_deref(),
        mode,
        schema: None,
    };
    let duplicates = preflight::scan_keys(&spec)?;
    let mut pre = preflight::scan_rows(&spec, &duplicates)?;

    // The report exists before the first call.
    let open_mode = match (mode, args.overwrite) {
        (ResumeMode::Fresh, false) => OpenMode::CreateNew,
        (ResumeMode::Fresh, true) => OpenMode::Overwrite,
        _ => OpenMode::Append,
    };
    let writer = if args.dry_run {
        None
    } else {
        Some(ReportWriter::open(&common.report, open_mode)?)
    };
    let undo = match &args.undo_file {
        Some(path) if !args.dry_run => {
            if path == &common.report || path == &common.input {
                return Err(ConfigError::Usage(format!(
                    "--undo-file {} is the input or the report: choose another path",
                    path.display()
                ))
                .into());
            }
            let set_names = set.iter().map(|a| a.name.as_str());
            let columns = undo_columns(
                pre.attribute_columns.iter().map(String::as_str),
                set_names,
                pre.deleted.iter().map(String::as_str),
            );
            match UndoFile::open(path, columns, open_mode) {
                Ok(undo) => Some(Arc::new(undo)),
                Err(e) => {
                    if writer.is_some() && open_mode != OpenMode::Append {
                        let _ = std::fs::remove_file(&common.report);
                    }
                    return Err(e.into());
                }
            }
        }
        _ => None,
    };
    let discard_report = |writer: Option<ReportWriter>| {
        if writer.is_some() && open_mode != OpenMode::Append {
            let _ = std::fs::remove_file(&common.report);
            if let Some(undo) = &undo {
                let _ = std::fs::remove_file(undo.path());
            }
        }
    };

    let connected = match target::connect(&common.target, settings.attempt_timeout).await {
        Ok(c) => c,
        Err(e) => {
            discard_report(writer);
            return Err(e);
        }
    };
    let schema = match target::describe_pool(&connected.client, &common.target).await {
        Ok(schema) => schema.map(Arc::new),
        Err(e) => {
            discard_report(writer);
            connected.close().await;
            return Err(e);
        }
    };
    if let Some(schema) = &schema {
        let spec = PassSpec {
            schema: Some(schema),
            ..spec
        };
        pre = preflight::scan_rows(&spec, &duplicates)?;
    }
    if let Err(e) = refuse_or_continue(&settings, &args, &pre, schema.as_deref()) {
        discard_report(writer);
        connected.close().await;
        return Err(e);
    }
    for column in &pre.ignored_columns {
        tracing::info!(column, "column is not a user attribute: ignored");
    }
    if !common.quiet {
        eprintln!(
            "cognito-bulk: {} rows from {} → {} · {} to send, {} invalid{} · rate ≤ {}/s, concurrency {}",
            pre.total,
            common.input.display(),
            common.target.describe(),
            pre.to_send,
            pre.invalid,
            if pre.carried > 0 {
                format!(", {} done in the earlier run", pre.carried)
            } else {
                String::new()
            },
            settings.rate,
            settings.concurrency
        );
        eprintln!("cognito-bulk: report: {}", common.report.display());
        if settings.skip_unchanged || undo.is_some() {
            eprintln!(
                "cognito-bulk: reading each user first (AdminGetUser) at ≤ {}/s{}",
                settings.read_rate,
                undo.as_ref()
                    .map(|u| format!("; undo file: {}", u.path().display()))
                    .unwrap_or_default()
            );
        }
    }
    let Some(writer) = writer else {
        connected.close().await;
        println!(
            "dry run: {} rows, {} would be sent, {} invalid, {} verification messages; nothing was sent",
            pre.total,
            pre.to_send,
            pre.invalid,
            pre.email_messages + pre.sms_messages
        );
        return Ok(if pre.invalid == 0 {
            exit_code::SUCCESS
        } else {
            exit_code::ROWS_NOT_UPDATED
        });
    };

    // Execution.
    let started = Instant::now();
    let control = Arc::new(RunControl::default());
    let watcher = tokio::spawn(signals::watch(control.clone(), settings.shutdown_grace));
    // With a read before each write, the executor paces the reads and the backend paces the writes.
    let writes = Arc::new(Pacer::new(settings.rate));
    let read_first = (settings.skip_unchanged || undo.is_some()).then(|| ReadFirst {
        skip_unchanged: settings.skip_unchanged,
        undo: undo.clone(),
    });
    let pacer = match read_first {
        Some(_) => Arc::new(Pacer::new(settings.read_rate)),
        None => writes.clone(),
    };
    let (row_tx, row_rx) = mpsc::channel::<RowJob>(settings.concurrency * 2);
    let (out_tx, out_rx) = mpsc::channel::<RowOutcome>(1024);
    let reader = {
        let (input, set, journal, schema, control, out_tx) = (
            input.clone(),
            set.clone(),
            journal.clone(),
            schema.clone(),
            control.clone(),
            out_tx.clone(),
        );
        let username_column = common.username_column.clone();
        let duplicates = duplicates.restart();
        tokio::task::spawn_blocking(move || {
            let spec = PassSpec {
                input: &input,
                username_column: username_column.as_deref(),
                set: &set,
                journal: journal.as_deref(),
                mode,
                schema: schema.as_deref(),
            };
            feed_rows(&spec, duplicates, &row_tx, &out_tx, &control)
        })
    };
    let dispatcher = Dispatcher {
        backend: Arc::new(CognitoBackend {
            read_first,
            ..CognitoBackend::new(
                connected.client.clone(),
                common.target.pool_id.clone(),
                writes,
            )
        }),
        pacer: pacer.clone(),
        policy: RetryPolicy::new(settings.max_attempts, settings.max_row_time),
        concurrency: settings.concurrency,
        control: control.clone(),
    };
    let sink = Sink {
        writer,
        thresholds: Thresholds {
            max_failures: settings.max_failures,
            max_failure_ratio: settings.max_failure_ratio,
            max_consecutive_failures: settings.max_consecutive_failures,
        },
        control: control.clone(),
        pacer: Some(pacer.clone()),
        progress: Progress::new(pre.total, common.quiet),
        total: pre.total,
    };
    let (_, tally, read) = tokio::join!(dispatcher.run(row_rx, out_tx), sink.run(out_rx), reader);
    watcher.abort();
    connected.close().await;
    let tally = tally?;
    read.map_err(|e| RunError::Internal(format!("the reader failed: {e}")))??;
    if mode != ResumeMode::Fresh {
        journal::compact(&common.report)?;
    }

    let mut summary = RunSummary {
        tally,
        total: pre.total,
        elapsed: started.elapsed(),
        attempts: Live::get(&control.live.attempts),
        throttled: Live::get(&control.live.throttled),
        report: common.report.clone(),
        target: common.target.describe(),
        stop: control.reason(),
        signal: control.signal(),
        resume_command: None,
        notes: vec![],
    };
    if !summary.all_done() {
        summary.resume_command = Some(resume_command(&common.report));
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
    print!("{}", summary.render());
    Ok(exit_code::for_summary(&summary))
}

fn refuse_or_continue(
    settings: &Settings,
    args: &UpdateArgs,
    pre: &Preflight,
    schema: Option<&PoolSchema>,
) -> Result<(), RunError> {
    if pre.invalid > 0 {
        print_problems(&settings.common.input, pre);
        if !settings.skip_invalid && !args.dry_run {
            return Err(RunError::InvalidRows {
                invalid: pre.invalid,
                total: pre.total,
            });
        }
    }
    if let Some(warning) = verification_warning(pre, schema) {
        if settings.allow_verification_messages || args.dry_run {
            tracing::warn!("{warning}");
        } else {
            return Err(RunError::Refused(warning));
        }
    }
    Ok(())
}

/// The execution pass: plans every row again (exactly as the pre-flight did) and sends it on.
fn feed_rows(
    spec: &PassSpec<'_>,
    duplicates: crate::input::duplicates::DuplicateTracker,
    rows_out: &mpsc::Sender<RowJob>,
    outcomes: &mpsc::Sender<RowOutcome>,
    control: &RunControl,
) -> Result<(), RunError> {
    let (mut planner, mut rows) = spec.open(duplicates)?;
    while let Some((line, record)) = rows.next_record()? {
        if control.aborting().is_cancelled() {
            break;
        }
        let (id, username, plan) = planner.plan(line, record)?;
        let sent = match plan {
            RowPlan::Send(request) => rows_out.blocking_send(RowJob { id, request }).is_ok(),
            RowPlan::Invalid(problem) => {
                let outcome = RowOutcome::new(id, &username, Status::Invalid)
                    .with_error("", problem.to_string());
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

/// The exact command that continues this run: the same arguments plus `--resume` and `--report`.
fn resume_command(report: &Path) -> String {
    let mut args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--overwrite")
        .collect();
    let has = |args: &[String], flag: &str| {
        args.iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    if !has(&args, "--report") {
        args.insert(1, report.display().to_string());
        args.insert(1, "--report".into());
    }
    if !has(&args, "--resume") && !has(&args, "--retry-failed") {
        args.insert(1, "--resume".into());
    }
    std::iter::once("cognito-bulk".to_string())
        .chain(args.iter().map(|a| shell_quote(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// `cognito-bulk validate`.
pub async fn validate(args: ValidateArgs) -> Result<i32, RunError> {
    let cfg = config::layered(
        args.common.config.as_deref(),
        FileConfig::from_common(&args.common)?,
    )?;
    let report_named = cfg.report.is_some();
    let common = CommonSettings::resolve(&args.common.csv, &cfg)?;
    telemetry::init(common.log_format, common.quiet);
    let set = checked_set(&common.set)?;
    let input = CsvInput::open(&common.input)?;
    let mut spec = PassSpec {
        input: &input,
        username_column: common.username_column.as_deref(),
        set: &set,
        journal: None,
        mode: ResumeMode::Fresh,
        schema: None,
    };
    let duplicates = preflight::scan_keys(&spec)?;
    let mut schema = None;
    if !args.offline {
        let connected = target::connect(&common.target, std::time::Duration::from_secs(10)).await?;
        schema = target::describe_pool(&connected.client, &common.target).await?;
        connected.close().await;
    }
    spec.schema = schema.as_ref();
    let pre = preflight::scan_rows(&spec, &duplicates)?;
    print_problems(&common.input, &pre);
    if report_named {
        write_problems(&common.report, &spec, &duplicates)?;
    }
    let checked = if schema.is_some() {
        "offline and against the pool's schema"
    } else {
        "offline"
    };
    println!(
        "validate: {} rows checked {checked}: {} valid, {} invalid",
        pre.total, pre.to_send, pre.invalid
    );
    if let Some(warning) = verification_warning(&pre, schema.as_ref()) {
        println!("warning: {warning}");
    }
    Ok(if pre.invalid == 0 {
        exit_code::SUCCESS
    } else {
        exit_code::INPUT
    })
}

/// The validation report: every invalid row with its line, column and reason.
fn write_problems(
    path: &Path,
    spec: &PassSpec<'_>,
    duplicates: &crate::input::duplicates::DuplicateTracker,
) -> Result<(), RunError> {
    let create = |source| crate::error::ReportError::Create {
        path: path.to_path_buf(),
        source,
    };
    let mut out = csv::Writer::from_path(path).map_err(|e| create(std::io::Error::other(e)))?;
    let io = |e: csv::Error| crate::error::ReportError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    };
    out.write_record(["line", "username", "column", "reason"])
        .map_err(io)?;
    let (mut planner, mut rows) = spec.open(duplicates.restart())?;
    while let Some((line, record)) = rows.next_record()? {
        if let (_, username, RowPlan::Invalid(problem)) = planner.plan(line, record)? {
            let column = problem.column.clone().unwrap_or_default();
            out.write_record([line.to_string(), username, column, problem.reason])
                .map_err(io)?;
        }
    }
    out.flush()
        .map_err(|source| crate::error::ReportError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_keeps_simple_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("sample-data/x.csv"), "sample-data/x.csv");
        assert_eq!(shell_quote("email_verified=true"), "email_verified=true");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
