//! The shape of an input file as far as the pool snapshot cares, learnt in the pre-flight's first pass: the
//! distinct column [`Pattern`]s of its rows (a row with empty cells compares only the attributes it sets, so each
//! pattern is compared on its own) and which kinds of user key it uses (`sub`-shaped keys, email or phone keys).

use crate::input::row::UpdateRequest;

/// Most distinct patterns the snapshot keeps one value hash per user for; a file with more compares by per-user
/// reads instead (each pattern costs 8 bytes per pool user).
pub(crate) const MAX_PATTERNS: usize = 8;

/// The attributes a row sets and deletes, each sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Pattern {
    pub(crate) set: Vec<String>,
    pub(crate) delete: Vec<String>,
}

impl Pattern {
    /// The pattern of a checked row.
    pub(crate) fn of(request: &UpdateRequest) -> Pattern {
        let mut set: Vec<String> = request.attributes.iter().map(|a| a.name.clone()).collect();
        set.sort();
        let mut delete = request.delete.clone();
        delete.sort();
        Pattern { set, delete }
    }

    /// A pattern that sets one attribute only (used to tell whether a row changes an address).
    pub(crate) fn single(name: &str) -> Pattern {
        Pattern {
            set: vec![name.to_string()],
            delete: vec![],
        }
    }

    /// Whether `request` sets and deletes exactly this pattern's attributes (without allocating).
    pub(crate) fn matches(&self, request: &UpdateRequest) -> bool {
        self.set.len() == request.attributes.len()
            && self.delete.len() == request.delete.len()
            && request
                .attributes
                .iter()
                .all(|a| self.set.binary_search(&a.name).is_ok())
            && request
                .delete
                .iter()
                .all(|n| self.delete.binary_search(n).is_ok())
    }
}

/// What the first pass learnt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FileShape {
    /// The distinct row patterns, then the single-address patterns `email` / `phone_number` when some row sets
    /// them (the verification-message guard asks whether the address itself changes).
    pub(crate) patterns: Vec<Pattern>,
    /// More distinct patterns than [`MAX_PATTERNS`]: the snapshot cannot compare this file.
    pub(crate) overflow: bool,
    /// Some key is shaped like a `sub` (a UUID).
    pub(crate) sub_keys: bool,
    /// Some key looks like an email address or a phone number (an alias or username attribute).
    pub(crate) alias_keys: bool,
    /// The groups rows add or remove users to or from (their members are listed for the snapshot).
    pub(crate) groups: std::collections::BTreeSet<String>,
    /// Some row gives an exact set of groups (every group's members are then listed).
    pub(crate) exact_groups: bool,
    /// Some row sets the enabled state.
    pub(crate) enabled: bool,
}

impl FileShape {
    /// The groups whose members the snapshot lists: `None` for every group of the pool, `Some(empty)` for none.
    pub(crate) fn groups_to_list(&self) -> Option<&std::collections::BTreeSet<String>> {
        (!self.exact_groups).then_some(&self.groups)
    }
}

impl FileShape {
    /// Records one valid row.
    pub(crate) fn observe(&mut self, request: &UpdateRequest) {
        let m = &request.membership;
        self.enabled |= m.enabled.is_some();
        self.exact_groups |= m.exact.is_some();
        for group in m.add.iter().chain(&m.remove) {
            if !self.groups.contains(group) {
                self.groups.insert(group.clone());
            }
        }
        let key = request.username.as_str();
        if !self.sub_keys && uuid::Uuid::try_parse(key).is_ok() {
            self.sub_keys = true;
        }
        if !self.alias_keys && (key.contains('@') || key.starts_with('+')) {
            self.alias_keys = true;
        }
        if self.overflow || self.patterns.iter().any(|p| p.matches(request)) {
            return;
        }
        if self.patterns.len() == MAX_PATTERNS {
            self.overflow = true;
            self.patterns.clear();
            return;
        }
        self.patterns.push(Pattern::of(request));
    }

    /// Adds the single-address patterns once every row has been seen.
    pub(crate) fn finish(&mut self) {
        if self.overflow {
            return;
        }
        for address in ["email", "phone_number"] {
            let single = Pattern::single(address);
            let needed = self
                .patterns
                .iter()
                .any(|p| p.set.iter().any(|n| n == address));
            if needed && !self.patterns.contains(&single) {
                self.patterns.push(single);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::row::Attribute;

    fn request(key: &str, set: &[&str], delete: &[&str]) -> UpdateRequest {
        UpdateRequest {
            username: key.into(),
            attributes: set
                .iter()
                .map(|n| Attribute {
                    name: n.to_string(),
                    value: "v".into(),
                })
                .collect(),
            delete: delete.iter().map(|n| n.to_string()).collect(),
            membership: Default::default(),
        }
    }

    #[test]
    fn patterns_are_distinct_whatever_the_column_order() {
        let mut shape = FileShape::default();
        shape.observe(&request("a", &["given_name", "email"], &[]));
        shape.observe(&request("b", &["email", "given_name"], &[]));
        shape.observe(&request("c", &["email"], &["locale"]));
        shape.observe(&request("d", &["given_name"], &[]));
        shape.finish();
        assert_eq!(shape.patterns.len(), 4, "{:?}", shape.patterns);
        assert_eq!(shape.patterns[0].set, ["email", "given_name"]);
        assert_eq!(shape.patterns[3], Pattern::single("email"));
        assert!(!shape.sub_keys && !shape.alias_keys);
    }

    #[test]
    fn too_many_patterns_overflow() {
        let mut shape = FileShape::default();
        let names: Vec<String> = (0..=MAX_PATTERNS).map(|i| format!("custom:a{i}")).collect();
        for name in &names {
            shape.observe(&request("a", &[name.as_str()], &[]));
        }
        shape.finish();
        assert!(shape.overflow);
        assert!(shape.patterns.is_empty());
    }

    #[test]
    fn key_kinds() {
        let mut shape = FileShape::default();
        shape.observe(&request(
            "0b6c5f7e-1f0a-4c7e-9d53-2f9a4b1e8c11",
            &["locale"],
            &[],
        ));
        assert!(shape.sub_keys && !shape.alias_keys);
        shape.observe(&request("ada@example.com", &["locale"], &[]));
        assert!(shape.alias_keys);
    }
}
