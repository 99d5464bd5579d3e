//! The `cognito-bulk emulator` subcommand: flags, and running until SIGINT/SIGTERM.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::config::{DEFAULT_MAX_BODY_BYTES, EmulatorConfig};
use super::error::EmulatorError;
use super::faults::{Faults, ScriptedError};
use super::latency::OpLatency;
use super::live::LivePattern;
use super::quota::Category;
use super::server::start;

/// A request rate: requests per second, or `off`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate(pub Option<f64>);

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("off") {
            return Ok(Rate(None));
        }
        match s.parse::<f64>() {
            Ok(r) if r.is_finite() && r >= 1.0 => Ok(Rate(Some(r))),
            _ => Err(format!(
                "expected a rate of at least 1 request per second, or `off`; got {s:?}"
            )),
        }
    }
}

fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("expected a fraction from 0 to 1, got {s:?}")),
    }
}

/// Run a local Cognito user-pool emulator (awsJson 1.1 over HTTP) for tests and dry runs.
///
/// Point any AWS SDK or the AWS CLI at it with an endpoint override (e.g. `--endpoint-url
/// http://127.0.0.1:9229`) and dummy credentials. Quotas are on by default, with Cognito's values.
#[derive(clap::Args, Debug, Clone)]
pub struct EmulatorArgs {
    /// Address to listen on
    ///
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST), env = "COGNITO_BULK_EMULATOR_BIND", help_heading = "Listen")]
    pub bind: IpAddr,

    /// Port to listen on (0: a free one)
    ///
    /// Port to listen on; 0 picks a free port. The bound address is printed on stdout
    /// ("listening on http://127.0.0.1:PORT").
    #[arg(
        long,
        default_value_t = 9229,
        env = "COGNITO_BULK_EMULATOR_PORT",
        help_heading = "Listen"
    )]
    pub port: u16,

    /// Seed file of pools and users
    ///
    /// Seed file of pools and users (JSON: {"UserPools": [...]}; see sample-data/seed.json). Ignored when the
    /// --state file already exists.
    #[arg(long, value_name = "FILE", help_heading = "Pool and state")]
    pub seed: Option<PathBuf>,

    /// State file: loaded at start, written at exit
    ///
    /// State file: loaded at start if it exists, written atomically (temporary file + rename) on shutdown,
    /// including on SIGINT and SIGTERM. A state file is also a valid seed file.
    #[arg(long, value_name = "FILE", help_heading = "Pool and state")]
    pub state: Option<PathBuf>,

    /// Delete the state file and exit
    ///
    /// Delete the --state file and exit, so that the next start loads the seed again (`cognito-bulk emulator
    /// --reset-state` without --state resets the built-in pool of `local_*` pool ids).
    #[arg(long, help_heading = "Pool and state")]
    pub reset_state: bool,

    /// Turn every quota off
    ///
    /// Turn every quota off (the per-category ones and the per-user write limit).
    #[arg(long, help_heading = "Quotas")]
    pub no_quotas: bool,

    /// UserUpdate quota, requests/s or `off`
    ///
    /// UserUpdate quota (AdminUpdateUserAttributes, AdminDeleteUserAttributes, AdminDeleteUser, AdminAddUserToGroup,
    /// AdminRemoveUserFromGroup, AdminEnableUser, AdminDisableUser), requests/s or `off`.
    #[arg(
        long,
        value_name = "RPS|off",
        default_value = "25",
        help_heading = "Quotas"
    )]
    pub user_update_rps: Rate,

    /// UserRead quota, requests/s or `off`
    ///
    /// UserRead quota (AdminGetUser), requests/s or `off`.
    #[arg(
        long,
        value_name = "RPS|off",
        default_value = "120",
        help_heading = "Quotas"
    )]
    pub user_read_rps: Rate,

    /// UserList quota, requests/s or `off`
    ///
    /// UserList quota (ListUsers, ListUsersInGroup), requests/s or `off`.
    #[arg(
        long,
        value_name = "RPS|off",
        default_value = "30",
        help_heading = "Quotas"
    )]
    pub user_list_rps: Rate,

    /// UserPoolRead quota, requests/s or `off`
    ///
    /// UserPoolRead quota (DescribeUserPool, ListUserPools), requests/s or `off`.
    #[arg(
        long,
        value_name = "RPS|off",
        default_value = "15",
        help_heading = "Quotas"
    )]
    pub user_pool_read_rps: Rate,

    /// UserCreation quota, requests/s or `off`
    ///
    /// UserCreation quota (AdminCreateUser), requests/s or `off`.
    #[arg(
        long,
        value_name = "RPS|off",
        default_value = "50",
        help_heading = "Quotas"
    )]
    pub user_creation_rps: Rate,

    /// UserResourceRead quota, requests/s or `off`
    ///
    /// UserResourceRead quota (AdminListGroupsForUser), requests/s or `off`.
    #[arg(
        long,
        value_name = "RPS|off",
        default_value = "50",
        help_heading = "Quotas",
        hide_short_help = true
    )]
    pub user_resource_read_rps: Rate,

    /// UserPoolResourceRead quota, requests/s or `off`
    ///
    /// UserPoolResourceRead quota (GetGroup, ListGroups), requests/s or `off`.
    #[arg(
        long,
        value_name = "RPS|off",
        default_value = "20",
        help_heading = "Quotas",
        hide_short_help = true
    )]
    pub user_pool_resource_read_rps: Rate,

    /// Per-user write limit, requests/s or `off`
    ///
    /// Writes per user per second (the UserUpdate operations on one user), or `off`.
    #[arg(
        long,
        value_name = "RPS|off",
        default_value = "10",
        help_heading = "Quotas"
    )]
    pub per_user_write_rps: Rate,

    /// Seed of the fault sequence
    ///
    /// Seed of the fault sequence; the same seed gives the same faults for the same request order.
    #[arg(long, value_name = "N", default_value_t = 0, help_heading = "Faults")]
    pub fault_seed: u64,

    /// Fraction of updates answered InternalErrorException
    ///
    /// Fraction (0-1) of AdminUpdateUserAttributes requests (or of the --fault-operations) answered with
    /// InternalErrorException (HTTP 500), without applying them.
    #[arg(long, value_name = "F", default_value = "0", value_parser = fraction, help_heading = "Faults")]
    pub internal_error_rate: f64,

    /// Fraction of updates whose connection is dropped
    ///
    /// Fraction (0-1) of AdminUpdateUserAttributes requests (or of the --fault-operations) whose connection is
    /// closed without a response.
    #[arg(long, value_name = "F", default_value = "0", value_parser = fraction, help_heading = "Faults")]
    pub drop_rate: f64,

    /// Share of dropped updates applied first
    ///
    /// Share (0-1) of dropped requests that are applied before the connection is closed.
    #[arg(long, value_name = "F", default_value = "0.5", value_parser = fraction, help_heading = "Faults")]
    pub drop_after_apply_share: f64,

    /// Latency added to every update, ms
    ///
    /// Latency added to every AdminUpdateUserAttributes request (or of the --fault-operations), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0, help_heading = "Faults")]
    pub latency_ms: u64,

    /// Up to this much more latency, ms
    ///
    /// Up to this many more milliseconds of latency, chosen per request from the fault seed.
    #[arg(long, value_name = "MS", default_value_t = 0, help_heading = "Faults")]
    pub latency_jitter_ms: u64,

    /// Hold every update this long, then apply it anyway, ms
    ///
    /// Hold every AdminUpdateUserAttributes request (or of the --fault-operations) this many milliseconds, then
    /// apply it even if the client gave up meanwhile (a late apply).
    #[arg(long, value_name = "MS", default_value_t = 0, help_heading = "Faults")]
    pub late_apply_ms: u64,

    /// Operations the faults above apply to, OP[,OP]
    ///
    /// The operations the random faults, --latency-ms, --latency-jitter-ms and --late-apply-ms apply to, by name:
    /// e.g. `--fault-operations AdminUpdateUserAttributes,AdminAddUserToGroup,AdminDisableUser`.
    #[arg(
        long,
        value_name = "OP[,OP]",
        value_delimiter = ',',
        default_value = "AdminUpdateUserAttributes",
        help_heading = "Faults"
    )]
    pub fault_operations: Vec<String>,

    /// Operations always answered AccessDeniedException, OP[,OP]
    ///
    /// Answer these operations `AccessDeniedException`, as IAM answers credentials without the permission: e.g.
    /// `--deny-operations DescribeUserPool` to see what a client does without `cognito-idp:DescribeUserPool`.
    #[arg(
        long,
        value_name = "OP[,OP]",
        value_delimiter = ',',
        help_heading = "Faults",
        hide_short_help = true
    )]
    pub deny_operations: Vec<String>,

    /// Pages of ListUsers and ListUsersInGroup shorter than asked
    ///
    /// Answer ListUsers and ListUsersInGroup pages with fewer users than Limit, every third one empty but still
    /// carrying its token, as real Cognito may: a client must page until the token is absent.
    #[arg(long, help_heading = "Faults", hide_short_help = true)]
    pub short_pages: bool,

    /// Latency of one operation, OP=MS (repeatable)
    ///
    /// Latency added to every request of one operation, e.g. `--op-latency ListUsers=100`; `*=MS` applies to
    /// every operation not named. Repeatable. Adds to --latency-ms for AdminUpdateUserAttributes.
    #[arg(long, value_name = "OP=MS", help_heading = "Faults")]
    pub op_latency: Vec<OpLatency>,

    /// Always answer an error for a user (repeatable)
    ///
    /// Always answer this error for requests naming USERNAME (AdminUpdateUserAttributes,
    /// AdminDeleteUserAttributes, AdminGetUser, AdminDeleteUser), e.g.
    /// `--fail-user alice=UserLambdaValidationException:blocked by policy`. Repeatable.
    #[arg(long, value_name = "USER=CODE[:MSG]", help_heading = "Faults")]
    pub fail_user: Vec<ScriptedError>,

    /// Refuse ListUsers filters on `sub`
    ///
    /// Make ListUsers answer InvalidParameterException to a filter on `sub` (as some Cognito look-alikes do),
    /// to test a client's fallback from partitioned listing to one stream.
    #[arg(long, help_heading = "Faults")]
    pub refuse_sub_filter: bool,

    /// A synthetic live caller on the UserUpdate quota
    ///
    /// A synthetic live caller on the UserUpdate quota, standing for the application's own traffic: `10` =
    /// 10 attempts/s; `5@30s,15@30s` = 5/s for 30 s then 15/s for 30 s, repeated. Its attempts and throttles
    /// per second are in the stats (`live`), not in the per-operation counters.
    #[arg(long, value_name = "PATTERN", help_heading = "Live traffic")]
    pub live_traffic: Option<LivePattern>,

    /// Largest request body, bytes
    ///
    /// Largest accepted request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES, help_heading = "Listen")]
    pub max_body_bytes: usize,

    /// Region part of the pool ids it creates
    ///
    /// Region part of the ids of pools created with CreateUserPool (`<region>_<random>`).
    #[arg(long, default_value = "local", help_heading = "Pool and state")]
    pub region: String,

    /// DescribeUserPool lists only custom attributes (as moto)
    ///
    /// DescribeUserPool lists only the custom attributes in SchemaAttributes, as moto does (to test clients
    /// against that shape; the pools still accept every standard attribute).
    #[arg(long, help_heading = "Pool and state")]
    pub moto_schema: bool,
}

