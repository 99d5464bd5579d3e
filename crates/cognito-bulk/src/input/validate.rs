//! Row checks before sending, from AdminUpdateUserAttributes' own rules (the AdminUpdateUserAttributes and
//! AttributeType API reference pages, and the developer guide's "Working with user attributes"): the user key,
//! attribute names, value lengths and formats, and the names in the delete column. A row that fails never
//! reaches Cognito and is reported `invalid`.
//!
//! Pure functions, no I/O: checks against a pool's real schema live in [`crate::schema`].

use std::sync::LazyLock;

use csv::StringRecord;
use regex::Regex;

use super::header::{DELETE_COLUMN, Header};
use super::membership::Membership;
use super::names::{check_attribute_name, name_list};
use super::problem::RowProblem;
use super::row::{Attribute, UpdateRequest};

/// Longest attribute value the API accepts.
const MAX_VALUE_CHARS: usize = 2048;
static USERNAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$").unwrap());
static E164: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\+[1-9][0-9]{1,14}$").unwrap());
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^@\s]+@[^@\s]+\.[^@\s]+$").unwrap());

/// Checks the user key: 1–128 characters of letters, marks, symbols, numbers and punctuation.
fn check_username(username: &str) -> Result<(), RowProblem> {
    let chars = username.chars().count();
    if chars == 0 {
        return Err(RowProblem::new(None, "the user key is empty"));
    }
    if chars > 128 {
        return Err(RowProblem::new(
            None,
            format!("the user key has {chars} characters; at most 128 are allowed"),
        ));
    }
    if !USERNAME.is_match(username) {
        return Err(RowProblem::new(
            None,
            "the user key contains spaces or control characters",
        ));
    }
    Ok(())
}

/// Checks one attribute to send and returns the value as it will be sent (`TRUE` → `true` for booleans).
pub(crate) fn check_attribute(name: &str, value: &str) -> Result<String, RowProblem> {
    let col = Some(name);
    check_attribute_name(name)?;
    let chars = value.chars().count();
    if chars > MAX_VALUE_CHARS {
        return Err(RowProblem::new(
            col,
            format!("the value has {chars} characters; at most 2048 are allowed"),
        ));
    }
    match name {
        "email_verified" | "phone_number_verified" => match value.to_ascii_lowercase().as_str() {
            v @ ("true" | "false") => return Ok(v.to_string()),
            _ => return Err(RowProblem::new(col, "must be `true` or `false`")),
        },
        "phone_number" if !E164.is_match(value) => {
            return Err(RowProblem::new(
                col,
                "not an E.164 phone number (`+` and 2–15 digits, e.g. +14325551212)",
            ));
        }
        "email" if !EMAIL.is_match(value) => {
            return Err(RowProblem::new(col, "not an email address"));
        }
        "updated_at" if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(RowProblem::new(
                col,
                "must be a number (seconds since 1970)",
            ));
        }
        "birthdate" if chars != 10 => {
            return Err(RowProblem::new(
                col,
                "must be 10 characters (the pool schema's fixed length)",
            ));
        }
        _ => {}
    }
    Ok(value.to_string())
}

/// Checks one record and builds its request. Empty cells are left out: they leave the attribute unchanged (an
/// empty value would make Cognito delete the attribute). `set` attributes are added to every row.
pub(crate) fn check_row(
    header: &Header,
    record: &StringRecord,
    set: &[Attribute],
) -> Result<UpdateRequest, RowProblem> {
    let username = record.get(header.key).unwrap_or_default();
    check_username(username).map_err(|p| RowProblem {
        column: Some(header.key_name().to_string()),
        ..p
    })?;
    let mut attributes = Vec::with_capacity(header.attributes.len() + set.len());
    let mut problems = Vec::new();
    for (index, name) in &header.attributes {
        let value = record.get(*index).unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        match check_attribute(name, value) {
            Ok(value) => attributes.push(Attribute {
                name: name.clone(),
                value,
            }),
            Err(problem) => problems.push(problem),
        }
    }
    let membership = header.membership.check(record).unwrap_or_else(|more| {
        problems.extend(more);
        Membership::default()
    });
    if let Some(problem) = RowProblem::all(problems) {
        return Err(problem);
    }
    attributes.extend(set.iter().cloned());
    let delete = match header.delete {
        Some(index) => check_delete(record.get(index).unwrap_or_default(), &attributes)?,
        None => vec![],
    };
    if attributes.is_empty() && delete.is_empty() && membership.is_empty() {
        return Err(RowProblem::new(
            None,
            "every attribute cell is empty: nothing to update",
        ));
    }
    Ok(UpdateRequest {
        username: username.to_string(),
        attributes,
        delete,
        membership,
    })
}

