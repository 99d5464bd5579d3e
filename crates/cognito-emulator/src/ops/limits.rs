//! `GetProvisionedLimit`: the request rate an API category allows, as Cognito's "managing provisioned limits"
//! answers it (the API reference's GetProvisionedLimit and LimitType pages): `FreeLimitValue` is the category's
//! default rate, `ProvisionedLimitValue` the rate this emulator enforces: its configured quota, or the largest
//! value the field holds when the category has no quota here (`--no-quotas`), so that a client warns of no limit
//! that is not enforced.

use serde::Deserialize;
use serde_json::{Value, json};

use super::super::protocol::{ApiError, parse};
use super::super::quota::Category;
use super::super::store::State;
use super::to_body;

pub(crate) struct GetProvisionedLimit {
    category: Category,
    definition: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Body {
    limit_definition: Option<Value>,
}

impl GetProvisionedLimit {
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let body: Body = parse(body)?;
        let definition = body.limit_definition.ok_or_else(|| {
            ApiError::invalid_parameter(
                "1 validation error detected: LimitDefinition must not be null",
            )
        })?;
        if definition["LimitClass"] != "API_CATEGORY" {
            return Err(ApiError::invalid_parameter(
                "LimitDefinition.LimitClass must be API_CATEGORY",
            ));
        }
        let name = definition["Attributes"]["Category"].as_str().unwrap_or("");
        let category = Category::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                ApiError::invalid_parameter(format!("Unknown API category `{name}`."))
            })?;
        Ok(Self {
            category,
            definition,
        })
    }

    pub(crate) fn execute(self, state: &State) -> Result<Vec<u8>, ApiError> {
        let free = self.category.default_rate().round() as i64;
        let enforced = state
            .quotas
            .rate(self.category)
            .map_or(i64::from(i32::MAX), |r| r.round() as i64);
        to_body(&json!({
            "Limit": {
                "FreeLimitValue": free,
                "LimitDefinition": self.definition,
                "ProvisionedLimitValue": enforced,
            }
        }))
    }
}
