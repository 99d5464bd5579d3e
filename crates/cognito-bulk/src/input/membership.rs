//! The group-membership and enabled-state columns of a row, checked into its [`Membership`]:
//!
//! * [`ADD_GROUPS`] and [`REMOVE_GROUPS`]: group names separated by `;` (one AdminAddUserToGroup or
//!   AdminRemoveUserFromGroup call per group);
//! * [`GROUPS`]: the exact set of groups the user should be in (what is missing is added, what is extra removed;
//!   the user's current groups come from the pool snapshot or a per-user read); not combinable with the two above
//!   in one row;
//! * [`ENABLED`]: `true` or `false` (AdminEnableUser / AdminDisableUser).
//!
//! An empty cell changes nothing, as for attributes. Group names follow the API's rule (1–128 characters, no
//! spaces or control characters); whether each group exists is checked here too, against the names ListGroups
//! returned, when the pre-flight (`crate::preflight`) has them.

use std::collections::BTreeSet;

use super::problem::RowProblem;

pub(crate) const ADD_GROUPS: &str = "cognito-bulk:add-groups";
pub(crate) const REMOVE_GROUPS: &str = "cognito-bulk:remove-groups";
pub(crate) const GROUPS: &str = "cognito-bulk:groups";
pub(crate) const ENABLED: &str = "cognito-bulk:enabled";

/// Every membership column name.
pub(crate) const COLUMNS: [&str; 4] = [ADD_GROUPS, REMOVE_GROUPS, GROUPS, ENABLED];

/// What a row changes besides attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Membership {
    /// Groups to add the user to.
    pub(crate) add: Vec<String>,
    /// Groups to remove the user from.
    pub(crate) remove: Vec<String>,
    /// The exact set of groups the user should be in (`cognito-bulk:groups`); never with `add` or `remove`.
    pub(crate) exact: Option<Vec<String>>,
    /// The enabled state to set.
    pub(crate) enabled: Option<bool>,
}

/// One call a row's membership makes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Call {
    Add(String),
    Remove(String),
    SetEnabled(bool),
}

impl Membership {
    /// The membership that makes exactly these calls.
    pub(crate) fn from_calls(calls: Vec<Call>) -> Self {
        let mut m = Membership::default();
        for call in calls {
            match call {
                Call::Add(g) => m.add.push(g),
                Call::Remove(g) => m.remove.push(g),
                Call::SetEnabled(e) => m.enabled = Some(e),
            }
        }
        m
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.add.is_empty()
            && self.remove.is_empty()
            && self.exact.is_none()
            && self.enabled.is_none()
    }

    /// Whether the row changes group membership (and so may need the user's current groups).
    pub(crate) fn touches_groups(&self) -> bool {
        !self.add.is_empty() || !self.remove.is_empty() || self.exact.is_some()
    }

    /// Every group name the row names.
    pub(crate) fn groups(&self) -> impl Iterator<Item = &str> {
        self.add
            .iter()
            .chain(&self.remove)
            .chain(self.exact.iter().flatten())
            .map(String::as_str)
    }

