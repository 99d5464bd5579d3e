//! Validation of attribute names and values against a pool's schema, in the order Cognito appears to apply it:
//! existence in the schema, mutability, value format, then required attributes.
//!
//! Messages: schema and type problems are collected as `Invalid user attributes: user.<name>: <reason>` lines
//! joined by `\n` (no trailing newline); phone and email format errors are the standalone texts Cognito sends
//! ("Invalid phone number format.", "Invalid email address format."); blanking a required attribute is
//! `user.<name>: Required attribute cannot be deleted.`.

use super::model::{DataType, Pool, SchemaAttribute};
use super::protocol::ApiError;

/// Why attributes are being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// `AdminCreateUser` or seeding: immutable attributes may be set once.
    Create,
    /// `AdminUpdateUserAttributes` / `AdminDeleteUserAttributes`: only mutable attributes.
    Update,
}

fn invalid_user_attributes(lines: Vec<String>) -> ApiError {
    ApiError::invalid_parameter(format!("Invalid user attributes: {}", lines.join("\n")))
}

/// Every name must be in the schema, and for updates mutable.
pub(crate) fn check_names<'a>(
    pool: &Pool,
    names: impl Iterator<Item = &'a str>,
    purpose: Purpose,
) -> Result<(), ApiError> {
    let mut lines = Vec::new();
    for name in names {
        match pool.attribute(name) {
            None => lines.push(format!(
                "user.{name}: Attribute does not exist in the schema."
            )),
            Some(attr) if name == "sub" || (purpose == Purpose::Update && !attr.mutable) => {
                lines.push(format!("user.{name}: Attribute cannot be updated."))
            }
            Some(_) => {}
        }
    }
    if lines.is_empty() {
        Ok(())
    } else {
        Err(invalid_user_attributes(lines))
    }
}

/// Every non-empty value must fit its attribute's type and constraints. Names must already be checked.
pub(crate) fn check_values<'a>(
    pool: &Pool,
    attributes: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), ApiError> {
    let mut lines = Vec::new();
    for (name, value) in attributes {
        if value.is_empty() {
            continue;
        }
        match name {
            "phone_number" if !is_e164(value) => {
                return Err(ApiError::invalid_parameter("Invalid phone number format."));
            }
            "email" if !is_email(value) => {
                return Err(ApiError::invalid_parameter("Invalid email address format."));
            }
            _ => {}
        }
        if let Some(attr) = pool.attribute(name)
            && let Some(reason) = type_problem(attr, value)
        {
            lines.push(format!("user.{name}: {reason}"));
        }
    }
    if lines.is_empty() {
        Ok(())
    } else {
        Err(invalid_user_attributes(lines))
    }
}

fn type_problem(attr: &SchemaAttribute, value: &str) -> Option<String> {
    match attr.data_type {
        DataType::Boolean => parse_bool(value)
            .is_none()
            .then(|| "Attribute value must be true or false.".to_string()),
        DataType::Number => {
            let Some(n) = value.trim().parse::<f64>().ok().filter(|n| n.is_finite()) else {
                return Some("Attribute value must be a number.".to_string());
            };
            if let Some(min) = attr.min_value
                && n < min
            {
                return Some(format!(
                    "Attribute value must be greater than or equal to {}.",
                    show(min)
                ));
            }
            if let Some(max) = attr.max_value
                && n > max
            {
                return Some(format!(
                    "Attribute value must be less than or equal to {}.",
                    show(max)
                ));
            }
            None
        }
        DataType::String | DataType::DateTime => {
            let len = value.chars().count();
            if let Some(min) = attr.min_length
                && len < min
            {
                return Some(format!(
                    "Attribute value must be at least {min} characters long."
                ));
            }
            if let Some(max) = attr.max_length
                && len > max
            {
                return Some(format!(
                    "Attribute value must be at most {max} characters long."
                ));
            }
            None
        }
    }
}

fn show(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// Cognito's booleans: `true`/`false` in any case.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// `+` then 1–15 digits, the first not 0 (E.164).
pub(crate) fn is_e164(value: &str) -> bool {
    let Some(digits) = value.strip_prefix('+') else {
        return false;
    };
    (1..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// A pragmatic check: `local@domain.tld`, no whitespace, one `@`, no empty domain labels.
pub(crate) fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
}

/// Blank values for required attributes are refused.
pub(crate) fn check_required_not_blanked<'a>(
    pool: &Pool,
    attributes: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), ApiError> {
    for (name, value) in attributes {
        if value.is_empty() && pool.attribute(name).is_some_and(|a| a.required) {
            return Err(ApiError::invalid_parameter(format!(
                "user.{name}: Required attribute cannot be deleted."
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(is_e164("+15550100001"));
        assert!(!is_e164("15550100001"));
        assert!(!is_e164("+1 555"));
        assert!(!is_e164("+"));
        assert!(!is_e164("+1234567890123456"));
        assert!(is_email("a.b+c@example.co.uk"));
        assert!(!is_email("nope"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a@@b.com"));
        assert!(!is_email("a b@c.com"));
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("1"), None);
    }
}
