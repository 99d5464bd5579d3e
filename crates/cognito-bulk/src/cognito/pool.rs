//! Reading the pool: DescribeUserPool into a [`PoolSchema`], before the first write. Standard attributes the
//! answer does not list are added with their default rules ([`PoolSchema::with_standard_attributes`]). Also the
//! UserUpdate rate the account is allowed (GetProvisionedLimit), when `--rate` asks for more than the default.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    LimitClass, LimitDefinitionType, SchemaAttributeType,
};

use super::classify;
use crate::exec::backend::CallError;
use crate::input::names::STANDARD_ATTRIBUTES;
use crate::schema::{PoolSchema, SchemaAttribute};

/// The name an attribute has in API calls (`custom:` or `dev:custom:` prefix for custom attributes).
fn api_name(attr: &SchemaAttributeType) -> String {
    let name = attr.name().unwrap_or_default();
    let standard = STANDARD_ATTRIBUTES.contains(&name) || name == "sub";
    if standard || name.starts_with("custom:") || name.starts_with("dev:") {
        name.to_string()
    } else if attr.developer_only_attribute() == Some(true) {
        format!("dev:custom:{name}")
    } else {
        format!("custom:{name}")
    }
}

/// The UserUpdate requests per second Cognito enforces for this account and Region (GetProvisionedLimit's
/// `ProvisionedLimitValue`).
pub(crate) async fn user_update_limit(client: &Client) -> Result<f64, CallError> {
    let definition = LimitDefinitionType::builder()
        .limit_class(LimitClass::ApiCategory)
        .attributes("Category", cognito_ops::Category::UserUpdate.name())
        .build()
        .map_err(|e| no_answer("BuildError", e.to_string()))?;
    let out = client
        .get_provisioned_limit()
        .limit_definition(definition)
        .send()
        .await
        .map_err(classify::from_sdk)?;
    out.limit()
        .map(|l| f64::from(l.provisioned_limit_value()))
        .ok_or_else(|| no_answer("NoLimit", "GetProvisionedLimit returned no limit".into()))
}

/// A read that came back without what it asks for: not retried.
fn no_answer(code: &str, message: String) -> CallError {
    CallError {
        disposition: crate::exec::backend::Disposition::FailRow,
        code: code.into(),
        message,
        request_id: None,
        ambiguous: false,
        outage: None,
        paced_elsewhere: false,
    }
}

pub(crate) async fn describe(client: &Client, pool_id: &str) -> Result<PoolSchema, CallError> {
    let out = client
        .describe_user_pool()
        .user_pool_id(pool_id)
        .send()
        .await
        .map_err(classify::from_sdk)?;
    let Some(pool) = out.user_pool else {
        return Err(no_answer(
            "NoUserPool",
            "DescribeUserPool returned no pool".into(),
        ));
    };
    let attributes = pool
        .schema_attributes()
        .iter()
        .map(|a| {
            let s = a.string_attribute_constraints();
            let n = a.number_attribute_constraints();
            let schema = SchemaAttribute {
                data_type: a
                    .attribute_data_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_else(|| "String".into()),
                mutable: a.mutable().unwrap_or(true),
                required: a.required().unwrap_or(false),
                min_length: s.and_then(|s| s.min_length()).and_then(|v| v.parse().ok()),
                max_length: s.and_then(|s| s.max_length()).and_then(|v| v.parse().ok()),
                min_value: n.and_then(|n| n.min_value()).and_then(|v| v.parse().ok()),
                max_value: n.and_then(|n| n.max_value()).and_then(|v| v.parse().ok()),
            };
            (api_name(a), schema)
        })
        .collect();
    Ok(PoolSchema {
        attributes,
        username_attributes: pool
            .username_attributes()
            .iter()
            .map(|a| a.as_str().to_string())
            .collect(),
        alias_attributes: pool
            .alias_attributes()
            .iter()
            .map(|a| a.as_str().to_string())
            .collect(),
        auto_verified: pool
            .auto_verified_attributes()
            .iter()
            .map(|a| a.as_str().to_string())
            .collect(),
        keep_original_until_verified: pool
            .user_attribute_update_settings()
            .map(|s| {
                s.attributes_require_verification_before_update()
                    .iter()
                    .map(|a| a.as_str().to_string())
                    .collect()
            })
            .unwrap_or_default(),
        email_sending_account: pool
            .email_configuration()
            .and_then(|e| e.email_sending_account())
            .map(|a| a.as_str().to_string()),
        case_sensitive: pool
            .username_configuration()
            .map(|c| c.case_sensitive())
            .unwrap_or(true),
        estimated_users: u64::try_from(pool.estimated_number_of_users())
            .ok()
            .filter(|&n| n > 0),
    }
    .with_standard_attributes())
}
