//! Seeded, repeatable fault injection: internal errors, dropped connections, added latency, scripted user errors.
//!
//! Decisions are a pure function of `(seed, n)` where `n` counts the fault-eligible requests in arrival order, so
//! for a given seed the number of faults among the first N requests is always the same, whatever the concurrency.
//! Random faults and latency apply to the operations [`Faults::operations`] names (`AdminUpdateUserAttributes` by
//! default); scripted errors apply to every operation that names a user.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::protocol::Operation;

/// Fault-injection settings. The default injects nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    /// Seed of the fault sequence.
    pub seed: u64,
    /// Fraction (0..=1) of requests answered with `InternalErrorException` (HTTP 500).
    pub internal_error_rate: f64,
    /// Fraction (0..=1) of requests whose connection is closed without any response.
    pub drop_rate: f64,
    /// Share (0..=1) of dropped requests that are applied before the connection is closed; the rest are not.
    pub drop_after_apply_share: f64,
    /// Latency added before each request is processed.
    pub latency: Duration,
    /// Up to this much more latency, chosen per request from the seed.
    pub latency_jitter: Duration,
    /// Errors always answered for named users.
    pub scripted: Vec<ScriptedError>,
    /// Each request of [`Faults::operations`] (AdminUpdateUserAttributes by default) is held this long and then
    /// applied even if its client gave up meanwhile (a proxy or a service that applies late): a client that times
    /// out and reads back too soon finds the old values, and a resend is written twice.
    pub late_apply: Duration,
    /// The operations random faults, fault latency and late apply are drawn for, by name
    /// (`AdminAddUserToGroup`...); by default `AdminUpdateUserAttributes` only.
    pub operations: Vec<String>,
    /// Operations always answered `AccessDeniedException`, as IAM answers a caller without the permission
    /// (`DescribeUserPool`...).
    pub denied: Vec<String>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            seed: 0,
            internal_error_rate: 0.0,
            drop_rate: 0.0,
            drop_after_apply_share: 0.5,
            latency: Duration::ZERO,
            latency_jitter: Duration::ZERO,
            scripted: Vec::new(),
            late_apply: Duration::ZERO,
            operations: vec!["AdminUpdateUserAttributes".to_string()],
            denied: Vec::new(),
        }
    }
}

/// "Always answer `error` (with `message`) for requests naming `username`."
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptedError {
    /// The `Username` member exactly as sent in the request.
    pub username: String,
    /// The error code, e.g. `UserLambdaValidationException`.
    pub error: String,
    /// The message; a default for the error code when `None`.
    pub message: Option<String>,
}

impl ScriptedError {
    /// The message to send.
    pub fn message(&self) -> String {
        self.message
            .clone()
            .unwrap_or_else(|| default_message(&self.error).to_string())
    }
}

/// Parses `USERNAME=ExceptionName[:message]`.
impl FromStr for ScriptedError {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The username may itself contain '=' and the message may contain anything, so take the first '=' that is
        // followed by a well-formed exception name.
        for (i, _) in s.match_indices('=') {
            let (username, rest) = (&s[..i], &s[i + 1..]);
            let (error, message) = match rest.split_once(':') {
                Some((e, m)) => (e, Some(m.to_string())),
                None => (rest, None),
            };
            if !username.is_empty()
                && !error.is_empty()
                && error.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Ok(Self {
                    username: username.to_string(),
                    error: error.to_string(),
                    message,
                });
            }
        }
        Err(format!(
            "expected USERNAME=ExceptionName[:message], got {s:?}"
        ))
    }
}

/// A plausible message for each error Cognito documents for the user operations.
pub fn default_message(error: &str) -> &'static str {
    match error {
        "UserLambdaValidationException" => {
            "PreUpdate failed with error validation rejected the update."
        }
        "InvalidLambdaResponseException" => "Invalid lambda response received.",
        "UnexpectedLambdaException" => {
            "An unexpected error occurred while invoking the Lambda function."
        }
        "NotAuthorizedException" => "User is not authorized to perform this action.",
        "InvalidSmsRoleAccessPolicyException" => {
            "Role does not have permission to publish with SNS."
        }
        "InvalidSmsRoleTrustRelationshipException" => "Role has an invalid trust relationship.",
        "InvalidEmailRoleAccessPolicyException" => {
            "Cognito is not allowed to use your email identity."
        }
        "OperationNotEnabledException" => "This operation is not enabled for this user pool.",
        "AliasExistsException" => "An account with the given email already exists.",
        "UserNotFoundException" => "User does not exist.",
        "ResourceNotFoundException" => "User pool does not exist.",
        "TooManyRequestsException" => "Rate exceeded",
        "InternalErrorException" => "An internal error occurred.",
        "LimitExceededException" => "Limit exceeded.",
        _ => "Scripted error.",
    }
}

/// What the fault sequence decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FaultDecision {
    None,
    InternalError,
    DropBeforeApply,
    DropAfterApply,
}

