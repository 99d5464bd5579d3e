//! `cognito-bulk update`, as an outline: settings, the offline pre-flight (nothing is sent before the whole file
//! has been read and checked), the report and undo files, the pool (connect, DescribeUserPool, schema checks),
//! the safety refusals, then the execution and the summary.

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::Client;

use super::compare::Comparison;
use super::execute::Execution;
use super::messages::{print_problems, refusal, verification_warning};
use super::outputs::{Outputs, check_paths, lock_outputs};
use super::plan::{Plan, PlanSettings};
use crate::cli::UpdateArgs;
use crate::config::Settings;
use crate::error::RunError;
use crate::exec::outage::Outage;
use crate::operations::USER_UPDATE_QUOTA;
use crate::preflight::Preflight;
use crate::schema::PoolSchema;
use crate::{exit_code, target, telemetry};

pub(crate) async fn update(args: UpdateArgs) -> Result<i32, RunError> {
    // The run's duration counts from here: the pre-flight and a snapshot are part of it.
    let started = std::time::Instant::now();
    let settings = Settings::for_update(&args)?;
    drop(args);
    telemetry::init(settings.common.log_format, settings.common.quiet);
    let common = &settings.common;
    if settings.resumed_nothing {
        tracing::warn!(
            report = %common.report.display(),
            "no report to resume yet: starting a fresh run"
        );
    }

    // Every file the run will write can be written.
    check_paths(&settings)?;

    // Credentials first: a run that could not sign a request reads nothing and creates nothing.
    let signing = target::credentials(&common.target).await?;

    // One run per report: held until this function returns, taken before the report is read or truncated; no
    // earlier report or undo file is emptied by accident.
    let _locks = lock_outputs(&settings)?;

    // One budget of outages for the whole run, the pool reads before the first write included.
    let outage = Arc::new(Outage::new(settings.retry.max_outage));
    let plan_settings = PlanSettings {
        common,
        compare: &settings.compare,
        mode: settings.mode,
        attempt_timeout: settings.retry.attempt_timeout,
        outage: &outage,
    };
    // Pre-flight, offline (a header that fails it is checked against the pool's names too).
    let mut plan = Plan::offline_with_header(&plan_settings, Some(&signing)).await?;

    // The pool: where the job goes, its schema, and the checks that need it.
    let connected =
        target::connect(&common.target, &signing, settings.retry.attempt_timeout).await?;
    let checked = async {
        let quota = user_update_quota(settings.rate, &connected.client, &outage).await?;
        // --skip-unchanged: compare now, so that every count below is taken on the rows really sent.
        plan.against_pool(&plan_settings, &connected.client).await?;
        refuse_or_continue(&settings, &plan.pre, plan.sources.schema.as_deref())
            .map(|refused| (refused, quota))
    }
    .await;
    // The report (and undo file) exist before the first write; nothing of them exists when a check refused the run.
    let opened = checked
        .and_then(|(refused, quota)| Ok((refused, quota, Outputs::open(&settings, &plan.pre)?)));
    let (dry_run_refused, quota, outputs) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            connected.close().await;
            return Err(e);
        }
    };
    let pre = &plan.pre;
    for column in &pre.ignored_columns {
        tracing::info!(column, "column is not a user attribute: ignored");
    }
    if !common.quiet {
        banner(&settings, pre, &outputs, plan.comparison.as_ref());
        if let Some(note) = signing.note(&common.target) {
            crate::telemetry::say(&note);
        }
    }
    let Outputs {
        report: Some(report),
        undo,
        ..
    } = outputs
    else {
        connected.close().await;
        let unchanged = if plan.comparison.as_ref().is_some_and(|c| !c.by_reads()) {
            format!(", {} unchanged", pre.unchanged)
        } else {
            String::new()
        };
        telemetry::out(&format!(
            "dry run: {} rows, {} would be sent{unchanged}, {} invalid, {} verification messages; nothing was sent\n\
             dry run: write calls (at most): {}\n{}\n",
            pre.total,
            pre.to_send,
            pre.invalid,
            pre.email_messages + pre.sms_messages,
            pre.calls.describe(),
            duration_estimate(pre.calls.total(), settings.rate, quota)
        ));
        // The code the real run would be refused with before its first write, else what it would leave.
        return Ok(dry_run_refused.unwrap_or(if pre.invalid > 0 {
            exit_code::ROWS_NOT_UPDATED
        } else {
            exit_code::SUCCESS
        }));
    };

    let execution = Execution {
        settings: &settings,
        plan,
        client: connected.client.clone(),
        started,
        outage: outage.clone(),
    };
    let summary = execution.run(report, undo).await;
    connected.close().await;
    let summary = summary?;
    telemetry::out(&summary.render());
    let json = summary.to_json();
    telemetry::summary_event(&json);
    // The run is over and its report complete: a summary file that can't be written is a warning, and the exit
    // code stays the run's.
    if let Some(path) = &settings.summary_json
        && let Err(e) = write_summary(path, &json)
    {
        tracing::warn!(
            "the summary could not be written to --summary-json {}: {e}; the report is complete",
            path.display()
        );
    }
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
    crate::telemetry::say(&format!(
        "{} rows from {} → {} · {} to send, {} invalid{carried} · rate ≤ {}/s, concurrency {}",
        pre.total,
        common.input.display(),
        common.target.describe(),
        pre.to_send,
        pre.invalid,
        settings.rate,
        settings.concurrency
    ));
    if outputs.report.is_some() {
        crate::telemetry::say(&format!("report: {}", common.report.display()));
    }
    if let Some(comparison) = comparison {
        crate::telemetry::say(&format!("--skip-unchanged: {}", comparison.describe()));
        if !comparison.by_reads() {
            crate::telemetry::say(&format!(
                "{} rows already hold their values (reported `unchanged`, nothing sent)",
                pre.unchanged
            ));
        }
    }
    let by_reads = comparison.is_some_and(Comparison::by_reads);
    if by_reads || outputs.undo.is_some() {
        let undo = outputs
            .undo
            .as_ref()
            .map(|u| format!("; undo file: {}", u.path().display()));
        let groups = if pre.names_groups {
            format!(
                ", and its groups (AdminListGroupsForUser) at ≤ {}/s when the row changes them",
                settings.compare.group_read_rate()
            )
        } else {
            String::new()
        };
        crate::telemetry::say(&format!(
            "reading each user first (AdminGetUser) at ≤ {}/s{groups}{}",
            settings.compare.read_rate,
            undo.unwrap_or_default()
        ));
    }
}

