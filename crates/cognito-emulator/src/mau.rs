//! Monthly-active-user counting: the distinct (pool, user) pairs touched by the operations Cognito bills as user
//! activity ("change user attributes or group membership", and reading a user: `AdminUpdateUserAttributes`,
//! `AdminDeleteUserAttributes`, `AdminGetUser`, `AdminAddUserToGroup`, `AdminRemoveUserFromGroup`), in total and
//! per operation. Listings (`ListUsers`, `ListUsersInGroup`, `ListGroups`) and `DescribeUserPool` never count.
//!
//! "Touched" is a request that resolved an existing user and was not throttled: applied, or refused after the
//! user was found (invalid attribute, alias conflict, ...) — the conservative reading, which never under-states
//! the bill. Requests refused before the user is resolved (throttled by the category quota, injected internal
//! error or connection dropped before apply, scripted error, unknown pool or user, malformed request) and
//! requests throttled by the per-user write limit do not count.
//!
//! Memory: one bit per user sequence number per operation, kept in the pool ([`MauBits`]); the totals are
//! atomics in [`super::stats::Counters`], so reading them never walks the users.

use std::sync::atomic::{AtomicU64, Ordering};

use super::protocol::{ApiError, Operation};

/// The billed operations, in `mau.by_operation` order.
pub(crate) const BILLED: [Operation; 5] = [
    Operation::AdminUpdateUserAttributes,
    Operation::AdminDeleteUserAttributes,
    Operation::AdminGetUser,
    Operation::AdminAddUserToGroup,
    Operation::AdminRemoveUserFromGroup,
];

fn billed_index(op: Operation) -> Option<usize> {
    BILLED.iter().position(|b| *b == op)
}

/// Which users of one pool each billed operation has touched: a bit per user sequence number.
#[derive(Debug, Default)]
pub(crate) struct MauBits {
    words: [Vec<u64>; BILLED.len()],
}

/// What a touch changed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Touch {
    /// First touch of this user by this operation.
    pub(crate) new_for_operation: bool,
    /// First touch of this user by any billed operation.
    pub(crate) new_user: bool,
}

impl MauBits {
    fn get(&self, i: usize, seq: u64) -> bool {
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        self.words[i].get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    /// Marks user `seq` as touched by `op` (ignored for an operation that is not billed).
    pub(crate) fn touch(&mut self, op: Operation, seq: u64) -> Touch {
        let Some(i) = billed_index(op) else {
            return Touch {
                new_for_operation: false,
                new_user: false,
            };
        };
        let new_user = (0..BILLED.len()).all(|j| !self.get(j, seq));
        let new_for_operation = !self.get(i, seq);
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        let words = &mut self.words[i];
        if words.len() <= word {
            words.resize(word + 1, 0);
        }
        words[word] |= 1 << bit;
        Touch {
            new_for_operation,
            new_user,
        }
    }

    /// Forgets every touch (`POST /_emulator/reset-stats`).
    pub(crate) fn clear(&mut self) {
        for words in &mut self.words {
            *words = Vec::new();
        }
    }
}

/// The MAU totals, updated without the state lock being needed to read them.
#[derive(Debug, Default)]
pub(crate) struct MauCounters {
    pub(crate) total: AtomicU64,
    pub(crate) by_operation: [AtomicU64; BILLED.len()],
}

impl MauCounters {
    /// Records the outcome of a billed request that resolved user `seq` of the pool owning `bits`: counted unless
    /// it was throttled.
    pub(crate) fn record<T>(
        &self,
        bits: &mut MauBits,
        op: Operation,
        seq: u64,
        result: &Result<T, ApiError>,
    ) {
        if matches!(result, Err(e) if e.code == "TooManyRequestsException") {
            return;
        }
        let touch = bits.touch(op, seq);
        if touch.new_user {
            self.total.fetch_add(1, Ordering::Relaxed);
        }
        if touch.new_for_operation
            && let Some(i) = billed_index(op)
        {
            self.by_operation[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn reset(&self) {
        self.total.store(0, Ordering::Relaxed);
        for c in &self.by_operation {
            c.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_billed_operations_are_those_the_operations_table_bills() {
        for op in Operation::ALL {
            let row = cognito_ops::operation(op.name())
                .unwrap_or_else(|| panic!("{} is not in the operations table", op.name()));
            assert_eq!(row.billed_as_mau, BILLED.contains(&op), "{}", op.name());
        }
    }

    #[test]
    fn distinct_users_in_total_and_per_operation() {
        let counters = MauCounters::default();
        let mut bits = MauBits::default();
        let ok: Result<(), ApiError> = Ok(());
        let refused: Result<(), ApiError> = Err(ApiError::invalid_parameter("x"));
        let throttled: Result<(), ApiError> = Err(ApiError::throttled());
        counters.record(&mut bits, Operation::AdminGetUser, 3, &ok);
        counters.record(&mut bits, Operation::AdminGetUser, 3, &ok);
        counters.record(&mut bits, Operation::AdminUpdateUserAttributes, 3, &ok);
        counters.record(
            &mut bits,
            Operation::AdminUpdateUserAttributes,
            200,
            &refused,
        );
        counters.record(
            &mut bits,
            Operation::AdminDeleteUserAttributes,
            7,
            &throttled,
        );
        counters.record(&mut bits, Operation::ListUsers, 8, &ok);
        assert_eq!(counters.total.load(Ordering::Relaxed), 2);
        let by: Vec<u64> = counters
            .by_operation
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        assert_eq!(by, [2, 0, 1, 0, 0]);
        bits.clear();
        counters.reset();
        counters.record(&mut bits, Operation::AdminGetUser, 3, &ok);
        assert_eq!(counters.total.load(Ordering::Relaxed), 1);
    }
}
