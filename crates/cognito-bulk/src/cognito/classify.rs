//! The one table that decides what an error means for the run: retry (throttled, transient, expired
//! credentials), fail the row, or stop the run. Every error AdminUpdateUserAttributes documents
//! (the "Errors" section of its API reference page,
//! https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminUpdateUserAttributes.html)
//! has an entry, and each entry has a test.
//!
//! The SDK's own retries are disabled (see [`super::client`]), so every attempt's error arrives here.
//!
//! It also tells an *ambiguous* failure (the request may have been applied: dropped or reset after sending, a
//! timeout after sending, an unreadable answer, HTTP 5xx / `InternalErrorException`) from one that certainly was
//! not (a throttle, any other 4xx, a failure before the request left: connection refused, DNS, connect timeout,
//! credentials). Only ambiguous failures are read back before a resend ([`CallError::ambiguous`]).

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::RequestId;
use aws_smithy_runtime_api::client::dns::ResolveDnsError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::DispatchFailure;

use crate::exec::backend::{CallError, Disposition, OutageSignal, TIMEOUT};

/// What an error code means for the run.
pub(crate) fn disposition(code: &str) -> Disposition {
    use Disposition::*;
    match code {
        // Over the request-rate quota (HTTP 400 from Cognito). The generic AWS throttling codes are listed too.
        "TooManyRequestsException"
        | "ThrottlingException"
        | "Throttling"
        | "RequestLimitExceeded" => Throttled,
        // Server-side trouble: may succeed on a later attempt. A Lambda trigger that failed unexpectedly is
        // usually the trigger's own throttling or timeout.
        "InternalErrorException"
        | "InternalFailure"
        | "ServiceUnavailable"
        | "RequestTimeout"
        | "RequestTimeoutException"
        | "UnexpectedLambdaException" => Transient,
        // Temporary credentials expired mid-run: the SDK's credential cache fetches new ones for the retry.
        "ExpiredTokenException" | "ExpiredToken" | "RequestExpired" => CredentialsExpired,
        // This row's data: the user, a value, an alias, or a trigger that rejected it.
        "UserNotFoundException"
        | "InvalidParameterException"
        | "AliasExistsException"
        | "UserLambdaValidationException"
        | "InvalidLambdaResponseException"
        | "CodeMismatchException"
        | "CodeDeliveryFailureException" => FailRow,
        // The pool, the account or the credentials: every other row would fail the same way.
        // LimitExceededException (not documented for this operation) is Cognito's daily email limit here, not
        // request throttling, so it stops the run instead of being retried for hours.
        "NotAuthorizedException"
        | "ResourceNotFoundException"
        | "OperationNotEnabledException"
        | "InvalidSmsRoleAccessPolicyException"
        | "InvalidSmsRoleTrustRelationshipException"
        | "InvalidEmailRoleAccessPolicyException"
        | "LimitExceededException"
        | "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "MissingAuthenticationToken" => StopRun,
        // Anything else fails the row; repeated, it trips --max-consecutive-failures.
        _ => FailRow,
    }
}

/// Turns an SDK error into a classified [`CallError`].
pub(crate) fn from_sdk<E>(err: SdkError<E, HttpResponse>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let request_id = err.request_id().map(str::to_string);
    let mut ambiguous = false;
    let mut outage = None;
    let (disposition, code, message) = match &err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            ambiguous = status >= 500 || err.code().is_some_and(server_fault);
            if ambiguous {
                outage = Some(OutageSignal::ServerError);
            }
            match err.code() {
                Some(code) => (
                    disposition(code),
                    code.to_string(),
                    err.message().unwrap_or_default().to_string(),
                ),
                None if status == 429 => (
                    Disposition::Throttled,
                    format!("HTTP{status}"),
                    "throttled".into(),
                ),
                None if status >= 500 => (
                    Disposition::Transient,
                    format!("HTTP{status}"),
                    "server error".into(),
                ),
                None => (
                    Disposition::FailRow,
                    format!("HTTP{status}"),
                    "unrecognised error response".into(),
                ),
            }
        }
        SdkError::TimeoutError(_) => {
            ambiguous = true;
            (
                Disposition::Transient,
                TIMEOUT.into(),
                super::error_text::describe(&err),
            )
        }
        SdkError::DispatchFailure(failure) => {
            let not_sent = failed_before_sending(failure);
            ambiguous = !not_sent;
            if not_sent && !in_chain::<CredentialsError>(failure) {
                outage = Some(OutageSignal::Unreachable);
            }
            let code = if failure.is_timeout() {
                TIMEOUT
            } else if failure.is_io() {
                "ConnectionError"
            } else {
                "DispatchFailure"
            };
            (
                Disposition::Transient,
                code.into(),
                super::error_text::describe(&err),
            )
        }
        SdkError::ResponseError(_) => {
            // An answer came back but could not be read: the request reached the service.
            ambiguous = true;
            (
                Disposition::Transient,
                "ResponseError".into(),
                super::error_text::describe(&err),
            )
        }
        // Failures before sending (e.g. credentials that could not be loaded or refreshed): retried a few
        // times in case a credential refresh was only briefly unavailable; repeated, they stop the run.
        _ => (
            Disposition::Transient,
            "ClientError".into(),
            super::error_text::describe(&err),
        ),
    };
    CallError {
        disposition,
        code,
        message: one_line(&message),
        request_id,
        ambiguous: ambiguous && disposition == Disposition::Transient,
        outage: outage.filter(|_| disposition == Disposition::Transient),
        paced_elsewhere: false,
    }
}

