//! Throttling storms and injected faults: every row still ends `updated`, is reported once, and is applied no
//! more times than its attempts say.

use std::time::Duration;

use cognito_emulator::{Category, EmulatorConfig, Faults};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttling_storm_finishes_with_every_row_updated() {
    // A quota far below --rate: most first attempts are throttled until the job finds the free rate.
    let config = EmulatorConfig::default()
        .without_quotas()
        .with_quota(Category::UserUpdate, Some(10.0));
    let env = TestEnv::with(config).await;
    let mut csv = String::from("username,custom:tier\n");
    for i in 1..=60 {
        csv.push_str(&format!("user{i:04},gold\n"));
    }
    let path = env.write("storm.csv", csv);
    let out = run(env.update(&path, &["--rate", "200", "--max-attempts", "1"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = by_line(&env.report(), 2..=61);
    assert!(report.values().all(|r| r["status"] == "updated"));
    let stats = env.emu.stats();
    let throttled = stats
        .throttled
        .get("AdminUpdateUserAttributes")
        .copied()
        .unwrap_or(0);
    assert!(throttled > 0, "the storm happened");
    let attempts: u64 = report
        .values()
        .map(|r| r["attempts"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        attempts,
        60 + throttled,
        "every attempt is in the report and passed the emulator"
    );
    assert!(
        report
            .values()
            .any(|r| r["attempts"].parse::<u32>().unwrap() > 1),
        "throttles don't use up --max-attempts"
    );
    assert!((1..=60).all(|i| env.applied(&format!("user{i:04}")) == 1));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains(&format!("({throttled} throttled)")),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_still_end_with_every_row_updated_once_in_the_report() {
    let faults = Faults {
        seed: 7,
        internal_error_rate: 0.10,
        drop_rate: 0.06,
        drop_after_apply_share: 0.5,
        latency: Duration::from_millis(1),
        latency_jitter: Duration::from_millis(20),
        ..Faults::default()
    };
    let env = TestEnv::with(
        EmulatorConfig::default()
            .without_quotas()
            .with_faults(faults),
    )
    .await;
    let out = run(env.update(
        &repo("sample-data/migration.csv"),
        &["--max-attempts", "10", "--concurrency", "8"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = by_line(&env.report(), 2..=201);
    let stats = env.emu.stats();
    assert!(
        stats.faults.internal_errors > 0
            && stats.faults.dropped_before_apply > 0
            && stats.faults.dropped_after_apply > 0
    );
    for row in report.values() {
        assert_eq!(row["status"], "updated", "{row:?}");
        let attempts: u64 = row["attempts"].parse().unwrap();
        let applied = env.applied(&row["username"]);
        assert!(
            applied >= 1 && applied <= attempts,
            "{}: applied {applied} times in {attempts} attempts",
            row["username"]
        );
    }
    let attempts: u64 = report
        .values()
        .map(|r| r["attempts"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        attempts,
        env.requests("AdminUpdateUserAttributes"),
        "sent exactly as many times as reported"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_connection_is_cut_by_the_attempt_timeout() {
    let env = TestEnv::slow(Duration::from_secs(30)).await;
    let path = env.write("one.csv", "username,custom:tier\nuser0001,pro\n");
    let out = run(env.update(
        &path,
        &["--attempt-timeout", "200ms", "--max-attempts", "2"],
    ))
    .await;
    assert_eq!(code(&out), 4, "{}", text(&out));
    let r = by_line(&env.report(), 2..=2);
    assert_eq!(
        (
            r[&2]["status"].as_str(),
            r[&2]["error_code"].as_str(),
            r[&2]["attempts"].as_str()
        ),
        ("failed", "Timeout", "2")
    );
}
