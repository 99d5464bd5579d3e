//! The compact pool snapshot: for each pool user, only what the comparison needs — a 64-bit hash of each of its
//! keys (username, and where the file uses them its `sub` and active aliases) and one 64-bit hash of its values
//! per column [`Pattern`] of the file. 12 bytes per key (the hash and a 32-bit user number, packed) and 8 per
//! pattern per user, whatever the number of attributes: 20 bytes per user for a file keyed by username with one
//! column pattern, 32 with `sub` keys too. Nothing grows with the input file.
//!
//! Safety of the hashes: two pool keys with the same hash (a collision, or one value that is the username of
//! one user and the alias of another) make the key *ambiguous*: such rows are sent, never reported unchanged.
//! Hashes are SipHash with a random key per run, so nobody can craft values that collide; the remaining chance
//! that a changed row compares equal is about 2⁻⁶⁴ per row.
//!
//! Values are compared in [`canonical_value`] form, the rules of `--skip-unchanged` by per-user reads.

use std::hash::{BuildHasher, Hasher, RandomState};

use super::shape::Pattern;
use crate::cognito::before::canonical_value;
use crate::input::membership::{Call, ENABLED, GROUPS, Membership};
use crate::input::row::UpdateRequest;
use crate::schema::PoolSchema;

/// A key entry: the hash split in two halves (so the entry packs into 12 bytes) and the user.
type Key = (u32, u32, u32);

fn key(hash: u64, user: u32) -> Key {
    ((hash >> 32) as u32, hash as u32, user)
}

/// Marks a key hash shared by different users.
const AMBIGUOUS: u32 = u32::MAX;

/// Key namespaces: usernames and aliases share one (Cognito resolves them in one name space), `sub` has its own.
const NAME_KEY: u8 = b'k';
const SUB_KEY: u8 = b's';

/// How the pool resolves a key, from DescribeUserPool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyRules {
    /// `UsernameConfiguration.CaseSensitive`: when false, usernames and email aliases match in any case.
    pub(crate) case_sensitive: bool,
    /// Index `sub`s (the file has `sub`-shaped keys).
    pub(crate) subs: bool,
    /// (attribute, flag that must be `true` for it to resolve) for each alias the pool resolves; indexed only
    /// when the file has keys of that shape (see [`KeyRules::for_pool`]).
    pub(crate) aliases: Vec<(&'static str, Option<&'static str>)>,
}

impl KeyRules {
    /// The rules of a pool: username attributes always resolve, `email` / `phone_number` aliases once verified,
    /// `preferred_username` whenever set.
    pub(crate) fn for_pool(schema: &PoolSchema, subs: bool, alias_keys: bool) -> KeyRules {
        let mut aliases = Vec::new();
        let kinds: [(&'static str, Option<&'static str>); 3] = [
            ("email", Some("email_verified")),
            ("phone_number", Some("phone_number_verified")),
            ("preferred_username", None),
        ];
        for (attr, flag) in kinds {
            let username = schema.username_attributes.iter().any(|a| a == attr);
            let alias = schema.alias_attributes.iter().any(|a| a == attr);
            let wanted = flag.is_none() || alias_keys;
            if wanted && username {
                aliases.push((attr, None));
            } else if wanted && alias {
                aliases.push((attr, flag));
            }
        }
        KeyRules {
            case_sensitive: schema.case_sensitive,
            subs,
            aliases,
        }
    }

    fn name<'a>(&self, key: &'a str) -> std::borrow::Cow<'a, str> {
        if self.case_sensitive || !key.chars().any(char::is_uppercase) {
            key.into()
        } else {
            key.to_lowercase().into()
        }
    }
}

/// The user a row's key resolves to in the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    User(u32),
    /// No pool user has this key (the user may be newer than the snapshot).
    Missing,
    /// Several users share the key's hash: the row is sent.
    Ambiguous,
}

