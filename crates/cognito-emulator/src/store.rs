//! In-memory state: pools, users, lookup indexes (username with the pool's case rules, verified aliases, `sub`),
//! the quota buckets and per-user counters. Everything sits behind one mutex, taken once per request.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;

use super::attributes::{self, Purpose, parse_bool};
use super::live::LiveTraffic;
use super::mau::MauBits;
use super::model::{AliasKind, Group, Pool, PoolSettings, SchemaAttribute, User};
use super::protocol::ApiError;
use super::quota::Quotas;
use super::schema;
use super::stats::{UserCounters, UserStats};

/// Everything behind the state lock.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) pools: BTreeMap<String, Pool>,
    pub(crate) quotas: Quotas,
    pub(crate) user_stats: UserStats,
    /// The synthetic live caller on the UserUpdate bucket, if configured.
    pub(crate) live: Option<LiveTraffic>,
}

impl State {
    pub(crate) fn new(quotas: Quotas) -> Self {
        Self {
            pools: BTreeMap::new(),
            quotas,
            user_stats: HashMap::new(),
            live: None,
        }
    }

    /// Makes the live caller's attempts due up to `now` (quota clock), before anything else takes a token.
    pub(crate) fn catch_up_live(&mut self, now: f64) {
        if let Some(live) = &mut self.live {
            live.catch_up(now, &mut self.quotas);
        }
    }

    pub(crate) fn pool(&self, id: &str) -> Result<&Pool, ApiError> {
        self.pools
            .get(id)
            .ok_or_else(|| ApiError::pool_not_found(id))
    }

    pub(crate) fn pool_mut(&mut self, id: &str) -> Result<&mut Pool, ApiError> {
        self.pools
            .get_mut(id)
            .ok_or_else(|| ApiError::pool_not_found(id))
    }

    /// The per-user counters, created on first use (no allocation once they exist).
    pub(crate) fn counters(&mut self, pool: &str, username: &str) -> &mut UserCounters {
        if !self.user_stats.contains_key(pool) {
            self.user_stats.insert(pool.to_string(), HashMap::new());
        }
        let users = self
            .user_stats
            .get_mut(pool)
            .expect("present or just inserted");
        if !users.contains_key(username) {
            users.insert(username.to_string(), UserCounters::default());
        }
        users.get_mut(username).expect("present or just inserted")
    }
}

/// Seconds since the Unix epoch, with millisecond precision, as Cognito's timestamps.
pub(crate) fn epoch_now() -> f64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}

/// A fresh pool id `<region>_<9 alphanumerics>`.
pub(crate) fn new_pool_id(region: &str) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let suffix: String = (0..9)
        .map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char)
        .collect();
    format!("{region}_{suffix}")
}

/// A user to create, from `AdminCreateUser` or a seed file.
#[derive(Debug, Default)]
pub(crate) struct NewUser {
    pub(crate) username: String,
    pub(crate) attributes: Vec<(String, String)>,
    pub(crate) sub: Option<String>,
    pub(crate) enabled: bool,
    pub(crate) status: String,
    pub(crate) created: Option<f64>,
    pub(crate) modified: Option<f64>,
    pub(crate) pending: BTreeMap<String, String>,
}

/// Outcome of checking aliases for a user's new attribute values.
pub(crate) struct AliasPlan {
    /// Other users whose verified alias moves to this user (their `*_verified` becomes `false`).
    pub(crate) unverify: Vec<(u64, AliasKind)>,
}

impl Pool {
    /// Builds a pool after the `CreateUserPool` checks.
    pub(crate) fn new(id: String, settings: PoolSettings, now: f64) -> Result<Self, ApiError> {
        let built = schema::build(&settings)?;
        let case_sensitive = settings
            .username_configuration
            .as_ref()
            .and_then(|c| c.case_sensitive)
            .unwrap_or(true);
        Ok(Self {
            id,
            settings,
            schema: built.attributes,
            schema_index: built.index,
            case_sensitive,
            created: now,
            modified: now,
            users: BTreeMap::new(),
            next_seq: 0,
            by_username: HashMap::new(),
            by_sub: BTreeMap::new(),
            aliases: HashMap::new(),
            groups: BTreeMap::new(),
            mau: MauBits::default(),
        })
    }

    pub(crate) fn attribute(&self, name: &str) -> Option<&SchemaAttribute> {
        self.schema_index.get(name).map(|&i| &self.schema[i])
    }

