//! The report file: a CSV with one row per input row, written as rows finish and flushed as soon as no other
//! outcome is waiting, so a crash loses at most the rows in flight. It is also the journal a resumed run reads.
//!
//! Columns: `line,row_hash,username,status,attempts,error_code,message,request_id,duration_ms,attributes`.
//! `attributes` lists the attribute names sent, never their values (personal data).

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::durable::Durability;
use crate::error::ReportError;
use crate::exec::dispatcher::{IntentLog, OnDisk, RowJob};
use crate::exec::outcome::{RowOutcome, Status};
use crate::private_file::{self, How};

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
    writer: csv::Writer<Guarded>,
    /// The file's identity (device, inode), to notice it was removed or replaced during the run.
    identity: (u64, u64),
}

impl ReportWriter {
    /// Opens the report before the first call: a failure here stops the job before anything is sent.
    pub(crate) fn open(path: &Path, mode: OpenMode) -> Result<Self, ReportError> {
        let create = |source| ReportError::Create {
            path: path.to_path_buf(),
            source,
        };
        let how = match mode {
            OpenMode::CreateNew => How::CreateNew,
            OpenMode::Overwrite => How::Truncate,
            OpenMode::Append => How::Append,
        };
        let mut file = private_file::open(path, how).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                ReportError::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                create(e)
            }
        })?;
        if mode == OpenMode::Append {
            cut_torn_tail(&mut file, path).map_err(create)?;
        }
        let meta = file.metadata().map_err(create)?;
        let mut report = ReportWriter {
            path: path.to_path_buf(),
            writer: csv::Writer::from_writer(Guarded::new(file)),
            identity: (meta.dev(), meta.ino()),
        };
        if mode != OpenMode::Append {
            report
                .writer
                .write_record(COLUMNS)
                .map_err(|e| report.write_error(e))?;
            report.flush()?;
            // A new file survives a power cut with its name.
            report
                .writer
                .get_ref()
                .sync()
                .and_then(|()| super::durable::sync_dir_of(path))
                .map_err(create)?;
        }
        Ok(report)
    }

    pub(crate) fn write(&mut self, o: &RowOutcome) -> Result<(), ReportError> {
        // One line a record, whatever a cell holds (the key of an invalid row may span lines): a line end is
        // always a record's end, which is what cutting a torn record relies on.
        let record: [Cow<'_, str>; 10] = [
            o.id.line.to_string().into(),
            o.id.hash_hex().into(),
            one_line(&o.username),
            o.status.as_str().into(),
            o.attempts.to_string().into(),
            one_line(&o.error_code),
            one_line(&o.message),
            o.request_id.as_str().into(),
            o.duration.as_millis().to_string().into(),
            one_line(&o.attributes),
        ];
        self.writer
            .write_record(record.iter().map(|cell| cell.as_bytes()))
            .map_err(|e| self.write_error(e))
    }

    /// The write-ahead record of a row about to be sent (status `sending`).
    pub(crate) fn write_intent(&mut self, job: &RowJob) -> Result<(), ReportError> {
        self.write(&job.outcome(Status::Sending))
    }

    /// Whether a write to the report has failed (the run must stop, and the file is left for `--resume`).
    pub(crate) fn is_broken(&self) -> bool {
        self.writer.get_ref().broken.is_some()
    }

    /// An error when the report is no longer at its path (removed, or replaced by another file).
    pub(crate) fn check_present(&self) -> Result<(), ReportError> {
        let present = std::fs::symlink_metadata(&self.path)
            .is_ok_and(|m| (m.dev(), m.ino()) == self.identity);
        if present {
            return Ok(());
        }
        Err(ReportError::Write {
            path: self.path.clone(),
            source: std::io::Error::other("the file was removed or replaced during the run"),
        })
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

/// A cell on one line (a copy only when it holds a line break).
fn one_line(text: &str) -> Cow<'_, str> {
    if text.contains(['\r', '\n']) {
        text.replace(['\r', '\n'], " ").into()
    } else {
        text.into()
    }
}