/// What the snapshot says about a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compared {
    /// Every value the row sets is there and every attribute it deletes is absent.
    Unchanged,
    /// The user is in the snapshot and the row changes something.
    Changed(u32),
    /// The user is not in the snapshot, its key is ambiguous, or the row's pattern is not indexed: send it.
    Unknown,
}

/// The snapshot of a pool, ready for lookups.
#[derive(Debug)]
pub(crate) struct SnapshotIndex {
    hasher: RandomState,
    rules: KeyRules,
    patterns: Vec<Pattern>,
    /// (key hash high half, low half, user), sorted; 12 bytes each.
    keys: Vec<Key>,
    /// `patterns.len()` value hashes per user.
    values: Vec<u64>,
    users: u32,
    /// The users' memberships and enabled state, when the snapshot took them ([`IndexBuilder::take_membership`]).
    membership: Option<MembershipBits>,
}

/// Enabled state and group membership, one bit per user each: `disabled` when the snapshot took the enabled
/// state, and one set per group whose members it took (every group of the pool when `all_groups`).
#[derive(Debug, Default)]
pub(crate) struct MembershipBits {
    disabled: Option<Bits>,
    groups: std::collections::BTreeMap<String, Bits>,
    /// The groups whose members were taken, when not every group was (a group missing from `groups` then has no
    /// member in the snapshot only if it is listed here).
    tracked: Option<std::collections::BTreeSet<String>>,
}

/// A set of users, one bit each.
#[derive(Debug, Default, Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn set(&mut self, user: u32) {
        let (word, bit) = ((user / 64) as usize, user % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << bit;
    }

    fn get(&self, user: u32) -> bool {
        let (word, bit) = ((user / 64) as usize, user % 64);
        self.0.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }
}

impl MembershipBits {
    /// Whether the members of `group` were taken.
    fn knows(&self, group: &str) -> bool {
        self.tracked.as_ref().is_none_or(|t| t.contains(group))
    }

    /// The calls `request` needs for `user`, if the snapshot took every part the row changes.
    fn calls(&self, user: u32, request: &UpdateRequest) -> Option<Vec<Call>> {
        let m = &request.membership;
        if m.enabled.is_some() && self.disabled.is_none() {
            return None;
        }
        if m.exact.is_some() && self.tracked.is_some() {
            return None;
        }
        if m.touches_groups() && !m.groups().all(|g| self.knows(g)) {
            return None;
        }
        let groups: std::collections::BTreeSet<String> = self
            .groups
            .iter()
            .filter(|(_, members)| members.get(user))
            .map(|(g, _)| g.clone())
            .collect();
        let enabled = self.disabled.as_ref().map(|d| !d.get(user));
        Some(m.calls(Some(&groups), enabled))
    }
}

impl SnapshotIndex {
    /// Users in the snapshot.
    pub(crate) fn users(&self) -> u64 {
        u64::from(self.users)
    }

    /// Bytes held by the index (its two tables).
    #[cfg(test)]
    fn heap_bytes(&self) -> usize {
        self.keys.capacity() * std::mem::size_of::<Key>() + self.values.capacity() * 8
    }

