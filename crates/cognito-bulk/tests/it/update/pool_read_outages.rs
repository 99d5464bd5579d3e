//! Outages of the endpoint during the pool reads: before the first write (DescribeUserPool), in the middle of
//! `export`'s listing and of a snapshot's. Each is waited out like an outage during the writes, on the run's
//! `--max-outage` budget; none weakens a check or loses a user.

use std::net::SocketAddr;
use std::time::Duration;

use cognito_emulator::{EmulatorConfig, RunningEmulator};
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

use crate::support::*;

/// A loopback address nothing listens on (yet).
fn free_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Starts `config` on `addr`, as soon as the port is free again.
async fn start_on(addr: SocketAddr, config: EmulatorConfig) -> RunningEmulator {
    for _ in 0..100 {
        if let Ok(emu) = cognito_emulator::start(config.clone().with_bind(addr)).await {
            return emu;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{addr} stays in use");
}

/// Spawns `cmd` with its standard error read line by line: the lines, once it ends, and a signal for each line
/// saying the run paused.
fn spawn_watching(
    mut cmd: tokio::process::Command,
) -> (
    tokio::process::Child,
    mpsc::UnboundedReceiver<()>,
    tokio::task::JoinHandle<String>,
) {
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let (tx, paused) = mpsc::unbounded_channel();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let log = tokio::spawn(async move {
        let mut all = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("the run pauses") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    (child, paused, log)
}

async fn paused(rx: &mut mpsc::UnboundedReceiver<()>) {
    tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("the run pauses")
        .unwrap();
}

/// `update` of `csv` aimed at `addr`, report in `report.csv`, run in `dir`.
fn update_at(
    dir: &std::path::Path,
    addr: SocketAddr,
    csv: &std::path::Path,
    extra: &[&str],
) -> tokio::process::Command {
    let mut cmd = binary(dir);
    cmd.args(["update", "--endpoint-url", &format!("http://{addr}")])
        .args(["--user-pool-id", POOL, "--report", "report.csv"])
        .args(extra)
        .arg(csv);
    cmd
}

fn seeded() -> EmulatorConfig {
    EmulatorConfig::default()
        .without_quotas()
        .with_seed(repo("sample-data/seed.json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_down_at_the_start_is_waited_for_and_the_schema_still_checks_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_address();
    // user0002's score is out of the pool's range (0..1000): only the schema knows.
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "username,custom:score\nuser0001,5\nuser0002,5000\n").unwrap();
    let cmd = update_at(
        dir.path(),
        addr,
        &csv,
        &["--skip-invalid", "--rate", "20", "--summary-json", "s.json"],
    );
    let (child, mut pauses, log) = spawn_watching(cmd);
    paused(&mut pauses).await;
    let emu = start_on(addr, seeded()).await;
    let out = child.wait_with_output().await.unwrap();
    let stderr = log.await.unwrap();
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("connection refused by") && stderr.contains("the endpoint answers again"),
        "{stderr}"
    );
    let report = by_line(&read_csv(&dir.path().join("report.csv")), 2..=3);
    assert_eq!(report[&2]["status"], "updated");
    assert_eq!(
        report[&3]["status"], "invalid",
        "checked against the schema"
    );
    assert!(report[&3]["message"].contains("range"), "{:?}", report[&3]);
    assert_eq!(emu.stats().applied_total, 1);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("s.json")).unwrap()).unwrap();
    assert!(
        summary["paused_seconds"].as_f64().is_some_and(|p| p >= 1.0),
        "the pause is counted: {summary}"
    );
    assert!(
        summary["user_update_rate"]
            .as_f64()
            .is_some_and(|r| r > 0.0),
        "{summary}"
    );
    assert_eq!(summary["throttled_share"].as_f64(), Some(0.0), "{summary}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_down_through_max_outage_stops_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let addr = free_address();
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "username,custom:tier\nuser0001,gold\n").unwrap();
    let out = run(update_at(dir.path(), addr, &csv, &["--max-outage", "2s"])).await;
    assert_eq!(code(&out), 5, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DescribeUserPool failed: the endpoint could not be reached for")
            && stderr.contains("Nothing was written"),
        "{stderr}"
    );
    assert!(!dir.path().join("report.csv").exists(), "no report");
}

/// The endpoint of `env` goes away (its state saved) until the run has paused, then comes back on its port.
async fn outage(
    env: &mut TestEnv,
    config: EmulatorConfig,
    pauses: &mut mpsc::UnboundedReceiver<()>,
) {
    let addr = env.emu.addr();
    let stand_in = cognito_emulator::start(EmulatorConfig::default())
        .await
        .unwrap();
    let first = std::mem::replace(&mut env.emu, stand_in);
    first.shutdown().await;
    paused(pauses).await;
    let back = start_on(addr, config).await;
    std::mem::replace(&mut env.emu, back).shutdown().await;
}

/// Runs the command `make` builds against a pool kept in a state file, takes the endpoint away once a few
/// ListUsers pages were answered until the run has paused, brings it back, and returns the environment and the
/// run's standard error once it ended (exit 0, the pause over).
async fn with_an_outage_mid_listing(
    make: impl FnOnce(&TestEnv) -> tokio::process::Command,
) -> (TestEnv, String) {
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("state.json");
    let config = || {
        EmulatorConfig::default()
            .without_quotas()
            .with_state_file(&state_file)
    };
    let mut env = TestEnv::with(config()).await;
    let (child, mut pauses, log) = spawn_watching(make(&env));
    wait_until("a few pages", Duration::from_secs(60), || {
        env.requests("ListUsers") >= 3
    })
    .await;
    outage(&mut env, config(), &mut pauses).await;
    let out = child.wait_with_output().await.unwrap();
    let stderr = log.await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the endpoint answers again"), "{stderr}");
    (env, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_in_the_middle_of_export_lists_every_user_once() {
    let (env, _) = with_an_outage_mid_listing(|env| {
        let mut cmd = env.export(&["--output", "users.csv", "--list-rate", "4"]);
        cmd.arg("--attributes").arg("username,email");
        cmd
    })
    .await;
    let users = read_csv(&env.path("users.csv"));
    let mut names: Vec<&str> = users.iter().map(|r| r["username"].as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!((users.len(), names.len()), (1000, 1000), "every user once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_in_the_middle_of_a_snapshot_listing_is_waited_out() {
    // user0001 gets a new tier; user0002 keeps the one the seed gave it.
    let (env, _) = with_an_outage_mid_listing(|env| {
        let kept = env.attribute("user0002", "custom:tier").unwrap_or_default();
        let csv = env.write(
            "in.csv",
            format!("username,custom:tier\nuser0001,platinum\nuser0002,{kept}\n"),
        );
        env.update(
            &csv,
            &[
                "--skip-unchanged",
                "--compare-with",
                "snapshot",
                "--list-rate",
                "4",
            ],
        )
    })
    .await;
    let report = env.report();
    let status = |user: &str| {
        report
            .iter()
            .find(|r| r["username"] == user)
            .map(|r| r["status"].clone())
    };
    assert_eq!(status("user0001").as_deref(), Some("updated"));
    assert_eq!(
        status("user0002").as_deref(),
        Some("unchanged"),
        "the snapshot saw every user"
    );
    assert_eq!(
        env.attribute("user0001", "custom:tier").as_deref(),
        Some("platinum")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_permission_is_the_only_read_failure_that_checks_offline_and_it_says_so() {
    let faults = cognito_emulator::Faults {
        denied: vec!["DescribeUserPool".into()],
        ..cognito_emulator::Faults::default()
    };
    let env = TestEnv::with(seeded().with_faults(faults)).await;
    let csv = env.write("in.csv", "username,custom:tier\nuser0001,gold\n");
    // update goes on, its rows checked offline, and says which permission is missing and what it costs.
    let out = run(env.update(&csv, &[])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "these credentials may not call DescribeUserPool (the IAM permission cognito-idp:DescribeUserPool): \
             rows are checked offline only"
        ),
        "{stderr}"
    );
    // validate, asked to check against the pool, does not pass on an offline check.
    let out = run(env.validate(&csv, &[])).await;
    assert_eq!(code(&out), 5, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the rows were checked offline only"),
        "{}",
        text(&out)
    );
    let out = run(env.validate(&csv, &["--offline"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
}
