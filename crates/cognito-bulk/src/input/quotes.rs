//! Finding a quoted field left open at the end of the file. The csv crate (like most readers) ends such a field
//! silently at the end of the input, so one stray `"` merges every line after it into one value. This scanner
//! re-reads the last record with the same quoting rules (RFC 4180: `"` opens a field only at its start, `""` is a
//! quote inside a quoted field) and says on which line the quote that never closes was opened.

use std::io::{BufRead, ErrorKind};

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted field: the end of the field, or the first half of `""`.
    QuoteInQuoted,
}

/// Reads from the start of a record (as positioned by the csv crate, possibly on the `\n` of the previous
/// `\r\n`) to the end of the input; returns the line where a quoted field still open at the end was opened.
/// `line` is the csv crate's line number of that position; every `\n` read counts one more.
pub(crate) fn open_quote_at_end(
    mut input: impl BufRead,
    mut line: u64,
) -> std::io::Result<Option<u64>> {
    let mut state = State::FieldStart;
    let mut opened_on = line;
    loop {
        let buf = match input.fill_buf() {
            Ok([]) => break,
            Ok(buf) => buf,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for &b in buf {
            if b == b'\n' {
                line += 1;
            }
            state = match (state, b) {
                (State::FieldStart, b'"') => {
                    opened_on = line;
                    State::Quoted
                }
                (
                    State::FieldStart | State::Unquoted | State::QuoteInQuoted,
                    b',' | b'\n' | b'\r',
                ) => State::FieldStart,
                (State::FieldStart | State::Unquoted, _) => State::Unquoted,
                (State::Quoted, b'"') => State::QuoteInQuoted,
                (State::Quoted, _) => State::Quoted,
                (State::QuoteInQuoted, b'"') => State::Quoted,
                // The csv crate keeps what follows a closing quote as part of the field.
                (State::QuoteInQuoted, _) => State::Unquoted,
            };
        }
        let n = buf.len();
        input.consume(n);
    }
    Ok((state == State::Quoted).then_some(opened_on))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> Option<u64> {
        open_quote_at_end(text.as_bytes(), 2).unwrap()
    }

    #[test]
    fn quote_states() {
        assert_eq!(scan("a,b\n"), None);
        assert_eq!(scan("a,\"b\"\n"), None);
        assert_eq!(scan("a,\"b\nc\"\n"), None);
        assert_eq!(scan("a,\"b\"\"c\"\n"), None);
        assert_eq!(scan("a,\"b\nc,d\n"), Some(2));
        assert_eq!(
            scan("a,\"b\"\"\n"),
            Some(2),
            "an escaped quote does not close"
        );
        assert_eq!(
            scan("a,b\"c\n"),
            None,
            "a quote inside an unquoted field is data"
        );
        assert_eq!(
            scan("a,\"b\"x\"\n"),
            None,
            "after a closing quote, quotes are data"
        );
        assert_eq!(
            scan("a,\"b\nc\",\"d\ne\n"),
            Some(3),
            "the line where the open quote opened"
        );
        assert_eq!(
            scan("\na,\"b"),
            Some(3),
            "the position may be on the previous `\\n`"
        );
    }
}