    fn key_hash(&self, space: u8, key: &str) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write_u8(space);
        h.write(key.as_bytes());
        h.write_u8(0xff);
        h.finish()
    }

    fn lookup(&self, hash: u64) -> Option<u32> {
        let (hi, lo, _) = key(hash, 0);
        self.keys
            .binary_search_by_key(&(hi, lo), |&(a, b, _)| (a, b))
            .ok()
            .map(|i| self.keys[i].2)
    }

    /// Resolves a row's key.
    pub(crate) fn find(&self, key: &str) -> Found {
        let by_name = self.lookup(self.key_hash(NAME_KEY, &self.rules.name(key)));
        let by_sub = if self.rules.subs {
            self.lookup(self.key_hash(SUB_KEY, key))
        } else {
            None
        };
        match (by_name, by_sub) {
            (Some(AMBIGUOUS), _) | (_, Some(AMBIGUOUS)) => Found::Ambiguous,
            (Some(a), Some(b)) if a != b => Found::Ambiguous,
            (Some(user), _) | (None, Some(user)) => Found::User(user),
            (None, None) => Found::Missing,
        }
    }

    /// Compares a row with its user's values.
    pub(crate) fn compare(&self, request: &UpdateRequest) -> Compared {
        let Found::User(user) = self.find(&request.username) else {
            return Compared::Unknown;
        };
        let Some(attributes_hold) = self.attributes_hold(user, request) else {
            return Compared::Unknown;
        };
        if request.membership.is_empty() {
            return if attributes_hold {
                Compared::Unchanged
            } else {
                Compared::Changed(user)
            };
        }
        match self
            .membership
            .as_ref()
            .and_then(|m| m.calls(user, request))
        {
            None => Compared::Unknown,
            Some(calls) if calls.is_empty() && attributes_hold => Compared::Unchanged,
            Some(_) => Compared::Changed(user),
        }
    }

    /// Whether `user` holds every value the row sets and lacks every attribute it deletes; `None` when the row's
    /// pattern is not indexed.
    fn attributes_hold(&self, user: u32, request: &UpdateRequest) -> Option<bool> {
        if request.attributes.is_empty() && request.delete.is_empty() {
            return Some(true);
        }
        let p = self.patterns.iter().position(|p| p.matches(request))?;
        Some(self.value_hash(user, p) == self.row_hash(&self.patterns[p], request))
    }

    /// The row reduced to what its user still lacks, when the snapshot knows: attributes that all hold are not
    /// sent, and the membership becomes the adds, removes and state change still needed. An exact set is kept as
    /// it is: the user's groups are read right before its writes, so that a group joined since the snapshot is
    /// removed too. `None` when the snapshot does not know the user or a part the row changes.
    pub(crate) fn still_needed(&self, request: &UpdateRequest) -> Option<UpdateRequest> {
        let Found::User(user) = self.find(&request.username) else {
            return None;
        };
        let calls = match request.membership.is_empty() {
            true => Vec::new(),
            false => self.membership.as_ref()?.calls(user, request)?,
        };
        let mut reduced = request.clone();
        if self.attributes_hold(user, request) == Some(true) {
            reduced.attributes.clear();
            reduced.delete.clear();
        }
        if request.membership.exact.is_none() {
            reduced.membership = Membership::from_calls(calls);
        }
        Some(reduced)
    }

    /// Whether the row gives `user` a different value of `attr` (which the row sets). True when unsure.
    pub(crate) fn changes(&self, user: u32, request: &UpdateRequest, attr: &str) -> bool {
        let single = Pattern::single(attr);
        let Some(p) = self.patterns.iter().position(|p| *p == single) else {
            return true;
        };
        // The single-attribute pattern hashes only `attr`, whatever else the row sets.
        self.value_hash(user, p) != self.row_hash(&single, request)
    }

    fn value_hash(&self, user: u32, pattern: usize) -> u64 {
        self.values[user as usize * self.patterns.len() + pattern]
    }

    /// The hash a user holding exactly the row's values would have.
    fn row_hash(&self, pattern: &Pattern, request: &UpdateRequest) -> u64 {
        hash_values(
            &self.hasher,
            pattern,
            |name| request.get(name),
            |_| None::<&str>,
        )
    }
}

/// Hashes the values a pattern compares: each set attribute's canonical value (or its absence), then the
/// presence of each deleted attribute.
fn hash_values<'a>(
    hasher: &RandomState,
    pattern: &Pattern,
    set_value: impl Fn(&str) -> Option<&'a str>,
    present: impl Fn(&str) -> Option<&'a str>,
) -> u64 {
    let mut h = hasher.build_hasher();
    for name in &pattern.set {
        match set_value(name) {
            Some(value) => {
                let value = canonical_value(name, value);
                h.write_u8(1);
                h.write_usize(value.len());
                h.write(value.as_bytes());
            }
            None => h.write_u8(0),
        }
    }
    for name in &pattern.delete {
        h.write_u8(u8::from(present(name).is_some()));
    }
    h.finish()
}

