//! Connecting to where the job goes: the credentials ([`credentials`], checked before anything is read from the
//! input, for every target), starting the built-in emulator for `local_*` pools, building the SDK client, and
//! reading the pool's schema (DescribeUserPool) when allowed.

use std::path::Path;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client;

use crate::cognito::{client, pool};
use crate::config::{Endpoint, TargetSettings};
use crate::error::RunError;
use crate::exec::outage::{Outage, ReadFailure};
use crate::exec::retry::RetryPolicy;
use crate::report::lock::{self, OutputLock};
use crate::schema::PoolSchema;
use cognito_emulator::{EmulatorConfig, RunningEmulator};
use tokio_util::sync::CancellationToken;

/// How requests are signed.
#[derive(Debug, Clone)]
pub(crate) enum Signing {
    /// The standard AWS credential chain (environment, profile, SSO, instance or container role), as loaded and
    /// checked.
    Chain(Box<SdkConfig>),
    /// Placeholder credentials: the built-in emulator, or an endpoint on this machine when the chain has none.
    Placeholder,
}

impl Signing {
    /// The banner's note, when there is something to say.
    pub(crate) fn note(&self, target: &TargetSettings) -> Option<String> {
        match (self, &target.endpoint) {
            (Signing::Placeholder, Endpoint::Url(url)) => Some(format!(
                "no AWS credentials found; signing with placeholder credentials, since {url} is on this machine"
            )),
            _ => None,
        }
    }
}

/// Checks the credentials before anything else happens: the chain must provide them for a real pool or an
/// endpoint elsewhere; an endpoint on this machine (the emulator, cognito-local, moto) is signed with placeholder
/// credentials when the chain has none. A failure is one sentence saying what was tried and what to do.
pub(crate) async fn credentials(target: &TargetSettings) -> Result<Signing, RunError> {
    let loopback = match &target.endpoint {
        Endpoint::Emulator { .. } => return Ok(Signing::Placeholder),
        Endpoint::Url(url) => is_loopback(url),
        Endpoint::Aws => false,
    };
    let config = client::load_chain(target).await;
    match client::check_credentials(&config).await {
        Ok(()) => Ok(Signing::Chain(Box::new(config))),
        Err(_) if loopback => Ok(Signing::Placeholder),
        Err(why) => {
            let profile = target
                .profile
                .as_deref()
                .map_or("the default profile".to_string(), |p| {
                    format!("profile `{p}`")
                });
            Err(RunError::Credentials(format!(
                "no usable AWS credentials for {} ({why}): tried the environment, {profile} of ~/.aws, SSO and \
                 the instance or container role. Set AWS_PROFILE (or --profile), export AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY, or run `aws sso login`",
                target.describe()
            )))
        }
    }
}

/// Whether an endpoint URL names this machine (`localhost`, `127.0.0.0/8`, `::1`).
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // `user:pass@host`: the host is after the last `@`.
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A ready client, and the in-process emulator behind it if there is one.
pub(crate) struct Connected {
    pub(crate) client: Client,
    pub(crate) emulator: Option<RunningEmulator>,
    /// The built-in pool's state, held until the emulator has written it back.
    _state_lock: Option<OutputLock>,
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
    signing: &Signing,
    attempt_timeout: Duration,
) -> Result<Connected, RunError> {
    let mut state_lock = None;
    let emulator = match &target.endpoint {
        Endpoint::Emulator { seed, state } => {
            if !state.exists() && !seed.is_file() {
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
            // One process at a time on the built-in pool: a second one (`export | update -`) waits its turn, on a
            // thread of its own (the wait may be long).
            let state_path = state.clone();
            state_lock = Some(
                tokio::task::spawn_blocking(move || lock_state(&state_path))
                    .await
                    .map_err(|e| {
                        RunError::Internal(format!("the state lock task failed: {e}"))
                    })??,
            );
            let config = EmulatorConfig::default()
                .with_seed(seed.clone())
                .with_state_file(state.clone());
            Some(
                cognito_emulator::start(config)
                    .await
                    .map_err(|e| RunError::Emulator(crate::error::chain(&e)))?,
            )
        }
        _ => None,
    };
    let url = emulator.as_ref().map(RunningEmulator::endpoint_url);
    let config = match signing {
        Signing::Chain(config) => (**config).clone(),
        Signing::Placeholder => client::load_placeholder(target).await,
    };
    let client = client::build(&config, target, url.as_deref(), attempt_timeout);
    Ok(Connected {
        client,
        emulator,
        _state_lock: state_lock,
    })
}

/// Locks the built-in pool's state file (creating its directory), waiting while another run holds it.
/// Locks the built-in pool's state file (waiting, and saying so once, while another run uses it).
pub(crate) fn lock_state(state: &Path) -> Result<OutputLock, RunError> {
    if let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            RunError::Emulator(format!(
                "cannot create {} for the built-in emulator's state: {e}",
                dir.display()
            ))
        })?;
    }
    let mut said = false;
    Ok(lock::lock_waiting(state, &mut |holder| {
        if !said {
            said = true;
            let by = holder.map_or(String::new(), |pid| format!(" (pid {pid})"));
            tracing::warn!(
                "the built-in pool's state {} is in use by another run{by}: waiting for it to end",
                state.display()
            );
        }
    })?)
}

