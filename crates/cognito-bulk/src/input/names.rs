//! The names a file or a flag may use, and the words for a name that is wrong: the standard attributes, the rule
//! of an attribute name (standard, or `custom:` / `dev:custom:`), the closest known name to a typo, the case of the
//! custom prefix, and `;`-separated name lists (the delete and group columns). Pure functions; the row checks
//! (`validate.rs`), the header (`header.rs`), the membership columns and the pool's schema use them.

use std::sync::LazyLock;

use regex::Regex;

use super::problem::RowProblem;

/// Standard attributes that AdminUpdateUserAttributes may set (`sub` is the only immutable one).
pub(crate) const STANDARD_ATTRIBUTES: [&str; 19] = [
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

/// Longest custom attribute name after its prefix (developer guide, "Working with user attributes": custom attributes).
const MAX_CUSTOM_NAME_CHARS: usize = 20;

static ATTRIBUTE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r ]+$").unwrap());

/// The name among `known` closest to `name` (a typo, or the wrong case), if one is close enough to suggest.
/// A candidate whose length alone puts it out of reach is skipped before the distance is computed (the distance
/// is at least the difference in length): a pool's thousands of groups cost little for each row that names a
/// missing one.
pub(crate) fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let chars = lower.chars().count();
    let reach = |k: &str| 2.max(k.len() / 5);
    known
        .into_iter()
        .filter(|k| k.chars().count().abs_diff(chars) <= reach(k))
        .map(|k| (strsim::damerau_levenshtein(&lower, &k.to_lowercase()), k))
        .filter(|(d, k)| *d <= reach(k))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Why a header column names no attribute that could exist (checked once for the column, not for each row), with
/// a suggestion when a name is close: `given_nmae` (did you mean `given_name`?), `Custom:tier` (the prefix is
/// lower case).
pub(crate) fn unknown_column(name: &str) -> Option<String> {
    // `sub` is an attribute: a row that sets it is refused on its own (an empty cell sends nothing).
    if name == "sub" {
        return None;
    }
    check_attribute_name(name).err()?;
    if let Some(problem) = prefix_case(name) {
        return Some(problem);
    }
    if let Some(standard) = closest(name, STANDARD_ATTRIBUTES) {
        return Some(format!("not an attribute: did you mean `{standard}`?"));
    }
    check_attribute_name(name).err().map(|p| p.reason)
}

/// `Custom:tier`: the custom prefix written in another case, with the name as it must be written.
pub(crate) fn prefix_case(name: &str) -> Option<String> {
    let lower = name.to_lowercase();
    ["custom:", "dev:custom:"]
        .into_iter()
        .find(|prefix| lower.starts_with(prefix) && !name.starts_with(prefix))
        .map(|prefix| {
            format!(
                "the `{prefix}` prefix is lower case: `{prefix}{}`",
                &name[prefix.len()..]
            )
        })
}

/// Checks an attribute name: a standard attribute other than `sub`, or a `custom:` / `dev:custom:` one.
pub(crate) fn check_attribute_name(name: &str) -> Result<(), RowProblem> {
    let col = Some(name);
    let name_chars = name.chars().count();
    if name_chars == 0 || name_chars > 32 || !ATTRIBUTE_NAME.is_match(name) {
        return Err(RowProblem::new(
            col,
            "not a valid attribute name (1–32 characters)",
        ));
    }
    if name == "sub" {
        return Err(RowProblem::new(col, "`sub` can never be updated"));
    }
    let custom = name
        .strip_prefix("dev:custom:")
        .or_else(|| name.strip_prefix("custom:"));
    match custom {
        Some(base) if base.is_empty() || base.chars().count() > MAX_CUSTOM_NAME_CHARS => {
            return Err(RowProblem::new(
                col,
                "a custom attribute name has 1–20 characters after `custom:`",
            ));
        }
        Some(_) => {}
        None if !STANDARD_ATTRIBUTES.contains(&name) => {
            return Err(RowProblem::new(
                col,
                "not a standard attribute; custom attributes need the `custom:` prefix",
            ));
        }
        None => {}
    }
    Ok(())
}

/// A `;`-separated list of names in column `column` (the delete column, the group columns): spaces around names
/// and empty entries are ignored; each name passes `check` and appears once. A problem reads
/// "<what>`<name>`<why>" (`why` starts with its own separator).
pub(crate) fn name_list(
    cell: &str,
    column: &str,
    what: &str,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<Vec<String>, RowProblem> {
    let mut names: Vec<String> = Vec::new();
    for name in cell.split(';').map(str::trim).filter(|n| !n.is_empty()) {
        let problem = |why: &str| RowProblem::new(Some(column), format!("{what}`{name}`{why}"));
        if let Err(why) = check(name) {
            return Err(problem(&why));
        }
        if names.iter().any(|n| n == name) {
            return Err(problem(" is listed twice"));
        }
        names.push(name.to_string());
    }
    Ok(names)
}