/// Builds a [`SnapshotIndex`] one listed user at a time.
pub(crate) struct IndexBuilder {
    index: SnapshotIndex,
}

impl IndexBuilder {
    /// `expected_users` (the pool's estimate, if known) sizes the tables up front.
    pub(crate) fn new(
        rules: KeyRules,
        patterns: Vec<Pattern>,
        expected_users: Option<u64>,
    ) -> Self {
        let users = expected_users.unwrap_or(0).min(50_000_000) as usize;
        let keys_per_user = 1 + usize::from(rules.subs) + rules.aliases.len();
        IndexBuilder {
            index: SnapshotIndex {
                hasher: RandomState::new(),
                keys: Vec::with_capacity(users * keys_per_user.min(2)),
                values: Vec::with_capacity(users * patterns.len()),
                rules,
                patterns,
                users: 0,
                membership: None,
            },
        }
    }

    /// Takes the users' enabled state (`enabled`) and the members of `groups` (`None`: every group) from the
    /// [`ENABLED`] and [`GROUPS`] entries of the users added: `export --groups` writes them, and the live listing
    /// adds them from ListUsers and ListUsersInGroup.
    pub(crate) fn take_membership(
        &mut self,
        enabled: bool,
        groups: Option<std::collections::BTreeSet<String>>,
    ) {
        self.index.membership = Some(MembershipBits {
            disabled: enabled.then(Bits::default),
            groups: Default::default(),
            tracked: groups,
        });
    }

