//! The Cognito operations the job calls, the request-rate quota category each one draws on, and the count of
//! requests sent per operation ([`Sent`]).
//!
//! The categories and their default rates come from the one table of Cognito's operations (`cognito_ops`, shared
//! with the emulator and the bench): the one place to change when Cognito's quotas page does. Each category has
//! its own limiter in a run (`app/execute.rs`): UserUpdate is `--rate`, UserRead is `--read-rate`, UserList is
//! `--list-rate`, and UserResourceRead (AdminListGroupsForUser) is paced at [`RESOURCE_READ_RATE`].

use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) use cognito_ops::Category;

/// Cognito's UserUpdate quota, requests per second for an account in a Region (not adjustable): every write of the
/// job draws on it, beside the application's own writes. GetProvisionedLimit reports the rate Cognito enforces.
pub(crate) const USER_UPDATE_QUOTA: f64 = Category::UserUpdate.default_rate();

/// The pace of AdminListGroupsForUser calls: 80 % of the UserResourceRead quota (50/s), the share `--read-rate`'s
/// default leaves of UserRead.
pub(crate) const RESOURCE_READ_RATE: f64 = Category::UserResourceRead.default_rate() * 0.8;

/// An operation the job calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Op {
    AdminUpdateUserAttributes,
    AdminDeleteUserAttributes,
    AdminAddUserToGroup,
    AdminRemoveUserFromGroup,
    AdminEnableUser,
    AdminDisableUser,
    AdminGetUser,
    AdminListGroupsForUser,
    ListUsers,
    ListUsersInGroup,
    ListGroups,
    DescribeUserPool,
}

impl Op {
    pub(crate) const ALL: [Op; 12] = [
        Op::AdminUpdateUserAttributes,
        Op::AdminDeleteUserAttributes,
        Op::AdminAddUserToGroup,
        Op::AdminRemoveUserFromGroup,
        Op::AdminEnableUser,
        Op::AdminDisableUser,
        Op::AdminGetUser,
        Op::AdminListGroupsForUser,
        Op::ListUsers,
        Op::ListUsersInGroup,
        Op::ListGroups,
        Op::DescribeUserPool,
    ];

    /// The quota category the operation draws on, from the operations table.
    pub(crate) fn category(self) -> Category {
        cognito_ops::category_of(self.name())
            .unwrap_or_else(|| panic!("{} has no quota category in the table", self.name()))
    }

    /// The operation's name in the API (and in the summary's counts).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::AdminUpdateUserAttributes => "AdminUpdateUserAttributes",
            Op::AdminDeleteUserAttributes => "AdminDeleteUserAttributes",
            Op::AdminAddUserToGroup => "AdminAddUserToGroup",
            Op::AdminRemoveUserFromGroup => "AdminRemoveUserFromGroup",
            Op::AdminEnableUser => "AdminEnableUser",
            Op::AdminDisableUser => "AdminDisableUser",
            Op::AdminGetUser => "AdminGetUser",
            Op::AdminListGroupsForUser => "AdminListGroupsForUser",
            Op::ListUsers => "ListUsers",
            Op::ListUsersInGroup => "ListUsersInGroup",
            Op::ListGroups => "ListGroups",
            Op::DescribeUserPool => "DescribeUserPool",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Requests sent per operation by a row's calls, each counted when it leaves the client, whatever its answer.
#[derive(Debug, Default)]
pub(crate) struct Sent {
    counts: [AtomicU64; Op::ALL.len()],
}

impl Sent {
    pub(crate) fn count(&self, op: Op) {
        self.counts[op.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far.
    pub(crate) fn counts(&self) -> SentCounts {
        let mut counts = SentCounts::default();
        for op in Op::ALL {
            counts.0[op.index()] = self.counts[op.index()].load(Ordering::Relaxed);
        }
        counts
    }
}

/// A copy of the counts of [`Sent`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SentCounts([u64; Op::ALL.len()]);

impl SentCounts {
    pub(crate) fn get(&self, op: Op) -> u64 {
        self.0[op.index()]
    }

    /// Requests on one quota category.
    pub(crate) fn on(&self, category: Category) -> u64 {
        Op::ALL
            .iter()
            .filter(|op| op.category() == category)
            .map(|op| self.get(*op))
            .sum()
    }

    pub(crate) fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The operations with at least one request, with their counts.
    pub(crate) fn nonzero(&self) -> impl Iterator<Item = (Op, u64)> + '_ {
        Op::ALL
            .into_iter()
            .map(|op| (op, self.get(op)))
            .filter(|(_, n)| *n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_the_job_calls_is_in_the_table_with_a_category() {
        for op in Op::ALL {
            let row = cognito_ops::operation(op.name()).expect("in the table");
            assert_eq!(row.category, Some(op.category()), "{}", op.name());
        }
        assert_eq!((USER_UPDATE_QUOTA, RESOURCE_READ_RATE), (25.0, 40.0));
    }

    #[test]
    fn every_write_of_a_row_is_on_the_user_update_quota() {
        let sent = Sent::default();
        for op in [
            Op::AdminUpdateUserAttributes,
            Op::AdminDeleteUserAttributes,
            Op::AdminAddUserToGroup,
            Op::AdminRemoveUserFromGroup,
            Op::AdminDisableUser,
            Op::AdminGetUser,
            Op::AdminListGroupsForUser,
        ] {
            sent.count(op);
        }
        let counts = sent.counts();
        assert_eq!(counts.on(Category::UserUpdate), 5);
        assert_eq!(counts.on(Category::UserRead), 1);
        assert_eq!(counts.on(Category::UserResourceRead), 1);
        assert_eq!(counts.total(), 7);
        assert_eq!(Op::ListUsersInGroup.category(), Category::UserList);
        assert_eq!(Op::ListGroups.category(), Category::UserPoolResourceRead);
    }
}
