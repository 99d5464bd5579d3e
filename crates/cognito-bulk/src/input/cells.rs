//! The leading-quote convention of cells, shared by `export` (which writes it) and every reader of a CSV
//! (`update`, `validate`, `--snapshot`): OWASP's defence against CSV injection, made reversible.
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula, so an
//! export would hand it whatever an end user planted in their profile (`=HYPERLINK(...)`). `export` therefore
//! writes such a value with a `'` in front (a spreadsheet shows it as text), and also marks a value that starts
//! with `'` (so the mark can always be told from the data) and a value that holds a line break (so `update`
//! knows the break is deliberate, not a stray quote that swallowed the lines after it). Reading, a leading `'`
//! followed by one of those, or in a value holding a line break, is removed. `export --raw-values` writes values
//! as they are, and `update --raw-values` reads every cell as it is.

use std::borrow::Cow;

/// The first characters a spreadsheet takes for a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The mark.
const MARK: char = '\'';

fn breaks_lines(value: &str) -> bool {
    value.contains(['\n', '\r'])
}

/// The value as an export writes it.
pub(crate) fn protect(value: &str) -> Cow<'_, str> {
    let marked =
        value.starts_with(FORMULA_STARTS) || value.starts_with(MARK) || breaks_lines(value);
    if marked {
        Cow::Owned(format!("{MARK}{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// The value a cell holds, and whether it carried the mark.
pub(crate) fn unprotect(cell: &str) -> (&str, bool) {
    match cell.strip_prefix(MARK) {
        Some(rest)
            if rest.starts_with(FORMULA_STARTS) || rest.starts_with(MARK) || breaks_lines(rest) =>
        {
            (rest, true)
        }
        _ => (cell, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_and_no_formula_start_survives() {
        for value in [
            "plain",
            "",
            "=HYPERLINK(\"http://x\",\"y\")",
            "@SUM(A1)",
            "=cmd|' /C calc'!A0",
            "+15551234567",
            "-5",
            "\ttab",
            "\rcr",
            "'quoted",
            "''",
            "'",
            "two\nlines",
            "'=already",
            "a, \"b\"",
        ] {
            let written = protect(value);
            assert!(
                !written.starts_with(FORMULA_STARTS),
                "{value:?} -> {written:?}"
            );
            assert_eq!(unprotect(&written).0, value, "{value:?} -> {written:?}");
        }
        assert_eq!(
            unprotect("'hello"),
            ("'hello", false),
            "a quote before text is data"
        );
        assert_eq!(unprotect("'two\nlines"), ("two\nlines", true));
    }
}
