//! Per-operation added latency (`--op-latency OP=MS`): a delay slept before a request of that operation is
//! processed, outside the state lock, so benchmarks can reproduce the service's page and call latency.
//!
//! `OP` is an operation name (`ListUsers`) or `*` for every operation not named. It adds to the
//! `AdminUpdateUserAttributes` latency of the fault settings (`--latency-ms`), which is kept as it was.

use std::str::FromStr;
use std::time::Duration;

use super::protocol::Operation;

/// The operation name that stands for every operation not named.
pub const EVERY_OTHER_OPERATION: &str = "*";

/// One `OP=MS` setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpLatency {
    /// An operation name (`ListUsers`) or `*`.
    pub operation: String,
    /// The latency added to each request of that operation.
    pub latency: Duration,
}

/// Parses `OP=MS`, e.g. `ListUsers=100` or `*=20`.
impl FromStr for OpLatency {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (op, ms) = s
            .split_once('=')
            .ok_or_else(|| format!("expected OP=MS (e.g. ListUsers=100 or *=20), got {s:?}"))?;
        let op = op.trim();
        check_operation(op)?;
        let ms: u64 = ms
            .trim()
            .parse()
            .map_err(|_| format!("expected a whole number of milliseconds after `=`, got {s:?}"))?;
        Ok(Self {
            operation: op.to_string(),
            latency: Duration::from_millis(ms),
        })
    }
}

/// `Ok` when `op` is `*` or the name of an emulated operation.
pub(crate) fn check_operation(op: &str) -> Result<(), String> {
    if op == EVERY_OTHER_OPERATION || Operation::from_name(op).is_some() {
        return Ok(());
    }
    let known: Vec<&str> = Operation::ALL.iter().map(|o| o.name()).collect();
    Err(format!(
        "unknown operation {op:?} (expected `*` or one of: {})",
        known.join(", ")
    ))
}

/// The resolved table: one latency per operation.
#[derive(Debug, Default)]
pub(crate) struct Latencies {
    per_op: [Duration; Operation::ALL.len()],
}

impl Latencies {
    /// Builds the table; a later setting for the same operation wins; `*` fills every operation not named.
    /// Settings naming an unknown operation are rejected earlier (flag parsing, `start`).
    pub(crate) fn new(settings: &[OpLatency]) -> Self {
        let default = settings
            .iter()
            .rev()
            .find(|s| s.operation == EVERY_OTHER_OPERATION)
            .map_or(Duration::ZERO, |s| s.latency);
        let mut per_op = [default; Operation::ALL.len()];
        for op in Operation::ALL {
            if let Some(s) = settings.iter().rev().find(|s| s.operation == op.name()) {
                per_op[op.index()] = s.latency;
            }
        }
        Self { per_op }
    }

    /// The latency added to `op` (zero when none).
    pub(crate) fn of(&self, op: Operation) -> Duration {
        self.per_op[op.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_op_equals_ms() {
        let l: OpLatency = "ListUsers=100".parse().unwrap();
        assert_eq!(l.operation, "ListUsers");
        assert_eq!(l.latency, Duration::from_millis(100));
        let l: OpLatency = "*=20".parse().unwrap();
        assert_eq!(l.operation, "*");
        assert!("ListUsers".parse::<OpLatency>().is_err());
        assert!("ListUsers=fast".parse::<OpLatency>().is_err());
        let e = "ListUser=5".parse::<OpLatency>().unwrap_err();
        assert!(e.contains("unknown operation \"ListUser\""), "{e}");
    }

    #[test]
    fn named_operation_wins_over_star() {
        let t = Latencies::new(&[
            "*=20".parse().unwrap(),
            "ListUsers=100".parse().unwrap(),
            "AdminGetUser=1".parse().unwrap(),
            "AdminGetUser=3".parse().unwrap(),
        ]);
        assert_eq!(t.of(Operation::ListUsers), Duration::from_millis(100));
        assert_eq!(t.of(Operation::AdminGetUser), Duration::from_millis(3));
        assert_eq!(t.of(Operation::DescribeUserPool), Duration::from_millis(20));
        let none = Latencies::new(&["ListUsers=100".parse().unwrap()]);
        assert_eq!(none.of(Operation::DescribeUserPool), Duration::ZERO);
    }
}
