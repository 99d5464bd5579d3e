//! A user pool's schema and settings, read once with DescribeUserPool, and the row checks that need it: the
//! attribute exists and is mutable, its data type, string length and number range, and a required attribute is
//! not emptied. Also the pool settings the verification-message guard explains.
//!
//! Standard attributes are part of every pool: a DescribeUserPool answer that does not list them (moto lists only
//! custom attributes) still gets them, with Cognito's default rules ([`standard_attribute`]).

use std::collections::HashMap;

use crate::input::header::DELETE_COLUMN;
use crate::input::names::{closest, prefix_case, unknown_column};
use crate::input::problem::RowProblem;
use crate::input::row::UpdateRequest;

/// One schema attribute, with the name used in API calls (`custom:tier`, `dev:custom:x`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SchemaAttribute {
    pub(crate) data_type: String,
    pub(crate) mutable: bool,
    pub(crate) required: bool,
    pub(crate) min_length: Option<usize>,
    pub(crate) max_length: Option<usize>,
    pub(crate) min_value: Option<f64>,
    pub(crate) max_value: Option<f64>,
}

/// The parts of DescribeUserPool the job uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PoolSchema {
    pub(crate) attributes: HashMap<String, SchemaAttribute>,
    pub(crate) username_attributes: Vec<String>,
    pub(crate) alias_attributes: Vec<String>,
    pub(crate) auto_verified: Vec<String>,
    pub(crate) keep_original_until_verified: Vec<String>,
    pub(crate) email_sending_account: Option<String>,
    pub(crate) case_sensitive: bool,
    /// DescribeUserPool's `EstimatedNumberOfUsers`; `None` when the pool gives none (or says 0).
    pub(crate) estimated_users: Option<u64>,
}

/// A standard attribute's rules in Cognito's default schema (the developer guide's "Working with user attributes", and DescribeUserPool's answer for a default pool), `None` for any other name.
fn standard_attribute(name: &str) -> Option<SchemaAttribute> {
    let string = |min, max| SchemaAttribute {
        data_type: "String".into(),
        mutable: true,
        required: false,
        min_length: Some(min),
        max_length: Some(max),
        ..Default::default()
    };
    Some(match name {
        "sub" => SchemaAttribute {
            mutable: false,
            required: true,
            ..string(1, 2048)
        },
        "birthdate" => string(10, 10),
        "email_verified" | "phone_number_verified" => SchemaAttribute {
            data_type: "Boolean".into(),
            mutable: true,
            ..Default::default()
        },
        "updated_at" => SchemaAttribute {
            data_type: "Number".into(),
            mutable: true,
            min_value: Some(0.0),
            ..Default::default()
        },
        _ if crate::input::names::STANDARD_ATTRIBUTES.contains(&name) => string(0, 2048),
        _ => return None,
    })
}

impl PoolSchema {
    /// Adds every standard attribute the pool's answer did not list, with its default rules; listed ones are
    /// kept as the pool describes them.
    pub(crate) fn with_standard_attributes(mut self) -> Self {
        let names = crate::input::names::STANDARD_ATTRIBUTES
            .iter()
            .chain(&["sub"]);
        for name in names {
            if !self.attributes.contains_key(*name)
                && let Some(rules) = standard_attribute(name)
            {
                self.attributes.insert((*name).to_string(), rules);
            }
        }
        self
    }

    /// Checks a request against the schema.
    pub(crate) fn check(&self, request: &UpdateRequest) -> Result<(), RowProblem> {
        let problems = request
            .attributes
            .iter()
            .filter_map(|attr| self.check_attribute(attr).err())
            .collect();
        if let Some(problem) = RowProblem::all(problems) {
            return Err(problem);
        }
        for name in &request.delete {
            let col = Some(DELETE_COLUMN);
            let problem = match self.attributes.get(name) {
                None => "the pool's schema has no such attribute",
                Some(s) if !s.mutable => "the pool's schema makes this attribute immutable",
                Some(s) if s.required => "a required attribute cannot be deleted",
                Some(_) => continue,
            };
            return Err(RowProblem::new(col, format!("`{name}`: {problem}")));
        }
        Ok(())
    }

