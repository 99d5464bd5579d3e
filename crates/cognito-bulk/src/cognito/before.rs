//! A user's attributes as AdminGetUser returned them before the write ([`Before`]), and the two decisions taken
//! from them: whether a row would change anything ([`Before::unchanged`], for `--skip-unchanged`) and the row that
//! puts the previous values back ([`Before::undo`], for `--undo-file`).
//!
//! Pure functions; the calls are made in [`super::backend`].

use std::collections::{BTreeMap, BTreeSet};

use crate::input::membership::Call;
use crate::input::row::{Attribute, UpdateRequest};
use crate::report::undo::UndoRow;

/// Boolean attributes: their values compare case-insensitively (`TRUE` = `true`).
const BOOLEANS: [&str; 2] = ["email_verified", "phone_number_verified"];

/// Attributes whose change also changes another one: a new `email` or `phone_number` is unverified unless the same
/// call says otherwise, and deleting the address deletes its flag too (Amazon Cognito developer guide, "Configuring email or phone verification").
pub(crate) const FLAGS: [(&str, &str); 2] = [
    ("email", "email_verified"),
    ("phone_number", "phone_number_verified"),
];

/// Attributes a user can be addressed by (aliases), besides the username and `sub`.
const ALIASES: [&str; 3] = ["email", "phone_number", "preferred_username"];

/// A user as read before the write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Before {
    /// The user's username in the pool (never changes, unlike an alias).
    pub(crate) username: String,
    pub(crate) attributes: BTreeMap<String, String>,
    /// `Enabled` (AdminGetUser), when the user was read.
    pub(crate) enabled: Option<bool>,
    /// The user's groups (AdminListGroupsForUser), when they were read.
    pub(crate) groups: Option<BTreeSet<String>>,
}

/// Whether two values of attribute `name` are the same.
pub(crate) fn same_value(name: &str, a: &str, b: &str) -> bool {
    a == b || canonical_value(name, a) == canonical_value(name, b)
}

