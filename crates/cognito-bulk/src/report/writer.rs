//! The report file: a CSV with one row per input row, written as rows finish and flushed as soon as no other
//! outcome is waiting, so a crash loses at most the rows in flight. It is also the journal a resumed run reads.
//!
//! Columns: `line,row_hash,username,status,attempts,error_code,message,request_id,duration_ms,attributes`.
//! `attributes` lists the attribute names sent, never their values (personal data).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::ReportError;
use crate::exec::outcome::RowOutcome;

/// The report's header row.
pub(crate) const COLUMNS: [&str; 10] = [
    "line",
    "row_hash",
    "username",
    "status",
    "attempts",
    "error_code",
    "message",
    "request_id",
    "duration_ms",
    "attributes",
];

/// How to open the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenMode {
    /// A new report; refuses to replace an existing file.
    CreateNew,
    /// A new report, replacing any existing file.
    Overwrite,
    /// Append to an existing report (resume).
    Append,
}

pub(crate) struct ReportWriter {
    path: PathBuf,
    writer: csv::Writer<File>,
}

impl ReportWriter {
    /// Opens the report before the first call: a failure here stops the job before anything is sent.
    pub(crate) fn open(path: &Path, mode: OpenMode) -> Result<Self, ReportError> {
        let create = |source| ReportError::Create {
            path: path.to_path_buf(),
            source,
        };
        let mut options = OpenOptions::new();
        match mode {
            OpenMode::CreateNew => options.write(true).create_new(true),
            OpenMode::Overwrite => options.write(true).create(true).truncate(true),
            OpenMode::Append => options.append(true),
        };
        let file = options.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                ReportError::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                create(e)
            }
        })?;
        let mut report = ReportWriter {
            path: path.to_path_buf(),
            writer: csv::Writer::from_writer(file),
        };
        if mode != OpenMode::Append {
            report
                .writer
                .write_record(COLUMNS)
                .map_err(|e| report.write_error(e))?;
            report.flush()?;
        }
        Ok(report)
    }

    pub(crate) fn write(&mut self, o: &RowOutcome) -> Result<(), ReportError> {
        let record = [
            o.id.line.to_string(),
            o.id.hash_hex(),
            o.username.clone(),
            o.status.to_string(),
            o.attempts.to_string(),
            o.error_code.clone(),
            o.message.clone(),
            o.request_id.clone(),
            o.duration.as_millis().to_string(),
            o.attributes.clone(),
        ];
        self.writer
            .write_record(&record)
            .map_err(|e| self.write_error(e))
    }

    /// Pushes everything written so far to the operating system.
    pub(crate) fn flush(&mut self) -> Result<(), ReportError> {
        self.writer.flush().map_err(|source| ReportError::Write {
            path: self.path.clone(),
            source,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn write_error(&self, e: csv::Error) -> ReportError {
        ReportError::Write {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        }
    }
}
