//! The one table that decides what an error means for the run: retry (throttled, transient, expired
//! credentials), fail the row, or stop the run. Every error AdminUpdateUserAttributes documents
//! (cognito-facts.md §1.6) has an entry, and each entry has a test.
//!
//! The SDK's own retries are disabled (see [`super::client`]), so every attempt's error arrives here.

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::RequestId;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::exec::backend::{CallError, Disposition};

/// What an error code means for the run.
pub fn disposition(code: &str) -> Disposition {
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
pub fn from_sdk<E>(err: SdkError<E, HttpResponse>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let request_id = err.request_id().map(str::to_string);
    let (disposition, code, message) = match &err {
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
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
        SdkError::TimeoutError(_) => (
            Disposition::Transient,
            "Timeout".into(),
            "no answer within --attempt-timeout".into(),
        ),
        SdkError::DispatchFailure(failure) => {
            let code = if failure.is_timeout() {
                "Timeout"
            } else if failure.is_io() {
                "ConnectionError"
            } else {
                "DispatchFailure"
            };
            (
                Disposition::Transient,
                code.into(),
                DisplayErrorContext(&err).to_string(),
            )
        }
        SdkError::ResponseError(_) => (
            Disposition::Transient,
            "ResponseError".into(),
            DisplayErrorContext(&err).to_string(),
        ),
        // Failures before sending (e.g. credentials that could not be loaded or refreshed): retried a few
        // times in case a credential refresh was only briefly unavailable; repeated, they stop the run.
        _ => (
            Disposition::Transient,
            "ClientError".into(),
            DisplayErrorContext(&err).to_string(),
        ),
    };
    CallError {
        disposition,
        code,
        message: one_line(&message),
        request_id,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Disposition::*;

    /// One case per error of AdminUpdateUserAttributes (cognito-facts.md §1.6), plus the transport and
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
