//! `--where NAME=VALUE` / `--where NAME!=VALUE`: the client-side selection of listed users. Every condition must
//! hold; a missing attribute has the empty value; `username` names the username; `email_verified` and
//! `phone_number_verified` compare case-insensitively (as `update` compares them).

use crate::cognito::before::same_value;
use crate::cognito::list_users::ListedUser;
use crate::error::ConfigError;
use crate::input::membership::{ENABLED, GROUPS};
use crate::schema::{PoolSchema, impossible_value, unknown_attribute};

/// One `--where` condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    pub(crate) name: String,
    /// `!=`: the condition holds when the value differs.
    negated: bool,
    pub(crate) value: String,
}

impl Condition {
    /// Parses `NAME=VALUE` or `NAME!=VALUE` (the first `=` splits; the value is taken as written).
    pub(crate) fn parse(text: &str) -> Result<Self, ConfigError> {
        let bad = || {
            ConfigError::Usage(format!(
                "--where `{text}`: expected NAME=VALUE or NAME!=VALUE (e.g. --where 'email_verified!=true')"
            ))
        };
        let (left, value) = text.split_once('=').ok_or_else(bad)?;
        let (name, negated) = match left.strip_suffix('!') {
            Some(name) => (name, true),
            None => (left, false),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(bad());
        }
        if name.contains(['<', '>', '~', '!', '=']) || value.starts_with('=') {
            return Err(ConfigError::Usage(format!(
                "--where `{text}`: the only operators are `=` and `!=` (e.g. --where 'email_verified!=true')"
            )));
        }
        Ok(Condition {
            name: name.to_string(),
            negated,
            value: value.to_string(),
        })
    }

    /// The condition as it would be typed.
    fn written(&self) -> String {
        let op = if self.negated { "!=" } else { "=" };
        format!("{}{op}{}", self.name, self.value)
    }

    pub(crate) fn holds(&self, user: &ListedUser) -> bool {
        let actual = if self.name == "username" {
            user.username.as_str()
        } else {
            user.get(&self.name).unwrap_or("")
        };
        same_value(&self.name, actual, &self.value) != self.negated
    }
}

/// Every name that `--where` and `--attributes` type, checked against the pool's schema (`None`: offline, the
/// standard names and the custom prefix only), every problem in one error: a misspelt name would select every user
/// (a missing attribute is empty) or write an empty column. `username` is the username; the membership columns
/// need `--groups`.
pub(crate) fn check_names(
    conditions: &[Condition],
    attributes: Option<&[String]>,
    groups: bool,
    schema: Option<&PoolSchema>,
) -> Result<(), ConfigError> {
    let membership = |name: &str| {
        [GROUPS, ENABLED]
            .contains(&name)
            .then(|| (!groups).then(|| format!("`{name}` is written by --groups: add --groups")))
    };
    let mut problems = Vec::new();
    for c in conditions {
        let why = match c.name.as_str() {
            "username" => None,
            name => match membership(name) {
                Some(why) => why.or_else(|| {
                    (name == ENABLED && !matches!(c.value.as_str(), "true" | "false"))
                        .then(|| format!("`{name}` is `true` or `false`, not `{}`", c.value))
                }),
                None => unknown_attribute(schema, name)
                    .or_else(|| impossible_value(schema, name, &c.value)),
            },
        };
        if let Some(why) = why {
            problems.push(format!("--where `{}`: {why}", c.written()));
        }
    }
    for name in attributes.unwrap_or_default() {
        let why = match membership(name) {
            Some(why) => why,
            None => unknown_attribute(schema, name),
        };
        if let Some(why) = why {
            problems.push(format!("--attributes `{name}`: {why}"));
        }
    }
    ConfigError::all(&problems, "Nothing was listed or written")
}

/// Whether every condition holds.
pub(crate) fn selected(conditions: &[Condition], user: &ListedUser) -> bool {
    conditions.iter().all(|c| c.holds(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(attrs: &[(&str, &str)]) -> ListedUser {
        ListedUser {
            username: "ada".into(),
            attributes: attrs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            enabled: true,
        }
    }

    #[test]
    fn parses_both_operators_and_refuses_the_rest() {
        let c = Condition::parse("email_verified!=true").unwrap();
        assert_eq!(
            (c.name.as_str(), c.negated, c.value.as_str()),
            ("email_verified", true, "true")
        );
        let c = Condition::parse("custom:note=a=b").unwrap();
        assert_eq!(
            (c.name.as_str(), c.negated, c.value.as_str()),
            ("custom:note", false, "a=b")
        );
        let c = Condition::parse("locale=").unwrap();
        assert_eq!(c.value, "");
        for bad in ["email", "=x", "!=x", " = x"] {
            let err = Condition::parse(bad).unwrap_err().to_string();
            assert!(err.contains("--where"), "{err}");
        }
    }

    #[test]
    fn a_missing_attribute_is_the_empty_value() {
        let u = user(&[("email_verified", "TRUE"), ("given_name", "Ada")]);
        let holds = |t: &str| Condition::parse(t).unwrap().holds(&u);
        assert!(holds("email_verified=true"), "booleans ignore case");
        assert!(!holds("email_verified!=true"));
        assert!(holds("locale="));
        assert!(holds("locale!=en"));
        assert!(!holds("locale=en"));
        assert!(holds("username=ada"));
        assert!(!holds("given_name=ada"), "other values are exact");
        let all = [
            Condition::parse("given_name=Ada").unwrap(),
            Condition::parse("locale!=fr").unwrap(),
        ];
        assert!(selected(&all, &u));
        assert!(selected(&[], &u));
        assert!(!selected(
            &[
                all[0].clone(),
                Condition::parse("email_verified=false").unwrap()
            ],
            &u
        ));
    }
}
