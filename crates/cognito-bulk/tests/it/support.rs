//! `TestEnv`: a temporary directory, an in-process emulator seeded with the sample pool, the binary pointed at
//! it, and readers for the report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use cognito_emulator::{EmulatorConfig, Faults, RunningEmulator, start};
use tokio::process::Command;

pub const POOL: &str = "local_SamplePool1";

/// A path in the repository (the workspace root, two levels above this crate).
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the crate lives in crates/<name>")
        .join(path)
}

/// The binary, run in `dir` from a cleared environment (no `COGNITO_BULK_*`, AWS or `RUST_LOG` variable leaks
/// in from the machine), with placeholder AWS credentials and no AWS config files.
pub fn binary(dir: &Path) -> Command {
    hermetic(env!("CARGO_BIN_EXE_cognito-bulk"), dir)
}

/// `program` run in `dir` with the environment of [`binary`] (for a shell pipeline of the binary).
pub fn hermetic(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.join("no-aws-credentials"),
        )
        .kill_on_drop(true);
    cmd
}

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub emu: RunningEmulator,
}

/// One report row, by column name.
pub type Row = BTreeMap<String, String>;

impl TestEnv {
    /// The sample pool, quotas off.
    pub async fn new() -> Self {
        Self::with(EmulatorConfig::default().without_quotas()).await
    }

    /// The sample pool, quotas off, every update delayed by `latency` (a hung connection, for timeouts and
    /// signals).
    pub async fn slow(latency: Duration) -> Self {
        let faults = Faults {
            seed: 1,
            latency,
            ..Faults::default()
        };
        Self::with(
            EmulatorConfig::default()
                .without_quotas()
                .with_faults(faults),
        )
        .await
    }

    pub async fn with(config: EmulatorConfig) -> Self {
        let emu = start(config.with_seed(repo("sample-data/seed.json")))
            .await
            .expect("emulator starts");
        TestEnv {
            dir: tempfile::tempdir().unwrap(),
            emu,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The binary, run in the temporary directory: see [`binary`].
    pub fn command(&self) -> Command {
        binary(self.dir.path())
    }

    /// `update` against the emulator, fast, report in `report.csv`; `extra` goes before the CSV argument.
    pub fn update(&self, csv: &Path, extra: &[&str]) -> Command {
        let mut cmd = self.target("update");
        cmd.args(["--report", "report.csv", "--rate", "1000", "--quiet"])
            .args(extra)
            .arg(csv);
        cmd
    }

    /// `validate` against the emulator; `extra` goes before the CSV argument.
    pub fn validate(&self, csv: &Path, extra: &[&str]) -> Command {
        let mut cmd = self.target("validate");
        cmd.args(extra).arg(csv);
        cmd
    }

    /// `export` against the emulator; `extra` follows the target flags.
    pub fn export(&self, extra: &[&str]) -> Command {
        let mut cmd = self.target("export");
        cmd.args(extra);
        cmd
    }

    /// A subcommand aimed at the test emulator's pool.
    pub fn target(&self, subcommand: &str) -> Command {
        let mut cmd = self.command();
        cmd.args([
            subcommand,
            "--endpoint-url",
            &self.emu.endpoint_url(),
            "--user-pool-id",
            POOL,
        ]);
        cmd
    }

    pub fn report(&self) -> Vec<Row> {
        read_csv(&self.path("report.csv"))
    }

    /// Requests the emulator received for an operation.
    pub fn requests(&self, operation: &str) -> u64 {
        self.emu
            .stats()
            .requests
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    pub fn applied(&self, username: &str) -> u64 {
        self.emu
            .stats()
            .applied_updates
            .get(username)
            .copied()
            .unwrap_or(0)
    }

    pub fn attribute(&self, username: &str, name: &str) -> Option<String> {
        self.emu
            .user(POOL, username)
            .expect("user exists")
            .attributes
            .get(name)
            .cloned()
    }
}

pub async fn run(mut cmd: Command) -> Output {
    cmd.output().await.expect("binary runs")
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub fn text(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn read_csv(path: &Path) -> Vec<Row> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .map(str::to_string)
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

/// Asserts the report holds each of `lines` exactly once and nothing else; returns rows by line.
pub fn by_line(report: &[Row], lines: std::ops::RangeInclusive<u64>) -> BTreeMap<u64, Row> {
    let mut out = BTreeMap::new();
    for row in report {
        let line: u64 = row["line"].parse().unwrap();
        assert!(
            out.insert(line, row.clone()).is_none(),
            "line {line} is in the report twice"
        );
    }
    let expected: Vec<u64> = lines.collect();
    assert_eq!(
        out.keys().copied().collect::<Vec<_>>(),
        expected,
        "every input line exactly once"
    );
    out
}

/// Waits (polling) until `cond` holds; panics after `timeout`.
pub async fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Number of outcomes currently in a report file (0 if it does not exist yet): its data rows, less the
/// write-ahead `sending` records of rows in flight.
pub fn report_rows(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .skip(1)
                .filter(|l| !l.contains(",sending,"))
                .count()
        })
        .unwrap_or(0)
}

pub fn signal(pid: u32, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The migration sample's rows: (line, username, [(attribute, value)] of the non-empty cells).
/// One input row: line, username, and the (attribute, value) pairs of its non-empty cells.
pub type InputRow = (u64, String, Vec<(String, String)>);

pub fn migration_rows() -> Vec<InputRow> {
    let rows = read_csv(&repo("sample-data/migration.csv"));
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let username = row["username"].clone();
            let attrs = row
                .into_iter()
                .filter(|(k, v)| k != "username" && !v.is_empty())
                .collect();
            (i as u64 + 2, username, attrs)
        })
        .collect()
}

/// An SDK client aimed at the test emulator, with no retries and placeholder credentials: for setting up and
/// checking the pool behind the binary's back.
pub fn client(emu: &RunningEmulator) -> aws_sdk_cognitoidentityprovider::Client {
    client_at(&emu.endpoint_url())
}

/// An SDK client aimed at any endpoint on this machine (the emulator, moto_server), as [`client`].
pub fn client_at(url: &str) -> aws_sdk_cognitoidentityprovider::Client {
    use aws_sdk_cognitoidentityprovider as cip;
    let conf = cip::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(cip::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .endpoint_url(url)
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(Provider::Rustls(CryptoMode::Ring))
                .build_https(),
        )
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    cip::Client::from_conf(conf)
}
