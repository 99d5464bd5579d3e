//! The emulated operations. Each request is parsed and checked against the model constraints without the state
//! lock ([`parse`]), then executed under it ([`execute`]).

mod groups;
mod limits;
mod pools;
mod update_attributes;
mod users;

use super::faults::FaultSequence;
use super::model::Pool;
use super::protocol::{ApiError, Operation};
use super::stats::Counters;
use super::store::State;

/// Per-request context handed to operations.
pub(crate) struct Ctx<'a> {
    /// Wall-clock time (epoch seconds) for timestamps.
    pub(crate) now: f64,
    /// Quota clock (seconds since start).
    pub(crate) clock: f64,
    pub(crate) per_user_write_rate: Option<f64>,
    pub(crate) faults: &'a FaultSequence,
    pub(crate) counters: &'a Counters,
    pub(crate) region: &'a str,
    /// `ListUsers` answers `InvalidParameterException` to a filter on `sub` (`--refuse-sub-filter`).
    pub(crate) refuse_sub_filter: bool,
    /// DescribeUserPool lists only custom attributes (see `EmulatorConfig::with_moto_schema`).
    pub(crate) moto_schema: bool,
    /// The most users this listing page may hold (`EmulatorConfig::with_short_pages`), below its `Limit`.
    pub(crate) page_cap: Option<usize>,
}

impl Ctx<'_> {
    /// The number of users a listing page asked for `limit` holds.
    pub(crate) fn page_size(&self, limit: usize) -> usize {
        self.page_cap.map_or(limit, |cap| cap.min(limit))
    }
}

/// A parsed request.
pub(crate) enum Request {
    CreateUserPool(pools::CreateUserPool),
    DescribeUserPool(pools::DescribeUserPool),
    ListUserPools(pools::ListUserPools),
    DeleteUserPool(pools::DeleteUserPool),
    AdminCreateUser(users::AdminCreateUser),
    AdminGetUser(users::UserRef),
    AdminDeleteUser(users::UserRef),
    ListUsers(users::ListUsers),
    AdminUpdateUserAttributes(update_attributes::AdminUpdateUserAttributes),
    AdminDeleteUserAttributes(update_attributes::AdminDeleteUserAttributes),
    CreateGroup(groups::CreateGroup),
    GetGroup(groups::GroupRef),
    ListGroups(groups::ListGroups),
    DeleteGroup(groups::GroupRef),
    AdminAddUserToGroup(groups::Membership),
    AdminRemoveUserFromGroup(groups::Membership),
    AdminListGroupsForUser(groups::GroupsForUser),
    ListUsersInGroup(groups::UsersInGroup),
    AdminEnableUser(users::UserRef),
    AdminDisableUser(users::UserRef),
    GetProvisionedLimit(limits::GetProvisionedLimit),
}

/// Parses the body of `op` and checks its model constraints.
pub(crate) fn parse(op: Operation, body: &[u8]) -> Result<Request, ApiError> {
    Ok(match op {
        Operation::CreateUserPool => Request::CreateUserPool(pools::CreateUserPool::parse(body)?),
        Operation::DescribeUserPool => {
            Request::DescribeUserPool(pools::DescribeUserPool::parse(body)?)
        }
        Operation::ListUserPools => Request::ListUserPools(pools::ListUserPools::parse(body)?),
        Operation::DeleteUserPool => Request::DeleteUserPool(pools::DeleteUserPool::parse(body)?),
        Operation::AdminCreateUser => {
            Request::AdminCreateUser(users::AdminCreateUser::parse(body)?)
        }
        Operation::AdminGetUser => Request::AdminGetUser(users::UserRef::parse(body)?),
        Operation::AdminDeleteUser => Request::AdminDeleteUser(users::UserRef::parse(body)?),
        Operation::ListUsers => Request::ListUsers(users::ListUsers::parse(body)?),
        Operation::AdminUpdateUserAttributes => Request::AdminUpdateUserAttributes(
            update_attributes::AdminUpdateUserAttributes::parse(body)?,
        ),
        Operation::AdminDeleteUserAttributes => Request::AdminDeleteUserAttributes(
            update_attributes::AdminDeleteUserAttributes::parse(body)?,
        ),
        Operation::CreateGroup => Request::CreateGroup(groups::CreateGroup::parse(body)?),
        Operation::GetGroup => Request::GetGroup(groups::GroupRef::parse(body)?),
        Operation::ListGroups => Request::ListGroups(groups::ListGroups::parse(body)?),
        Operation::DeleteGroup => Request::DeleteGroup(groups::GroupRef::parse(body)?),
        Operation::AdminAddUserToGroup => {
            Request::AdminAddUserToGroup(groups::Membership::parse(body)?)
        }
        Operation::AdminRemoveUserFromGroup => {
            Request::AdminRemoveUserFromGroup(groups::Membership::parse(body)?)
        }
        Operation::AdminListGroupsForUser => {
            Request::AdminListGroupsForUser(groups::GroupsForUser::parse(body)?)
        }
        Operation::ListUsersInGroup => {
            Request::ListUsersInGroup(groups::UsersInGroup::parse(body)?)
        }
        Operation::AdminEnableUser => Request::AdminEnableUser(users::UserRef::parse(body)?),
        Operation::AdminDisableUser => Request::AdminDisableUser(users::UserRef::parse(body)?),
        Operation::GetProvisionedLimit => {
            Request::GetProvisionedLimit(limits::GetProvisionedLimit::parse(body)?)
        }
    })
}

