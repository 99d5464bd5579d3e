//! Where each listed attribute goes in the CSV, so that the file is `update`'s own input format and an unmodified
//! export passes every row check of `update` (the pool's schema included):
//!
//! * an attribute `update` may send (a standard attribute other than `sub`, or a `custom:` one the pool's schema
//!   lists as mutable) gets a column of its own name;
//! * anything else is written under `cognito:<name>`, a column `update` ignores: `sub` (`cognito:sub`), immutable
//!   custom attributes (`cognito:custom:legacy_id`), names the schema does not list, names `update` can't send;
//! * a value `update` would refuse in its column (e.g. an email address its offline check rejects) is written
//!   under `cognito:<name>` too, and its cell in `<name>` is left empty (an empty cell is never sent).
//!
//! * with `--groups`, the membership columns `cognito-bulk:groups` and `cognito-bulk:enabled`, as `update` reads
//!   them.
//!
//! Column order: `username`, the attribute columns (standard attributes, then custom ones, alphabetically), the
//! membership columns, then the ignored `cognito:` columns (`cognito:sub` first). With `--attributes`, the order
//! given.

use std::collections::BTreeSet;

use crate::input::names::check_attribute_name;
use crate::input::row::{Attribute, UpdateRequest};
use crate::input::validate::check_attribute;
use crate::schema::PoolSchema;

/// The prefix of columns `update` ignores.
const IGNORED_PREFIX: &str = "cognito:";

/// The key column.
pub(crate) const KEY_COLUMN: &str = "username";

/// Whether `update` may send attribute `name` to this pool.
fn sendable(name: &str, schema: Option<&PoolSchema>) -> bool {
    !name.starts_with(IGNORED_PREFIX)
        && check_attribute_name(name).is_ok()
        && schema.is_none_or(|s| s.attributes.get(name).is_some_and(|a| a.mutable))
}

/// Whether `name` is one of `update`'s membership columns (written by `--groups`).
fn membership(name: &str) -> bool {
    crate::input::membership::COLUMNS.contains(&name)
}

/// The column `name` is written under when its value is accepted.
pub(crate) fn column_name(name: &str, schema: Option<&PoolSchema>) -> String {
    if sendable(name, schema) || name.starts_with(IGNORED_PREFIX) || membership(name) {
        name.to_string()
    } else {
        format!("{IGNORED_PREFIX}{name}")
    }
}

/// Whether `update` accepts `value` in column `name` (its offline row checks and the pool's schema).
fn value_accepted(name: &str, value: &str, schema: Option<&PoolSchema>) -> bool {
    if value.is_empty() {
        return true; // an empty cell is not sent
    }
    if check_attribute(name, value).is_err() {
        return false;
    }
    schema.is_none_or(|s| {
        s.check(&UpdateRequest {
            username: "x".into(),
            attributes: vec![Attribute {
                name: name.into(),
                value: value.into(),
            }],
            ..UpdateRequest::default()
        })
        .is_ok()
    })
}

/// The column a listed (name, value) is written under.
pub(crate) fn placement(name: &str, value: &str, schema: Option<&PoolSchema>) -> String {
    let column = column_name(name, schema);
    if column == name
        && !name.starts_with(IGNORED_PREFIX)
        && !membership(name)
        && !value_accepted(name, value, schema)
    {
        format!("{IGNORED_PREFIX}{name}")
    } else {
        column
    }
}

/// The columns found while listing, in their final order.
#[derive(Debug, Default)]
pub(crate) struct ColumnSet {
    /// `--attributes`, as columns, in the order given.
    fixed: Vec<String>,
    found: BTreeSet<String>,
}

impl ColumnSet {
    /// Every attribute found, or only `only` (names as ListUsers returns them).
    pub(crate) fn new(only: Option<&[String]>, schema: Option<&PoolSchema>) -> Self {
        let mut fixed = Vec::new();
        for name in only.unwrap_or_default() {
            let column = column_name(name, schema);
            if name != KEY_COLUMN && !fixed.contains(&column) {
                fixed.push(column);
            }
        }
        ColumnSet {
            fixed,
            found: BTreeSet::new(),
        }
    }

