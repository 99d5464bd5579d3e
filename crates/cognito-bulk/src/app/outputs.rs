//! The files a run writes besides its summary: the report (which is also the journal of `--resume`) and the
//! optional undo file. Their paths are checked before anything is read ([`check_paths`]); they are created once
//! the pool has been read and every refusal passed, before the first write, and a run stopped after that removes
//! the files it created.
//!
//! Both are locked ([`lock_outputs`]) before the earlier report is read, truncated or appended to, and stay locked
//! for the whole run: a second run naming either file is refused at once. A dry run writes nothing and locks
//! nothing, but is refused as the real run would be. `--overwrite` replaces the report only; an existing undo file
//! is appended to by a resumed run and replaced only with `--overwrite-undo`.

use std::sync::Arc;

use crate::config::Settings;
use crate::error::{ConfigError, ReportError, RunError};
use crate::preflight::{Preflight, ResumeMode};
use crate::report::lock::{self, OutputLock};
use crate::report::undo::{UndoFile, undo_columns};
use crate::report::writer::{OpenMode, ReportWriter};

/// Every file the run will write, checked before anything is read or sent (`crate::writable`): the report, the
/// undo file and `--summary-json`, on a dry run too (it ends with the real run's code).
pub(crate) fn check_paths(settings: &Settings) -> Result<(), RunError> {
    let common = &settings.common;
    crate::writable::check(&common.report, "--report")?;
    if let Some(undo) = &settings.undo_file {
        if undo == &common.report || undo == &common.input {
            return Err(ConfigError::Usage(format!(
                "--undo-file {} is the input or the report: choose another path",
                undo.display()
            ))
            .into());
        }
        crate::writable::check(undo, "--undo-file")?;
    }
    if let Some(path) = &settings.summary_json {
        crate::writable::check(path, "--summary-json")?;
    }
    Ok(())
}

/// Locks the report and the undo file of a run that writes them (not a dry run); hold the result until the run
/// ends. Then, once locked (a run using a file says so first), the files a new run would empty are refused before
/// the input is read: an existing report without `--overwrite`, an existing undo file without `--overwrite-undo`
/// (the only record of an earlier run's old values), on a dry run too.
pub(crate) fn lock_outputs(settings: &Settings) -> Result<Vec<OutputLock>, RunError> {
    let locks = match settings.dry_run {
        true => vec![],
        false => lock_both(settings)?,
    };
    if settings.mode != ResumeMode::Fresh {
        return Ok(locks);
    }
    let report = &settings.common.report;
    if !settings.overwrite && report.exists() {
        return Err(ReportError::Exists {
            path: report.clone(),
        }
        .into());
    }
    if let Some(undo) = &settings.undo_file
        && !settings.overwrite_undo
        && undo.exists()
    {
        return Err(ReportError::UndoExists {
            path: undo.clone(),
            hint: undo_hint(settings),
        }
        .into());
    }
    Ok(locks)
}

/// What to do about an existing undo file, given the flags of this run.
fn undo_hint(settings: &Settings) -> String {
    if settings.resumed_nothing {
        "the report named with --resume does not exist yet, so this is a new run: choose another path with \
         --undo-file, or move the old undo file away"
            .into()
    } else if settings.overwrite {
        "--overwrite replaces the report only: choose another path with --undo-file, or pass --overwrite-undo to \
         replace the undo file too"
            .into()
    } else {
        "choose another path with --undo-file, pass --resume with that run's --report to continue it, or pass \
         --overwrite-undo to replace the undo file"
            .into()
    }
}

fn lock_both(settings: &Settings) -> Result<Vec<OutputLock>, RunError> {
    let report = &settings.common.report;
    // A lock file that can't be created means the file itself can't be: say so as its creation error.
    let mut locks = vec![lock::lock(report).map_err(|e| match e {
        ReportError::Lock { path, source, .. } => ReportError::Create { path, source },
        other => other,
    })?];
    if let Some(undo) = settings.undo_file.as_ref().filter(|u| *u != report) {
        locks.push(lock::lock(undo).map_err(|e| match e {
            ReportError::Lock { path, source, .. } => ReportError::UndoCreate { path, source },
            other => other,
        })?);
    }
    Ok(locks)
}

pub(crate) struct Outputs {
    /// `None` on a dry run.
    pub(crate) report: Option<ReportWriter>,
    pub(crate) undo: Option<Arc<UndoFile>>,
    mode: OpenMode,
}

impl Outputs {
    pub(crate) fn open(settings: &Settings, pre: &Preflight) -> Result<Self, RunError> {
        let common = &settings.common;
        let mode = match (settings.mode, settings.overwrite) {
            (ResumeMode::Fresh, false) => OpenMode::CreateNew,
            (ResumeMode::Fresh, true) => OpenMode::Overwrite,
            _ => OpenMode::Append,
        };
        if settings.dry_run {
            return Ok(Outputs {
                report: None,
                undo: None,
                mode,
            });
        }
        let mut outputs = Outputs {
            report: Some(ReportWriter::open(&common.report, mode)?),
            undo: None,
            mode,
        };
        if let Some(path) = &settings.undo_file {
            let columns = undo_columns(
                pre.attribute_columns.iter().map(String::as_str),
                common.set.iter().map(|a| a.name.as_str()),
                pre.deleted.iter().map(String::as_str),
            );
            // `--overwrite` is the report's: the undo file is replaced only with `--overwrite-undo`.
            let undo_mode = match mode {
                OpenMode::Overwrite if !settings.overwrite_undo => OpenMode::CreateNew,
                OpenMode::CreateNew if settings.overwrite_undo => OpenMode::Overwrite,
                other => other,
            };
            match UndoFile::open(path, columns, pre.membership_columns, undo_mode) {
                Ok(undo) => outputs.undo = Some(Arc::new(undo)),
                Err(e) => {
                    outputs.discard();
                    return Err(e.into());
                }
            }
        }
        Ok(outputs)
    }

    /// Removes the files this run created (nothing was sent); files of an earlier run being resumed are kept.
    pub(crate) fn discard(self) {
        if self.mode == OpenMode::Append {
            return;
        }
        if let Some(report) = self.report {
            let _ = std::fs::remove_file(report.path());
        }
        if let Some(undo) = self.undo {
            let _ = std::fs::remove_file(undo.path());
        }
    }
}
