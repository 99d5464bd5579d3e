//! Reading an earlier report to resume its run, and compacting a report to one row per input line.
//!
//! The report is an append-only journal: a resumed run appends new outcomes for the rows it runs again, and the
//! last row for a line is that line's outcome. When a run ends, [`compact`] rewrites the file (temp file + rename)
//! keeping only those last rows, in journal order, so a person reads one final outcome per input row.

use std::collections::HashMap;
use std::path::Path;

use super::writer::COLUMNS;
use crate::error::ReportError;
use crate::exec::outcome::Status;

/// The last recorded outcome of each line.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    entries: HashMap<u64, Entry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) hash: u64,
    pub(crate) status: Status,
    /// The row may have been applied without its outcome saying so: it was being sent when the run stopped
    /// (`sending`), or its request was in flight when the run was aborted (`failed`, `Interrupted`).
    pub(crate) maybe_applied: bool,
}

fn journal_error(path: &Path, message: impl Into<String>) -> ReportError {
    ReportError::Journal {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// The length of the report's complete records: a record cut short by a crash or a full disk (no line end after
/// it) is not part of the journal. Its row had no outcome yet, so it runs again.
fn complete_len(path: &Path) -> Result<u64, ReportError> {
    std::fs::File::open(path)
        .and_then(|mut file| super::writer::complete_len(&mut file))
        .map_err(|e| journal_error(path, e.to_string()))
}

fn open(path: &Path) -> Result<csv::Reader<std::io::Take<std::fs::File>>, ReportError> {
    let complete = complete_len(path)?;
    let file = std::fs::File::open(path).map_err(|e| journal_error(path, e.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(std::io::Read::take(file, complete));
    let header = reader
        .headers()
        .map_err(|e| journal_error(path, e.to_string()))?;
    if header.iter().collect::<Vec<_>>() != COLUMNS {
        return Err(journal_error(
            path,
            "it is not a cognito-bulk report (unexpected header)",
        ));
    }
    Ok(reader)
}

/// The next complete record; a record with the wrong number of fields is an error naming its line (it is never
/// dropped silently).
fn next_record(
    path: &Path,
    records: &mut csv::StringRecordsIter<'_, std::io::Take<std::fs::File>>,
) -> Result<Option<csv::StringRecord>, ReportError> {
    let Some(record) = records.next() else {
        return Ok(None);
    };
    let record = record.map_err(|e| journal_error(path, e.to_string()))?;
    if record.len() != COLUMNS.len() {
        let line = record.position().map_or(0, |p| p.line());
        return Err(journal_error(
            path,
            format!(
                "line {line} has {} fields, a report row has {}: the file was edited, or an earlier version \
                 of this tool merged two records there; fix or remove that line",
                record.len(),
                COLUMNS.len()
            ),
        ));
    }
    Ok(Some(record))
}

impl Journal {
    /// Loads a report. A record cut short by a crash (no line end) is ignored: its row runs again.
    pub(crate) fn load(path: &Path) -> Result<Journal, ReportError> {
        let mut reader = open(path)?;
        let mut records = reader.records();
        let mut journal = Journal::default();
        while let Some(record) = next_record(path, &mut records)? {
            let parsed = (
                record[0].parse::<u64>(),
                u64::from_str_radix(&record[1], 16),
                Status::parse(&record[3]),
            );
            let (Ok(line), Ok(hash), Some(status)) = parsed else {
                let line = record.position().map_or(0, |p| p.line());
                return Err(journal_error(
                    path,
                    format!("line {line} is not a report row"),
                ));
            };
            let maybe_applied = status == Status::Sending
                || (status == Status::Failed && &record[5] == crate::exec::outcome::INTERRUPTED);
            journal.entries.insert(
                line,
                Entry {
                    hash,
                    status,
                    maybe_applied,
                },
            );
        }
        Ok(journal)
    }

    pub(crate) fn get(&self, line: u64) -> Option<Entry> {
        self.entries.get(&line).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Rewrites the report keeping only the last row of each line (atomically: temp file + rename).
pub(crate) fn compact(path: &Path) -> Result<(), ReportError> {
    // The last record of each line, by line number (input lines are dense: 4 bytes a line, flat).
    let mut last: Vec<u32> = Vec::new();
    let mut duplicates = complete_len(path)? != std::fs::metadata(path).map_or(0, |m| m.len());
    let mut reader = open(path)?;
    let mut records = reader.records();
    let mut index = 0u32;
    while let Some(record) = next_record(path, &mut records)? {
        let line = record[0]
            .parse::<usize>()
            .ok()
            // Input lines are dense: a number far beyond the records read is not one of this input's.
            .filter(|line| *line <= (index as usize + 1) * 64 + 1_000_000)
            .ok_or_else(|| {
                let at = record.position().map_or(0, |p| p.line());
                journal_error(
                    path,
                    format!(
                        "line {at} is not a report row (line number `{}`)",
                        &record[0]
                    ),
                )
            })?;
        if line >= last.len() {
            last.resize(line + 1, u32::MAX);
        }
        duplicates |= last[line] != u32::MAX;
        last[line] = index;
        index += 1;
    }
    if !duplicates {
        return Ok(());
    }
    let write_err = |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = tempfile::NamedTempFile::new_in(dir).map_err(write_err)?;
    {
        let mut writer = csv::Writer::from_writer(temp.as_file());
        writer
            .write_record(COLUMNS)
            .map_err(|e| write_err(std::io::Error::other(e)))?;
        let mut reader = open(path)?;
        let mut records = reader.records();
        let mut index = 0u32;
        while let Some(record) = next_record(path, &mut records)? {
            let keep = record[0]
                .parse::<usize>()
                .is_ok_and(|line| last.get(line) == Some(&index));
            index += 1;
            if keep {
                writer
                    .write_record(&record)
                    .map_err(|e| write_err(std::io::Error::other(e)))?;
            }
        }
        writer.flush().map_err(write_err)?;
    }
    temp.as_file().sync_all().map_err(write_err)?;
    temp.persist(path).map_err(|e| write_err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "line,row_hash,username,status,attempts,error_code,message,request_id,duration_ms,attributes\n";

    #[test]
    fn rows_that_may_have_been_applied_are_known_to_the_resume() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        let body = format!(
            "{}\n\
             2,00000000000000aa,al,sending,0,,,,0,email\n\
             3,00000000000000bb,bo,failed,1,Interrupted,stopped while a request was in flight,,9,email\n\
             4,00000000000000cc,cy,failed,5,InternalErrorException,boom,,9,email\n",
            COLUMNS.join(",")
        );
        std::fs::write(&path, body).unwrap();
        let journal = Journal::load(&path).unwrap();
        let maybe = |line| journal.get(line).map(|e| e.maybe_applied);
        assert_eq!(
            (maybe(2), maybe(3), maybe(4)),
            (Some(true), Some(true), Some(false))
        );
    }

    #[test]
    fn last_row_of_a_line_wins_and_compaction_keeps_only_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        let body = format!(
            "{HEADER}2,00000000000000aa,al,failed,5,InternalErrorException,x,,1,email\n\
             3,00000000000000bb,bo,updated,1,,,r1,1,email\n\
             2,00000000000000aa,al,updated,1,,,r2,1,email\n\
             4,00000000000000cc,cy,upd"
        );
        std::fs::write(&path, body).unwrap();
        let journal = Journal::load(&path).unwrap();
        assert_eq!(
            journal.get(2),
            Some(Entry {
                hash: 0xaa,
                status: Status::Updated,
                maybe_applied: false,
            })
        );
        assert_eq!(
            journal.get(4),
            None,
            "a row cut short by a crash is ignored"
        );
        compact(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!(
                "{HEADER}3,00000000000000bb,bo,updated,1,,,r1,1,email\n2,00000000000000aa,al,updated,1,,,r2,1,email\n"
            )
        );
    }

    #[test]
    fn a_file_that_is_not_a_report_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.csv");
        std::fs::write(&path, "username,email\nal,a@b.co\n").unwrap();
        assert!(
            Journal::load(&path)
                .unwrap_err()
                .to_string()
                .contains("not a cognito-bulk report")
        );
    }
}
