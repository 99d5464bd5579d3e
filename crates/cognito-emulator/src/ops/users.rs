//! User operations: `AdminCreateUser`, `AdminGetUser`, `AdminDeleteUser`, `AdminEnableUser`, `AdminDisableUser`,
//! `ListUsers`.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::constraints::{self, Violations};
use super::super::model::{AttributeType, Pool, User};
use super::super::protocol::{ApiError, Operation, parse, required};
use super::super::quota::TokenBucket;
use super::super::store::{NewUser, State};
use super::{Ctx, bad_token, empty, find_user, limit, to_body};

/// `[{Name, Value}]` with `sub` first.
pub(crate) fn attribute_list(user: &User, only: Option<&[String]>) -> Vec<AttributeType> {
    let wanted = |name: &str| only.is_none_or(|names| names.iter().any(|n| n == name));
    let sub = std::iter::once(("sub", user.sub.as_str()));
    let rest = user
        .attributes
        .iter()
        .filter(|(name, _)| name.as_str() != "sub")
        .map(|(n, v)| (n.as_str(), v.as_str()));
    sub.chain(rest)
        .filter(|(name, _)| wanted(name))
        .map(|(name, value)| AttributeType {
            name: Some(name.to_string()),
            value: Some(value.to_string()),
        })
        .collect()
}

/// Cognito's `UserType` (ListUsers, AdminCreateUser): attributes under `Attributes`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UserType<'a> {
    username: &'a str,
    attributes: Vec<AttributeType>,
    user_create_date: f64,
    user_last_modified_date: f64,
    enabled: bool,
    user_status: &'a str,
}