impl EmulatorArgs {
    /// The configuration these flags describe.
    pub fn to_config(&self) -> EmulatorConfig {
        let mut config = EmulatorConfig::default()
            .with_bind(SocketAddr::new(self.bind, self.port))
            .with_quota(Category::UserUpdate, self.user_update_rps.0)
            .with_quota(Category::UserRead, self.user_read_rps.0)
            .with_quota(Category::UserList, self.user_list_rps.0)
            .with_quota(Category::UserPoolRead, self.user_pool_read_rps.0)
            .with_quota(Category::UserCreation, self.user_creation_rps.0)
            .with_quota(Category::UserResourceRead, self.user_resource_read_rps.0)
            .with_quota(
                Category::UserPoolResourceRead,
                self.user_pool_resource_read_rps.0,
            )
            .with_per_user_write_rate(self.per_user_write_rps.0)
            .with_faults(Faults {
                seed: self.fault_seed,
                internal_error_rate: self.internal_error_rate,
                drop_rate: self.drop_rate,
                drop_after_apply_share: self.drop_after_apply_share,
                latency: Duration::from_millis(self.latency_ms),
                latency_jitter: Duration::from_millis(self.latency_jitter_ms),
                scripted: self.fail_user.clone(),
                late_apply: Duration::from_millis(self.late_apply_ms),
                operations: self.fault_operations.clone(),
                denied: self.deny_operations.clone(),
            })
            .with_max_body_bytes(self.max_body_bytes)
            .with_region(self.region.clone());
        if self.no_quotas {
            config = config.without_quotas();
        }
        config.op_latency.extend(self.op_latency.iter().cloned());
        config.refuse_sub_filter = self.refuse_sub_filter;
        config.short_pages = self.short_pages;
        config.live_traffic = self.live_traffic.clone();
        if self.moto_schema {
            config = config.with_moto_schema();
        }
        if let Some(seed) = &self.seed {
            config = config.with_seed(seed);
        }
        if let Some(state) = &self.state {
            config = config.with_state_file(state);
        }
        config
    }
}