/// The pool's schema (DescribeUserPool), riding out an outage of the endpoint on the run's `--max-outage` budget.
pub(crate) async fn describe_pool(
    client: &Client,
    target: &TargetSettings,
    outage: &Outage,
) -> Result<Option<PoolSchema>, RunError> {
    let never = CancellationToken::new();
    let read = outage
        .read(RetryPolicy::pool_read(), None, &never, || {
            pool::describe(client, &target.pool_id)
        })
        .await;
    pool_read(
        read,
        target,
        "DescribeUserPool",
        "rows are checked offline only: no schema (attribute names, types, lengths, mutability)",
    )
}

/// The pool's group names (ListGroups), to check the groups a file names before the first write.
pub(crate) async fn pool_groups(
    client: &Client,
    target: &TargetSettings,
    outage: &Outage,
) -> Result<Option<std::collections::BTreeSet<String>>, RunError> {
    pool_read(
        crate::cognito::groups::list_groups(
            client,
            &target.pool_id,
            outage,
            &CancellationToken::new(),
        )
        .await,
        target,
        "ListGroups",
        "group names are checked offline only: a row naming a missing group fails on its own",
    )
}

/// The UserUpdate rate this account is allowed (GetProvisionedLimit), or why it is not known: a failure is only
/// a warning (the default quota is assumed), but an endpoint unreachable past `--max-outage` stops the run.
pub(crate) async fn user_update_limit(
    client: &Client,
    outage: &Outage,
) -> Result<Result<f64, String>, RunError> {
    let never = CancellationToken::new();
    match outage
        .read(RetryPolicy::pool_read(), None, &never, || {
            pool::user_update_limit(client)
        })
        .await
    {
        Ok(limit) => Ok(Ok(limit)),
        Err(e) if e.is_denied() => Ok(Err(
            "these credentials may not call GetProvisionedLimit (the IAM permission \
             cognito-idp:GetProvisionedLimit)"
                .to_string(),
        )),
        Err(ReadFailure::Failed(e)) => Ok(Err(format!("{}: {}", e.code, e.message))),
        Err(other) => Err(RunError::Target(format!("GetProvisionedLimit: {other}"))),
    }
}

/// A read of the pool before the first write. It never weakens the checks quietly: a permission denied is a
/// warning naming the permission and what is checked offline instead; an outage has been waited out (up to
/// `--max-outage`); any other failure stops the job before the first write.
fn pool_read<T>(
    result: Result<T, ReadFailure>,
    target: &TargetSettings,
    operation: &str,
    offline: &str,
) -> Result<Option<T>, RunError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_denied() => {
            tracing::warn!(
                "these credentials may not call {operation} (the IAM permission cognito-idp:{operation}): {offline}"
            );
            Ok(None)
        }
        Err(ReadFailure::Failed(err)) => {
            // An emulator started by hand without a seed holds no pool at all.
            let hint = match (&target.endpoint, err.code.as_str()) {
                (Endpoint::Url(_), "ResourceNotFoundException") => {
                    ". If the endpoint is a `cognito-bulk emulator` started by hand, it holds only the pools of its \
                     --seed file (e.g. `cognito-bulk emulator --seed sample-data/seed.json`) or its --state file"
                }
                _ => "",
            };
            Err(RunError::Target(format!(
                "{operation}: {}: {} ({}){hint}",
                err.code,
                err.message,
                target.describe()
            )))
        }
        Err(other) => Err(RunError::Target(format!(
            "{operation} failed: {other} ({}). Nothing was written",
            target.describe()
        ))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_endpoints_are_recognised() {
        for url in [
            "http://127.0.0.1:9229",
            "http://localhost:4566/",
            "http://[::1]:9229",
            "https://127.8.0.1",
        ] {
            assert!(super::is_loopback(url), "{url}");
        }
        for url in [
            "https://cognito-idp.eu-west-1.amazonaws.com",
            "http://10.0.0.1:9229",
            "http://localhost:1@evil.example",
        ] {
            assert!(!super::is_loopback(url), "{url}");
        }
    }
}