    fn normalize<'a>(&self, value: &'a str) -> Cow<'a, str> {
        if self.case_sensitive || !value.chars().any(char::is_uppercase) {
            Cow::Borrowed(value)
        } else {
            Cow::Owned(value.to_lowercase())
        }
    }

    fn alias_value<'a>(&self, kind: AliasKind, value: &'a str) -> Cow<'a, str> {
        match kind {
            AliasKind::Phone => Cow::Borrowed(value),
            _ => self.normalize(value),
        }
    }

    pub(crate) fn is_username_attribute(&self, kind: AliasKind) -> bool {
        self.settings
            .username_attributes
            .iter()
            .any(|a| a == kind.attribute())
    }

    fn is_alias_attribute(&self, kind: AliasKind) -> bool {
        self.settings
            .alias_attributes
            .iter()
            .any(|a| a == kind.attribute())
    }

    /// The sign-in keys a user with these attributes holds: username attributes always, email/phone aliases
    /// only once verified, `preferred_username` whenever set.
    pub(crate) fn alias_keys(&self, attrs: &BTreeMap<String, String>) -> Vec<(AliasKind, String)> {
        let mut keys = Vec::new();
        for kind in AliasKind::ALL {
            let Some(value) = attrs.get(kind.attribute()) else {
                continue;
            };
            let active = if self.is_username_attribute(kind) {
                true
            } else if self.is_alias_attribute(kind) {
                match kind.verified_flag() {
                    Some(flag) => attrs.get(flag).and_then(|v| parse_bool(v)) == Some(true),
                    None => true,
                }
            } else {
                false
            };
            if active {
                keys.push((kind, self.alias_value(kind, value).into_owned()));
            }
        }
        keys
    }

    /// Finds a user by username (pool case rules), by active alias, or by `sub`.
    pub(crate) fn resolve(&self, name: &str) -> Option<u64> {
        if let Some(&seq) = self.by_username.get(self.normalize(name).as_ref()) {
            return Some(seq);
        }
        for kind in AliasKind::ALL {
            let key = (kind, self.alias_value(kind, name).into_owned());
            if let Some(&seq) = self.aliases.get(&key) {
                return Some(seq);
            }
        }
        self.by_sub.get(name).copied()
    }

    /// Checks `attrs` (the complete new attributes of user `me`) against other users' sign-in keys.
    /// `creating` selects `AdminCreateUser`'s errors.
    pub(crate) fn plan_aliases(
        &self,
        me: Option<u64>,
        attrs: &BTreeMap<String, String>,
        creating: bool,
    ) -> Result<AliasPlan, ApiError> {
        let mut plan = AliasPlan {
            unverify: Vec::new(),
        };
        for (kind, value) in self.alias_keys(attrs) {
            let Some(&holder) = self.aliases.get(&(kind, value)) else {
                continue;
            };
            if Some(holder) == me {
                continue;
            }
            let text = format!(
                "An account with the given {} already exists.",
                kind.attribute()
            );
            if self.is_username_attribute(kind) {
                let code = if creating {
                    "UsernameExistsException"
                } else {
                    "AliasExistsException"
                };
                return Err(ApiError::new(code, text));
            }
            if creating || kind.verified_flag().is_none() {
                return Err(ApiError::new("AliasExistsException", text));
            }
            plan.unverify.push((holder, kind));
        }
        Ok(plan)
    }

    fn unindex(&mut self, seq: u64) {
        if let Some(user) = self.users.get(&seq) {
            for key in self.alias_keys(&user.attributes) {
                if self.aliases.get(&key) == Some(&seq) {
                    self.aliases.remove(&key);
                }
            }
        }
    }

    fn index(&mut self, seq: u64) {
        if let Some(user) = self.users.get(&seq) {
            for key in self.alias_keys(&user.attributes) {
                self.aliases.insert(key, seq);
            }
        }
    }

    /// Replaces a user's attributes after a successful check, moving aliases as planned.
    pub(crate) fn apply(
        &mut self,
        seq: u64,
        attributes: BTreeMap<String, String>,
        pending: BTreeMap<String, String>,
        plan: AliasPlan,
        now: f64,
    ) {
        for (other, kind) in plan.unverify {
            self.unindex(other);
            if let (Some(user), Some(flag)) = (self.users.get_mut(&other), kind.verified_flag()) {
                user.attributes
                    .insert(flag.to_string(), "false".to_string());
                user.modified = now;
            }
            self.index(other);
        }
        self.unindex(seq);
        if let Some(user) = self.users.get_mut(&seq) {
            user.attributes = attributes;
            user.pending = pending;
            user.modified = now;
        }
        self.index(seq);
    }

    /// Creates a user with `AdminCreateUser`'s checks. Model constraints must already be checked.
    pub(crate) fn create_user(&mut self, new: NewUser, now: f64) -> Result<u64, ApiError> {
        let mut attrs: BTreeMap<String, String> = BTreeMap::new();
        attributes::check_names(
            self,
            new.attributes.iter().map(|(n, _)| n.as_str()),
            Purpose::Create,
        )?;
        attributes::check_values(
            self,
            new.attributes.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        )?;
        for (name, value) in &new.attributes {
            if !value.is_empty() {
                attrs.insert(name.clone(), value.clone());
            }
        }
        let sub = new.sub.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let username = self.username_for(&new.username, &sub, &mut attrs)?;
        if self
            .by_username
            .contains_key(self.normalize(&username).as_ref())
        {
            return Err(ApiError::new(
                "UsernameExistsException",
                "User account already exists",
            ));
        }
        if self.by_sub.contains_key(&sub) {
            return Err(ApiError::new(
                "UsernameExistsException",
                "A user with this sub already exists",
            ));
        }
        let missing: Vec<&str> = self
            .schema
            .iter()
            .filter(|a| a.required && a.name != "sub" && !attrs.contains_key(&a.name))
            .map(|a| a.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(ApiError::invalid_parameter(format!(
                "Attributes did not conform to the schema: {}",
                missing
                    .iter()
                    .map(|m| format!("{m}: The attribute is required"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )));
        }
        for flag in ["email_verified", "phone_number_verified"] {
            if let Some(v) = attrs.get_mut(flag)
                && let Some(b) = parse_bool(v)
            {
                *v = b.to_string();
            }
        }
        attrs.insert("sub".to_string(), sub.clone());
        let plan = self.plan_aliases(None, &attrs, true)?;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_username
            .insert(self.normalize(&username).into_owned(), seq);
        self.by_sub.insert(sub.clone(), seq);
        self.users.insert(
            seq,
            User {
                username,
                sub,
                attributes: attrs,
                pending: new.pending,
                enabled: new.enabled,
                status: new.status,
                created: new.created.unwrap_or(now),
                modified: new.modified.unwrap_or(now),
                write_bucket: None,
                groups: BTreeSet::new(),
            },
        );
        debug_assert!(plan.unverify.is_empty());
        self.index(seq);
        Ok(seq)
    }

    /// The stored username: with `UsernameAttributes` the given email/phone becomes an attribute and the user is
    /// stored under its `sub`; with aliases, a username that looks like an alias value is refused.
    fn username_for(
        &self,
        given: &str,
        sub: &str,
        attrs: &mut BTreeMap<String, String>,
    ) -> Result<String, ApiError> {
        if !self.settings.username_attributes.is_empty() {
            if given == sub {
                return Ok(given.to_string()); // restoring a saved state
            }
            let kind = if attributes::is_email(given) {
                AliasKind::Email
            } else if attributes::is_e164(given) {
                AliasKind::Phone
            } else {
                return Err(ApiError::invalid_parameter(
                    "Username should be either an email or a phone number.",
                ));
            };
            if !self.is_username_attribute(kind) {
                return Err(ApiError::invalid_parameter(format!(
                    "Username should be {}.",
                    if kind == AliasKind::Email {
                        "a phone number"
                    } else {
                        "an email"
                    }
                )));
            }
            attrs
                .entry(kind.attribute().to_string())
                .or_insert_with(|| given.to_string());
            return Ok(sub.to_string());
        }
        if self.is_alias_attribute(AliasKind::Email) && attributes::is_email(given) {
            return Err(ApiError::invalid_parameter(
                "Username cannot be of email format, since user pool is configured for email alias.",
            ));
        }
        if self.is_alias_attribute(AliasKind::Phone) && attributes::is_e164(given) {
            return Err(ApiError::invalid_parameter(
                "Username cannot be of phone number format, since user pool is configured for phone number alias.",
            ));
        }
        Ok(given.to_string())
    }

    /// Removes a user, its index entries and its group memberships.
    pub(crate) fn remove_user(&mut self, seq: u64) {
        self.unindex(seq);
        if let Some(user) = self.users.remove(&seq) {
            self.by_username
                .remove(self.normalize(&user.username).as_ref());
            self.by_sub.remove(&user.sub);
            for name in &user.groups {
                if let Some(group) = self.groups.get_mut(name) {
                    group.members.remove(&seq);
                }
            }
        }
    }

    /// The group named `name`, or Cognito's answer for a missing one.
    pub(crate) fn group(&self, name: &str) -> Result<&Group, ApiError> {
        self.groups.get(name).ok_or_else(ApiError::group_not_found)
    }

    /// Adds a group (`CreateGroup`); its timestamps are `now`.
    pub(crate) fn create_group(&mut self, mut group: Group, now: f64) -> Result<(), ApiError> {
        if self.groups.contains_key(&group.name) {
            return Err(ApiError::new(
                "GroupExistsException",
                "A group with the name already exists.",
            ));
        }
        group.created = now;
        group.modified = now;
        self.groups.insert(group.name.clone(), group);
        Ok(())
    }

    /// Removes a group and every membership of it (`DeleteGroup`).
    pub(crate) fn delete_group(&mut self, name: &str) -> Result<(), ApiError> {
        let group = self
            .groups
            .remove(name)
            .ok_or_else(ApiError::group_not_found)?;
        for seq in group.members {
            if let Some(user) = self.users.get_mut(&seq) {
                user.groups.remove(name);
            }
        }
        Ok(())
    }

    /// Makes user `seq` a member of `group` (`true`) or not (`false`); idempotent, as Cognito's calls are.
    pub(crate) fn set_member(
        &mut self,
        seq: u64,
        group: &str,
        member: bool,
        now: f64,
    ) -> Result<(), ApiError> {
        let entry = self
            .groups
            .get_mut(group)
            .ok_or_else(ApiError::group_not_found)?;
        let user = self
            .users
            .get_mut(&seq)
            .ok_or_else(ApiError::user_not_found)?;
        let changed = if member {
            entry.members.insert(seq);
            user.groups.insert(group.to_string())
        } else {
            entry.members.remove(&seq);
            user.groups.remove(group)
        };
        if changed {
            user.modified = now;
        }
        Ok(())
    }
}
