//! Streaming the input CSV: opening it, the header, then one record at a time.
//!
//! The input (a file or standard input) is first copied to an unnamed private temporary file (mode 0600, in
//! `$TMPDIR`, unlinked from the start so that not even `kill -9` leaves it behind), and every pass reads that
//! copy: the rows the execution sends are exactly the bytes the pre-flight checked, even if the file is changed
//! or appended to during the run. Each pass reads the copy at its own offset, with flat memory.
//!
//! RFC 4180 quoting, UTF-8 with or without BOM, LF or CRLF. A record with the wrong number of fields or invalid
//! UTF-8 is an [`InputError`] naming `file:line`, and so is a quoted field still open at the end of the file
//! (named by the line where its quote opened; see [`super::quotes`]). Whether a quoted value may span lines is
//! decided per row, by the row checks ([`super::text`]), from [`CsvInput::allows_multiline_values`].

use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use csv::StringRecord;

use super::header::Header;
use crate::error::InputError;

/// An input file that can be read several times.
#[derive(Debug)]
pub(crate) struct CsvInput {
    /// The name the user gave (`-` for standard input), used in messages.
    display: PathBuf,
    /// The private copy every pass reads.
    copy: Arc<File>,
    /// Line correction for CRLF files (see [`crlf_line_offset`]).
    line_offset: u64,
    /// Whether quoted values may span lines (`--allow-multiline-values`); otherwise such rows are invalid.
    allow_multiline_values: bool,
    /// `--raw-values`: cells are read as they are, without the leading-quote convention ([`super::cells`]).
    raw_values: bool,
    /// The field separator (`--delimiter`).
    delimiter: u8,
}

/// The csv crate reports a record's position before it consumes the `\n` of the previous record's `\r\n`, so in
/// CRLF files its line numbers are one too low. Whether the file uses CRLF is read from its first line ending.
fn crlf_line_offset(copy: &Arc<File>) -> std::io::Result<u64> {
    let mut head = Vec::with_capacity(1 << 16);
    At::new(copy, 0).take(1 << 16).read_to_end(&mut head)?;
    Ok(match head.iter().position(|b| *b == b'\n') {
        Some(i) if i > 0 && head[i - 1] == b'\r' => 1,
        _ => 0,
    })
}

/// A reader of the private copy at its own offset (positioned reads): passes never disturb each other.
struct At {
    file: Arc<File>,
    pos: u64,
}

impl At {
    fn new(file: &Arc<File>, pos: u64) -> Self {
        At {
            file: file.clone(),
            pos,
        }
    }
}

impl Read for At {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl CsvInput {
    /// Copies `path` (standard input when it is `-`) to the private temporary file the passes read.
    pub(crate) fn open(path: &Path) -> Result<Self, InputError> {
        let io = |source| InputError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut copy = tempfile::tempfile().map_err(|source| InputError::Copy {
            path: path.to_path_buf(),
            source,
        })?;
        let copied = if path == Path::new("-") {
            std::io::copy(&mut std::io::stdin().lock(), &mut copy)
        } else {
            let meta = std::fs::metadata(path).map_err(io)?;
            if meta.is_dir() {
                return Err(io(std::io::Error::other("is a directory")));
            }
            let mut file = File::open(path).map_err(io)?;
            std::io::copy(&mut file, &mut copy)
        };
        copied.map_err(|source| InputError::Copy {
            path: path.to_path_buf(),
            source,
        })?;
        let copy = Arc::new(copy);
        let line_offset = crlf_line_offset(&copy).map_err(io)?;
        Ok(CsvInput {
            display: path.into(),
            copy,
            line_offset,
            allow_multiline_values: false,
            raw_values: false,
            delimiter: b',',
        })
    }

    /// Reads fields separated by `delimiter`.
    #[must_use]
    pub(crate) fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Reads every cell as it is (no leading-quote convention).
    #[must_use]
    pub(crate) fn with_raw_values(mut self, raw: bool) -> Self {
        self.raw_values = raw;
        self
    }

    /// Allows (or not) quoted values that span lines.
    #[must_use]
    pub(crate) fn with_multiline_values(mut self, allow: bool) -> Self {
        self.allow_multiline_values = allow;
        self
    }

    /// Whether quoted values may span lines; when not, a row holding one is invalid.
    pub(crate) fn allows_multiline_values(&self) -> bool {
        self.allow_multiline_values
    }

    /// The name used in messages (`file:line`).
    pub(crate) fn display(&self) -> &Path {
        &self.display
    }