/// The form of a value that [`same_value`] compares: booleans in lower case, every other value as it is. Two
/// values are the same exactly when their canonical forms are equal (the pool snapshot hashes this form).
pub(crate) fn canonical_value<'a>(name: &str, value: &'a str) -> std::borrow::Cow<'a, str> {
    if BOOLEANS.contains(&name) && value.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(value.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

impl Before {
    /// User `user0001` with these attributes, for the unit tests of the modules that compare rows with users.
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Before {
            username: "user0001".into(),
            attributes: pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            ..Before::default()
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }

    /// True when the row would change nothing: every value it sets is already there, every attribute it
    /// deletes is already absent, and its membership and enabled state already hold.
    pub(crate) fn unchanged(&self, request: &UpdateRequest) -> bool {
        self.attributes_hold(request)
            && self.membership_calls(request).is_some_and(|c| c.is_empty())
    }

    /// Every value the row sets is there and every attribute it deletes is absent.
    pub(crate) fn attributes_hold(&self, request: &UpdateRequest) -> bool {
        request.attributes.iter().all(|a| {
            self.get(&a.name)
                .is_some_and(|v| same_value(&a.name, v, &a.value))
        }) && request.delete.iter().all(|n| self.get(n).is_none())
    }

    /// The membership calls the row still needs for this user; `None` when a part the row changes was not read
    /// (the groups of a row that changes groups).
    pub(crate) fn membership_calls(&self, request: &UpdateRequest) -> Option<Vec<Call>> {
        let m = &request.membership;
        if m.touches_groups() && self.groups.is_none() {
            return None;
        }
        Some(m.calls(self.groups.as_ref(), self.enabled))
    }

    /// The row that restores what `request` changes: the previous value of every attribute it sets or deletes,
    /// and of the verification flag of an `email` / `phone_number` it sets or deletes; attributes the user did
    /// not have are deleted; groups the row adds the user to are removed again, groups it removes added again, and
    /// a changed enabled state set back. Addressed by the key as written, unless that key is an alias value the row changes
    /// (it would no longer find the user): then by the username.
    pub(crate) fn undo(&self, request: &UpdateRequest) -> UndoRow {
        let mut touched: Vec<(&str, bool)> = Vec::new(); // (name, restore by deleting when absent before)
        for a in &request.attributes {
            touched.push((a.name.as_str(), true));
        }
        for n in &request.delete {
            touched.push((n.as_str(), false));
        }
        for (address, flag) in FLAGS {
            let sets = request.get(address).is_some();
            let deletes = request.delete.iter().any(|n| n == address);
            if (sets || deletes) && !touched.iter().any(|(n, _)| *n == flag) {
                // Setting an address without its flag makes Cognito add `<flag>=false`: a flag the user did not
                // have is deleted again whenever an address is set, by the row or by its undo.
                touched.push((flag, sets || self.get(address).is_some()));
            }
        }
        let mut row = UndoRow {
            key: request.username.clone(),
            ..UndoRow::default()
        };
        for (name, delete_if_absent) in touched {
            match self.get(name) {
                Some(value) => row.set.push(Attribute {
                    name: name.to_string(),
                    value: value.to_string(),
                }),
                None if delete_if_absent => row.delete.push(name.to_string()),
                None => {}
            }
        }
        let key_is_changed_alias = ALIASES.iter().any(|alias| {
            self.get(alias)
                .is_some_and(|v| v.eq_ignore_ascii_case(&request.username))
                && (request
                    .get(alias)
                    .is_some_and(|new| new != request.username)
                    || request.delete.iter().any(|n| n == alias))
        });
        if key_is_changed_alias {
            row.key = self.username.clone();
        }
        for call in self.membership_calls(request).unwrap_or_default() {
            match call {
                Call::Add(group) => row.remove_groups.push(group),
                Call::Remove(group) => row.add_groups.push(group),
                Call::SetEnabled(_) => row.enabled = self.enabled,
            }
        }
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn before(pairs: &[(&str, &str)]) -> Before {
        Before::from_pairs(pairs)
    }

    fn request(key: &str, set: &[(&str, &str)], delete: &[&str]) -> UpdateRequest {
        UpdateRequest::from_pairs(key, set, delete)
    }

    #[test]
    fn comparison_table() {
        let user = before(&[
            ("given_name", "Ada"),
            ("email_verified", "true"),
            ("custom:tier", "free"),
        ]);
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], bool);
        let cases: [Case; 9] = [
            (&[("given_name", "Ada")], &[], true),
            (&[("given_name", "ada")], &[], false),
            (&[("given_name", "Ada"), ("custom:tier", "pro")], &[], false),
            (&[("email_verified", "TRUE")], &[], true),
            (&[("email_verified", "false")], &[], false),
            (&[("locale", "en-US")], &[], false),
            (&[], &["locale"], true),
            (&[], &["custom:tier"], false),
            (&[("custom:tier", "FREE")], &[], false),
        ];
        for (set, delete, expected) in cases {
            assert_eq!(
                user.unchanged(&request("user0001", set, delete)),
                expected,
                "{set:?} -{delete:?}"
            );
        }
        assert!(same_value("phone_number_verified", "False", "false"));
        assert!(!same_value("custom:flag", "TRUE", "true"));
    }

    #[test]
    fn undo_sets_previous_values_and_deletes_new_attributes() {
        let user = before(&[("given_name", "Ada"), ("custom:tier", "free")]);
        let row = user.undo(&request(
            "user0001",
            &[("given_name", "Grace"), ("locale", "en-US")],
            &["custom:tier", "nickname"],
        ));
        assert_eq!(row.key, "user0001");
        let set: Vec<(&str, &str)> = row
            .set
            .iter()
            .map(|a| (a.name.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(set, [("given_name", "Ada"), ("custom:tier", "free")]);
        assert_eq!(
            row.delete,
            ["locale"],
            "nickname was absent before and after"
        );
    }

    #[test]
    fn undo_of_an_address_change_restores_its_verification_flag() {
        let user = before(&[("email", "old@example.com"), ("email_verified", "true")]);
        let row = user.undo(&request("user0001", &[("email", "new@example.com")], &[]));
        let set: Vec<(&str, &str)> = row
            .set
            .iter()
            .map(|a| (a.name.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(
            set,
            [("email", "old@example.com"), ("email_verified", "true")]
        );
        // A new phone number on a user without one: both the number and its flag go.
        let row = user.undo(&request("user0001", &[("phone_number", "+15550100")], &[]));
        assert_eq!(row.delete, ["phone_number", "phone_number_verified"]);
        assert!(row.set.is_empty());
        // A deleted phone number without a flag: restored, and the flag Cognito adds then is deleted.
        let user = before(&[("phone_number", "+15550100")]);
        let row = user.undo(&request("user0001", &[], &["phone_number"]));
        assert_eq!(row.set[0].name, "phone_number");
        assert_eq!(row.delete, ["phone_number_verified"]);
    }

    #[test]
    fn undo_addresses_the_user_by_username_when_the_key_is_a_changed_alias() {
        let user = before(&[("email", "old@example.com"), ("given_name", "Ada")]);
        let row = user.undo(&request(
            "OLD@example.com",
            &[("email", "new@example.com")],
            &[],
        ));
        assert_eq!(row.key, "user0001");
        let row = user.undo(&request("OLD@example.com", &[("given_name", "Grace")], &[]));
        assert_eq!(row.key, "OLD@example.com");
    }
}