/// The running fault sequence.
#[derive(Debug)]
pub(crate) struct FaultSequence {
    faults: Faults,
    /// `faults.operations`, resolved: one flag per operation, in `Operation::ALL` order.
    applies: [bool; Operation::ALL.len()],
    denied: [bool; Operation::ALL.len()],
    next: AtomicU64,
    next_latency: AtomicU64,
}

impl FaultSequence {
    /// The running sequence; an operation name in `faults.operations` the emulator does not have is an error.
    pub(crate) fn new(faults: Faults) -> Result<Self, String> {
        let ops = |names: &[String], what: &str| -> Result<[bool; Operation::ALL.len()], String> {
            let mut set = [false; Operation::ALL.len()];
            for name in names {
                let op = Operation::from_name(name).ok_or_else(|| {
                    let known: Vec<&str> = Operation::ALL.iter().map(|o| o.name()).collect();
                    format!(
                        "the {what} name {name:?}, which is not an operation (expected one of: {})",
                        known.join(", ")
                    )
                })?;
                set[op.index()] = true;
            }
            Ok(set)
        };
        let applies = ops(&faults.operations, "fault operations")?;
        let denied = ops(&faults.denied, "denied operations")?;
        Ok(Self {
            faults,
            applies,
            denied,
            next: AtomicU64::new(0),
            next_latency: AtomicU64::new(0),
        })
    }

    /// Whether faults are drawn for `op`.
    pub(crate) fn applies_to(&self, op: Operation) -> bool {
        self.applies[op.index()]
    }

    /// Whether `op` is always refused as a missing permission.
    pub(crate) fn denies(&self, op: Operation) -> bool {
        self.denied[op.index()]
    }

    /// Whether random faults are configured at all (saves the counter on the hot path).
    fn random_faults_on(&self) -> bool {
        self.faults.internal_error_rate > 0.0 || self.faults.drop_rate > 0.0
    }

    /// Draws the decision for the next eligible request.
    pub(crate) fn draw(&self) -> FaultDecision {
        if !self.random_faults_on() {
            return FaultDecision::None;
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let r = unit(self.faults.seed, n, 1);
        let ie = self.faults.internal_error_rate;
        if r < ie {
            FaultDecision::InternalError
        } else if r < ie + self.faults.drop_rate {
            if unit(self.faults.seed, n, 2) < self.faults.drop_after_apply_share {
                FaultDecision::DropAfterApply
            } else {
                FaultDecision::DropBeforeApply
            }
        } else {
            FaultDecision::None
        }
    }

    /// The latency to add to the next eligible request, if any.
    pub(crate) fn latency(&self) -> Option<Duration> {
        let base = self.faults.latency;
        let jitter = self.faults.latency_jitter;
        if base.is_zero() && jitter.is_zero() {
            return None;
        }
        let n = self.next_latency.fetch_add(1, Ordering::Relaxed);
        Some(base + jitter.mul_f64(unit(self.faults.seed, n, 3)))
    }

    /// How long an update is held before it is applied regardless of its client.
    pub(crate) fn late_apply(&self) -> Duration {
        self.faults.late_apply
    }

    /// The scripted error for a username, if any.
    pub(crate) fn scripted(&self, username: &str) -> Option<&ScriptedError> {
        self.faults.scripted.iter().find(|s| s.username == username)
    }
}

/// A uniform number in [0, 1) from (seed, n, stream), via splitmix64.
fn unit(seed: u64, n: u64, stream: u64) -> f64 {
    let mut z = seed
        .wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scripted_errors() {
        let s: ScriptedError = "bob=UserLambdaValidationException:nope: really"
            .parse()
            .unwrap();
        assert_eq!(s.username, "bob");
        assert_eq!(s.error, "UserLambdaValidationException");
        assert_eq!(s.message.as_deref(), Some("nope: really"));
        let s: ScriptedError = "a=b@x.com=NotAuthorizedException".parse().unwrap();
        assert_eq!(s.username, "a=b@x.com");
        assert_eq!(s.message, None);
        assert!("nobody".parse::<ScriptedError>().is_err());
        assert!("x=Bad Name".parse::<ScriptedError>().is_err());
    }

    #[test]
    fn same_seed_same_sequence() {
        let f = Faults {
            seed: 7,
            internal_error_rate: 0.1,
            drop_rate: 0.1,
            ..Faults::default()
        };
        let a = FaultSequence::new(f.clone()).unwrap();
        let b = FaultSequence::new(f).unwrap();
        let da: Vec<_> = (0..1000).map(|_| a.draw()).collect();
        let db: Vec<_> = (0..1000).map(|_| b.draw()).collect();
        assert_eq!(da, db);
        let ie = da
            .iter()
            .filter(|d| **d == FaultDecision::InternalError)
            .count();
        assert!((50..150).contains(&ie), "{ie}");
    }
}