    /// Checks one attribute to set against the schema.
    fn check_attribute(&self, attr: &crate::input::row::Attribute) -> Result<(), RowProblem> {
        let col = Some(attr.name.as_str());
        let Some(schema) = self.attributes.get(&attr.name) else {
            let hint = closest(&attr.name, self.attributes.keys().map(String::as_str))
                .map_or(String::new(), |near| format!(": did you mean `{near}`?"));
            return Err(RowProblem::new(
                col,
                format!("the pool's schema has no such attribute{hint}"),
            ));
        };
        if !schema.mutable {
            return Err(RowProblem::new(
                col,
                "the pool's schema makes this attribute immutable",
            ));
        }
        let chars = attr.value.chars().count();
        if attr.value.is_empty() {
            if schema.required {
                return Err(RowProblem::new(
                    col,
                    "a required attribute cannot be emptied",
                ));
            }
            return Ok(());
        }
        match schema.data_type.as_str() {
            "Number" => {
                let Ok(n) = attr.value.parse::<f64>() else {
                    return Err(RowProblem::new(
                        col,
                        "the pool's schema makes this a Number",
                    ));
                };
                if schema.min_value.is_some_and(|min| n < min)
                    || schema.max_value.is_some_and(|max| n > max)
                {
                    return Err(RowProblem::new(
                        col,
                        format!(
                            "out of the schema's range {}..{}",
                            fmt(schema.min_value),
                            fmt(schema.max_value)
                        ),
                    ));
                }
            }
            "Boolean" if !matches!(attr.value.as_str(), "true" | "false") => {
                return Err(RowProblem::new(
                    col,
                    "the pool's schema makes this a Boolean (`true` or `false`)",
                ));
            }
            _ => {}
        }
        if schema.min_length.is_some_and(|min| chars < min)
            || schema.max_length.is_some_and(|max| chars > max)
        {
            return Err(RowProblem::new(
                col,
                format!(
                    "{chars} characters, out of the schema's length {}..{}",
                    fmt(schema.min_length.map(|v| v as f64)),
                    fmt(schema.max_length.map(|v| v as f64))
                ),
            ));
        }
        Ok(())
    }

    /// Whether the pool sends email itself (Cognito's default sender: 50 emails a day per account).
    pub(crate) fn uses_default_email_sender(&self) -> bool {
        self.email_sending_account
            .as_deref()
            .is_none_or(|a| a == "COGNITO_DEFAULT")
    }
}

/// Why `name`, typed by a person (`--where`, `--attributes`, `--set`), is not an attribute of the pool (`None`
/// when it is), with the closest of the pool's own names. Without the schema, the header's offline rule
/// ([`unknown_column`]): the standard names and the custom prefix; a `custom:` name passes.
pub(crate) fn unknown_attribute(schema: Option<&PoolSchema>, name: &str) -> Option<String> {
    let Some(schema) = schema else {
        return unknown_column(name);
    };
    if schema.attributes.contains_key(name) {
        return None;
    }
    if let Some(problem) = prefix_case(name) {
        return Some(problem);
    }
    let mut known: Vec<&str> = schema.attributes.keys().map(String::as_str).collect();
    known.sort_unstable();
    let hint =
        closest(name, known).map_or(String::new(), |near| format!(": did you mean `{near}`?"));
    Some(format!("the pool has no attribute `{name}`{hint}"))
}