    /// Opens a new pass over the file: parses the header and returns it with an iterator over the records.
    pub(crate) fn rows(
        &self,
        username_column: Option<&str>,
        set_names: &[&str],
    ) -> Result<(Header, Rows), InputError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .delimiter(self.delimiter)
            .from_reader(BufReader::with_capacity(1 << 16, At::new(&self.copy, 0)));
        let header_record = reader
            .headers()
            .map_err(|e| csv_error(&self.display, e, 0))?
            .clone();
        let header_start = header_record.position().map(|p| (p.byte(), p.line()));
        let mut rows = Rows {
            reader,
            path: self.display.clone(),
            copy: self.copy.clone(),
            record: StringRecord::new(),
            cells: StringRecord::new(),
            raw_values: self.raw_values,
            line_offset: self.line_offset,
            last_start: header_start,
        };
        if header_record.iter().any(|c| c.contains(['\n', '\r'])) {
            // A header that spans lines is a quote opened in the header: closed later, or never.
            rows.check_last_record()?;
            return Err(InputError::Header {
                path: self.display.clone(),
                message: "a column name spans lines: a stray `\"` in the header swallowed the lines after it"
                    .into(),
            });
        }
        let header = Header::parse(&self.display, &header_record, username_column, set_names)?;
        Ok((header, rows))
    }
}

/// One record of a pass.
pub(crate) struct Record<'a> {
    /// The line the record starts on.
    pub(crate) line: u64,
    pub(crate) cells: &'a StringRecord,
    /// Every line break in the cells was marked deliberate by the leading-quote convention (an export's values):
    /// such a row is not refused for spanning lines.
    pub(crate) marked_breaks: bool,
}

/// The records of one pass, in file order.
pub(crate) struct Rows {
    reader: csv::Reader<BufReader<At>>,
    path: PathBuf,
    /// The private copy (for the end-of-file quote check).
    copy: Arc<File>,
    record: StringRecord,
    /// The record with the leading-quote convention undone (when a cell carried the mark).
    cells: StringRecord,
    raw_values: bool,
    line_offset: u64,
    /// Where the last record read started (byte offset, line as the csv crate counts it).
    last_start: Option<(u64, u64)>,
}

impl Rows {
    /// Reads the next record; `Ok(None)` at the end of the file. The line is where the record starts; a quoted
    /// value may make it end on a later line. The cells come with the leading-quote convention undone
    /// ([`super::cells`]); the flag says whether every line break in them was marked as deliberate.
    pub(crate) fn next_record(&mut self) -> Result<Option<Record<'_>>, InputError> {
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {
                let pos = self.record.position();
                self.last_start = pos.map(|p| (p.byte(), p.line()));
                let line = pos.map_or(0, |p| p.line()) + self.line_offset;
                if self.raw_values || !self.record.iter().any(|c| c.starts_with('\'')) {
                    return Ok(Some(Record {
                        line,
                        cells: &self.record,
                        marked_breaks: false,
                    }));
                }
                self.cells.clear();
                let mut unmarked_breaks = false;
                for cell in &self.record {
                    let (value, marked) = super::cells::unprotect(cell);
                    unmarked_breaks |= !marked && value.contains(['\n', '\r']);
                    self.cells.push_field(value);
                }
                Ok(Some(Record {
                    line,
                    cells: &self.cells,
                    marked_breaks: !unmarked_breaks,
                }))
            }
            Ok(false) => {
                self.check_last_record()?;
                Ok(None)
            }
            Err(e) => {
                let spans = self.record.iter().any(|f| f.contains('\n'));
                let mut err = csv_error(&self.path, e, self.line_offset);
                if let InputError::Csv { message, .. } = &mut err
                    && spans
                {
                    message.push_str(
                        " (it spans several lines: a stray `\"` probably opened a quoted value that swallowed the \
                         lines after it)",
                    );
                }
                Err(err)
            }
        }
    }

    /// At the end of the file: the csv crate ends a quoted field left open at the end of the file silently, which
    /// would swallow every line after a stray quote into one value. That is a file error here.
    fn check_last_record(&mut self) -> Result<(), InputError> {
        let Some((byte, line)) = self.last_start.take() else {
            return Ok(());
        };
        let io = |source| InputError::Open {
            path: self.path.clone(),
            source,
        };
        let rest = At::new(&self.copy, byte);
        match super::quotes::open_quote_at_end(BufReader::with_capacity(1 << 16, rest), line)
            .map_err(io)?
        {
            Some(opened) => Err(InputError::Csv {
                path: self.path.clone(),
                line: opened,
                message: "this line opens a quoted value that is never closed: the file ends inside it \
                          (a stray `\"`? quote a value whole, as \"...\", and double quotes inside it, as \"\")"
                    .into(),
            }),
            None => Ok(()),
        }
    }
}

