//! `cognito-bulk update`, as an outline: settings, the offline pre-flight (nothing is sent before the whole file
//! has been read and checked), the report and undo files, the pool (connect, DescribeUserPool, schema checks),
//! the safety refusals, then the execution and the summary.

use std::sync::Arc;

use super::compare::{self, CompareOptions, Comparison};
use super::execute::Execution;
use super::messages::{print_problems, verification_warning};
use super::outputs::{Outputs, lock_outputs};
use crate::cli::UpdateArgs;
use crate::config::{self, FileConfig, Settings};
use crate::error::{ConfigError, RunError};
use crate::input::reader::CsvInput;
use crate::preflight::{self, PassSpec, Preflight, ResumeMode};
use crate::report::journal::Journal;
use crate::schema::PoolSchema;
use crate::{exit_code, target, telemetry};

pub(crate) async fn update(args: UpdateArgs) -> Result<i32, RunError> {
    let cfg = config::layered(
        args.common.target.config.as_deref(),
        FileConfig::from_update(&args)?,
    )?;
    let report_named = cfg.report.is_some();
    let settings = Settings::resolve(&args.common.csv, cfg)?;
    telemetry::init(settings.common.log_format, settings.common.quiet);
    let common = &settings.common;
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

    // One run per report: held until this function returns, taken before the report is read or truncated.
    let _locks = lock_outputs(&settings, &args)?;

    let compare_options = CompareOptions {
        compare_with: settings.compare_with,
        snapshot: settings.snapshot.clone(),
        list_rate: settings.list_rate,
        read_rate: settings.read_rate,
        quiet: settings.common.quiet,
        attempt_timeout: settings.attempt_timeout,
    };
    compare_options.check(settings.skip_unchanged)?;

    // Pre-flight, offline.
    let input = Arc::new(
        CsvInput::open(&common.input)?.with_multiline_values(common.allow_multiline_values),
    );
    let journal = match mode {
        ResumeMode::Fresh => None,
        _ => Some(Arc::new(Journal::load(&common.report)?)),
    };
    let spec = PassSpec {
        input: &input,
        username_column: common.username_column.as_deref(),
        set: &common.set,
        journal: journal.as_deref(),
        mode,
        schema: None,
        snapshot: None,
    };
    let (duplicates, shape) = preflight::scan_keys_and_shape(&spec, settings.skip_unchanged)?;
    let mut pre = preflight::scan_rows(&spec, &duplicates)?;

    // The report (and undo file) exist before the first call.
    let outputs = Outputs::open(&settings, &args, mode, &pre)?;

    // The pool: where the job goes, its schema, and the checks that need it.
    let connected = match target::connect(&common.target, settings.attempt_timeout).await {
        Ok(connected) => connected,
        Err(e) => {
            outputs.discard();
            return Err(e);
        }
    };
    let checked = async {
        let schema = target::describe_pool(&connected.client, &common.target)
            .await?
            .map(Arc::new);
        if let Some(schema) = &schema {
            pre = preflight::scan_rows(
                &PassSpec {
                    schema: Some(schema),
                    ..spec
                },
                &duplicates,
            )?;
        }
        // --skip-unchanged: compare now, so that every count below is taken on the rows really sent.
        let comparison = match &shape {
            Some(shape) => Some(
                compare::prepare(
                    &compare_options,
                    &connected.client,
                    &common.target.pool_id,
                    schema.as_deref(),
                    shape,
                    pre.to_send,
                )
                .await?,
            ),
            None => None,
        };
        if let Some(index) = comparison.as_ref().and_then(|c| c.index.as_deref()) {
            pre = preflight::scan_rows(
                &PassSpec {
                    schema: schema.as_deref(),
                    snapshot: Some(index),
                    ..spec
                },
                &duplicates,
            )?;
        }
        refuse_or_continue(&settings, &args, &pre, schema.as_deref())?;
        Ok::<_, RunError>((schema, comparison))
    }
    .await;
    let (schema, comparison) = match checked {
        Ok(schema) => schema,
        Err(e) => {
            outputs.discard();
            connected.close().await;
            return Err(e);
        }
    };
    for column in &pre.ignored_columns {
        tracing::info!(column, "column is not a user attribute: ignored");
    }
    if !common.quiet {
        banner(&settings, &pre, &outputs, comparison.as_ref());
    }
    let Outputs {
        report: Some(report),
        undo,
        ..
    } = outputs
    else {
        connected.close().await;
        let unchanged = if comparison.as_ref().is_some_and(|c| !c.by_reads()) {
            format!(", {} unchanged", pre.unchanged)
        } else {
            String::new()
        };
        println!(
            "dry run: {} rows, {} would be sent{unchanged}, {} invalid, {} verification messages; nothing was sent",
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

    let execution = Execution {
        settings: &settings,
        mode,
        input,
        journal,
        schema,
        duplicates,
        snapshot: comparison.as_ref().and_then(|c| c.index.clone()),
        skip_by_reads: comparison.as_ref().is_some_and(Comparison::by_reads),
        total: pre.total,
        client: connected.client.clone(),
    };
    let summary = execution.run(report, undo).await;
    connected.close().await;
    let summary = summary?;
    print!("{}", summary.render());
    Ok(summary.exit_code())
}

fn banner(
    settings: &Settings,
    pre: &Preflight,
    outputs: &Outputs,
    comparison: Option<&Comparison>,
) {
    let common = &settings.common;
    let carried = if pre.carried > 0 {
        format!(", {} done in the earlier run", pre.carried)
    } else {
        String::new()
    };
    eprintln!(
        "cognito-bulk: {} rows from {} → {} · {} to send, {} invalid{carried} · rate ≤ {}/s, concurrency {}",
        pre.total,
        common.input.display(),
        common.target.describe(),
        pre.to_send,
        pre.invalid,
        settings.rate,
        settings.concurrency
    );
    if outputs.report.is_some() {
        eprintln!("cognito-bulk: report: {}", common.report.display());
    }
    if let Some(comparison) = comparison {
        eprintln!("cognito-bulk: --skip-unchanged: {}", comparison.describe());
        if !comparison.by_reads() {
            eprintln!(
                "cognito-bulk: {} rows already hold their values (reported `unchanged`, nothing sent)",
                pre.unchanged
            );
        }
    }
    let by_reads = comparison.is_some_and(Comparison::by_reads);
    if by_reads || outputs.undo.is_some() {
        let undo = outputs
            .undo
            .as_ref()
            .map(|u| format!("; undo file: {}", u.path().display()));
        eprintln!(
            "cognito-bulk: reading each user first (AdminGetUser) at ≤ {}/s{}",
            settings.read_rate,
            undo.unwrap_or_default()
        );
    }
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
