//! [`CognitoBackend`]: the executor's [`Backend`] for a real (or emulated) user pool, one
//! AdminUpdateUserAttributes call per row.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::RequestId;
use aws_sdk_cognitoidentityprovider::types::AttributeType;

use super::classify;
use crate::exec::backend::{Applied, Backend, CallError};
use crate::input::row::UpdateRequest;

#[derive(Debug, Clone)]
pub struct CognitoBackend {
    pub client: Client,
    pub pool_id: String,
}

impl Backend for CognitoBackend {
    async fn update(&self, request: &UpdateRequest) -> Result<Applied, CallError> {
        let attributes = request
            .attributes
            .iter()
            .map(|a| {
                AttributeType::builder()
                    .name(&a.name)
                    .value(&a.value)
                    .build()
                    .expect("name is set")
            })
            .collect();
        self.client
            .admin_update_user_attributes()
            .user_pool_id(&self.pool_id)
            .username(&request.username)
            .set_user_attributes(Some(attributes))
            .send()
            .await
            .map(|out| Applied {
                request_id: out.request_id().map(str::to_string),
            })
            .map_err(classify::from_sdk)
    }
}