fn csv_error(path: &Path, err: csv::Error, line_offset: u64) -> InputError {
    let text = err.to_string();
    let path = path.to_path_buf();
    match err.into_kind() {
        csv::ErrorKind::Io(source) => InputError::Open { path, source },
        csv::ErrorKind::Utf8 { pos, err } => InputError::Csv {
            path,
            line: pos.map_or(0, |p| p.line() + line_offset),
            message: format!(
                "invalid UTF-8 in field {} (the file must be UTF-8)",
                err.field() + 1
            ),
        },
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => InputError::Csv {
            path,
            line: pos.map_or(0, |p| p.line() + line_offset),
            message: format!("this row has {len} fields, the header has {expected_len}"),
        },
        _ => InputError::Csv {
            path,
            line: 0,
            message: text,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn input(bytes: &[u8]) -> (tempfile::NamedTempFile, CsvInput) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        let input = CsvInput::open(f.path()).unwrap();
        (f, input)
    }

    fn all(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, InputError> {
        let (_f, input) = input(bytes);
        let (_h, mut rows) = input.rows(None, &[])?;
        let mut out = Vec::new();
        while let Some(rec) = rows.next_record()? {
            out.push((rec.line, rec.cells.iter().map(str::to_string).collect()));
        }
        Ok(out)
    }

    #[test]
    fn reads_bom_crlf_and_quoted_fields_with_line_numbers() {
        let rows = all(b"\xef\xbb\xbfusername,name\r\nal,\"Smith, \"\"Al\"\"\"\r\nbo,\"two\nlines\"\r\ncy,x\r\n").unwrap();
        assert_eq!(
            rows[0],
            (2, vec!["al".to_string(), "Smith, \"Al\"".to_string()])
        );
        assert_eq!(rows[1].0, 3);
        assert_eq!(rows[1].1[1], "two\nlines");
        assert_eq!(rows[2].0, 5);
    }

    #[test]
    fn crlf_errors_name_the_right_line() {
        let err = all(b"username,name\r\nal,x\r\nbo\r\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with(":3: this row has 1 fields, the header has 2"),
            "{err}"
        );
    }

    #[test]
    fn wrong_field_count_names_the_line() {
        let err = all(b"username,name\nal,x\nbo\n").unwrap_err().to_string();
        assert!(
            err.ends_with(":3: this row has 1 fields, the header has 2"),
            "{err}"
        );
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let err = all(b"username,name\nal,x\nbo,\xff\xfe\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":3: invalid UTF-8 in field 2"), "{err}");
    }

    #[test]
    fn a_quote_left_open_at_the_end_of_the_file_names_the_line_it_opened() {
        let err = all(b"username,given_name\nuser-1,\"Al\nuser-2,Bo\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":2: this line opens a quoted value that is never closed"),
            "{err}"
        );
        let err = all(b"username,given_name\r\nuser-0,x\r\nuser-1,\"A\"\"l\r\nuser-2,Bo\r\n\r\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":3: this line opens"), "{err}");
        // The last value may be quoted, and may span lines, when it is closed.
        let rows = all(b"username,given_name\nuser-1,\"Al\nBo\"\nuser-2,\"\"\"Cy\"\"\"").unwrap();
        assert_eq!(
            rows[1],
            (4, vec!["user-2".to_string(), "\"Cy\"".to_string()])
        );
    }

    #[test]
    fn a_stray_quote_in_the_header_is_a_file_error() {
        let err = all(b"username,\"given_name\nuser-1,Al\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":1: this line opens a quoted value that is never closed"),
            "{err}"
        );
        let err = all(b"username,\"given\nname\"\nuser-1,Al\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":1: a column name spans lines"), "{err}");
    }

    #[test]
    fn a_merged_row_with_the_wrong_field_count_suggests_a_stray_quote() {
        let err = all(b"username,given_name\nuser-1,\"Al\nuser-2,Bo\nuser-3,\"Cy,x\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2: this row has 3 fields"), "{err}");
        assert!(err.contains("stray `\"`"), "{err}");
    }

    #[test]
    fn empty_file_has_no_header() {
        let (_f, input) = input(b"");
        assert!(matches!(
            input.rows(None, &[]),
            Err(InputError::NoHeader { .. })
        ));
    }

    #[test]
    fn missing_file_is_named() {
        let err = CsvInput::open(Path::new("/nonexistent/x.csv"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/x.csv"), "{err}");
    }
}
