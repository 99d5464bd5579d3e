//! Read-back after ambiguous failures, end to end: connections dropped after the emulator applied the update are
//! confirmed by AdminGetUser instead of being resent, so no user is updated twice; failures before applying are
//! read back and resent.

use std::time::Duration;

use cognito_emulator::{EmulatorConfig, Faults};

use crate::support::*;

fn faults(internal_error_rate: f64, drop_rate: f64, drop_after_apply_share: f64) -> Faults {
    Faults {
        seed: 11,
        internal_error_rate,
        drop_rate,
        drop_after_apply_share,
        latency_jitter: Duration::from_millis(5),
        ..Faults::default()
    }
}

async fn env_with(faults: Faults) -> TestEnv {
    TestEnv::with(
        EmulatorConfig::default()
            .without_quotas()
            .with_faults(faults),
    )
    .await
}

/// The sample migration (200 rows) with room for retries.
async fn migrate(env: &TestEnv) -> std::process::Output {
    run(env.update(
        &repo("sample-data/migration.csv"),
        &["--max-attempts", "10", "--concurrency", "8"],
    ))
    .await
}

fn confirmed(row: &Row) -> bool {
    row["message"].starts_with("confirmed by read-back")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drops_after_apply_are_confirmed_and_no_user_is_updated_twice() {
    let env = env_with(faults(0.0, 0.3, 1.0)).await;
    let out = migrate(&env).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = env.report();
    assert_eq!(report.len(), 200, "every row exactly once");
    let rows = by_line(&report, 2..=201);
    assert!(rows.values().all(|r| r["status"] == "updated"));
    let stats = env.emu.stats();
    let dropped = stats.faults.dropped_after_apply;
    assert!(dropped > 20, "the faults happened: {dropped}");
    for row in rows.values() {
        assert_eq!(
            env.applied(&row["username"]),
            1,
            "{} applied more than once",
            row["username"]
        );
    }
    let confirmed_rows = rows.values().filter(|r| confirmed(r)).count() as u64;
    assert_eq!(
        confirmed_rows, dropped,
        "each drop after apply is confirmed"
    );
    assert_eq!(
        env.requests("AdminGetUser"),
        dropped,
        "one read per ambiguous failure, none otherwise"
    );
    assert!(
        rows.values()
            .filter(|r| confirmed(r))
            .all(|r| r["attempts"] == "1" && r["error_code"].is_empty()),
        "attempts count the update requests only"
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains(&format!("{dropped} confirmed by read-back")),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_before_applying_are_read_back_then_resent_once() {
    let env = env_with(faults(0.15, 0.15, 0.0)).await;
    let out = migrate(&env).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let rows = by_line(&env.report(), 2..=201);
    let stats = env.emu.stats();
    let ambiguous = stats.faults.internal_errors + stats.faults.dropped_before_apply;
    assert!(stats.faults.internal_errors > 0 && stats.faults.dropped_before_apply > 0);
    assert_eq!(stats.faults.dropped_after_apply, 0);
    assert!(
        rows.values()
            .all(|r| r["status"] == "updated" && !confirmed(r))
    );
    assert!(rows.values().all(|r| env.applied(&r["username"]) == 1));
    assert_eq!(env.requests("AdminGetUser"), ambiguous);
    let attempts: u64 = rows
        .values()
        .map(|r| r["attempts"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(attempts, 200 + ambiguous, "every failure was resent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_change_confirmed_by_read_back_is_not_sent_twice_and_keeps_its_undo_row() {
    let env = env_with(faults(0.0, 1.0, 1.0)).await;
    let path = env.write(
        "emails.csv",
        "username,email\nuser0001,first@example.com\nuser0002,second@example.com\n",
    );
    let out = run(env.update(
        &path,
        &[
            "--allow-verification-messages",
            "--undo-file",
            "undo.csv",
            "--max-attempts",
            "3",
        ],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let rows = by_line(&env.report(), 2..=3);
    assert!(
        rows.values()
            .all(|r| r["status"] == "updated" && confirmed(r))
    );
    for user in ["user0001", "user0002"] {
        assert_eq!(env.applied(user), 1);
        assert_eq!(
            env.attribute(user, "email_verified").as_deref(),
            Some("false"),
            "Cognito un-verified the new address; the read-back still confirmed the row"
        );
    }
    assert_eq!(
        env.emu.stats().verification_messages,
        2,
        "one message per user"
    );
    let undo = read_csv(&env.path("undo.csv"));
    assert_eq!(undo.len(), 2, "a confirmed row still gets its undo row");
}