impl<'a> UserType<'a> {
    pub(crate) fn new(user: &'a User, only: Option<&[String]>) -> Self {
        Self {
            username: &user.username,
            attributes: attribute_list(user, only),
            user_create_date: user.created,
            user_last_modified_date: user.modified,
            enabled: user.enabled,
            user_status: &user.status,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AdminCreateUserInput {
    user_pool_id: Option<String>,
    username: Option<String>,
    #[serde(default)]
    user_attributes: Vec<AttributeType>,
    message_action: Option<String>,
}

pub(crate) struct AdminCreateUser {
    pool_id: String,
    username: String,
    attributes: Vec<(String, String)>,
}

impl AdminCreateUser {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: AdminCreateUserInput = parse(body)?;
        let pool_id = required(input.user_pool_id, "UserPoolId")?;
        let username = required(input.username, "Username")?;
        let mut v = Violations::default();
        constraints::user_pool_id(&mut v, &pool_id);
        constraints::username(&mut v, &username);
        constraints::attributes(&mut v, "userAttributes", &input.user_attributes);
        v.into_result()?;
        if let Some(action) = input.message_action.as_deref()
            && action != "SUPPRESS"
            && action != "RESEND"
        {
            return Err(ApiError::invalid_parameter(format!(
                "1 validation error detected: Value '{action}' at 'messageAction' failed to satisfy constraint: \
                 Member must satisfy enum value set: [RESEND, SUPPRESS]"
            )));
        }
        let attributes = input
            .user_attributes
            .into_iter()
            .map(|a| (a.name.unwrap_or_default(), a.value.unwrap_or_default()))
            .collect();
        Ok(Self {
            pool_id,
            username,
            attributes,
        })
    }

    pub(crate) fn execute(self, state: &mut State, ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
        let pool = state.pool_mut(&self.pool_id)?;
        let seq = pool.create_user(
            NewUser {
                username: self.username,
                attributes: self.attributes,
                enabled: true,
                status: "FORCE_CHANGE_PASSWORD".to_string(),
                ..NewUser::default()
            },
            ctx.now,
        )?;
        let user = &pool.users[&seq];
        to_body(&json!({ "User": UserType::new(user, None) }))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserRefInput {
    user_pool_id: Option<String>,
    username: Option<String>,
}

/// `{UserPoolId, Username}`: the input of `AdminGetUser` and `AdminDeleteUser`.
pub(crate) struct UserRef {
    pool_id: String,
    username: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AdminGetUserOutput<'a> {
    username: &'a str,
    user_attributes: Vec<AttributeType>,
    user_create_date: f64,
    user_last_modified_date: f64,
    enabled: bool,
    user_status: &'a str,
}

/// Takes a token from the user's write bucket, if the per-user quota is on.
pub(crate) fn per_user_write(user: &mut User, ctx: &Ctx<'_>) -> Result<(), ApiError> {
    if let Some(rate) = ctx.per_user_write_rate {
        let bucket = user
            .write_bucket
            .get_or_insert_with(|| TokenBucket::new(rate, ctx.clock));
        if !bucket.try_take(ctx.clock) {
            return Err(ApiError::throttled());
        }
    }
    Ok(())
}

impl UserRef {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: UserRefInput = parse(body)?;
        let pool_id = required(input.user_pool_id, "UserPoolId")?;
        let username = required(input.username, "Username")?;
        let mut v = Violations::default();
        constraints::user_pool_id(&mut v, &pool_id);
        constraints::username(&mut v, &username);
        v.into_result()?;
        Ok(Self { pool_id, username })
    }

    fn find<'a>(
        &self,
        state: &'a mut State,
        ctx: &Ctx<'_>,
    ) -> Result<(&'a mut Pool, u64), ApiError> {
        find_user(state, ctx, &self.pool_id, &self.username)
    }

    pub(crate) fn get(self, state: &mut State, ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
        let (pool, seq) = self.find(state, ctx)?;
        let user = &pool.users[&seq];
        let result = to_body(&AdminGetUserOutput {
            username: &user.username,
            user_attributes: attribute_list(user, None),
            user_create_date: user.created,
            user_last_modified_date: user.modified,
            enabled: user.enabled,
            user_status: &user.status,
        });
        ctx.counters
            .mau
            .record(&mut pool.mau, Operation::AdminGetUser, seq, &result);
        result
    }

    /// `AdminEnableUser` (`true`) / `AdminDisableUser` (`false`); idempotent.
    pub(crate) fn set_enabled(
        self,
        state: &mut State,
        ctx: &Ctx<'_>,
        enabled: bool,
    ) -> Result<Vec<u8>, ApiError> {
        let (pool, seq) = self.find(state, ctx)?;
        let user = pool
            .users
            .get_mut(&seq)
            .ok_or_else(ApiError::user_not_found)?;
        per_user_write(user, ctx)?;
        if user.enabled != enabled {
            user.enabled = enabled;
            user.modified = ctx.now;
        }
        Ok(empty())
    }

    pub(crate) fn delete(self, state: &mut State, ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
        let (pool, seq) = self.find(state, ctx)?;
        if let Some(user) = pool.users.get_mut(&seq) {
            per_user_write(user, ctx)?;
        }
        pool.remove_user(seq);
        Ok(empty())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUsersInput {
    user_pool_id: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    limit: Option<i64>,
    pagination_token: Option<String>,
    filter: Option<String>,
}

/// A parsed `Filter`: `name = "value"` or `name ^= "value"`.
#[derive(Debug, PartialEq, Eq)]
struct Filter {
    attribute: String,
    prefix: bool,
    value: String,
}

/// Attributes `ListUsers` can filter on.
const SEARCHABLE: [&str; 10] = [
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
];

fn parse_filter(filter: &str) -> Result<Option<Filter>, ApiError> {
    let text = filter.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || ApiError::invalid_parameter("Error while parsing filter.");
    let (attribute, rest, prefix) = if let Some((a, r)) = text.split_once("^=") {
        (a, r, true)
    } else if let Some((a, r)) = text.split_once('=') {
        (a, r, false)
    } else {
        return Err(bad());
    };
    let attribute = attribute.trim().trim_matches('"');
    let value = rest
        .trim()
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(bad)?;
    if attribute.is_empty() {
        return Err(bad());
    }
    if !SEARCHABLE.contains(&attribute) {
        return Err(ApiError::invalid_parameter(format!(
            "Invalid search attribute: {attribute}"
        )));
    }
    Ok(Some(Filter {
        attribute: attribute.to_string(),
        prefix,
        value: value.replace("\\\"", "\""),
    }))
}

impl Filter {
    fn matches(&self, user: &User) -> bool {
        let actual: Option<&str> = match self.attribute.as_str() {
            "username" => Some(&user.username),
            "cognito:user_status" => Some(&user.status),
            "status" => Some(if user.enabled { "Enabled" } else { "Disabled" }),
            "sub" => Some(&user.sub),
            other => user.attributes.get(other).map(String::as_str),
        };
        match actual {
            Some(actual) if self.prefix => actual.starts_with(&self.value),
            Some(actual) => actual == self.value,
            None => false,
        }
    }
}

/// Where a `ListUsers` page starts: after a user's sequence number (insertion order, the default) or, for a
/// filter on `sub`, after a `sub` (the `sub` index order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Cursor {
    /// The start (the token of an empty first page, with short pages).
    Start,
    Seq(u64),
    Sub(String),
}

impl Cursor {
    pub(super) fn parse(token: &str) -> Option<Self> {
        if token == "start" {
            return Some(Cursor::Start);
        }
        if let Some(n) = token.strip_prefix("u:") {
            return n.parse().ok().map(Cursor::Seq);
        }
        token.strip_prefix("s:").map(|s| Cursor::Sub(s.to_string()))
    }

    pub(super) fn token(&self) -> String {
        match self {
            Cursor::Start => "start".to_string(),
            Cursor::Seq(n) => format!("u:{n}"),
            Cursor::Sub(s) => format!("s:{s}"),
        }
    }
}

pub(crate) struct ListUsers {
    pool_id: String,
    attributes_to_get: Option<Vec<String>>,
    limit: usize,
    after: Option<Cursor>,
    filter: Option<Filter>,
}

impl ListUsers {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: ListUsersInput = parse(body)?;
        let pool_id = required(input.user_pool_id, "UserPoolId")?;
        let mut v = Violations::default();
        constraints::user_pool_id(&mut v, &pool_id);
        if let Some(filter) = &input.filter {
            v.length(filter, false, "filter", 0, 256);
        }
        v.into_result()?;
        let limit = limit(input.limit)?;
        let filter = match input.filter.as_deref() {
            Some(f) => parse_filter(f)?,
            None => None,
        };
        let by_sub = filter.as_ref().is_some_and(|f| f.attribute == "sub");
        let after = match input.pagination_token.as_deref() {
            None => None,
            Some(t) => match Cursor::parse(t) {
                Some(Cursor::Start) => Some(Cursor::Start),
                Some(c) if matches!(c, Cursor::Sub(_)) == by_sub => Some(c),
                _ => return Err(bad_token()),
            },
        };
        Ok(Self {
            pool_id,
            attributes_to_get: input.attributes_to_get,
            limit,
            after,
            filter,
        })
    }

    /// One page. The cost is the page plus a look-up in an ordered index (`O(log n)`), never a walk of the pool,
    /// for an unfiltered listing and for a filter on `sub`; other filters scan users in order until the page is
    /// full.
    pub(crate) fn execute(self, state: &mut State, ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
        let pool = state.pool(&self.pool_id)?;
        let size = ctx.page_size(self.limit);
        let (page, next) = match &self.filter {
            Some(f) if f.attribute == "sub" => {
                if ctx.refuse_sub_filter {
                    return Err(ApiError::invalid_parameter("Invalid search attribute: sub"));
                }
                self.page_by_sub(pool, f, size)
            }
            _ => self.page_by_seq(pool, size),
        };
        let only = self.attributes_to_get.as_deref();
        if let Some(names) = only {
            refuse_unset(&page, names)?;
        }
        let users: Vec<UserType<'_>> = page.iter().map(|u| UserType::new(u, only)).collect();
        let mut out = json!({ "Users": users });
        if let Some(next) = next {
            out["PaginationToken"] = json!(next.token());
        }
        to_body(&out)
    }

    /// Users in insertion order, after the cursor, matching the filter if any.
    fn page_by_seq<'a>(&self, pool: &'a Pool, size: usize) -> (Vec<&'a User>, Option<Cursor>) {
        let start = match self.after {
            Some(Cursor::Seq(n)) => n.saturating_add(1),
            _ => 0,
        };
        let matching = pool
            .users
            .range(start..)
            .filter(|(_, u)| self.filter.as_ref().is_none_or(|f| f.matches(u)))
            .map(|(seq, u)| (Cursor::Seq(*seq), u));
        page(matching, size, &self.after)
    }

    /// Users whose `sub` equals or starts with the filter value, in `sub` order, read from the `sub` index.
    fn page_by_sub<'a>(
        &self,
        pool: &'a Pool,
        filter: &Filter,
        size: usize,
    ) -> (Vec<&'a User>, Option<Cursor>) {
        use std::ops::Bound;
        let lower = match &self.after {
            Some(Cursor::Sub(s)) => Bound::Excluded(s.clone()),
            _ => Bound::Included(filter.value.clone()),
        };
        let matching = pool
            .by_sub
            .range((lower, Bound::Unbounded))
            .take_while(|(sub, _)| {
                if filter.prefix {
                    sub.starts_with(&filter.value)
                } else {
                    **sub == filter.value
                }
            })
            .filter_map(|(sub, seq)| pool.users.get(seq).map(|u| (Cursor::Sub(sub.clone()), u)));
        page(matching, size, &self.after)
    }
}

