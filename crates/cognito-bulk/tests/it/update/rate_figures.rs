//! How the run shows its pacing (the summary's `rate:` line: throttle share and settled rate), and the
//! `--rate-margin` setting, end to end.

use cognito_emulator::{Category, EmulatorConfig};

use crate::support::*;

fn rows(n: usize) -> String {
    let mut csv = String::from("username,custom:tier\n");
    for i in 1..=n {
        csv.push_str(&format!("user{i:04},gold\n"));
    }
    csv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unthrottled_run_names_its_ceiling() {
    let env = TestEnv::new().await;
    let path = env.write("few.csv", rows(10));
    let out = run(env.update(&path, &[])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("rate: never throttled (0.0%); --rate 1000.0/s was the ceiling"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_run_reports_its_throttle_share_and_settled_rate() {
    let config = EmulatorConfig::default()
        .without_quotas()
        .with_quota(Category::UserUpdate, Some(10.0));
    let env = TestEnv::with(config).await;
    let path = env.write("many.csv", rows(80));
    let out = run(env.update(&path, &["--rate-margin", "0.2"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    let line = summary
        .lines()
        .find(|l| l.trim_start().starts_with("rate: throttled on "))
        .unwrap_or_else(|| panic!("no rate line: {summary}"));
    let settled: f64 = line
        .split("settled at ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        settled > 0.0 && settled <= 10.0 * 0.8 + 0.5,
        "settles 20% below what the 10/s quota let through: {line}"
    );
    let throttled = env
        .emu
        .stats()
        .throttled
        .get("AdminUpdateUserAttributes")
        .copied()
        .unwrap_or(0);
    assert!(throttled > 0, "the quota throttled the run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_margin_out_of_range_is_refused_naming_the_flag() {
    let env = TestEnv::new().await;
    let path = env.write("few.csv", rows(1));
    let out = run(env.update(&path, &["--rate-margin", "0.9"])).await;
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--rate-margin"), "{}", text(&out));
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_counts_every_request_by_operation_and_says_when_nothing_was_sent() {
    let env = TestEnv::new().await;
    let csv = env.write(
        "rows.csv",
        "username,custom:tier,cognito-bulk:delete\nuser0001,gold,locale\nuser0002,gold,\n",
    );
    let mut cmd = env.target("update");
    cmd.args([
        "--report",
        "report.csv",
        "--rate",
        "1000",
        "--summary-json",
        "s.json",
    ])
    .arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains(
            "requests: 2 AdminUpdateUserAttributes, 1 AdminDeleteUserAttributes, 0 AdminGetUser"
        ),
        "{summary}"
    );
    assert_eq!(
        env.requests("AdminUpdateUserAttributes") + env.requests("AdminDeleteUserAttributes"),
        3,
        "the counts are those the service received"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("s.json")).unwrap()).unwrap();
    assert_eq!(
        (json["updates_sent"].as_u64(), json["deletes_sent"].as_u64()),
        (Some(2), Some(1))
    );

    // Everything already holds: nothing is sent, and the summary does not claim a rate.
    let again = env.write("again.csv", "username,custom:tier\nuser0002,gold\n");
    let mut cmd = env.target("update");
    cmd.args([
        "--report",
        "again.report.csv",
        "--skip-unchanged",
        "--compare-with",
        "snapshot",
    ])
    .arg(&again);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("rate: nothing was sent"), "{summary}");
    assert!(!summary.contains("never throttled"), "{summary}");
}