/// Parses and checks a [`DELETE_COLUMN`] cell: `;`-separated attribute names (spaces around them and empty
/// entries are ignored), each a valid attribute name, none twice, none also set by the same row.
fn check_delete(cell: &str, set: &[Attribute]) -> Result<Vec<String>, RowProblem> {
    name_list(cell, DELETE_COLUMN, "", |name| {
        check_attribute_name(name).map_err(|p| format!(": {}", p.reason))?;
        if set.iter().any(|a| a.name == name) {
            return Err(" is both set and deleted by this row".into());
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn attribute_table() {
        let ok = [
            ("email", "a@example.com"),
            ("email_verified", "TRUE"),
            ("phone_number", "+14325551212"),
            ("custom:tier", "gold"),
            ("dev:custom:x", "1"),
            ("custom:abcdefghijklmnopqrst", "20 chars"),
            ("updated_at", "1471453471"),
            ("birthdate", "1990-01-31"),
            ("given_name", ""),
        ];
        for (name, value) in ok {
            assert!(check_attribute(name, value).is_ok(), "{name}={value}");
        }
        let bad = [
            ("sub", "x", "can never be updated"),
            ("emial", "a@example.com", "not a standard attribute"),
            ("custom:", "x", "1–20 characters"),
            ("custom:abcdefghijklmnopqrstu", "x", "1–20 characters"),
            ("email_verified", "yes", "`true` or `false`"),
            ("phone_number", "555-0100", "E.164"),
            ("phone_number", "+1 432 555", "E.164"),
            ("email", "not-an-email", "not an email"),
            ("updated_at", "yesterday", "must be a number"),
            ("birthdate", "1/2/1990", "10 characters"),
            ("given_name", &"x".repeat(2049), "at most 2048"),
            ("", "x", "not a valid attribute name"),
            (
                "a_very_long_attribute_name_over_32_chars",
                "x",
                "not a valid attribute name",
            ),
        ];
        for (name, value, reason) in bad {
            let err = check_attribute(name, value).expect_err(name);
            assert!(err.reason.contains(reason), "{name}: {}", err.reason);
        }
        assert_eq!(check_attribute("email_verified", "TRUE").unwrap(), "true");
    }

    #[test]
    fn username_table() {
        assert!(check_username("user0001").is_ok());
        assert!(check_username("ünïcödé@example.com").is_ok());
        assert!(check_username("00000000-0000-4000-8000-000000000001").is_ok());
        assert!(check_username("").unwrap_err().reason.contains("empty"));
        assert!(
            check_username("two words")
                .unwrap_err()
                .reason
                .contains("spaces")
        );
        assert!(
            check_username(&"u".repeat(129))
                .unwrap_err()
                .reason
                .contains("128")
        );
    }

    #[test]
    fn empty_cells_are_not_sent_and_set_is_added() {
        let header = Header::parse(
            Path::new("x.csv"),
            &StringRecord::from(vec!["username", "email", "custom:tier"]),
            None,
            &["email_verified"],
        )
        .unwrap();
        let set = vec![Attribute {
            name: "email_verified".into(),
            value: "true".into(),
        }];
        let req = check_row(&header, &StringRecord::from(vec!["al", "", "gold"]), &set).unwrap();
        assert_eq!(req.attribute_names(), "custom:tier;email_verified");
        let err = check_row(&header, &StringRecord::from(vec!["al", "", ""]), &[]).unwrap_err();
        assert!(err.reason.contains("nothing to update"));
        let err = check_row(&header, &StringRecord::from(vec!["", "a@b.co", ""]), &[]).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("username"));
    }

    #[test]
    fn delete_column_table() {
        let given = [Attribute {
            name: "given_name".into(),
            value: "Ada".into(),
        }];
        assert_eq!(
            check_delete(" locale ; custom:tenant_id;", &given).unwrap(),
            vec!["locale".to_string(), "custom:tenant_id".to_string()]
        );
        assert!(check_delete("", &given).unwrap().is_empty());
        let bad = [
            ("sub", "can never be updated"),
            ("emial", "not a standard attribute"),
            ("custom:", "1–20 characters"),
            ("locale;locale", "listed twice"),
            ("given_name", "both set and deleted"),
        ];
        for (cell, reason) in bad {
            let err = check_delete(cell, &given).expect_err(cell);
            assert_eq!(err.column.as_deref(), Some(DELETE_COLUMN));
            assert!(err.reason.contains(reason), "{cell}: {}", err.reason);
        }
    }

    #[test]
    fn a_row_may_only_delete() {
        let header = Header::parse(
            Path::new("x.csv"),
            &StringRecord::from(vec!["username", "locale", DELETE_COLUMN]),
            None,
            &[],
        )
        .unwrap();
        let req = check_row(&header, &StringRecord::from(vec!["al", "", "locale"]), &[]).unwrap();
        assert!(req.attributes.is_empty());
        assert_eq!(req.delete, vec!["locale".to_string()]);
        assert_eq!(req.attribute_names(), "-locale");
        let err = check_row(
            &header,
            &StringRecord::from(vec!["al", "fr", "locale"]),
            &[],
        )
        .unwrap_err();
        assert!(
            err.reason.contains("both set and deleted"),
            "{}",
            err.reason
        );
        let err = check_row(&header, &StringRecord::from(vec!["al", "", ""]), &[]).unwrap_err();
        assert!(err.reason.contains("nothing to update"));
    }
}