/// Why `value` can never be a value of attribute `name` (`None` when it can): a Boolean is `true` or `false`, a
/// Number a number; an empty value is the missing attribute. For the values a person types in `--where`.
pub(crate) fn impossible_value(
    schema: Option<&PoolSchema>,
    name: &str,
    value: &str,
) -> Option<String> {
    let data_type = schema
        .and_then(|s| s.attributes.get(name))
        .map(|a| a.data_type.clone())
        .or_else(|| standard_attribute(name).map(|a| a.data_type))?;
    let lower = value.to_ascii_lowercase();
    match data_type.as_str() {
        _ if value.is_empty() => None,
        "Boolean" if lower != "true" && lower != "false" => Some(format!(
            "`{name}` is a Boolean: compare it with `true` or `false`, not `{value}`"
        )),
        "Number" if value.parse::<f64>().is_err() => {
            Some(format!("`{name}` is a Number: `{value}` is not one"))
        }
        _ => None,
    }
}

fn fmt(v: Option<f64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::row::Attribute;

    fn schema() -> PoolSchema {
        let mut attributes = HashMap::new();
        let s = |t: &str, m: bool, r: bool| SchemaAttribute {
            data_type: t.into(),
            mutable: m,
            required: r,
            ..Default::default()
        };
        attributes.insert(
            "email".into(),
            SchemaAttribute {
                max_length: Some(2048),
                ..s("String", true, true)
            },
        );
        attributes.insert(
            "custom:tier".into(),
            SchemaAttribute {
                max_length: Some(4),
                ..s("String", true, false)
            },
        );
        attributes.insert("custom:legacy".into(), s("String", false, false));
        attributes.insert(
            "custom:score".into(),
            SchemaAttribute {
                min_value: Some(0.0),
                max_value: Some(10.0),
                ..s("Number", true, false)
            },
        );
        PoolSchema {
            attributes,
            ..Default::default()
        }
    }

    fn check(name: &str, value: &str) -> Result<(), RowProblem> {
        let req = UpdateRequest {
            username: "u".into(),
            attributes: vec![Attribute {
                name: name.into(),
                value: value.into(),
            }],
            delete: vec![],
            membership: Default::default(),
        };
        schema().check(&req)
    }

    #[test]
    fn standard_attributes_are_known_even_when_the_pool_lists_only_custom_ones() {
        let moto = PoolSchema {
            attributes: schema()
                .attributes
                .into_iter()
                .filter(|(n, _)| n.starts_with("custom:"))
                .collect(),
            ..Default::default()
        }
        .with_standard_attributes();
        let check = |name: &str, value: &str| {
            moto.check(&UpdateRequest {
                username: "u".into(),
                attributes: vec![Attribute {
                    name: name.into(),
                    value: value.into(),
                }],
                delete: vec![],
                membership: Default::default(),
            })
        };
        for (name, value) in [
            ("email", "a@example.com"),
            ("given_name", "Ada"),
            ("email_verified", "true"),
            ("updated_at", "1700000000"),
            ("birthdate", "1990-01-31"),
            ("custom:tier", "gold"),
        ] {
            assert!(check(name, value).is_ok(), "{name}");
        }
        for (name, value, reason) in [
            ("sub", "x", "immutable"),
            ("email_verified", "yes", "Boolean"),
            ("updated_at", "-1", "range"),
            ("birthdate", "1990-1-31", "length"),
            ("custom:nope", "x", "no such attribute"),
        ] {
            let err = check(name, value).expect_err(name);
            assert!(err.reason.contains(reason), "{name}: {}", err.reason);
        }
        // A pool's own description of a standard attribute wins.
        let listed = schema().with_standard_attributes();
        assert!(listed.attributes["email"].required);
    }

    #[test]
    fn schema_table() {
        assert!(check("custom:tier", "gold").is_ok());
        assert!(check("custom:score", "7").is_ok());
        let cases = [
            ("custom:nope", "x", "no such attribute"),
            ("custom:legacy", "x", "immutable"),
            ("custom:tier", "platinum", "length"),
            ("custom:score", "11", "range"),
            ("custom:score", "high", "Number"),
            ("email", "", "required"),
        ];
        for (name, value, reason) in cases {
            let err = check(name, value).expect_err(name);
            assert!(err.reason.contains(reason), "{name}: {}", err.reason);
        }
    }
}