/// Whether an error of type `E` is among the causes of a dispatch failure.
fn in_chain<E: std::error::Error + 'static>(failure: &DispatchFailure) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> =
        failure.as_connector_error().map(|c| c as _);
    while let Some(err) = source {
        if err.is::<E>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// Server-side failures reported with an error code (whatever the HTTP status): the request may have been
/// processed before the fault.
fn server_fault(code: &str) -> bool {
    matches!(
        code,
        "InternalErrorException" | "InternalFailure" | "ServiceUnavailable"
    )
}

/// Whether a dispatch failure happened before any byte of the request could have reached the service: the
/// connection was never established (refused, unreachable, DNS, connect timeout). A connection dropped or reset
/// later, or a read timeout, is ambiguous.
fn failed_before_sending(failure: &DispatchFailure) -> bool {
    let Some(connector) = failure.as_connector_error() else {
        return false;
    };
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(connector);
    while let Some(err) = source {
        // No address, or no credentials to sign with: nothing was sent.
        if err.is::<ResolveDnsError>() || err.is::<CredentialsError>() {
            return true;
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && not_connected(io.kind())
        {
            return true;
        }
        let text = err.to_string();
        // hyper-util's connect failure and the SDK's connect timeout name themselves in their messages (their
        // types are private).
        if text.starts_with("client error (Connect)") || text.starts_with("HTTP connect timeout") {
            return true;
        }
        source = err.source();
    }
    false
}

fn not_connected(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        kind,
        ConnectionRefused | AddrNotAvailable | HostUnreachable | NetworkUnreachable | NotFound
    )
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod sdk_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use Disposition::*;

    /// One case per error of AdminUpdateUserAttributes (its API reference page), plus the transport and
    /// credential codes the run can meet.
    #[test]
    fn every_documented_error_has_its_disposition() {
        let table = [
            ("ResourceNotFoundException", StopRun),
            ("InvalidParameterException", FailRow),
            ("UnexpectedLambdaException", Transient),
            ("UserLambdaValidationException", FailRow),
            ("InvalidLambdaResponseException", FailRow),
            ("AliasExistsException", FailRow),
            ("TooManyRequestsException", Throttled),
            ("NotAuthorizedException", StopRun),
            ("UserNotFoundException", FailRow),
            ("InternalErrorException", Transient),
            ("InvalidSmsRoleAccessPolicyException", StopRun),
            ("InvalidEmailRoleAccessPolicyException", StopRun),
            ("InvalidSmsRoleTrustRelationshipException", StopRun),
            ("OperationNotEnabledException", StopRun),
            ("LimitExceededException", StopRun),
            ("ExpiredTokenException", CredentialsExpired),
            ("UnrecognizedClientException", StopRun),
            ("AccessDeniedException", StopRun),
            ("InvalidSignatureException", StopRun),
            ("SomethingNewException", FailRow),
        ];
        for (code, expected) in table {
            assert_eq!(disposition(code), expected, "{code}");
        }
    }

    #[test]
    fn messages_are_one_line() {
        assert_eq!(
            one_line("Invalid user attributes: user.x: a.\nuser.y: b.\n"),
            "Invalid user attributes: user.x: a. user.y: b."
        );
    }
}
