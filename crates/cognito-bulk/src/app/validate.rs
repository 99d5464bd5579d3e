//! `cognito-bulk validate`: every check of `update` (and the pool's schema when a pool is reachable), a list of
//! problems and optionally a problems report; nothing is written to the pool. With `--skip-unchanged`, rows are
//! also compared with the pool as `update` would (a snapshot), and the counts are those of the rows to send.

use std::path::Path;

use super::compare::{self, CompareOptions};
use super::messages::{print_problems, verification_warning};
use crate::cli::ValidateArgs;
use crate::config::{self, CommonSettings, FileConfig};
use crate::error::{ConfigError, ReportError, RunError};
use crate::input::duplicates::DuplicateTracker;
use crate::input::reader::CsvInput;
use crate::preflight::{self, PassSpec, ResumeMode, RowPlan};
use crate::{exit_code, target, telemetry};

/// `cognito-bulk validate`.
pub(crate) async fn validate(args: ValidateArgs) -> Result<i32, RunError> {
    let cfg = config::layered(
        args.common.target.config.as_deref(),
        FileConfig::from_common(&args.common)?
            .overlaid_with(FileConfig::from_compare(&args.compare)),
    )?;
    let report_named = cfg.report.is_some();
    let common = CommonSettings::resolve(&args.common.csv, &cfg)?;
    telemetry::init(common.log_format, common.quiet);
    // The problems report is written over: never while a run (or another validate) is using that file.
    let _lock = match report_named {
        true => Some(crate::report::lock::lock(&common.report)?),
        false => None,
    };
    if args.compare.snapshot.is_some() && !args.skip_unchanged {
        return Err(ConfigError::Usage(
            "--snapshot is what --skip-unchanged compares rows with: add --skip-unchanged".into(),
        )
        .into());
    }
    let compare_options = CompareOptions {
        compare_with: cfg.compare_with.unwrap_or_default(),
        snapshot: cfg.snapshot.clone().filter(|_| args.skip_unchanged),
        list_rate: config::positive_rate(cfg.list_rate, "list_rate")?,
        read_rate: config::positive_rate(cfg.read_rate, "read_rate")?,
        quiet: common.quiet,
        attempt_timeout: std::time::Duration::from_secs(10),
    };
    compare_options.check(args.skip_unchanged)?;
    let input = CsvInput::open(&common.input)?.with_multiline_values(common.allow_multiline_values);
    let mut spec = PassSpec {
        input: &input,
        username_column: common.username_column.as_deref(),
        set: &common.set,
        journal: None,
        mode: ResumeMode::Fresh,
        schema: None,
        snapshot: None,
    };
    let (duplicates, shape) = preflight::scan_keys_and_shape(&spec, args.skip_unchanged)?;
    let mut schema = None;
    let mut comparison = None;
    let mut pre = preflight::scan_rows(&spec, &duplicates)?;
    if !args.offline {
        let connected = target::connect(&common.target, std::time::Duration::from_secs(10)).await?;
        schema = match target::describe_pool(&connected.client, &common.target).await {
            Ok(schema) => schema,
            Err(e) => {
                connected.close().await;
                return Err(e);
            }
        };
        spec.schema = schema.as_ref();
        pre = preflight::scan_rows(&spec, &duplicates)?;
        if let Some(shape) = &shape {
            let prepared = compare::prepare(
                &compare_options,
                &connected.client,
                &common.target.pool_id,
                schema.as_ref(),
                shape,
                pre.to_send,
            )
            .await;
            connected.close().await;
            comparison = Some(prepared?);
        } else {
            connected.close().await;
        }
    }
    if let Some(index) = comparison.as_ref().and_then(|c| c.index.as_deref()) {
        pre = preflight::scan_rows(
            &PassSpec {
                snapshot: Some(index),
                ..spec
            },
            &duplicates,
        )?;
    }
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
        pre.total,
        pre.to_send + pre.unchanged,
        pre.invalid
    );
    if let Some(c) = &comparison {
        println!("validate: --skip-unchanged: {}", c.describe());
        if c.by_reads() {
            println!(
                "validate: rows are compared during `update` only (one read per row): the counts above include \
                 rows that may turn out unchanged"
            );
        } else {
            println!(
                "validate: {} rows unchanged, {} would be sent",
                pre.unchanged, pre.to_send
            );
        }
    }
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
    duplicates: &DuplicateTracker,
) -> Result<(), RunError> {
    let create = |source| ReportError::Create {
        path: path.to_path_buf(),
        source,
    };
    let mut out = csv::Writer::from_path(path).map_err(|e| create(std::io::Error::other(e)))?;
    let io = |e: csv::Error| ReportError::Write {
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
    out.flush().map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(())
}
