//! `cognito-bulk validate`: every check `update` makes before its first write (the pool's schema and groups, and
//! the verification-message guard, with the same exit codes and messages), a list of problems and optionally a
//! problems report; nothing is written to the pool. With `--skip-unchanged`, rows are also compared with the pool
//! as `update` would (a snapshot), and the counts are those of the rows to send.
//!
//! Exit codes: 3 for invalid rows, 6 for the guard, 5 when the pool could not be read (the file was then checked
//! offline only: a CI gate must not pass on that), else 0. `--offline` checks the file alone and exits 0 or 3.

use std::path::Path;
use std::sync::Arc;

use super::messages::{print_problems, refusal, verification_warning};
use super::plan::{Plan, PlanSettings};
use crate::cli::ValidateArgs;
use crate::config::{ResumeMode, ValidateSettings};
use crate::error::{ReportError, RunError};
use crate::exec::outage::Outage;
use crate::input::duplicates::DuplicateTracker;
use crate::preflight::{PassSpec, RowPlan};
use crate::{exit_code, target, telemetry};

/// `cognito-bulk validate`.
pub(crate) async fn validate(args: ValidateArgs) -> Result<i32, RunError> {
    let settings = ValidateSettings::for_validate(&args)?;
    drop(args);
    let common = &settings.common;
    telemetry::init(common.log_format, common.quiet);
    if settings.problems_report {
        crate::writable::check(&common.report, "--report")?;
    }
    // The problems report is written over: never while a run (or another validate) is using that file.
    let _lock = match settings.problems_report {
        true => Some(crate::report::lock::lock(&common.report)?),
        false => None,
    };
    let outage = Arc::new(Outage::new(settings.retry.max_outage));
    let plan_settings = PlanSettings {
        common,
        compare: &settings.compare,
        mode: ResumeMode::Fresh,
        attempt_timeout: settings.retry.attempt_timeout,
        outage: &outage,
    };
    let signing = match settings.offline {
        true => None,
        false => Some(target::credentials(&common.target).await?),
    };
    let mut plan = Plan::offline_with_header(&plan_settings, signing.as_ref()).await?;
    if let Some(signing) = &signing {
        if let Some(note) = signing.note(&common.target) {
            telemetry::out(&format!("validate: {note}\n"));
        }
        let connected =
            target::connect(&common.target, signing, settings.retry.attempt_timeout).await?;
        let checked = plan.against_pool(&plan_settings, &connected.client).await;
        connected.close().await;
        checked?;
    }
    let pre = &plan.pre;
    let schema = plan.sources.schema.as_deref();
    print_problems(&common.input, pre);
    if settings.problems_report {
        write_problems(&common.report, &plan.sources.spec(), &plan.duplicates)?;
    }
    let pool_read = schema.is_some() && (!pre.names_groups || plan.sources.groups.is_some());
    let checked = if schema.is_some() {
        "offline and against the pool's schema"
    } else {
        "offline"
    };
    let mut lines = vec![
        format!(
            "validate: {} rows checked {checked}: {} valid, {} invalid",
            pre.total,
            pre.to_send + pre.unchanged,
            pre.invalid
        ),
        format!(
            "validate: write calls of the valid rows (at most): {}",
            pre.calls.describe()
        ),
    ];
    if let Some(c) = &plan.comparison {
        lines.push(format!("validate: --skip-unchanged: {}", c.describe()));
        lines.push(if c.by_reads() {
            "validate: rows are compared during `update` only (one read per row): the counts above include rows \
             that may turn out unchanged"
                .to_string()
        } else {
            format!(
                "validate: {} rows unchanged, {} would be sent",
                pre.unchanged, pre.to_send
            )
        });
    }
    if settings.allow_verification_messages
        && let Some(warning) = verification_warning(pre, schema)
    {
        lines.push(format!("warning: {warning}"));
    }
    telemetry::out(&(lines.join("\n") + "\n"));
    // What `update` would be refused with before its first write, with its code and message.
    match refusal(pre, schema, false, settings.allow_verification_messages) {
        Some(RunError::InvalidRows { .. }) => Ok(exit_code::INPUT),
        Some(refused) => Err(refused),
        None if settings.offline || pool_read => Ok(exit_code::SUCCESS),
        None => Err(RunError::Target(format!(
            "{}: the rows were checked offline only; run validate again when the pool can be reached, or pass \
             --offline to check the file alone",
            common.target.describe()
        ))),
    }
}

/// The validation report: every invalid row with its line, column and reason.
fn write_problems(
    path: &Path,
    spec: &PassSpec<'_>,
    duplicates: &DuplicateTracker,
) -> Result<(), RunError> {
    let create = |source| ReportError::Create {
        path: path.to_path_buf(),
        source,
    };
    // The problems name users: a private file, never written through a link.
    let file =
        crate::private_file::open(path, crate::private_file::How::Truncate).map_err(create)?;
    let mut out = csv::Writer::from_writer(file);
    let io = |e: csv::Error| ReportError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    };
    out.write_record(["line", "username", "column", "reason"])
        .map_err(io)?;
    let (mut planner, mut rows) = spec.open(duplicates.restart())?;
    while let Some(record) = rows.next_record()? {
        let line = record.line;
        if let (_, username, RowPlan::Invalid(problem)) = planner.plan(&record)? {
            let column = problem.column.clone().unwrap_or_default();
            out.write_record([line.to_string(), username, column, problem.reason])
                .map_err(io)?;
        }
    }
    let mut written = || -> std::io::Result<()> {
        out.flush()?;
        out.get_ref().sync_all()
    };
    written().map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(())
}
