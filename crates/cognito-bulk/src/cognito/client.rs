//! Building the SDK client: the standard AWS credential chain, Region and profile through `aws-config`, the
//! endpoint override for the emulator or `--endpoint-url`, an attempt timeout, and the SDK's own retries disabled
//! (the job owns retries, so every attempt passes its rate limiter and is counted).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::{Credentials, Region};

use crate::config::{Endpoint, TargetSettings};

/// Builds the client for `target`; `endpoint_url` is the running emulator's address for [`Endpoint::Emulator`].
pub(crate) async fn build(
    target: &TargetSettings,
    emulator_url: Option<&str>,
    attempt_timeout: Duration,
) -> (Client, SdkConfig) {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(target.region.clone()))
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(attempt_timeout)
                .connect_timeout(Duration::from_secs(5).min(attempt_timeout))
                .build(),
        );
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    match &target.endpoint {
        Endpoint::Emulator { .. } => {
            let url = emulator_url.expect("the emulator is started before the client is built");
            // The emulator accepts any signature; these placeholder credentials keep the run independent of
            // whatever AWS credentials the machine has.
            loader = loader
                .endpoint_url(url)
                .credentials_provider(Credentials::new(
                    "local-emulator",
                    "local-emulator",
                    None,
                    None,
                    "emulator",
                ));
        }
        Endpoint::Url(url) => loader = loader.endpoint_url(url),
        Endpoint::Aws => {}
    }
    let sdk_config = loader.load().await;
    (Client::new(&sdk_config), sdk_config)
}