/// Runs the emulator until SIGINT or SIGTERM, then shuts down gracefully, writes the state file and prints its
/// final counters (the `GET /_emulator/stats?detail=users` document) as one line on stdout: `final stats {...}`.
pub async fn run_cli(args: EmulatorArgs) -> Result<(), EmulatorError> {
    if args.reset_state {
        let Some(state) = &args.state else {
            return Err(EmulatorError::Usage(
                "--reset-state deletes the --state file: name it".into(),
            ));
        };
        match std::fs::remove_file(state) {
            Ok(()) => say(&format!(
                "removed {}: the next start loads the seed",
                state.display()
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => say(&format!(
                "{} does not exist: the next start loads the seed",
                state.display()
            )),
            Err(source) => {
                return Err(EmulatorError::WriteState {
                    path: state.clone(),
                    source,
                });
            }
        }
        return Ok(());
    }
    // Without a seed or a state file to load, the emulator starts with no pool: every call a client makes
    // answers ResourceNotFoundException until one is created.
    let empty = args.seed.is_none() && args.state.as_ref().is_none_or(|s| !s.exists());
    let emulator = start(args.to_config()).await?;
    say(&format!("listening on {}", emulator.endpoint_url()));
    if empty {
        say(
            "no user pools: start with --seed FILE (e.g. --seed sample-data/seed.json) to hold the pools of a \
             seed file, or create one with CreateUserPool",
        );
    }
    wait_for_signal().await?;
    let stats = emulator.try_shutdown().await?;
    say(&format!(
        "final stats {}",
        serde_json::to_string(&stats).unwrap_or_default()
    ));
    Ok(())
}

/// One line on standard output; a closed standard output is not an error of the emulator.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[cfg(unix)]
async fn wait_for_signal() -> Result<(), EmulatorError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(EmulatorError::Signal)?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.map_err(EmulatorError::Signal),
        _ = term.recv() => Ok(()),
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> Result<(), EmulatorError> {
    tokio::signal::ctrl_c().await.map_err(EmulatorError::Signal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: EmulatorArgs,
    }

    #[test]
    fn every_flag_is_documented() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        cmd.clone().debug_assert();
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id != "help" {
                assert!(arg.get_help().is_some(), "--{id} has no help text");
            }
        }
    }

    #[test]
    fn defaults_match_cognito() {
        let cli = Cli::try_parse_from(["x"]).unwrap();
        let config = cli.args.to_config();
        assert_eq!(config.bind.port(), 9229);
        assert_eq!(config.quotas, EmulatorConfig::default().quotas);
        assert_eq!(config.per_user_write_rate, Some(10.0));
    }

    #[test]
    fn quotas_can_be_turned_off() {
        let cli =
            Cli::try_parse_from(["x", "--user-update-rps", "off", "--user-read-rps", "7"]).unwrap();
        let config = cli.args.to_config();
        assert_eq!(config.quotas[Category::UserUpdate.index()], None);
        assert_eq!(config.quotas[Category::UserRead.index()], Some(7.0));
        let cli = Cli::try_parse_from(["x", "--no-quotas"]).unwrap();
        assert_eq!(cli.args.to_config().quotas, [None; Category::COUNT]);
        assert!(Cli::try_parse_from(["x", "--drop-rate", "2"]).is_err());
        assert!(Cli::try_parse_from(["x", "--user-list-rps", "fast"]).is_err());
    }

    #[test]
    fn fail_user_is_repeatable() {
        let cli = Cli::try_parse_from([
            "x",
            "--fail-user",
            "a=NotAuthorizedException",
            "--fail-user",
            "b=UserLambdaValidationException:no",
        ])
        .unwrap();
        assert_eq!(cli.args.fail_user.len(), 2);
    }

    #[test]
    fn op_latency_is_repeatable_and_checked() {
        let cli =
            Cli::try_parse_from(["x", "--op-latency", "ListUsers=100", "--op-latency", "*=20"])
                .unwrap();
        let config = cli.args.to_config();
        assert_eq!(config.op_latency.len(), 2);
        assert_eq!(config.op_latency[0].operation, "ListUsers");
        assert_eq!(config.op_latency[1].latency, Duration::from_millis(20));
        assert!(Cli::try_parse_from(["x", "--op-latency", "ListUser=1"]).is_err());
    }
}
