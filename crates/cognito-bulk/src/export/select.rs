//! `--where NAME=VALUE` / `--where NAME!=VALUE`: the client-side selection of listed users. Every condition must
//! hold; a missing attribute has the empty value; `username` names the username; `email_verified` and
//! `phone_number_verified` compare case-insensitively (as `update` compares them).

use crate::cognito::before::same_value;
use crate::cognito::list_users::ListedUser;
use crate::error::ConfigError;

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
        Ok(Condition {
            name: name.to_string(),
            negated,
            value: value.to_string(),
        })
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
