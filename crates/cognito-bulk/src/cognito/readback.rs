//! Read-back after an ambiguous failure: whether a user, as AdminGetUser returns it, already holds what a row
//! writes ([`holds`]). Pure functions; the read itself is made in [`super::backend`].
//!
//! The comparison follows the way Cognito stores the result, so that a confirmed row is really confirmed:
//!
//! * a value the row sets is there (booleans `*_verified` compare case-insensitively: Cognito stores them
//!   lowercase); an empty value removes the attribute;
//! * an `email` / `phone_number` the row sets without `<flag>=true` in the same call leaves the flag `false`
//!   (Amazon Cognito developer guide, "Configuring email or phone verification"), unless the address did not change (known only when the user was read before the
//!   write: then the flag keeps its old value);
//! * an attribute the row deletes (`cognito-bulk:delete`) is absent, and for `email` / `phone_number` so is its
//!   verification flag (the delete runs after the update, so it wins over a flag the row sets).
//!
//! A row that both updates and deletes is confirmed only when both parts hold; [`Holds`] says which part held,
//! so that a resend repeats only the part that was not applied.
//!
//! Not confirmable: in a pool that keeps the original address until the new one is verified
//! (`AttributesRequireVerificationBeforeUpdate`), a changed unverified address stays pending and AdminGetUser shows
//! the old one; such a row is resent (as it was before read-back existed).

use super::before::{Before, FLAGS, same_value};
use crate::input::row::UpdateRequest;

/// Which parts of a row the user already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Holds {
    /// Every value the row sets (AdminUpdateUserAttributes) is there; true when the row sets nothing.
    pub(crate) update: bool,
    /// Every attribute the row deletes (AdminDeleteUserAttributes) is gone; true when the row deletes nothing.
    pub(crate) delete: bool,
}

impl Holds {
    #[cfg(test)]
    fn all(self) -> bool {
        self.update && self.delete
    }
}

/// What a row expects of attribute `name` once fully applied: `Some(value)` or absent (`None`).
fn expected_after(
    request: &UpdateRequest,
    before: Option<&Before>,
    name: &str,
) -> Option<Option<String>> {
    if request.delete.iter().any(|n| n == name) {
        return Some(None);
    }
    if let Some(value) = request.get(name) {
        return Some((!value.is_empty()).then(|| value.to_string()));
    }
    let (address, _) = FLAGS.iter().find(|(_, flag)| *flag == name)?;
    if request.delete.iter().any(|n| n == address) {
        return Some(None);
    }
    let new = request.get(address).filter(|v| !v.is_empty())?;
    match before {
        // The address did not change: Cognito leaves its flag alone.
        Some(b) if b.get(address) == Some(new) => Some(b.get(name).map(str::to_string)),
        _ => Some(Some("false".to_string())),
    }
}

fn matches(name: &str, expected: &Option<String>, read: &Before) -> bool {
    match (expected, read.get(name)) {
        (None, None) => true,
        (Some(want), Some(have)) => same_value(name, have, want),
        _ => false,
    }
}

/// Whether `read` (the user after an ambiguous attempt) holds what `request` writes. `before` is the user as read
/// before the first write, when there was such a read (`--skip-unchanged`, `--undo-file`).
pub(crate) fn holds(request: &UpdateRequest, read: &Before, before: Option<&Before>) -> Holds {
    let deleted_flags = FLAGS
        .iter()
        .filter(|(address, _)| request.delete.iter().any(|n| n == address))
        .map(|(_, flag)| *flag);
    let delete_names: Vec<&str> = request
        .delete
        .iter()
        .map(String::as_str)
        .chain(deleted_flags)
        .collect();
    // What the update writes: the values set, and the flag of an address set without it; minus what the delete
    // removes afterwards (checked with the delete).
    let implied_flags = FLAGS
        .iter()
        .filter(|(address, flag)| request.get(address).is_some() && request.get(flag).is_none())
        .map(|(_, flag)| *flag);
    let update_names: Vec<&str> = request
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .chain(implied_flags)
        .filter(|n| !delete_names.contains(n))
        .collect();
    let check = |name: &str| {
        expected_after(request, before, name).is_some_and(|want| matches(name, &want, read))
    };
    Holds {
        update: update_names.iter().all(|n| check(n)),
        delete: delete_names.iter().all(|n| check(n)),
    }
}

