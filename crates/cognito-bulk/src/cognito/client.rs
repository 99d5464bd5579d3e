//! Building the SDK client: the standard AWS credential chain, Region and profile through `aws-config`, the
//! endpoint override for the emulator or `--endpoint-url`, an attempt timeout, and the SDK's own retries disabled
//! (the job owns retries, so every attempt passes its rate limiter and is counted).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::{Credentials, Region};

use crate::config::{Endpoint, TargetSettings};

/// Builds the client for `target`; `emulator_url` is the running emulator's address for [`Endpoint::Emulator`].
/// With `placeholder`, requests are signed with placeholder credentials (the emulator accepts any signature),
/// so the run does not depend on whatever AWS credentials the machine has.
pub(crate) async fn build(
    target: &TargetSettings,
    emulator_url: Option<&str>,
    placeholder: bool,
    attempt_timeout: Duration,
) -> Client {
    let mut loader = loader(target)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(attempt_timeout)
                .connect_timeout(Duration::from_secs(5).min(attempt_timeout))
                .build(),
        );
    match &target.endpoint {
        Endpoint::Emulator { .. } => {
            let url = emulator_url.expect("the emulator is started before the client is built");
            loader = loader.endpoint_url(url);
        }
        Endpoint::Url(url) => loader = loader.endpoint_url(url),
        Endpoint::Aws => {}
    }
    if placeholder {
        loader = loader.credentials_provider(Credentials::new(
            "placeholder",
            "placeholder",
            None,
            None,
            "placeholder",
        ));
    }
    Client::new(&loader.load().await)
}

/// Whether the standard credential chain (for `target`'s profile) provides credentials; `Err` says why not, in
/// one line.
pub(crate) async fn chain_credentials(target: &TargetSettings) -> Result<(), String> {
    let config = loader(target).load().await;
    let provider = config
        .credentials_provider()
        .ok_or_else(|| "no credentials provider is configured".to_string())?;
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

fn loader(target: &TargetSettings) -> aws_config::ConfigLoader {
    let loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(target.region.clone()));
    match &target.profile {
        Some(profile) => loader.profile_name(profile),
        None => loader,
    }
}
