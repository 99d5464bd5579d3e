//! `UserView`: a read-only copy of one stored user, for tests and embedding code.

use std::collections::BTreeMap;

use super::model::User;

/// A user's current record.
#[derive(Clone, Debug, PartialEq)]
pub struct UserView {
    /// The stored username.
    pub username: String,
    /// The user's `sub`.
    pub sub: String,
    /// Current attributes, `sub` included.
    pub attributes: BTreeMap<String, String>,
    /// `email`/`phone_number` values waiting for verification.
    pub pending: BTreeMap<String, String>,
    /// `Enabled`.
    pub enabled: bool,
    /// `UserStatus`.
    pub status: String,
    /// The names of the groups the user is a member of, in name order.
    pub groups: Vec<String>,
}

impl UserView {
    /// One attribute's value.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            username: user.username.clone(),
            sub: user.sub.clone(),
            attributes: user.attributes.clone(),
            pending: user.pending.clone(),
            enabled: user.enabled,
            status: user.status.clone(),
            groups: user.groups.iter().cloned().collect(),
        }
    }
}
