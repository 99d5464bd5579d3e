//! Amazon Cognito's user-pool operations that cognito-bulk calls and its emulator answers, with the request-rate
//! quota category each draws on, the category's default rate, and whether a call bills its user as a monthly
//! active user: the one table the job, the emulator and the bench read, to change when Cognito's pages do.
//!
//! Sources: the "per-category request rate quotas" of Cognito's quotas page
//! (<https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html>), and the pricing page for what makes
//! a user active in a month (<https://aws.amazon.com/cognito/pricing/>). A leaf: no dependencies.

/// Cognito's request-rate quota categories of the operations in [`OPERATIONS`], named as on the quotas page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Category {
    /// The writes to a user: attributes, groups, enabled state, deletion (25/s).
    UserUpdate,
    /// AdminGetUser (120/s).
    UserRead,
    /// ListUsers, ListUsersInGroup (30/s).
    UserList,
    /// DescribeUserPool, ListUserPools (15/s).
    UserPoolRead,
    /// AdminCreateUser (50/s).
    UserCreation,
    /// AdminListGroupsForUser (50/s).
    UserResourceRead,
    /// GetGroup, ListGroups (20/s).
    UserPoolResourceRead,
    /// CreateGroup, DeleteGroup (15/s).
    UserPoolResourceUpdate,
    /// GetProvisionedLimit, UpdateProvisionedLimit (1/s).
    LimitManagement,
}

impl Category {
    /// The number of categories.
    pub const COUNT: usize = 9;

    /// All categories, in index order.
    pub const ALL: [Category; Category::COUNT] = [
        Category::UserUpdate,
        Category::UserRead,
        Category::UserList,
        Category::UserPoolRead,
        Category::UserCreation,
        Category::UserResourceRead,
        Category::UserPoolResourceRead,
        Category::UserPoolResourceUpdate,
        Category::LimitManagement,
    ];

    /// Cognito's default requests per second for the category, per account and Region.
    pub const fn default_rate(self) -> f64 {
        match self {
            Category::UserUpdate => 25.0,
            Category::UserRead => 120.0,
            Category::UserList => 30.0,
            Category::UserPoolRead => 15.0,
            Category::UserCreation => 50.0,
            Category::UserResourceRead => 50.0,
            Category::UserPoolResourceRead => 20.0,
            Category::UserPoolResourceUpdate => 15.0,
            Category::LimitManagement => 1.0,
        }
    }

    /// Whether the quotas page lists the category as adjustable (its rate can be raised for an account); `false`
    /// where the page does not say so.
    pub const fn adjustable(self) -> bool {
        matches!(
            self,
            Category::UserRead | Category::UserResourceRead | Category::UserCreation
        )
    }

    /// The category's position in [`Category::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The category's name on the quotas page and in GetProvisionedLimit (`UserUpdate`).
    pub const fn name(self) -> &'static str {
        match self {
            Category::UserUpdate => "UserUpdate",
            Category::UserRead => "UserRead",
            Category::UserList => "UserList",
            Category::UserPoolRead => "UserPoolRead",
            Category::UserCreation => "UserCreation",
            Category::UserResourceRead => "UserResourceRead",
            Category::UserPoolResourceRead => "UserPoolResourceRead",
            Category::UserPoolResourceUpdate => "UserPoolResourceUpdate",
            Category::LimitManagement => "LimitManagement",
        }
    }
}

/// One operation of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The API's name (`AdminUpdateUserAttributes`).
    pub name: &'static str,
    /// The quota category it draws on; `None`: none of the user-pool categories.
    pub category: Option<Category>,
    /// Whether a call bills its user as a monthly active user.
    pub billed_as_mau: bool,
}

const fn op(name: &'static str, category: Option<Category>, billed_as_mau: bool) -> Operation {
    Operation {
        name,
        category,
        billed_as_mau,
    }
}

use Category::*;

/// Every operation the job calls or the emulator answers.
pub const OPERATIONS: &[Operation] = &[
    op("AdminUpdateUserAttributes", Some(UserUpdate), true),
    op("AdminDeleteUserAttributes", Some(UserUpdate), true),
    op("AdminDeleteUser", Some(UserUpdate), false),
    op("AdminAddUserToGroup", Some(UserUpdate), true),
    op("AdminRemoveUserFromGroup", Some(UserUpdate), true),
    op("AdminEnableUser", Some(UserUpdate), false),
    op("AdminDisableUser", Some(UserUpdate), false),
    op("AdminGetUser", Some(UserRead), true),
    op("ListUsers", Some(UserList), false),
    op("ListUsersInGroup", Some(UserList), false),
    op("DescribeUserPool", Some(UserPoolRead), false),
    op("ListUserPools", Some(UserPoolRead), false),
    op("AdminCreateUser", Some(UserCreation), false),
    op("AdminListGroupsForUser", Some(UserResourceRead), false),
    op("GetGroup", Some(UserPoolResourceRead), false),
    op("ListGroups", Some(UserPoolResourceRead), false),
    op("CreateGroup", Some(UserPoolResourceUpdate), false),
    op("DeleteGroup", Some(UserPoolResourceUpdate), false),
    op("CreateUserPool", None, false),
    op("DeleteUserPool", None, false),
    op("GetProvisionedLimit", Some(LimitManagement), false),
];

/// The operation named `name`, if the table has it.
pub fn operation(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|o| o.name == name)
}

/// The quota category of operation `name` (`None` for an operation outside the categories or the table).
pub fn category_of(name: &str) -> Option<Category> {
    operation(name).and_then(|o| o.category)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_listed_once_and_every_category_has_an_operation() {
        for (i, o) in OPERATIONS.iter().enumerate() {
            assert!(
                OPERATIONS[i + 1..].iter().all(|p| p.name != o.name),
                "{} twice",
                o.name
            );
        }
        for c in Category::ALL {
            assert!(OPERATIONS.iter().any(|o| o.category == Some(c)), "{c:?}");
            assert_eq!(Category::ALL[c.index()], c);
        }
        assert_eq!(category_of("AdminUpdateUserAttributes"), Some(UserUpdate));
        assert_eq!(category_of("NoSuchOperation"), None);
        assert_eq!(UserUpdate.default_rate(), 25.0);
        assert!(!UserUpdate.adjustable() && UserRead.adjustable());
    }
}
