//! A pool's attribute schema: Cognito's standard attributes, custom attributes from `CreateUserPool`'s `Schema`,
//! and the pool-setting checks that `CreateUserPool` performs.

use std::collections::HashMap;

use super::model::{
    DataType, NumberConstraints, PoolSettings, SchemaAttribute, SchemaAttributeType,
    StringConstraints,
};
use super::protocol::ApiError;

/// Cognito's maximum number of custom attributes per pool.
const MAX_CUSTOM_ATTRIBUTES: usize = 50;
/// Cognito's maximum length of a custom attribute name (without `custom:`).
const MAX_CUSTOM_NAME: usize = 20;

/// The standard attributes of every pool, as `DescribeUserPool` reports them for a default pool (the developer
/// guide, "Working with user attributes").
fn standard_schema() -> Vec<SchemaAttribute> {
    let string = |name: &str, min: usize, max: usize| SchemaAttribute {
        name: name.to_string(),
        data_type: DataType::String,
        mutable: true,
        required: false,
        developer_only: false,
        min_length: Some(min),
        max_length: Some(max),
        min_value: None,
        max_value: None,
        string_constraints: Some(StringConstraints {
            min_length: Some(min.to_string()),
            max_length: Some(max.to_string()),
        }),
        number_constraints: None,
    };
    let boolean = |name: &str| SchemaAttribute {
        name: name.to_string(),
        data_type: DataType::Boolean,
        mutable: true,
        required: false,
        developer_only: false,
        min_length: None,
        max_length: None,
        min_value: None,
        max_value: None,
        string_constraints: None,
        number_constraints: None,
    };
    let mut sub = string("sub", 1, 2048);
    sub.mutable = false;
    sub.required = true;
    let mut schema = vec![sub];
    for name in [
        "name",
        "given_name",
        "family_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "email",
    ] {
        schema.push(string(name, 0, 2048));
    }
    schema.push(boolean("email_verified"));
    schema.push(string("gender", 0, 2048));
    schema.push(string("birthdate", 10, 10));
    schema.push(string("zoneinfo", 0, 2048));
    schema.push(string("locale", 0, 2048));
    schema.push(string("phone_number", 0, 2048));
    schema.push(boolean("phone_number_verified"));
    schema.push(string("address", 0, 2048));
    schema.push(SchemaAttribute {
        name: "updated_at".to_string(),
        data_type: DataType::Number,
        mutable: true,
        required: false,
        developer_only: false,
        min_length: None,
        max_length: None,
        min_value: Some(0.0),
        max_value: None,
        string_constraints: None,
        number_constraints: Some(NumberConstraints {
            min_value: Some("0".to_string()),
            max_value: None,
        }),
    });
    schema
}

/// The resolved schema of a pool and its name index.
pub(crate) struct BuiltSchema {
    pub(crate) attributes: Vec<SchemaAttribute>,
    pub(crate) index: HashMap<String, usize>,
}

/// Checks the pool settings and builds the full schema, with `CreateUserPool`'s error messages.
pub(crate) fn build(settings: &PoolSettings) -> Result<BuiltSchema, ApiError> {
    check_attribute_lists(settings)?;
    let mut attributes = standard_schema();
    let mut index: HashMap<String, usize> = attributes
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.clone(), i))
        .collect();
    let mut custom = 0;
    for (i, input) in settings.schema.iter().enumerate() {
        let at = format!("schema.{}.member", i + 1);
        let name = input.name.as_deref().unwrap_or_default();
        if name.is_empty() {
            return Err(ApiError::missing(&format!("{at}.name")));
        }
        let data_type = match input.attribute_data_type.as_deref() {
            None => None,
            Some(s) => Some(DataType::parse(s).ok_or_else(|| {
                ApiError::invalid_parameter(format!(
                    "1 validation error detected: Value '{s}' at '{at}.attributeDataType' failed to satisfy \
                     constraint: Member must satisfy enum value set: [Boolean, Number, String, DateTime]"
                ))
            })?),
        };
        if let Some(&existing) = index.get(name) {
            // Standard attribute: the schema entry may make it required, immutable or constrain it.
            let attr = &mut attributes[existing];
            if name == "sub" {
                continue;
            }
            if let Some(required) = input.required {
                attr.required = required;
            }
            if let Some(mutable) = input.mutable {
                attr.mutable = mutable;
            }
            apply_constraints(attr, input)?;
            continue;
        }
        if name.chars().count() > MAX_CUSTOM_NAME {
            return Err(ApiError::invalid_parameter(format!(
                "1 validation error detected: Value '{name}' at '{at}.name' failed to satisfy constraint: \
                 Member must have length less than or equal to {MAX_CUSTOM_NAME}"
            )));
        }
        if input.required == Some(true) {
            return Err(ApiError::invalid_parameter(
                "Required custom attributes are not supported currently.",
            ));
        }
        custom += 1;
        if custom > MAX_CUSTOM_ATTRIBUTES {
            return Err(ApiError::invalid_parameter(format!(
                "A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
            )));
        }
        let developer_only = input.developer_only_attribute.unwrap_or(false);
        let full_name = if developer_only {
            format!("dev:custom:{name}")
        } else {
            format!("custom:{name}")
        };
        if index.contains_key(&full_name) {
            return Err(ApiError::invalid_parameter(format!(
                "Existing attribute already has name {full_name}."
            )));
        }
        let mut attr = SchemaAttribute {
            name: full_name.clone(),
            data_type: data_type.unwrap_or(DataType::String),
            mutable: input.mutable.unwrap_or(true),
            required: false,
            developer_only,
            min_length: None,
            max_length: None,
            min_value: None,
            max_value: None,
            string_constraints: None,
            number_constraints: None,
        };
        apply_constraints(&mut attr, input)?;
        index.insert(full_name, attributes.len());
        attributes.push(attr);
    }
    Ok(BuiltSchema { attributes, index })
}

