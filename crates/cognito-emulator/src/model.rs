//! Data types: the wire shapes shared by several operations (`AttributeType`, `SchemaAttributeType`, pool
//! settings) and the stored pool and user records.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::mau::MauBits;
use super::quota::TokenBucket;

/// `{"Name": ..., "Value": ...}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AttributeType {
    pub(crate) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<String>,
}

/// A schema entry as sent to `CreateUserPool` and returned by `DescribeUserPool`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SchemaAttributeType {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) attribute_data_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) developer_only_attribute: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mutable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) number_attribute_constraints: Option<NumberConstraints>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) string_attribute_constraints: Option<StringConstraints>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct NumberConstraints {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) min_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_value: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct StringConstraints {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) min_length: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_length: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UserAttributeUpdateSettings {
    #[serde(default)]
    pub(crate) attributes_require_verification_before_update: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UsernameConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) case_sensitive: Option<bool>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EmailConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) source_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reply_to_email_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) email_sending_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) configuration_set: Option<String>,
}

/// The `CreateUserPool` members the emulator models (also the pool part of seed and state files).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PoolSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pool_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) schema: Vec<SchemaAttributeType>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) username_attributes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) alias_attributes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) auto_verified_attributes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) user_attribute_update_settings: Option<UserAttributeUpdateSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) username_configuration: Option<UsernameConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) email_configuration: Option<EmailConfiguration>,
}

/// Data type of a schema attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataType {
    String,
    Number,
    DateTime,
    Boolean,
}

impl DataType {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "String" => Some(DataType::String),
            "Number" => Some(DataType::Number),
            "DateTime" => Some(DataType::DateTime),
            "Boolean" => Some(DataType::Boolean),
            _ => None,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DataType::String => "String",
            DataType::Number => "Number",
            DataType::DateTime => "DateTime",
            DataType::Boolean => "Boolean",
        }
    }
}

/// A resolved schema attribute, named as on the wire (`email`, `custom:tier`, `dev:custom:x`).
#[derive(Clone, Debug)]
pub(crate) struct SchemaAttribute {
    pub(crate) name: String,
    pub(crate) data_type: DataType,
    pub(crate) mutable: bool,
    pub(crate) required: bool,
    pub(crate) developer_only: bool,
    pub(crate) min_length: Option<usize>,
    pub(crate) max_length: Option<usize>,
    pub(crate) min_value: Option<f64>,
    pub(crate) max_value: Option<f64>,
    /// Constraint strings exactly as they are reported back.
    pub(crate) string_constraints: Option<StringConstraints>,
    pub(crate) number_constraints: Option<NumberConstraints>,
}

/// Kinds of sign-in alias a value can be looked up by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum AliasKind {
    Email,
    Phone,
    PreferredUsername,
}

impl AliasKind {
    pub(crate) const ALL: [AliasKind; 3] = [
        AliasKind::Email,
        AliasKind::Phone,
        AliasKind::PreferredUsername,
    ];

    pub(crate) fn attribute(self) -> &'static str {
        match self {
            AliasKind::Email => "email",
            AliasKind::Phone => "phone_number",
            AliasKind::PreferredUsername => "preferred_username",
        }
    }

    pub(crate) fn verified_flag(self) -> Option<&'static str> {
        match self {
            AliasKind::Email => Some("email_verified"),
            AliasKind::Phone => Some("phone_number_verified"),
            AliasKind::PreferredUsername => None,
        }
    }

    pub(crate) fn from_attribute(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.attribute() == name)
    }
}

/// A stored user.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) username: String,
    pub(crate) sub: String,
    /// Current attribute values, `sub` included.
    pub(crate) attributes: BTreeMap<String, String>,
    /// New `email`/`phone_number` values waiting for verification (`AttributesRequireVerificationBeforeUpdate`).
    pub(crate) pending: BTreeMap<String, String>,
    pub(crate) enabled: bool,
    pub(crate) status: String,
    pub(crate) created: f64,
    pub(crate) modified: f64,
    /// Per-user write bucket, created on first write when the per-user quota is on.
    pub(crate) write_bucket: Option<TokenBucket>,
    /// The names of the groups the user is a member of.
    pub(crate) groups: BTreeSet<String>,
}

/// A group of a pool (`CreateGroup`), with its members.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) role_arn: Option<String>,
    pub(crate) precedence: Option<i64>,
    pub(crate) created: f64,
    pub(crate) modified: f64,
    /// Members by user sequence number: the order of `ListUsersInGroup`, and its pagination cursor.
    pub(crate) members: BTreeSet<u64>,
}

/// A stored user pool with its users and lookup indexes.
#[derive(Debug)]
pub(crate) struct Pool {
    pub(crate) id: String,
    pub(crate) settings: PoolSettings,
    pub(crate) schema: Vec<SchemaAttribute>,
    pub(crate) schema_index: HashMap<String, usize>,
    pub(crate) case_sensitive: bool,
    pub(crate) created: f64,
    pub(crate) modified: f64,
    /// Users by insertion sequence number (the order of `ListUsers`).
    pub(crate) users: BTreeMap<u64, User>,
    pub(crate) next_seq: u64,
    /// Normalised username -> seq.
    pub(crate) by_username: HashMap<String, u64>,
    /// sub -> seq, ordered so that a `sub ^= "prefix"` filter reads only the matching range.
    pub(crate) by_sub: BTreeMap<String, u64>,
    /// Active sign-in aliases (normalised value) -> seq.
    pub(crate) aliases: HashMap<(AliasKind, String), u64>,
    /// Groups by name (case-sensitive, as Cognito's group names are).
    pub(crate) groups: BTreeMap<String, Group>,
    /// Users touched by billed operations since the last stats reset.
    pub(crate) mau: MauBits,
}