    /// The names written in the report's `attributes` column: `+group:premium`, `-group:trial`,
    /// `groups=premium,staff` (an exact set; `groups=` for none), `enabled=false`.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.add.iter().map(|g| format!("+group:{g}")).collect();
        names.extend(self.remove.iter().map(|g| format!("-group:{g}")));
        if let Some(exact) = &self.exact {
            names.push(format!("groups={}", exact.join(",")));
        }
        if let Some(enabled) = self.enabled {
            names.push(format!("enabled={enabled}"));
        }
        names
    }

    /// The groups the row names that the pool does not have (ListGroups, read once before the first write), as
    /// one problem naming each with its column.
    pub(crate) fn unknown_groups(&self, pool: &BTreeSet<String>) -> Option<RowProblem> {
        let lists = [(ADD_GROUPS, &self.add), (REMOVE_GROUPS, &self.remove)];
        let exact = self.exact.iter().map(|e| (GROUPS, e));
        let problems = lists
            .into_iter()
            .chain(exact)
            .flat_map(|(column, names)| {
                names.iter().filter(|g| !pool.contains(*g)).map(move |g| {
                    let hint = super::names::closest(g, pool.iter().map(String::as_str))
                        .map_or(String::new(), |near| format!(" (did you mean `{near}`?)"));
                    RowProblem::new(Some(column), format!("the pool has no group `{g}`{hint}"))
                })
            })
            .collect();
        RowProblem::all(problems)
    }

    /// The calls that make the user's membership and state what the row says, given what is known of the user:
    /// its current groups and enabled state (`None`: unknown). Unknown state sends every call the row names
    /// (each is idempotent); an exact set needs the current groups to know what to remove (the backend reads
    /// them first; without them, only its adds are known).
    pub(crate) fn calls(
        &self,
        groups: Option<&BTreeSet<String>>,
        enabled: Option<bool>,
    ) -> Vec<Call> {
        let member = |g: &str| groups.map(|set| set.contains(g));
        let mut calls: Vec<Call> = Vec::new();
        if let Some(exact) = &self.exact {
            let none = BTreeSet::new();
            let current = groups.unwrap_or(&none);
            calls.extend(
                exact
                    .iter()
                    .filter(|g| !current.contains(*g))
                    .map(|g| Call::Add(g.clone())),
            );
            calls.extend(
                current
                    .iter()
                    .filter(|g| !exact.contains(g))
                    .map(|g| Call::Remove(g.clone())),
            );
        }
        calls.extend(
            self.add
                .iter()
                .filter(|g| member(g) != Some(true))
                .map(|g| Call::Add(g.clone())),
        );
        calls.extend(
            self.remove
                .iter()
                .filter(|g| member(g) != Some(false))
                .map(|g| Call::Remove(g.clone())),
        );
        if let Some(want) = self.enabled
            && enabled != Some(want)
        {
            calls.push(Call::SetEnabled(want));
        }
        calls
    }
}

/// The indexes of the membership columns in a header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Columns {
    pub(crate) add: Option<usize>,
    pub(crate) remove: Option<usize>,
    pub(crate) exact: Option<usize>,
    pub(crate) enabled: Option<usize>,
}

impl Columns {
    /// Records column `index` if `name` is a membership column; `false` otherwise.
    pub(crate) fn take(&mut self, name: &str, index: usize) -> bool {
        let slot = match name {
            ADD_GROUPS => &mut self.add,
            REMOVE_GROUPS => &mut self.remove,
            GROUPS => &mut self.exact,
            ENABLED => &mut self.enabled,
            _ => return false,
        };
        *slot = Some(index);
        true
    }

    pub(crate) fn any(&self) -> bool {
        self.add.is_some()
            || self.remove.is_some()
            || self.exact.is_some()
            || self.enabled.is_some()
    }

    /// Whether rows may name groups (ListGroups is then read once, to check them).
    pub(crate) fn names_groups(&self) -> bool {
        self.add.is_some() || self.remove.is_some() || self.exact.is_some()
    }