/// One page of `items` (those after the request's cursor `from`): at most `size`, and the cursor to continue
/// from when more follow — an empty page that has more carries the request's own position.
pub(super) fn page<T>(
    mut items: impl Iterator<Item = (Cursor, T)>,
    size: usize,
    from: &Option<Cursor>,
) -> (Vec<T>, Option<Cursor>) {
    let mut last = from.clone();
    let mut page = Vec::new();
    for (cursor, item) in items.by_ref().take(size) {
        page.push(item);
        last = Some(cursor);
    }
    let more = items.next().is_some();
    let next = more.then(|| last.unwrap_or(Cursor::Start));
    (page, next)
}

/// `AttributesToGet` naming an attribute that a user of the page has no value for is refused, as Cognito
/// refuses it ("Amazon Cognito returns an error if not all users in the results have set a value for the
/// attribute you request", ListUsers API reference).
fn refuse_unset(page: &[&User], names: &[String]) -> Result<(), ApiError> {
    for name in names {
        if name != "sub" && page.iter().any(|u| !u.attributes.contains_key(name)) {
            return Err(ApiError::invalid_parameter(format!(
                "One or more requested attributes are not set for every user in the results: {name}."
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let f = parse_filter(r#"email ^= "user00""#).unwrap().unwrap();
        assert_eq!(
            (f.attribute.as_str(), f.prefix, f.value.as_str()),
            ("email", true, "user00")
        );
        let f = parse_filter(r#""username"="bob""#).unwrap().unwrap();
        assert_eq!(
            (f.attribute.as_str(), f.prefix, f.value.as_str()),
            ("username", false, "bob")
        );
        assert!(parse_filter("").unwrap().is_none());
        assert_eq!(
            parse_filter(r#"custom:tier = "x""#).unwrap_err().message,
            "Invalid search attribute: custom:tier"
        );
        assert!(parse_filter("email bob").is_err());
        assert_eq!(Cursor::parse("u:7"), Some(Cursor::Seq(7)));
        assert_eq!(Cursor::parse("s:0a-b").unwrap().token(), "s:0a-b");
        assert_eq!(Cursor::parse("x:1"), None);
        assert!(parse_filter(r#"email = bob"#).is_err());
    }
}
