//! The awsJson1_1 wire protocol: operation names from `X-Amz-Target`, JSON request parsing, error bodies,
//! request ids and the common response headers.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::de::DeserializeOwned;

/// Prefix of every `X-Amz-Target` value.
pub(crate) const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
/// Content type of every request and response.
pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The operations the emulator implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    CreateUserPool,
    DescribeUserPool,
    ListUserPools,
    DeleteUserPool,
    AdminCreateUser,
    AdminGetUser,
    ListUsers,
    AdminUpdateUserAttributes,
    AdminDeleteUserAttributes,
    AdminDeleteUser,
    CreateGroup,
    GetGroup,
    ListGroups,
    DeleteGroup,
    AdminAddUserToGroup,
    AdminRemoveUserFromGroup,
    AdminListGroupsForUser,
    ListUsersInGroup,
    AdminEnableUser,
    AdminDisableUser,
    GetProvisionedLimit,
}

impl Operation {
    pub(crate) const ALL: [Operation; 21] = [
        Operation::CreateUserPool,
        Operation::DescribeUserPool,
        Operation::ListUserPools,
        Operation::DeleteUserPool,
        Operation::AdminCreateUser,
        Operation::AdminGetUser,
        Operation::ListUsers,
        Operation::AdminUpdateUserAttributes,
        Operation::AdminDeleteUserAttributes,
        Operation::AdminDeleteUser,
        Operation::CreateGroup,
        Operation::GetGroup,
        Operation::ListGroups,
        Operation::DeleteGroup,
        Operation::AdminAddUserToGroup,
        Operation::AdminRemoveUserFromGroup,
        Operation::AdminListGroupsForUser,
        Operation::ListUsersInGroup,
        Operation::AdminEnableUser,
        Operation::AdminDisableUser,
        Operation::GetProvisionedLimit,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Operation::CreateUserPool => "CreateUserPool",
            Operation::DescribeUserPool => "DescribeUserPool",
            Operation::ListUserPools => "ListUserPools",
            Operation::DeleteUserPool => "DeleteUserPool",
            Operation::AdminCreateUser => "AdminCreateUser",
            Operation::AdminGetUser => "AdminGetUser",
            Operation::ListUsers => "ListUsers",
            Operation::AdminUpdateUserAttributes => "AdminUpdateUserAttributes",
            Operation::AdminDeleteUserAttributes => "AdminDeleteUserAttributes",
            Operation::AdminDeleteUser => "AdminDeleteUser",
            Operation::CreateGroup => "CreateGroup",
            Operation::GetGroup => "GetGroup",
            Operation::ListGroups => "ListGroups",
            Operation::DeleteGroup => "DeleteGroup",
            Operation::AdminAddUserToGroup => "AdminAddUserToGroup",
            Operation::AdminRemoveUserFromGroup => "AdminRemoveUserFromGroup",
            Operation::AdminListGroupsForUser => "AdminListGroupsForUser",
            Operation::ListUsersInGroup => "ListUsersInGroup",
            Operation::AdminEnableUser => "AdminEnableUser",
            Operation::AdminDisableUser => "AdminDisableUser",
            Operation::GetProvisionedLimit => "GetProvisionedLimit",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// An error answered to the client: `{"__type": code, "message": message}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: String,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    pub(crate) fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterException", message)
    }

    pub(crate) fn pool_not_found(pool_id: &str) -> Self {
        Self::new(
            "ResourceNotFoundException",
            format!("User pool {pool_id} does not exist."),
        )
    }

    pub(crate) fn user_not_found() -> Self {
        Self::new("UserNotFoundException", "User does not exist.")
    }

    pub(crate) fn group_not_found() -> Self {
        Self::new("ResourceNotFoundException", "Group not found.")
    }

    pub(crate) fn throttled() -> Self {
        Self::new("TooManyRequestsException", "Rate exceeded")
    }

    pub(crate) fn internal() -> Self {
        Self::new("InternalErrorException", "An internal error occurred.")
    }

    pub(crate) fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", message)
    }

    pub(crate) fn missing(member: &str) -> Self {
        Self::invalid_parameter(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(member)
        ))
    }

    fn status(&self) -> StatusCode {
        if self.code == "InternalErrorException" {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::BAD_REQUEST
        }
    }

    pub(crate) fn into_response(self, request_id: &HeaderValue) -> Response {
        let body = serde_json::json!({"__type": self.code, "message": self.message});
        let mut response = json_response(self.status(), body.to_string().into_bytes(), request_id);
        if let Ok(value) = HeaderValue::from_str(&self.code) {
            response.headers_mut().insert("x-amzn-ErrorType", value);
        }
        response
    }
}

/// `userPoolId` from `UserPoolId`, as AWS names members in validation messages.
pub(crate) fn lower_first(member: &str) -> String {
    let mut chars = member.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A response with the awsJson content type and the request id.
pub(crate) fn json_response(
    status: StatusCode,
    body: Vec<u8>,
    request_id: &HeaderValue,
) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    headers.insert("x-amzn-RequestId", request_id.clone());
    response
}

/// Parses a request body; an empty body counts as `{}`.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|e| ApiError::serialization(format!("Invalid request body: {e}")))
}

/// Unwraps a required member or answers which one is missing.
pub(crate) fn required<T>(value: Option<T>, member: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::missing(member))
}

/// Request ids: uuid-shaped, unique per process, cheap (no syscall per request).
#[derive(Debug)]
pub(crate) struct RequestIds {
    base: u128,
    counter: AtomicU64,
}

impl RequestIds {
    pub(crate) fn new() -> Self {
        Self {
            base: uuid::Uuid::new_v4().as_u128(),
            counter: AtomicU64::new(0),
        }
    }

    pub(crate) fn next(&self) -> HeaderValue {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) as u128;
        let id = uuid::Uuid::from_u128(self.base ^ (n << 64 | n));
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text = id.hyphenated().encode_lower(&mut buf);
        HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("0"))
    }
}