    pub(crate) fn note(&mut self, column: &str) {
        if !self.found.contains(column) {
            self.found.insert(column.to_string());
        }
    }

    /// The header: `username`, then the columns.
    pub(crate) fn header(&self, only: bool) -> Vec<String> {
        let mut out = vec![KEY_COLUMN.to_string()];
        if only {
            out.extend(self.fixed.iter().cloned());
            // values that had to move to their `cognito:` column
            out.extend(
                self.found
                    .iter()
                    .filter(|c| !self.fixed.contains(c))
                    .cloned(),
            );
            return out;
        }
        let (ignored, sent): (Vec<&String>, Vec<&String>) = self
            .found
            .iter()
            .partition(|c| c.starts_with(IGNORED_PREFIX));
        let (memberships, sent): (Vec<&String>, Vec<&String>) =
            sent.into_iter().partition(|c| membership(c));
        let (custom, standard): (Vec<&String>, Vec<&String>) =
            sent.into_iter().partition(|c| c.contains(':'));
        out.extend(standard.into_iter().cloned());
        out.extend(custom.into_iter().cloned());
        out.extend(memberships.into_iter().rev().cloned());
        let sub = format!("{IGNORED_PREFIX}sub");
        if ignored.contains(&&sub) {
            out.push(sub.clone());
        }
        out.extend(ignored.into_iter().filter(|c| **c != sub).cloned());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SchemaAttribute;

    fn schema() -> PoolSchema {
        let attr = |mutable| SchemaAttribute {
            data_type: "String".into(),
            mutable,
            max_length: Some(16),
            ..SchemaAttribute::default()
        };
        let mut s = PoolSchema::default();
        for name in ["email", "email_verified", "given_name", "phone_number"] {
            s.attributes.insert(name.into(), attr(true));
        }
        s.attributes.insert("sub".into(), attr(false));
        s.attributes.insert("custom:tier".into(), attr(true));
        s.attributes.insert("custom:legacy_id".into(), attr(false));
        s
    }

    #[test]
    fn what_update_cannot_send_goes_to_an_ignored_column() {
        let s = schema();
        let s = Some(&s);
        assert_eq!(column_name("email", s), "email");
        assert_eq!(column_name("custom:tier", s), "custom:tier");
        assert_eq!(column_name("sub", s), "cognito:sub");
        assert_eq!(column_name("sub", None), "cognito:sub");
        assert_eq!(
            column_name("custom:legacy_id", s),
            "cognito:custom:legacy_id"
        );
        assert_eq!(
            column_name("custom:legacy_id", None),
            "custom:legacy_id",
            "offline: unknown"
        );
        assert_eq!(column_name("custom:gone", s), "cognito:custom:gone");
        assert_eq!(column_name("identities", None), "cognito:identities");
        assert_eq!(column_name("cognito:mfa_enabled", s), "cognito:mfa_enabled");
    }

    #[test]
    fn a_value_update_would_refuse_moves_to_the_ignored_column() {
        let s = schema();
        let s = Some(&s);
        assert_eq!(placement("email", "a@b.example", s), "email");
        assert_eq!(placement("email", "a@localhost", s), "cognito:email");
        assert_eq!(
            placement("custom:tier", "x".repeat(17).as_str(), s),
            "cognito:custom:tier"
        );
        assert_eq!(placement("email", "", s), "email");
        assert_eq!(placement("sub", "0abc", s), "cognito:sub");
    }

    #[test]
    fn header_order() {
        let mut set = ColumnSet::new(None, None);
        for c in [
            "custom:tier",
            "email",
            "cognito:custom:legacy_id",
            "cognito:sub",
            "given_name",
        ] {
            set.note(c);
        }
        assert_eq!(
            set.header(false),
            [
                "username",
                "email",
                "given_name",
                "custom:tier",
                "cognito:sub",
                "cognito:custom:legacy_id"
            ]
        );
        let only = ["email".to_string(), "username".into(), "sub".into()];
        let mut set = ColumnSet::new(Some(&only), None);
        set.note("cognito:email");
        assert_eq!(
            set.header(true),
            ["username", "email", "cognito:sub", "cognito:email"]
        );
    }
}