    /// Checks the membership cells of `record`; every problem of the row at once.
    pub(crate) fn check(&self, record: &csv::StringRecord) -> Result<Membership, Vec<RowProblem>> {
        let cell = |index: Option<usize>| index.and_then(|i| record.get(i)).unwrap_or_default();
        let mut problems = Vec::new();
        let mut list = |column: &str, index: Option<usize>| match group_list(column, cell(index)) {
            Ok(names) => names,
            Err(problem) => {
                problems.push(problem);
                Vec::new()
            }
        };
        let add = list(ADD_GROUPS, self.add);
        let remove = list(REMOVE_GROUPS, self.remove);
        // A cell with no name in it (`;`) changes nothing, as an empty cell: it never empties a user's groups.
        let exact = Some(list(GROUPS, self.exact)).filter(|names| !names.is_empty());
        if exact.is_some() && (!add.is_empty() || !remove.is_empty()) {
            problems.push(RowProblem::new(
                Some(GROUPS),
                format!(
                    "the exact set of groups cannot be combined with `{ADD_GROUPS}` or `{REMOVE_GROUPS}` in one \
                     row: list every group the user should be in, or only what to add and remove"
                ),
            ));
        }
        if let Some(both) = add.iter().find(|g| remove.contains(g)) {
            problems.push(RowProblem::new(
                Some(REMOVE_GROUPS),
                format!("`{both}` is both added and removed by this row"),
            ));
        }
        let enabled = match cell(self.enabled).trim() {
            "" => None,
            v if v.eq_ignore_ascii_case("true") => Some(true),
            v if v.eq_ignore_ascii_case("false") => Some(false),
            _ => {
                problems.push(RowProblem::new(
                    Some(ENABLED),
                    "must be `true` or `false` (or empty to leave the user as it is)",
                ));
                None
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Membership {
            add,
            remove,
            exact,
            enabled,
        })
    }
}

/// A group name by the API's rule: 1–128 characters of `[\p{L}\p{M}\p{S}\p{N}\p{P}]` (no spaces or control
/// characters).
pub(crate) fn check_group_name(name: &str) -> Result<(), String> {
    let chars = name.chars().count();
    if chars > 128 {
        return Err(format!(
            "is {chars} characters long; a group name has at most 128"
        ));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains a space or a control character, which a group name may not".into());
    }
    Ok(())
}

/// A `;`-separated list of group names, each checked by the API's rule, none twice.
fn group_list(column: &str, cell: &str) -> Result<Vec<String>, RowProblem> {
    super::names::name_list(cell, column, "group ", |name| {
        check_group_name(name).map_err(|why| format!(" {why}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Columns {
        Columns {
            add: Some(1),
            remove: Some(2),
            exact: Some(3),
            enabled: Some(4),
        }
    }

    fn check(cells: [&str; 4]) -> Result<Membership, String> {
        let mut record = vec!["user"];
        record.extend(cells);
        columns()
            .check(&csv::StringRecord::from(record))
            .map_err(|problems| {
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
    }

    #[test]
    fn cells_become_a_membership_and_empty_cells_change_nothing() {
        let m = check(["premium; beta ;", "trial", "", "FALSE"]).unwrap();
        assert_eq!(m.add, ["premium", "beta"]);
        assert_eq!(m.remove, ["trial"]);
        assert_eq!(m.exact, None);
        assert_eq!(m.enabled, Some(false));
        assert_eq!(
            m.names(),
            [
                "+group:premium",
                "+group:beta",
                "-group:trial",
                "enabled=false"
            ]
        );
        assert!(check(["", "", "", ""]).unwrap().is_empty());
        assert!(
            check(["", "", " ; ", ""]).unwrap().is_empty(),
            "no name: no change"
        );
        let exact = check(["", "", "staff;premium", "true"]).unwrap();
        assert_eq!(
            exact.exact.as_deref(),
            Some(&["staff".to_string(), "premium".to_string()][..])
        );
        assert_eq!(exact.names(), ["groups=staff,premium", "enabled=true"]);
    }

    #[test]
    fn every_problem_of_the_cells_is_named_with_its_column() {
        let e = check(["a b", "x;x", "", "maybe"]).unwrap_err();
        assert!(
            e.contains("column `cognito-bulk:add-groups`: group `a b` contains a space"),
            "{e}"
        );
        assert!(
            e.contains("column `cognito-bulk:remove-groups`: group `x` is listed twice"),
            "{e}"
        );
        assert!(
            e.contains("column `cognito-bulk:enabled`: must be `true` or `false`"),
            "{e}"
        );
        let e = check(["a", "", "b", ""]).unwrap_err();
        assert!(e.contains("cannot be combined"), "{e}");
        let e = check(["a", "a", "", ""]).unwrap_err();
        assert!(e.contains("both added and removed"), "{e}");
        let long = "g".repeat(129);
        let e = check([long.as_str(), "", "", ""]).unwrap_err();
        assert!(e.contains("at most 128"), "{e}");
    }

    #[test]
    fn calls_send_only_what_the_user_lacks_when_its_state_is_known() {
        let current: BTreeSet<String> = ["trial".to_string(), "staff".to_string()].into();
        let m = Membership {
            add: vec!["premium".into(), "staff".into()],
            remove: vec!["trial".into(), "gone".into()],
            enabled: Some(false),
            ..Membership::default()
        };
        assert_eq!(
            m.calls(Some(&current), Some(false)),
            [Call::Add("premium".into()), Call::Remove("trial".into())]
        );
        assert_eq!(m.calls(None, None).len(), 5, "unknown: every call");
        let exact = Membership {
            exact: Some(vec!["premium".into(), "staff".into()]),
            ..Membership::default()
        };
        assert_eq!(
            exact.calls(Some(&current), None),
            [Call::Add("premium".into()), Call::Remove("trial".into())]
        );
        let none = Membership {
            exact: Some(vec![]),
            ..Membership::default()
        };
        assert_eq!(none.calls(Some(&current), None).len(), 2);
    }
}
