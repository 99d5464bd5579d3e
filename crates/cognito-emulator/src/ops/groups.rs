//! Group operations: `CreateGroup`, `GetGroup`, `ListGroups`, `DeleteGroup`, `AdminAddUserToGroup`,
//! `AdminRemoveUserFromGroup`, `AdminListGroupsForUser`, `ListUsersInGroup`.
//!
//! Errors as Cognito answers them: a missing pool or group is `ResourceNotFoundException`, a missing user
//! `UserNotFoundException`, an existing group name `GroupExistsException`. Adding a member again or removing a
//! non-member succeeds. Membership changes bill the user as a monthly active user.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::constraints::{self, Violations};
use super::super::model::{Group, Pool};
use super::super::protocol::{ApiError, Operation, parse, required};
use super::super::store::State;
use super::users::{Cursor, UserType, page, per_user_write};
use super::{Ctx, bad_token, empty, find_user, limit, to_body};

/// Cognito's `GroupType`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupType<'a> {
    group_name: &'a str,
    user_pool_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_arn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    precedence: Option<i64>,
    last_modified_date: f64,
    creation_date: f64,
}

impl<'a> GroupType<'a> {
    fn new(pool: &'a Pool, group: &'a Group) -> Self {
        Self {
            group_name: &group.name,
            user_pool_id: &pool.id,
            description: group.description.as_deref(),
            role_arn: group.role_arn.as_deref(),
            precedence: group.precedence,
            last_modified_date: group.modified,
            creation_date: group.created,
        }
    }
}