/// The safety refusals before the first write. A dry run is not refused: it returns the refusal's exit code,
/// which is the code it ends with.
fn refuse_or_continue(
    settings: &Settings,
    pre: &Preflight,
    schema: Option<&PoolSchema>,
) -> Result<Option<i32>, RunError> {
    if pre.invalid > 0 {
        print_problems(&settings.common.input, pre);
    }
    if let Some(warning) = verification_warning(pre, schema)
        && (settings.allow_verification_messages || settings.dry_run)
    {
        tracing::warn!("{warning}");
    }
    let refused = refusal(
        pre,
        schema,
        settings.skip_invalid,
        settings.allow_verification_messages,
    );
    match refused {
        Some(refusal) if settings.dry_run => Ok(Some(refusal.exit_code())),
        Some(refusal) => Err(refusal),
        None => Ok(None),
    }
}

/// The UserUpdate rate Cognito allows the run: asked (GetProvisionedLimit) only when `--rate` is above the default
/// quota, with a warning when `--rate` is above what is allowed.
async fn user_update_quota(rate: f64, client: &Client, outage: &Outage) -> Result<f64, RunError> {
    if rate <= USER_UPDATE_QUOTA {
        return Ok(USER_UPDATE_QUOTA);
    }
    let (limit, source) = match target::user_update_limit(client, outage).await? {
        Ok(limit) => (
            limit,
            "the account's limit, from GetProvisionedLimit".to_string(),
        ),
        Err(why) => (
            USER_UPDATE_QUOTA,
            format!("Cognito's default; the account's own limit could not be read: {why}"),
        ),
    };
    if rate > limit {
        tracing::warn!(
            "--rate {rate} is above the {limit} requests/s of the UserUpdate quota ({source}), which every pool of \
             the account in this Region shares with its live traffic: the run is throttled down to the free share \
             and never goes faster than {limit}/s"
        );
    }
    Ok(limit)
}

/// The dry run's estimate of the writes' duration: every write call at `--rate`, or at the UserUpdate quota when
/// that is lower. A floor: throttling by the pool's live traffic, reads and retries make the run longer.
fn duration_estimate(writes: u64, rate: f64, quota: f64) -> String {
    let pace = rate.min(quota);
    let secs = (writes as f64 / pace).ceil() as u64;
    let limit = match rate > quota {
        true => format!("the UserUpdate quota, {quota}/s"),
        false => format!("--rate {rate}/s"),
    };
    format!(
        "dry run: the writes take at least {} at {limit} (longer when live traffic shares the quota)",
        humantime::format_duration(std::time::Duration::from_secs(secs))
    )
}

/// `--summary-json`: the summary object, written whole (a private file, never through a link).
fn write_summary(path: &std::path::Path, json: &serde_json::Value) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = crate::private_file::open(path, crate::private_file::How::Truncate)?;
    writeln!(file, "{json}")?;
    file.sync_all()
}
