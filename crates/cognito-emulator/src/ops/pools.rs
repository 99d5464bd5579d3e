//! Pool operations: `CreateUserPool`, `DescribeUserPool`, `ListUserPools`, `DeleteUserPool`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::super::constraints::{self, Violations};
use super::super::model::{Pool, PoolSettings};
use super::super::protocol::{ApiError, parse, required};
use super::super::schema;
use super::super::store::{State, new_pool_id};
use super::{Ctx, empty, to_body};

pub(crate) struct CreateUserPool {
    settings: PoolSettings,
}

impl CreateUserPool {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let settings: PoolSettings = parse(body)?;
        let name = required(settings.pool_name.as_deref(), "PoolName")?;
        let mut v = Violations::default();
        v.length(name, false, "poolName", 1, 128);
        v.pattern(name, false, "poolName", r"[\w\s+=,.@-]+", |s| {
            s.chars()
                .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_+=,.@-".contains(c))
        });
        v.into_result()?;
        Ok(Self { settings })
    }

    pub(crate) fn execute(self, state: &mut State, ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
        let mut id = new_pool_id(ctx.region);
        while state.pools.contains_key(&id) {
            id = new_pool_id(ctx.region);
        }
        let pool = Pool::new(id.clone(), self.settings, ctx.now)?;
        let body = to_body(&json!({ "UserPool": user_pool_type(&pool) }));
        state.pools.insert(id, pool);
        body
    }
}

/// The `UserPoolType` shape of `CreateUserPool` and `DescribeUserPool`.
fn user_pool_type(pool: &Pool) -> Value {
    let s = &pool.settings;
    let mut out = json!({
        "Id": pool.id,
        "Name": s.pool_name.clone().unwrap_or_default(),
        "Arn": format!("arn:aws:cognito-idp:{}:000000000000:userpool/{}",
            pool.id.split('_').next().unwrap_or("local"), pool.id),
        "CreationDate": pool.created,
        "LastModifiedDate": pool.modified,
        "SchemaAttributes": pool.schema.iter().map(schema::describe).collect::<Vec<_>>(),
        "AutoVerifiedAttributes": s.auto_verified_attributes,
        "UserAttributeUpdateSettings": s.user_attribute_update_settings.clone().unwrap_or_default(),
        "UsernameConfiguration": { "CaseSensitive": pool.case_sensitive },
        "LambdaConfig": {},
        "MfaConfiguration": "OFF",
        "EstimatedNumberOfUsers": pool.users.len(),
        "DeletionProtection": "INACTIVE",
    });
    if !s.alias_attributes.is_empty() {
        out["AliasAttributes"] = json!(s.alias_attributes);
    }
    if !s.username_attributes.is_empty() {
        out["UsernameAttributes"] = json!(s.username_attributes);
    }
    if let Some(email) = &s.email_configuration {
        out["EmailConfiguration"] = json!(email);
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PoolIdInput {
    user_pool_id: Option<String>,
}

fn parse_pool_id(body: &[u8]) -> Result<String, ApiError> {
    let input: PoolIdInput = parse(body)?;
    let id = required(input.user_pool_id, "UserPoolId")?;
    let mut v = Violations::default();
    constraints::user_pool_id(&mut v, &id);
    v.into_result()?;
    Ok(id)
}

pub(crate) struct DescribeUserPool {
    id: String,
}

impl DescribeUserPool {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        Ok(Self {
            id: parse_pool_id(body)?,
        })
    }

    pub(crate) fn execute(self, state: &mut State, ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
        let pool = state.pool(&self.id)?;
        let mut out = user_pool_type(pool);
        if ctx.moto_schema {
            // moto lists only the custom attributes.
            out["SchemaAttributes"] = json!(
                pool.schema
                    .iter()
                    .filter(|a| a.name.starts_with("custom:") || a.name.starts_with("dev:"))
                    .map(schema::describe)
                    .collect::<Vec<_>>()
            );
        }
        to_body(&json!({ "UserPool": out }))
    }
}

pub(crate) struct DeleteUserPool {
    id: String,
}

impl DeleteUserPool {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        Ok(Self {
            id: parse_pool_id(body)?,
        })
    }

    pub(crate) fn execute(self, state: &mut State) -> Result<Vec<u8>, ApiError> {
        state
            .pools
            .remove(&self.id)
            .ok_or_else(|| ApiError::pool_not_found(&self.id))?;
        Ok(empty())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUserPoolsInput {
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub(crate) struct ListUserPools {
    max: usize,
    after: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PoolDescription<'a> {
    id: &'a str,
    name: &'a str,
    lambda_config: Value,
    creation_date: f64,
    last_modified_date: f64,
}

impl ListUserPools {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let input: ListUserPoolsInput = parse(body)?;
        let max = required(input.max_results, "MaxResults")?;
        if !(1..=60).contains(&max) {
            return Err(ApiError::invalid_parameter(format!(
                "1 validation error detected: Value '{max}' at 'maxResults' failed to satisfy constraint: \
                 Member must have value {}",
                if max < 1 {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 60"
                }
            )));
        }
        let after = match input.next_token {
            None => None,
            Some(t) => Some(
                t.strip_prefix("pool:")
                    .map(str::to_string)
                    .ok_or_else(|| ApiError::invalid_parameter("Invalid next token."))?,
            ),
        };
        Ok(Self {
            max: max as usize,
            after,
        })
    }

    pub(crate) fn execute(self, state: &mut State) -> Result<Vec<u8>, ApiError> {
        let mut iter = state.pools.values().filter(|p| {
            self.after
                .as_deref()
                .is_none_or(|after| p.id.as_str() > after)
        });
        let page: Vec<&Pool> = iter.by_ref().take(self.max).collect();
        let more = iter.next().is_some();
        let pools: Vec<PoolDescription<'_>> = page
            .iter()
            .map(|p| PoolDescription {
                id: &p.id,
                name: p.settings.pool_name.as_deref().unwrap_or_default(),
                lambda_config: json!({}),
                creation_date: p.created,
                last_modified_date: p.modified,
            })
            .collect();
        let mut out = json!({ "UserPools": pools });
        if more && let Some(last) = page.last() {
            out["NextToken"] = json!(format!("pool:{}", last.id));
        }
        to_body(&out)
    }
}