/// The group name a `g:<name>` token of the group listings continues after.
fn after_group(token: Option<String>) -> Result<Option<String>, ApiError> {
    match token {
        None => Ok(None),
        Some(t) => Ok(Some(
            t.strip_prefix("g:").ok_or_else(bad_token)?.to_string(),
        )),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateGroupInput {
    user_pool_id: Option<String>,
    group_name: Option<String>,
    description: Option<String>,
    role_arn: Option<String>,
    precedence: Option<i64>,
}

pub(crate) struct CreateGroup {
    pool_id: String,
    group: Group,
}

impl CreateGroup {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: CreateGroupInput = parse(body)?;
        let pool_id = required(input.user_pool_id, "UserPoolId")?;
        let name = required(input.group_name, "GroupName")?;
        let mut v = Violations::default();
        constraints::user_pool_id(&mut v, &pool_id);
        constraints::group_name(&mut v, &name);
        if let Some(d) = &input.description {
            v.length(d, false, "description", 0, 2048);
        }
        v.into_result()?;
        Ok(Self {
            pool_id,
            group: Group {
                name,
                description: input.description,
                role_arn: input.role_arn,
                precedence: input.precedence,
                created: 0.0,
                modified: 0.0,
                members: Default::default(),
            },
        })
    }

    pub(crate) fn execute(self, state: &mut State, ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
        let pool = state.pool_mut(&self.pool_id)?;
        let name = self.group.name.clone();
        pool.create_group(self.group, ctx.now)?;
        let group = pool.group(&name)?;
        to_body(&json!({ "Group": GroupType::new(pool, group) }))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupRefInput {
    user_pool_id: Option<String>,
    group_name: Option<String>,
}

/// `{UserPoolId, GroupName}`: the input of `GetGroup` and `DeleteGroup`.
pub(crate) struct GroupRef {
    pool_id: String,
    name: String,
}

impl GroupRef {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: GroupRefInput = parse(body)?;
        let pool_id = required(input.user_pool_id, "UserPoolId")?;
        let name = required(input.group_name, "GroupName")?;
        let mut v = Violations::default();
        constraints::user_pool_id(&mut v, &pool_id);
        constraints::group_name(&mut v, &name);
        v.into_result()?;
        Ok(Self { pool_id, name })
    }

    pub(crate) fn get(self, state: &mut State) -> Result<Vec<u8>, ApiError> {
        let pool = state.pool(&self.pool_id)?;
        let group = pool.group(&self.name)?;
        to_body(&json!({ "Group": GroupType::new(pool, group) }))
    }

    pub(crate) fn delete(self, state: &mut State) -> Result<Vec<u8>, ApiError> {
        let pool = state.pool_mut(&self.pool_id)?;
        pool.delete_group(&self.name)?;
        Ok(empty())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListGroupsInput {
    user_pool_id: Option<String>,
    limit: Option<i64>,
    next_token: Option<String>,
}

/// `ListGroups`: the pool's groups by name; the token is the last name of the page.
pub(crate) struct ListGroups {
    pool_id: String,
    limit: usize,
    after: Option<String>,
}

impl ListGroups {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: ListGroupsInput = parse(body)?;
        let pool_id = required(input.user_pool_id, "UserPoolId")?;
        let mut v = Violations::default();
        constraints::user_pool_id(&mut v, &pool_id);
        v.into_result()?;
        let after = after_group(input.next_token)?;
        Ok(Self {
            pool_id,
            limit: limit(input.limit)?,
            after,
        })
    }

    pub(crate) fn execute(self, state: &mut State) -> Result<Vec<u8>, ApiError> {
        use std::ops::Bound;
        let pool = state.pool(&self.pool_id)?;
        let lower = match &self.after {
            Some(name) => Bound::Excluded(name.clone()),
            None => Bound::Unbounded,
        };
        let mut groups = pool.groups.range((lower, Bound::Unbounded));
        let page: Vec<&Group> = groups.by_ref().take(self.limit).map(|(_, g)| g).collect();
        let mut out = json!({
            "Groups": page.iter().map(|g| GroupType::new(pool, g)).collect::<Vec<_>>()
        });
        if groups.next().is_some()
            && let Some(last) = page.last()
        {
            out["NextToken"] = json!(format!("g:{}", last.name));
        }
        to_body(&out)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MembershipInput {
    user_pool_id: Option<String>,
    username: Option<String>,
    group_name: Option<String>,
}

/// `{UserPoolId, Username, GroupName}`: `AdminAddUserToGroup` and `AdminRemoveUserFromGroup`.
pub(crate) struct Membership {
    pool_id: String,
    username: String,
    group: String,
}

impl Membership {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: MembershipInput = parse(body)?;
        let pool_id = required(input.user_pool_id, "UserPoolId")?;
        let username = required(input.username, "Username")?;
        let group = required(input.group_name, "GroupName")?;
        let mut v = Violations::default();
        constraints::user_pool_id(&mut v, &pool_id);
        constraints::username(&mut v, &username);
        constraints::group_name(&mut v, &group);
        v.into_result()?;
        Ok(Self {
            pool_id,
            username,
            group,
        })
    }

    /// Adds (`member`) or removes the user.
    pub(crate) fn execute(
        self,
        state: &mut State,
        ctx: &Ctx<'_>,
        member: bool,
    ) -> Result<Vec<u8>, ApiError> {
        let (pool, seq) = find_user(state, ctx, &self.pool_id, &self.username)?;
        pool.group(&self.group)?;
        let user = pool
            .users
            .get_mut(&seq)
            .ok_or_else(ApiError::user_not_found)?;
        let result = per_user_write(user, ctx)
            .and_then(|()| pool.set_member(seq, &self.group, member, ctx.now))
            .map(|()| empty());
        let op = if member {
            Operation::AdminAddUserToGroup
        } else {
            Operation::AdminRemoveUserFromGroup
        };
        ctx.counters.mau.record(&mut pool.mau, op, seq, &result);
        result
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupsForUserInput {
    user_pool_id: Option<String>,
    username: Option<String>,
    limit: Option<i64>,
    next_token: Option<String>,
}

/// `AdminListGroupsForUser`: the user's groups by name.
pub(crate) struct GroupsForUser {
    pool_id: String,
    username: String,
    limit: usize,
    after: Option<String>,
}

impl GroupsForUser {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: GroupsForUserInput = parse(body)?;
        let pool_id = required(input.user_pool_id, "UserPoolId")?;
        let username = required(input.username, "Username")?;
        let mut v = Violations::default();
        constraints::user_pool_id(&mut v, &pool_id);
        constraints::username(&mut v, &username);
        v.into_result()?;
        let after = after_group(input.next_token)?;
        Ok(Self {
            pool_id,
            username,
            limit: limit(input.limit)?,
            after,
        })
    }

    pub(crate) fn execute(self, state: &mut State, ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
        let (pool, seq) = find_user(state, ctx, &self.pool_id, &self.username)?;
        let user = &pool.users[&seq];
        let mut names = user
            .groups
            .iter()
            .filter(|name| self.after.as_ref().is_none_or(|after| *name > after));
        let page: Vec<&String> = names.by_ref().take(self.limit).collect();
        let groups: Vec<GroupType<'_>> = page
            .iter()
            .filter_map(|name| pool.groups.get(*name))
            .map(|g| GroupType::new(pool, g))
            .collect();
        let mut out = json!({ "Groups": groups });
        if names.next().is_some()
            && let Some(last) = page.last()
        {
            out["NextToken"] = json!(format!("g:{last}"));
        }
        to_body(&out)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UsersInGroupInput {
    user_pool_id: Option<String>,
    group_name: Option<String>,
    limit: Option<i64>,
    next_token: Option<String>,
}

/// `ListUsersInGroup`: the members in user order (the order of `ListUsers`); short pages apply, as to
/// `ListUsers`.
pub(crate) struct UsersInGroup {
    pool_id: String,
    group: String,
    limit: usize,
    after: Option<Cursor>,
}

impl UsersInGroup {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: UsersInGroupInput = parse(body)?;
        let pool_id = required(input.user_pool_id, "UserPoolId")?;
        let group = required(input.group_name, "GroupName")?;
        let mut v = Violations::default();
        constraints::user_pool_id(&mut v, &pool_id);
        constraints::group_name(&mut v, &group);
        v.into_result()?;
        let after = match input.next_token.as_deref() {
            None => None,
            Some(t) => match Cursor::parse(t) {
                Some(c @ (Cursor::Start | Cursor::Seq(_))) => Some(c),
                _ => return Err(bad_token()),
            },
        };
        Ok(Self {
            pool_id,
            group,
            limit: limit(input.limit)?,
            after,
        })
    }

    pub(crate) fn execute(self, state: &mut State, ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
        let pool = state.pool(&self.pool_id)?;
        let group = pool.group(&self.group)?;
        let start = match self.after {
            Some(Cursor::Seq(n)) => n.saturating_add(1),
            _ => 0,
        };
        let members = group
            .members
            .range(start..)
            .filter_map(|seq| pool.users.get(seq).map(|u| (Cursor::Seq(*seq), u)));
        let (users, next) = page(members, ctx.page_size(self.limit), &self.after);
        let users: Vec<UserType<'_>> = users.iter().map(|u| UserType::new(u, None)).collect();
        let mut out = json!({ "Users": users });
        if let Some(next) = next {
            out["NextToken"] = json!(next.token());
        }
        to_body(&out)
    }
}
