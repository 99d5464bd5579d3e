//! Row checks on the raw text of every cell, before any attribute rule: control characters (other than tab and
//! line breaks) are never valid, and a value that spans lines is refused unless multi-line values are allowed
//! (`--allow-multiline-values`), because it is almost always a stray `"` that merged the lines after it into one
//! value.

use csv::StringRecord;

use super::header::Header;
use super::problem::RowProblem;

/// Checks every cell of a record that starts on `line`.
pub(crate) fn check_text(
    header: &Header,
    record: &StringRecord,
    line: u64,
    allow_multiline: bool,
) -> Result<(), RowProblem> {
    let mut field_line = line;
    for (index, value) in record.iter().enumerate() {
        // Fast path: no C0 control (line breaks included), no DEL, no lead byte of U+0080–U+00BF (C1 controls).
        if !value.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) {
            continue;
        }
        let column = header.columns.get(index).map(String::as_str);
        if let Some((position, c)) = value
            .chars()
            .enumerate()
            .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            return Err(RowProblem::new(
                column,
                format!(
                    "contains the control character U+{:04X} at character {} of the cell; only tab and line \
                     breaks are allowed",
                    u32::from(c),
                    position + 1
                ),
            ));
        }
        let breaks = value.matches('\n').count() as u64;
        if !allow_multiline && value.contains(['\n', '\r']) {
            let end = field_line + breaks;
            return Err(RowProblem::new(
                column,
                format!(
                    "the value spans lines {field_line}–{end}: a quoted value across lines is usually a stray `\"` \
                     that swallowed the lines after it (fix the quote; if the file really has multi-line values, \
                     pass --allow-multiline-values)"
                ),
            ));
        }
        field_line += breaks;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn header() -> Header {
        Header::parse(
            Path::new("x.csv"),
            &StringRecord::from(vec!["username", "given_name", "custom:tier"]),
            None,
            &[],
        )
        .unwrap()
    }

    fn check(fields: &[&str], allow: bool) -> Result<(), RowProblem> {
        check_text(&header(), &StringRecord::from(fields.to_vec()), 7, allow)
    }

    #[test]
    fn control_characters_name_the_column() {
        assert!(check(&["al", "A\tl", "gold"], false).is_ok());
        let err = check(&["al", "A\0l", "gold"], false).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("given_name"));
        assert!(
            err.reason.contains("U+0000 at character 2"),
            "{}",
            err.reason
        );
        let err = check(&["a\u{1b}l", "x", "gold"], true).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("username"));
        assert!(err.reason.contains("U+001B"), "{}", err.reason);
        let err = check(&["al", "x", "go\u{85}ld"], true).unwrap_err();
        assert!(
            err.reason.contains("U+0085 at character 3"),
            "{}",
            err.reason
        );
        let err = check(&["al", "x\u{7f}", "gold"], true).unwrap_err();
        assert!(err.reason.contains("U+007F"), "{}", err.reason);
        assert!(check(&["al", "Ünïcödé ¡", "gold"], false).is_ok());
    }

    #[test]
    fn multi_line_values_name_their_lines_unless_allowed() {
        let err = check(&["al", "A\nl", "go\nl\nd"], false).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("given_name"));
        assert!(err.reason.contains("spans lines 7–8"), "{}", err.reason);
        assert!(err.reason.contains("--allow-multiline-values"));
        let err = check(&["al", "Al", "go\r\nld"], false).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("custom:tier"));
        assert!(err.reason.contains("spans lines 7–8"), "{}", err.reason);
        assert!(check(&["al", "A\nl", "go\nl\nd"], true).is_ok());
    }
}