    /// Adds one pool user: its username and its attributes (as ListUsers or an export lists them; `sub` among
    /// them).
    pub(crate) fn add(&mut self, username: &str, attributes: &[(String, String)]) {
        let index = &mut self.index;
        if index.users == AMBIGUOUS - 1 {
            return; // more users than the index addresses; the rest are "not in the snapshot", so sent.
        }
        let user = index.users;
        index.users += 1;
        let get = |name: &str| {
            attributes
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let name_hash = index.key_hash(NAME_KEY, &index.rules.name(username));
        index.keys.push(key(name_hash, user));
        if index.rules.subs
            && let Some(sub) = get("sub")
        {
            let hash = index.key_hash(SUB_KEY, sub);
            index.keys.push(key(hash, user));
        }
        for &(attr, flag) in &index.rules.aliases {
            let Some(value) = get(attr) else { continue };
            let active =
                flag.is_none_or(|f| get(f).is_some_and(|v| v.eq_ignore_ascii_case("true")));
            if active {
                let hash = index.key_hash(NAME_KEY, &index.rules.name(value));
                if hash != name_hash {
                    index.keys.push(key(hash, user));
                }
            }
        }
        for pattern in &index.patterns {
            let hash = hash_values(&index.hasher, pattern, get, get);
            index.values.push(hash);
        }
        let Some(m) = &mut index.membership else {
            return;
        };
        if let Some(disabled) = &mut m.disabled
            && get(ENABLED).is_some_and(|v| v.eq_ignore_ascii_case("false"))
        {
            disabled.set(user);
        }
        for group in get(GROUPS).unwrap_or_default().split(';').map(str::trim) {
            if !group.is_empty() && m.knows(group) {
                match m.groups.get_mut(group) {
                    Some(members) => members.set(user),
                    None => {
                        let mut members = Bits::default();
                        members.set(user);
                        m.groups.insert(group.to_string(), members);
                    }
                }
            }
        }
    }

    /// Sorts the keys and marks the ones shared by different users ambiguous.
    pub(crate) fn finish(self) -> SnapshotIndex {
        let mut index = self.index;
        index.keys.sort_unstable();
        index.keys.dedup();
        let keys = &mut index.keys;
        let mut i = 0;
        let same_hash = |a: &Key, b: &Key| (a.0, a.1) == (b.0, b.1);
        while i < keys.len() {
            let mut j = i + 1;
            while j < keys.len() && same_hash(&keys[j], &keys[i]) {
                j += 1;
            }
            if j - i > 1 {
                keys[i].2 = AMBIGUOUS;
            }
            i = j;
        }
        keys.dedup_by(|a, b| same_hash(a, b));
        keys.shrink_to_fit();
        index.values.shrink_to_fit();
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: &str, set: &[(&str, &str)], delete: &[&str]) -> UpdateRequest {
        UpdateRequest::from_pairs(key, set, delete)
    }

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    fn pool(case_sensitive: bool) -> PoolSchema {
        PoolSchema {
            alias_attributes: vec!["email".into()],
            case_sensitive,
            ..PoolSchema::default()
        }
    }

    fn patterns(requests: &[&UpdateRequest]) -> Vec<Pattern> {
        let mut shape = super::super::shape::FileShape::default();
        for r in requests {
            shape.observe(r);
        }
        shape.finish();
        shape.patterns
    }

    const SUB_A: &str = "0b6c5f7e-1f0a-4c7e-9d53-2f9a4b1e8c11";

    fn ada() -> Vec<(String, String)> {
        attrs(&[
            ("sub", SUB_A),
            ("email", "ada@example.com"),
            ("email_verified", "true"),
            ("given_name", "Ada"),
        ])
    }

    #[test]
    fn compares_only_what_each_row_sets_and_deletes() {
        let rows = [
            request("ada", &[("given_name", "Ada")], &[]),
            request("ada", &[("given_name", "Grace")], &[]),
            request("ada", &[("email_verified", "TRUE")], &[]),
            request("ada", &[("email_verified", "false")], &[]),
            request("ada", &[("given_name", "Ada")], &["locale"]),
            request("ada", &[("given_name", "Ada")], &["email"]),
            request("ada", &[("locale", "en")], &[]),
            request("nobody", &[("given_name", "Ada")], &[]),
        ];
        let expected = [true, false, true, false, true, false, false, false];
        let all: Vec<&UpdateRequest> = rows.iter().collect();
        let mut b = IndexBuilder::new(
            KeyRules::for_pool(&pool(true), false, false),
            patterns(&all),
            None,
        );
        b.add("ada", &ada());
        b.add("bob", &attrs(&[("given_name", "Bob")]));
        let index = b.finish();
        assert_eq!(index.users(), 2);
        for (row, unchanged) in rows.iter().zip(expected) {
            assert_eq!(
                index.compare(row) == Compared::Unchanged,
                unchanged,
                "{row:?}"
            );
        }
        assert_eq!(index.compare(&rows[7]), Compared::Unknown);
    }

    #[test]
    fn keys_resolve_by_username_case_rule_sub_and_verified_alias() {
        let row = |key: &str| request(key, &[("given_name", "Ada")], &[]);
        let build = |case_sensitive: bool, verified: &str| {
            let mut b = IndexBuilder::new(
                KeyRules::for_pool(&pool(case_sensitive), true, true),
                patterns(&[&row("ada")]),
                Some(2),
            );
            let mut a = ada();
            a[2].1 = verified.into();
            b.add("ada", &a);
            b.finish()
        };
        let index = build(false, "true");
        for key in ["ada", "ADA", SUB_A, "ada@example.com", "Ada@Example.com"] {
            assert_eq!(index.compare(&row(key)), Compared::Unchanged, "{key}");
        }
        let index = build(true, "true");
        assert_eq!(index.compare(&row("ADA")), Compared::Unknown);
        assert_eq!(
            index.compare(&row(&SUB_A.to_uppercase())),
            Compared::Unknown
        );
        let index = build(false, "false");
        assert_eq!(
            index.compare(&row("ada@example.com")),
            Compared::Unknown,
            "unverified alias"
        );
        // A pool without the email alias does not resolve emails.
        let mut b = IndexBuilder::new(
            KeyRules::for_pool(&PoolSchema::default(), true, true),
            patterns(&[&row("ada")]),
            None,
        );
        b.add("ada", &ada());
        assert_eq!(
            b.finish().compare(&row("ada@example.com")),
            Compared::Unknown
        );
    }

    #[test]
    fn a_key_shared_by_two_users_is_ambiguous_and_sent() {
        // Bob's verified email is Ada's username (case-insensitively): Cognito would resolve one of them, the
        // snapshot refuses to guess.
        let row = request("ada", &[("given_name", "Ada")], &[]);
        let mut b = IndexBuilder::new(
            KeyRules::for_pool(&pool(false), false, true),
            patterns(&[&row]),
            None,
        );
        b.add("ada", &ada());
        b.add(
            "bob",
            &attrs(&[
                ("email", "ADA"),
                ("email_verified", "true"),
                ("given_name", "Ada"),
            ]),
        );
        let index = b.finish();
        assert_eq!(index.find("ada"), Found::Ambiguous);
        assert_eq!(index.compare(&row), Compared::Unknown);
        assert_eq!(index.find("bob"), Found::User(1));
    }

    #[test]
    fn a_forced_key_hash_collision_is_never_unchanged() {
        let row = request("ada", &[("given_name", "Ada")], &[]);
        let mut b = IndexBuilder::new(
            KeyRules::for_pool(&pool(true), false, false),
            patterns(&[&row]),
            None,
        );
        b.add("ada", &ada());
        b.add("eve", &attrs(&[("given_name", "Ada")]));
        let mut index = b.finish();
        // Simulate a collision: give Eve's key hash to Ada's too, and rebuild the marks.
        let ada_hash = index.key_hash(NAME_KEY, "ada");
        for k in &mut index.keys {
            *k = key(ada_hash, k.2);
        }
        let rebuilt = IndexBuilder { index }.finish();
        assert_eq!(rebuilt.compare(&row), Compared::Unknown);
    }

    #[test]
    fn address_changes_are_told_apart_from_other_changes() {
        let same_email = request(
            "ada",
            &[("email", "ada@example.com"), ("email_verified", "false")],
            &[],
        );
        let new_email = request(
            "ada",
            &[("email", "new@example.com"), ("email_verified", "false")],
            &[],
        );
        let mut b = IndexBuilder::new(
            KeyRules::for_pool(&pool(true), false, false),
            patterns(&[&same_email]),
            None,
        );
        b.add("ada", &ada());
        let index = b.finish();
        let Compared::Changed(user) = index.compare(&same_email) else {
            panic!("email_verified changes")
        };
        assert!(!index.changes(user, &same_email, "email"));
        let Compared::Changed(user) = index.compare(&new_email) else {
            panic!()
        };
        assert!(index.changes(user, &new_email, "email"));
        assert!(
            index.changes(user, &new_email, "phone_number"),
            "not indexed: unsure"
        );
    }

    #[test]
    fn memory_per_user_is_small() {
        let row = request("u", &[("given_name", "x")], &[]);
        for (subs, per_user) in [(false, 20), (true, 32)] {
            let mut b = IndexBuilder::new(
                KeyRules::for_pool(&pool(true), subs, false),
                patterns(&[&row]),
                Some(10_000),
            );
            for i in 0..10_000 {
                let sub = format!("00000000-0000-4000-8000-{i:012}");
                b.add(
                    &format!("user{i}"),
                    &attrs(&[("sub", &sub), ("given_name", "x"), ("family_name", "y")]),
                );
            }
            let index = b.finish();
            assert!(
                index.heap_bytes() <= 10_000 * per_user,
                "subs: {subs}: {}",
                index.heap_bytes()
            );
            assert_eq!(
                index.compare(&request("user77", &[("given_name", "x")], &[])),
                Compared::Unchanged
            );
        }
    }
}
