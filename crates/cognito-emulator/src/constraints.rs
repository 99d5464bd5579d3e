//! Model constraints on request members (lengths and patterns from the Cognito API model), reported the way AWS
//! reports them: `InvalidParameterException` "1 validation error detected: Value ... at 'member' failed to
//! satisfy constraint: ...", several violations joined with "; ".

use super::model::AttributeType;
use super::protocol::ApiError;

/// Collects violations and turns them into one error.
#[derive(Default)]
pub(crate) struct Violations(Vec<String>);

impl Violations {
    /// `sensitive` members are reported without their value, as AWS does.
    fn push(&mut self, value: &str, sensitive: bool, member: &str, constraint: String) {
        let shown = if sensitive {
            "Value".to_string()
        } else {
            format!("Value '{value}'")
        };
        self.0.push(format!(
            "{shown} at '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// Length in characters within `min..=max`.
    pub(crate) fn length(
        &mut self,
        value: &str,
        sensitive: bool,
        member: &str,
        min: usize,
        max: usize,
    ) {
        let len = value.chars().count();
        if len < min {
            self.push(
                value,
                sensitive,
                member,
                format!("Member must have length greater than or equal to {min}"),
            );
        } else if len > max {
            self.push(
                value,
                sensitive,
                member,
                format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// Every character satisfies `ok`; `pattern` is the model's regular expression, for the message.
    pub(crate) fn pattern(
        &mut self,
        value: &str,
        sensitive: bool,
        member: &str,
        pattern: &str,
        ok: impl Fn(&str) -> bool,
    ) {
        if !value.is_empty() && !ok(value) {
            self.push(
                value,
                sensitive,
                member,
                format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    pub(crate) fn into_result(self) -> Result<(), ApiError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(ApiError::invalid_parameter(format!(
                "1 validation error detected: {}",
                self.0[0]
            ))),
            n => Err(ApiError::invalid_parameter(format!(
                "{n} validation errors detected: {}",
                self.0.join("; ")
            ))),
        }
    }
}

/// `[\w-]+_[0-9a-zA-Z]+`, 1–55 characters.
pub(crate) fn user_pool_id(v: &mut Violations, id: &str) {
    v.length(id, false, "userPoolId", 1, 55);
    v.pattern(id, false, "userPoolId", r"[\w-]+_[0-9a-zA-Z]+", |s| {
        s.rsplit_once('_').is_some_and(|(region, rest)| {
            !region.is_empty()
                && !rest.is_empty()
                && region
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && rest.chars().all(|c| c.is_ascii_alphanumeric())
        })
    });
}

/// `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`: printable, no whitespace or control characters.
fn visible(s: &str) -> bool {
    s.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// `[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r ]+`.
fn visible_or_space(s: &str) -> bool {
    s.chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | ' ') || (!c.is_whitespace() && !c.is_control()))
}

/// 1–128 characters, `[\p{L}\p{M}\p{S}\p{N}\p{P}]+` (sensitive).
pub(crate) fn username(v: &mut Violations, username: &str) {
    v.length(username, true, "username", 1, 128);
    v.pattern(
        username,
        true,
        "username",
        r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+",
        visible,
    );
}

/// A group name: 1–128 characters, `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`.
pub(crate) fn group_name(v: &mut Violations, name: &str) {
    v.length(name, false, "groupName", 1, 128);
    v.pattern(
        name,
        false,
        "groupName",
        r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+",
        visible,
    );
}

/// Attribute names (1–32, pattern) and values (≤ 2048, sensitive) of a `UserAttributes` list.
pub(crate) fn attributes(v: &mut Violations, member: &str, attributes: &[AttributeType]) {
    for (i, attribute) in attributes.iter().enumerate() {
        let at = format!("{member}.{}.member", i + 1);
        match &attribute.name {
            None => v.0.push(format!(
                "Value null at '{at}.name' failed to satisfy constraint: Member must not be null"
            )),
            Some(name) => attribute_name(v, &format!("{at}.name"), name),
        }
        if let Some(value) = &attribute.value {
            v.length(value, true, &format!("{at}.value"), 0, 2048);
        }
    }
}

/// One attribute name: 1–32 characters, `[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r ]+`.
pub(crate) fn attribute_name(v: &mut Violations, member: &str, name: &str) {
    v.length(name, false, member, 1, 32);
    v.pattern(
        name,
        false,
        member,
        r"[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r ]+",
        visible_or_space,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_id_pattern() {
        for (id, ok) in [
            ("us-east-1_AbC123", true),
            ("local_x", true),
            ("nounderscore", false),
            ("a_b-c", false),
            ("_abc", false),
            ("a_", false),
        ] {
            let mut v = Violations::default();
            user_pool_id(&mut v, id);
            assert_eq!(v.into_result().is_ok(), ok, "{id}");
        }
    }

    #[test]
    fn messages_count_violations() {
        let mut v = Violations::default();
        username(&mut v, "has space");
        user_pool_id(&mut v, "bad");
        let err = v.into_result().unwrap_err();
        assert!(
            err.message
                .starts_with("2 validation errors detected: Value at 'username'"),
            "{}",
            err.message
        );
    }
}
