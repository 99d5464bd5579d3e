//! Building the SDK client: the standard AWS credential chain, Region and profile through `aws-config`, the
//! endpoint override for the emulator or `--endpoint-url`, an attempt timeout, and the SDK's own retries disabled
//! (the job owns retries, so every attempt passes its rate limiter and is counted). The HTTPS client is hyper 1 with
//! rustls on the `ring` crypto provider, built here instead of the SDK's default (the same client on `aws-lc-rs`,
//! whose C library takes longer to build than the rest of the job), for the credential providers and Cognito alike.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::{Credentials, Region};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::config::{Endpoint, TargetSettings};

/// The AWS configuration of `target` with the standard credential chain (Region, profile), loaded once: the
/// credentials check and the client use the same one.
pub(crate) async fn load_chain(target: &TargetSettings) -> SdkConfig {
    loader(target).load().await
}

/// The configuration with placeholder credentials (the emulator accepts any signature), so the run does not
/// depend on whatever AWS credentials the machine has.
pub(crate) async fn load_placeholder(target: &TargetSettings) -> SdkConfig {
    loader(target)
        .credentials_provider(Credentials::new(
            "placeholder",
            "placeholder",
            None,
            None,
            "placeholder",
        ))
        .load()
        .await
}

/// Whether `config`'s credential chain provides credentials; `Err` says why not, in one line.
pub(crate) async fn check_credentials(config: &SdkConfig) -> Result<(), String> {
    let provider = config
        .credentials_provider()
        .ok_or_else(|| "no credentials provider is configured".to_string())?;
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// Builds the client for `target` from `config`; `emulator_url` is the running emulator's address for
/// [`Endpoint::Emulator`].
pub(crate) fn build(
    config: &SdkConfig,
    target: &TargetSettings,
    emulator_url: Option<&str>,
    attempt_timeout: Duration,
) -> Client {
    let mut builder = aws_sdk_cognitoidentityprovider::config::Builder::from(config)
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
            builder = builder.endpoint_url(url);
        }
        Endpoint::Url(url) => builder = builder.endpoint_url(url),
        Endpoint::Aws => {}
    }
    Client::from_conf(builder.build())
}

/// The SDK's default HTTPS client (hyper 1, rustls, the proxy from `HTTPS_PROXY`/`NO_PROXY`, the connect timeout
/// and sleep of each operation), on the `ring` crypto provider.
pub(crate) fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::Ring));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

fn loader(target: &TargetSettings) -> aws_config::ConfigLoader {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .region(Region::new(target.region.clone()));
    match &target.profile {
        Some(profile) => loader.profile_name(profile),
        None => loader,
    }
}
