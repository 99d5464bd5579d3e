//! Connecting to where the job goes: starting the built-in emulator for `local_*` pools, building the SDK
//! client, checking that AWS credentials exist before anything is read from the input, and reading the pool's
//! schema (DescribeUserPool) when allowed.

use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_cognitoidentityprovider::Client;

use crate::cognito::{client, pool};
use crate::config::{Endpoint, TargetSettings};
use crate::error::RunError;
use crate::exec::backend::Disposition;
use crate::schema::PoolSchema;
use cognito_emulator::{EmulatorConfig, RunningEmulator};

/// A ready client, and the in-process emulator behind it if there is one.
pub(crate) struct Connected {
    pub(crate) client: Client,
    pub(crate) emulator: Option<RunningEmulator>,
}

impl Connected {
    pub(crate) async fn close(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

pub(crate) async fn connect(
    target: &TargetSettings,
    attempt_timeout: Duration,
) -> Result<Connected, RunError> {
    let emulator = match &target.endpoint {
        Endpoint::Emulator { seed } => {
            if !seed.is_file() {
                let cwd = std::env::current_dir()
                    .map(|d| format!(" (relative to the current directory {})", d.display()))
                    .unwrap_or_default();
                let relative = if seed.is_relative() {
                    cwd
                } else {
                    String::new()
                };
                return Err(RunError::Emulator(format!(
                    "seed file {}{relative} not found. A `local_*` pool runs on the built-in emulator, seeded by \
                     default from the repository's sample-data/seed.json: run from the repository, pass \
                     --emulator-seed PATH (or COGNITO_BULK_EMULATOR_SEED, config key emulator_seed) naming a seed \
                     file, point --endpoint-url at a running `cognito-bulk emulator`, or name a real pool with \
                     --user-pool-id",
                    seed.display()
                )));
            }
            let config = EmulatorConfig::default().with_seed(seed.clone());
            Some(
                cognito_emulator::start(config)
                    .await
                    .map_err(|e| RunError::Emulator(e.to_string()))?,
            )
        }
        _ => None,
    };
    let url = emulator.as_ref().map(RunningEmulator::endpoint_url);
    let (client, sdk_config) = client::build(target, url.as_deref(), attempt_timeout).await;
    if target.endpoint == Endpoint::Aws {
        let provider = sdk_config
            .credentials_provider()
            .ok_or_else(|| RunError::Target("no AWS credentials provider is configured".into()))?;
        provider.provide_credentials().await.map_err(|e| {
            RunError::Target(format!(
                "no usable AWS credentials ({}); set them up as for the AWS CLI (environment, --profile, SSO, \
                 instance or container role)",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            ))
        })?;
    }
    Ok(Connected { client, emulator })
}

/// Reads the pool's schema. A missing pool or rejected credentials stop the job (exit 5) before any write; a
/// pool that can't be described for other reasons (no `cognito-idp:DescribeUserPool` permission, throttling)
/// only means rows are checked offline.
pub(crate) async fn describe_pool(
    client: &Client,
    target: &TargetSettings,
) -> Result<Option<PoolSchema>, RunError> {
    match pool::describe(client, &target.pool_id).await {
        Ok(schema) => Ok(Some(schema)),
        Err(err)
            if err.disposition == Disposition::StopRun && err.code != "AccessDeniedException" =>
        {
            Err(RunError::Target(format!(
                "{}: {} ({})",
                err.code,
                err.message,
                target.describe()
            )))
        }
        Err(err) => {
            tracing::warn!(code = %err.code, "cannot read the pool's schema; rows are checked offline only: {}", err.message);
            Ok(None)
        }
    }
}
