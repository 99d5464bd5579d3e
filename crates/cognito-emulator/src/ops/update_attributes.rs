//! `AdminUpdateUserAttributes` and `AdminDeleteUserAttributes`: validation in Cognito's order, the email/phone
//! verification rules, alias moves and conflicts, all-or-nothing application and the applied-update counters.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::super::attributes::{self, Purpose, parse_bool};
use super::super::constraints::{self, Violations};
use super::super::model::{AliasKind, AttributeType, Pool};
use super::super::protocol::{ApiError, Operation, parse, required};
use super::super::store::State;
use super::users::per_user_write;
use super::{Ctx, empty, find_user};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateInput {
    user_pool_id: Option<String>,
    username: Option<String>,
    user_attributes: Option<Vec<AttributeType>>,
}

pub(crate) struct AdminUpdateUserAttributes {
    pool_id: String,
    username: String,
    /// (name, value); a missing value is "".
    attributes: Vec<(String, String)>,
}

impl AdminUpdateUserAttributes {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: UpdateInput = parse(body)?;
        let pool_id = required(input.user_pool_id, "UserPoolId")?;
        let username = required(input.username, "Username")?;
        let list = required(input.user_attributes, "UserAttributes")?;
        let mut v = Violations::default();
        constraints::user_pool_id(&mut v, &pool_id);
        constraints::username(&mut v, &username);
        constraints::attributes(&mut v, "userAttributes", &list);
        v.into_result()?;
        let attributes = list
            .into_iter()
            .map(|a| (a.name.unwrap_or_default(), a.value.unwrap_or_default()))
            .collect();
        Ok(Self {
            pool_id,
            username,
            attributes,
        })
    }

    pub(crate) fn execute(self, state: &mut State, ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
        let (pool, seq) = find_user(state, ctx, &self.pool_id, &self.username)?;
        let result = self.apply(pool, seq, ctx);
        ctx.counters.mau.record(
            &mut pool.mau,
            Operation::AdminUpdateUserAttributes,
            seq,
            &result,
        );
        let (username, messages) = result?;
        ctx.counters
            .applied(state.counters(&self.pool_id, &username), messages);
        Ok(empty())
    }

    /// Checks and applies the update to resolved user `seq`; returns the stored username and the number of
    /// verification messages the service would send.
    fn apply(&self, pool: &mut Pool, seq: u64, ctx: &Ctx<'_>) -> Result<(String, u64), ApiError> {
        let pairs = || {
            self.attributes
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
        };
        attributes::check_names(pool, pairs().map(|(n, _)| n), Purpose::Update)?;
        attributes::check_values(pool, pairs())?;
        attributes::check_required_not_blanked(pool, pairs())?;

        let user = pool.users.get_mut(&seq).expect("resolved user exists");
        per_user_write(user, ctx)?;
        let mut attrs = user.attributes.clone();
        let mut pending = user.pending.clone();
        let mut messages = 0u64;
        let sets_verified =
            |flag: &str| pairs().any(|(n, v)| n == flag && parse_bool(v) == Some(true));
        let mentions = |flag: &str| pairs().any(|(n, _)| n == flag);
        let verify_first = &pool.settings.user_attribute_update_settings;
        for (name, value) in pairs() {
            if value.is_empty() {
                attrs.remove(name);
                pending.remove(name);
                continue;
            }
            match AliasKind::from_attribute(name).and_then(|k| k.verified_flag().map(|f| (k, f))) {
                Some((_, flag)) => {
                    if sets_verified(flag) {
                        attrs.insert(name.to_string(), value.to_string());
                        pending.remove(name);
                    } else if attrs.get(name).map(String::as_str) == Some(value) {
                        pending.remove(name); // unchanged: nothing to verify
                    } else if verify_first.as_ref().is_some_and(|s| {
                        s.attributes_require_verification_before_update
                            .iter()
                            .any(|a| a == name)
                    }) {
                        // The original value stays active until the new one is verified.
                        pending.insert(name.to_string(), value.to_string());
                        messages += 1;
                    } else {
                        attrs.insert(name.to_string(), value.to_string());
                        if !mentions(flag) {
                            attrs.insert(flag.to_string(), "false".to_string());
                        }
                        messages += 1;
                    }
                }
                None => {
                    let value = match parse_bool(value) {
                        Some(b) if name.ends_with("_verified") => b.to_string(),
                        _ => value.to_string(),
                    };
                    attrs.insert(name.to_string(), value);
                }
            }
        }
        let plan = pool.plan_aliases(Some(seq), &attrs, false)?;
        let username = pool.users[&seq].username.clone();
        pool.apply(seq, attrs, pending, plan, ctx.now);
        Ok((username, messages))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteInput {
    user_pool_id: Option<String>,
    username: Option<String>,
    user_attribute_names: Option<Vec<String>>,
}

pub(crate) struct AdminDeleteUserAttributes {
    pool_id: String,
    username: String,
    names: Vec<String>,
}

impl AdminDeleteUserAttributes {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: DeleteInput = parse(body)?;
        let pool_id = required(input.user_pool_id, "UserPoolId")?;
        let username = required(input.username, "Username")?;
        let names = required(input.user_attribute_names, "UserAttributeNames")?;
        let mut v = Violations::default();
        constraints::user_pool_id(&mut v, &pool_id);
        constraints::username(&mut v, &username);
        for (i, name) in names.iter().enumerate() {
            constraints::attribute_name(
                &mut v,
                &format!("userAttributeNames.{}.member", i + 1),
                name,
            );
        }
        v.into_result()?;
        Ok(Self {
            pool_id,
            username,
            names,
        })
    }

    pub(crate) fn execute(self, state: &mut State, ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
        let (pool, seq) = find_user(state, ctx, &self.pool_id, &self.username)?;
        let result = self.apply(pool, seq, ctx);
        ctx.counters.mau.record(
            &mut pool.mau,
            Operation::AdminDeleteUserAttributes,
            seq,
            &result,
        );
        result.map(|()| empty())
    }

    /// Checks and applies the deletion to resolved user `seq`.
    fn apply(&self, pool: &mut Pool, seq: u64, ctx: &Ctx<'_>) -> Result<(), ApiError> {
        attributes::check_names(pool, self.names.iter().map(String::as_str), Purpose::Update)?;
        attributes::check_required_not_blanked(pool, self.names.iter().map(|n| (n.as_str(), "")))?;
        let user = pool.users.get_mut(&seq).expect("resolved user exists");
        per_user_write(user, ctx)?;
        let mut attrs: BTreeMap<String, String> = user.attributes.clone();
        let mut pending = user.pending.clone();
        for name in &self.names {
            attrs.remove(name);
            pending.remove(name);
            if let Some(flag) = AliasKind::from_attribute(name).and_then(AliasKind::verified_flag) {
                attrs.remove(flag);
            }
        }
        let plan = pool.plan_aliases(Some(seq), &attrs, false)?;
        pool.apply(seq, attrs, pending, plan, ctx.now);
        Ok(())
    }
}