/// The report's file, refusing every write after one failed: a csv buffer that could be written only in part must
/// never be written again (a later flush, or the writer's drop, would repeat its start in the middle of the file).
pub(crate) struct Guarded {
    file: File,
    /// The first failed write's error, repeated to every later write.
    broken: Option<String>,
}

impl Guarded {
    pub(crate) fn new(file: File) -> Self {
        Guarded { file, broken: None }
    }

    fn check(&self) -> std::io::Result<()> {
        match &self.broken {
            Some(first) => Err(std::io::Error::other(format!(
                "an earlier write to this file failed: {first}"
            ))),
            None => Ok(()),
        }
    }

    /// Puts what was written to the file on the disk (`fdatasync`). A failed sync leaves the file as it was, so
    /// it does not refuse later writes; the caller stops the run.
    pub(crate) fn sync(&self) -> std::io::Result<()> {
        self.check()?;
        self.file.sync_data()
    }

    fn mark<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result {
            self.broken = Some(e.to_string());
        }
        result
    }
}

impl std::io::Write for Guarded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.check()?;
        let result = self.file.write(buf);
        self.mark(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.check()?;
        let result = self.file.flush();
        self.mark(result)
    }
}

/// A record cut short by a crash or a full disk (no line end after it) is removed before anything is appended,
/// so that the next record never merges into it. The row it belonged to is run again (it had no outcome).
pub(crate) fn cut_torn_tail(file: &mut File, path: &Path) -> std::io::Result<()> {
    let len = file.metadata()?.len();
    let end = complete_len(file)?;
    if end < len {
        tracing::warn!(
            file = %path.display(),
            bytes = len - end,
            "cut a record left incomplete by the earlier run (it had no line end); its row runs again"
        );
        file.set_len(end)?;
    }
    file.seek(SeekFrom::End(0))?;
    Ok(())
}

/// The length of a file's complete lines: up to and including its last line end (read backwards, in chunks).
pub(crate) fn complete_len(file: &mut File) -> std::io::Result<u64> {
    let mut end = file.metadata()?.len();
    let mut buf = [0u8; 8192];
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// The report, shared by the sink (outcomes) and the dispatcher (write-ahead records); one writer at a time. The
/// write-ahead records are synced to the disk before their requests leave ([`Durability`]).
#[derive(Clone)]
pub(crate) struct SharedReport {
    writer: Arc<Mutex<ReportWriter>>,
    durability: Arc<Durability>,
}

impl SharedReport {
    pub(crate) fn new(writer: ReportWriter) -> Result<Self, ReportError> {
        let durability = Durability::new(&writer.writer.get_ref().file).map_err(|source| {
            ReportError::Write {
                path: writer.path.clone(),
                source,
            }
        })?;
        Ok(SharedReport {
            writer: Arc::new(Mutex::new(writer)),
            durability: Arc::new(durability),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, ReportWriter> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl IntentLog for SharedReport {
    fn sending(&self, job: &RowJob) -> Result<OnDisk, String> {
        let seq = {
            let mut writer = self.lock();
            writer
                .write_intent(job)
                .and_then(|()| writer.flush())
                .map_err(|e| e.to_string())?;
            self.durability.wrote()
        };
        let durability = self.durability.clone();
        Ok(Box::pin(async move { durability.on_disk(seq).await }))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn after_a_failed_write_nothing_more_reaches_the_file() {
        // /dev/full answers every write with ENOSPC, as a full disk does.
        let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            eprintln!("skipped: no /dev/full here");
            return;
        };
        let mut guarded = Guarded::new(full);
        assert!(guarded.write(b"1,aa,al,updated").is_err());
        assert!(guarded.broken.is_some());
        let again = guarded.write(b"x").unwrap_err();
        assert!(again.to_string().contains("an earlier write"), "{again}");
        assert!(
            again.to_string().contains("No space left on device"),
            "the first error is repeated: {again}"
        );
        assert!(guarded.flush().is_err());
    }
}