#[cfg(test)]
mod dispatcher_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn user(pairs: &[(&str, &str)]) -> Before {
        Before::from_pairs(pairs)
    }

    fn request(set: &[(&str, &str)], delete: &[&str]) -> UpdateRequest {
        UpdateRequest::from_pairs("user0001", set, delete)
    }

    fn both(update: bool, delete: bool) -> Holds {
        Holds { update, delete }
    }

    #[test]
    fn plain_values_hold_only_when_equal() {
        let read = user(&[("given_name", "Ada"), ("custom:tier", "gold")]);
        let r = request(&[("given_name", "Ada"), ("custom:tier", "gold")], &[]);
        assert_eq!(holds(&r, &read, None), both(true, true));
        let r = request(&[("given_name", "Ada"), ("custom:tier", "GOLD")], &[]);
        assert_eq!(holds(&r, &read, None), both(false, true), "case matters");
        let r = request(&[("locale", "en-US")], &[]);
        assert!(!holds(&r, &read, None).all(), "absent attribute");
    }

    #[test]
    fn an_email_change_without_its_flag_is_held_only_once_unverified() {
        let r = request(&[("email", "new@example.com")], &[]);
        // Cognito un-verified it: applied.
        let applied = user(&[("email", "new@example.com"), ("email_verified", "false")]);
        assert!(holds(&r, &applied, None).all());
        // Still the old verified address: not applied.
        let old = user(&[("email", "old@example.com"), ("email_verified", "true")]);
        assert!(!holds(&r, &old, None).all());
        // The new address but still verified: not what this call leaves behind (someone else's write).
        let other = user(&[("email", "new@example.com"), ("email_verified", "true")]);
        assert!(!holds(&r, &other, None).all());
        // ...unless the address was already this one before the write: then the flag is left alone.
        let before = user(&[("email", "new@example.com"), ("email_verified", "true")]);
        assert!(holds(&r, &other, Some(&before)).all());
    }

    #[test]
    fn verification_flags_compare_case_insensitively() {
        let r = request(
            &[
                ("phone_number", "+15550100"),
                ("phone_number_verified", "TRUE"),
            ],
            &[],
        );
        let read = user(&[
            ("phone_number", "+15550100"),
            ("phone_number_verified", "true"),
        ]);
        assert!(holds(&r, &read, None).all());
        let unverified = user(&[
            ("phone_number", "+15550100"),
            ("phone_number_verified", "false"),
        ]);
        assert!(!holds(&r, &unverified, None).all());
    }

    #[test]
    fn a_delete_holds_when_the_attribute_and_its_flag_are_gone() {
        let r = request(&[], &["email", "custom:tier"]);
        assert!(holds(&r, &user(&[("given_name", "Ada")]), None).all());
        let flag_left = user(&[("email_verified", "true")]);
        assert_eq!(holds(&r, &flag_left, None), both(true, false));
        let still_there = user(&[("custom:tier", "gold")]);
        assert_eq!(holds(&r, &still_there, None), both(true, false));
    }

    #[test]
    fn a_row_that_updates_and_deletes_reports_each_part() {
        let r = request(&[("given_name", "Grace")], &["custom:tier"]);
        let update_only = user(&[("given_name", "Grace"), ("custom:tier", "gold")]);
        assert_eq!(holds(&r, &update_only, None), both(true, false));
        let neither = user(&[("given_name", "Ada"), ("custom:tier", "gold")]);
        assert_eq!(holds(&r, &neither, None), both(false, false));
        let all = user(&[("given_name", "Grace")]);
        assert_eq!(holds(&r, &all, None), both(true, true));
    }

    #[test]
    fn an_empty_value_expects_the_attribute_removed() {
        let r = request(&[("nickname", "")], &[]);
        assert!(holds(&r, &user(&[]), None).all());
        assert!(!holds(&r, &user(&[("nickname", "x")]), None).all());
    }
}