fn apply_constraints(
    attr: &mut SchemaAttribute,
    input: &SchemaAttributeType,
) -> Result<(), ApiError> {
    if let Some(c) = &input.string_attribute_constraints {
        let parse = |v: &Option<String>, what: &str| -> Result<Option<usize>, ApiError> {
            v.as_deref()
                .map(|s| {
                    s.trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n <= 2048)
                        .ok_or_else(|| {
                            ApiError::invalid_parameter(format!(
                                "Invalid {what} {s:?} for attribute {}: must be an integer from 0 to 2048.",
                                attr.name
                            ))
                        })
                })
                .transpose()
        };
        attr.min_length = parse(&c.min_length, "MinLength")?.or(attr.min_length);
        attr.max_length = parse(&c.max_length, "MaxLength")?.or(attr.max_length);
        attr.string_constraints = Some(StringConstraints {
            min_length: attr.min_length.map(|n| n.to_string()),
            max_length: attr.max_length.map(|n| n.to_string()),
        });
    }
    if let Some(c) = &input.number_attribute_constraints {
        let parse = |v: &Option<String>, what: &str| -> Result<Option<f64>, ApiError> {
            v.as_deref()
                .map(|s| {
                    s.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite())
                        .ok_or_else(|| {
                            ApiError::invalid_parameter(format!(
                                "Invalid {what} {s:?} for attribute {}: must be a number.",
                                attr.name
                            ))
                        })
                })
                .transpose()
        };
        attr.min_value = parse(&c.min_value, "MinValue")?;
        attr.max_value = parse(&c.max_value, "MaxValue")?;
        attr.number_constraints = Some(c.clone());
    }
    if let (Some(min), Some(max)) = (attr.min_length, attr.max_length)
        && min > max
    {
        return Err(ApiError::invalid_parameter(format!(
            "MinLength must not exceed MaxLength for attribute {}.",
            attr.name
        )));
    }
    Ok(())
}

/// Checks `UsernameAttributes`, `AliasAttributes`, `AutoVerifiedAttributes` and `UserAttributeUpdateSettings`.
fn check_attribute_lists(settings: &PoolSettings) -> Result<(), ApiError> {
    let check = |list: &[String], member: &str, allowed: &[&str]| -> Result<(), ApiError> {
        for value in list {
            if !allowed.contains(&value.as_str()) {
                return Err(ApiError::invalid_parameter(format!(
                    "1 validation error detected: Value '[{}]' at '{member}' failed to satisfy constraint: \
                     Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
                    list.join(", "),
                    allowed.join(", ")
                )));
            }
        }
        Ok(())
    };
    check(
        &settings.username_attributes,
        "usernameAttributes",
        &["phone_number", "email"],
    )?;
    check(
        &settings.alias_attributes,
        "aliasAttributes",
        &["phone_number", "email", "preferred_username"],
    )?;
    check(
        &settings.auto_verified_attributes,
        "autoVerifiedAttributes",
        &["phone_number", "email"],
    )?;
    if !settings.username_attributes.is_empty() && !settings.alias_attributes.is_empty() {
        return Err(ApiError::invalid_parameter(
            "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.",
        ));
    }
    if let Some(update) = &settings.user_attribute_update_settings {
        let list = &update.attributes_require_verification_before_update;
        check(
            list,
            "userAttributeUpdateSettings.attributesRequireVerificationBeforeUpdate",
            &["phone_number", "email"],
        )?;
        if list
            .iter()
            .any(|a| !settings.auto_verified_attributes.contains(a))
        {
            return Err(ApiError::invalid_parameter(
                "All attributes in AttributesRequireVerificationBeforeUpdate must exist in AutoVerifiedAttributes",
            ));
        }
    }
    Ok(())
}

/// The `SchemaAttributes` entry reported for a resolved attribute.
pub(crate) fn describe(attr: &SchemaAttribute) -> SchemaAttributeType {
    SchemaAttributeType {
        name: Some(attr.name.clone()),
        attribute_data_type: Some(attr.data_type.as_str().to_string()),
        developer_only_attribute: Some(attr.developer_only),
        mutable: Some(attr.mutable),
        required: Some(attr.required),
        number_attribute_constraints: attr.number_constraints.clone(),
        string_attribute_constraints: attr.string_constraints.clone(),
    }
}
