//! Streaming the input CSV: opening it (spooling standard input to a temporary file, so the file can be read
//! more than once with flat memory: pre-flight, then execution), the header, then one record at a time.
//!
//! RFC 4180 quoting, UTF-8 with or without BOM, LF or CRLF. A record with the wrong number of fields or invalid
//! UTF-8 is an [`InputError`] naming `file:line`, and so is a quoted field still open at the end of the file
//! (named by the line where its quote opened; see [`super::quotes`]). Whether a quoted value may span lines is
//! decided per row, by the row checks ([`super::text`]), from [`CsvInput::allows_multiline_values`].

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::header::Header;
use crate::error::InputError;

/// An input file that can be read several times.
#[derive(Debug)]
pub(crate) struct CsvInput {
    /// The name the user gave (`-` for standard input), used in messages.
    display: PathBuf,
    /// The file actually read.
    file: PathBuf,
    /// Keeps the spooled copy of standard input alive.
    _spool: Option<tempfile::NamedTempFile>,
    /// Line correction for CRLF files (see [`crlf_line_offset`]).
    line_offset: u64,
    /// Whether quoted values may span lines (`--allow-multiline-values`); otherwise such rows are invalid.
    allow_multiline_values: bool,
}

/// The csv crate reports a record's position before it consumes the `\n` of the previous record's `\r\n`, so in
/// CRLF files its line numbers are one too low. Whether the file uses CRLF is read from its first line ending.
fn crlf_line_offset(file: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    let mut head = Vec::with_capacity(1 << 16);
    File::open(file)?.take(1 << 16).read_to_end(&mut head)?;
    Ok(match head.iter().position(|b| *b == b'\n') {
        Some(i) if i > 0 && head[i - 1] == b'\r' => 1,
        _ => 0,
    })
}

impl CsvInput {
    /// Opens `path`, or spools standard input when `path` is `-`.
    pub(crate) fn open(path: &Path) -> Result<Self, InputError> {
        let io = |source| InputError::Open {
            path: path.to_path_buf(),
            source,
        };
        if path == Path::new("-") {
            let mut spool = tempfile::NamedTempFile::new().map_err(io)?;
            std::io::copy(&mut std::io::stdin().lock(), &mut spool).map_err(io)?;
            let line_offset = crlf_line_offset(spool.path()).map_err(io)?;
            return Ok(CsvInput {
                display: path.into(),
                file: spool.path().into(),
                _spool: Some(spool),
                line_offset,
                allow_multiline_values: false,
            });
        }
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.is_dir() {
            return Err(io(std::io::Error::other("is a directory")));
        }
        let line_offset = crlf_line_offset(path).map_err(io)?;
        Ok(CsvInput {
            display: path.into(),
            file: path.into(),
            _spool: None,
            line_offset,
            allow_multiline_values: false,
        })
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
        let file = File::open(&self.file).map_err(|source| InputError::Open {
            path: self.display.clone(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(BufReader::with_capacity(1 << 16, file));
        let header_record = reader
            .headers()
            .map_err(|e| csv_error(&self.display, e, 0))?
            .clone();
        let header_start = header_record.position().map(|p| (p.byte(), p.line()));
        let mut rows = Rows {
            reader,
            path: self.display.clone(),
            file: self.file.clone(),
            record: StringRecord::new(),
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

/// The records of one pass, in file order.
pub(crate) struct Rows {
    reader: csv::Reader<BufReader<File>>,
    path: PathBuf,
    /// The file actually read (for the end-of-file quote check).
    file: PathBuf,
    record: StringRecord,
    line_offset: u64,
    /// Where the last record read started (byte offset, line as the csv crate counts it).
    last_start: Option<(u64, u64)>,
}

impl Rows {
    /// Reads the next record; `Ok(None)` at the end of the file. The line is where the record starts; a quoted
    /// value may make it end on a later line.
    pub(crate) fn next_record(&mut self) -> Result<Option<(u64, &StringRecord)>, InputError> {
        match self.reader.read_record(&mut self.record) {
            Ok(true) => {
                let pos = self.record.position();
                self.last_start = pos.map(|p| (p.byte(), p.line()));
                let line = pos.map_or(0, |p| p.line()) + self.line_offset;
                Ok(Some((line, &self.record)))
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
        let mut file = File::open(&self.file).map_err(io)?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(byte)).map_err(io)?;
        match super::quotes::open_quote_at_end(BufReader::with_capacity(1 << 16, file), line)
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
        other => InputError::Csv {
            path,
            line: 0,
            message: format!("{:?}", other),
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
        while let Some((line, rec)) = rows.next_record()? {
            out.push((line, rec.iter().map(str::to_string).collect()));
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