/// Executes a parsed request; returns the JSON response body.
pub(crate) fn execute(
    state: &mut State,
    request: Request,
    ctx: &Ctx<'_>,
) -> Result<Vec<u8>, ApiError> {
    match request {
        Request::CreateUserPool(r) => r.execute(state, ctx),
        Request::DescribeUserPool(r) => r.execute(state, ctx),
        Request::ListUserPools(r) => r.execute(state),
        Request::DeleteUserPool(r) => r.execute(state),
        Request::AdminCreateUser(r) => r.execute(state, ctx),
        Request::AdminGetUser(r) => r.get(state, ctx),
        Request::AdminDeleteUser(r) => r.delete(state, ctx),
        Request::ListUsers(r) => r.execute(state, ctx),
        Request::AdminUpdateUserAttributes(r) => r.execute(state, ctx),
        Request::AdminDeleteUserAttributes(r) => r.execute(state, ctx),
        Request::CreateGroup(r) => r.execute(state, ctx),
        Request::GetGroup(r) => r.get(state),
        Request::ListGroups(r) => r.execute(state),
        Request::DeleteGroup(r) => r.delete(state),
        Request::AdminAddUserToGroup(r) => r.execute(state, ctx, true),
        Request::AdminRemoveUserFromGroup(r) => r.execute(state, ctx, false),
        Request::AdminListGroupsForUser(r) => r.execute(state, ctx),
        Request::ListUsersInGroup(r) => r.execute(state, ctx),
        Request::AdminEnableUser(r) => r.set_enabled(state, ctx, true),
        Request::AdminDisableUser(r) => r.set_enabled(state, ctx, false),
        Request::GetProvisionedLimit(r) => r.execute(state),
    }
}

/// `{}`: the body of operations with an empty output.
pub(crate) fn empty() -> Vec<u8> {
    b"{}".to_vec()
}

/// Serialises a response shape.
pub(crate) fn to_body<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(value).map_err(|_| ApiError::internal())
}

/// The user a request names, in its pool: the scripted error for `username` first, then the pool
/// (`ResourceNotFoundException`), then the user by username, alias or `sub` (`UserNotFoundException`).
pub(crate) fn find_user<'a>(
    state: &'a mut State,
    ctx: &Ctx<'_>,
    pool_id: &str,
    username: &str,
) -> Result<(&'a mut Pool, u64), ApiError> {
    scripted(ctx, username)?;
    let pool = state.pool_mut(pool_id)?;
    let seq = pool
        .resolve(username)
        .ok_or_else(ApiError::user_not_found)?;
    Ok((pool, seq))
}

/// `Limit` (0..=60, 0 and absent meaning 60) of the listings (ListUsers, ListGroups, the group members).
pub(crate) fn limit(value: Option<i64>) -> Result<usize, ApiError> {
    match value {
        None | Some(0) => Ok(60),
        Some(n) if (1..=60).contains(&n) => Ok(n as usize),
        Some(n) => Err(ApiError::invalid_parameter(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have \
             value {}",
            if n < 0 {
                "greater than or equal to 0"
            } else {
                "less than or equal to 60"
            }
        ))),
    }
}

pub(crate) fn bad_token() -> ApiError {
    ApiError::invalid_parameter("Invalid pagination token.")
}

/// Answers the scripted error for `username`, if one is configured.
pub(crate) fn scripted(ctx: &Ctx<'_>, username: &str) -> Result<(), ApiError> {
    match ctx.faults.scripted(username) {
        Some(s) => {
            Counters::bump(&ctx.counters.scripted_errors);
            Err(ApiError::new(s.error.clone(), s.message()))
        }
        None => Ok(()),
    }
}
