//! Signals, crashes and resuming: the report is the journal; a resumed run finishes the job with one final
//! outcome per input line.

use std::time::Duration;

use crate::support::*;

const ROWS: u64 = 200;

/// Starts a slow run of the migration sample and waits until `rows` rows are in the report.
async fn start_slow_run(env: &TestEnv, rows: usize) -> tokio::process::Child {
    let mut cmd = env.update(
        &repo("sample-data/migration.csv"),
        &["--rate", "40", "--concurrency", "4"],
    );
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let report = env.path("report.csv");
    wait_until("rows in the report", Duration::from_secs(60), || {
        report_rows(&report) >= rows
    })
    .await;
    child
}

async fn resume(env: &TestEnv) -> std::process::Output {
    run(env.update(&repo("sample-data/migration.csv"), &["--resume"])).await
}

/// `--resume` finishes the run: every line `updated` once in the report, every user written once in all.
async fn resume_writes_every_user_once(env: &TestEnv) {
    let out = resume(env).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let last = by_line(&env.report(), 2..=ROWS + 1);
    assert!(last.values().all(|r| r["status"] == "updated"));
    for row in last.values() {
        assert_eq!(
            env.applied(&row["username"]),
            1,
            "{} written once across the runs",
            row["username"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_drains_flushes_and_resume_completes_exactly_once() {
    let env = TestEnv::new().await;
    let child = start_slow_run(&env, 10).await;
    signal(child.id().unwrap(), "-INT");
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(code(&out), 130, "{}", text(&out));
    let first = by_line(&env.report(), 2..=ROWS + 1);
    assert!(
        first
            .values()
            .all(|r| r["status"] == "updated" || r["status"] == "not_attempted"),
        "in-flight rows finished"
    );
    let done = first.values().filter(|r| r["status"] == "updated").count();
    assert!(done >= 10 && done < ROWS as usize, "{done}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("interrupted by SIGINT")
            && stdout.contains("to continue: cognito-bulk update --resume"),
        "{stdout}"
    );

    resume_writes_every_user_once(&env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_143() {
    let env = TestEnv::new().await;
    let child = start_slow_run(&env, 5).await;
    signal(child.id().unwrap(), "-TERM");
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(code(&out), 143, "{}", text(&out));
    by_line(&env.report(), 2..=ROWS + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_resume_writes_every_user_exactly_once() {
    let env = TestEnv::new().await;
    let child = start_slow_run(&env, 20).await;
    signal(child.id().unwrap(), "-KILL");
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), None, "killed by a signal");
    let partial = env.report();
    let outcomes = partial.iter().filter(|r| r["status"] != "sending").count();
    assert!(outcomes >= 20 && outcomes < ROWS as usize, "{outcomes}");
    assert!(
        partial
            .iter()
            .all(|r| r["status"] == "updated" || r["status"] == "sending"),
        "every record is whole: an outcome, or the write-ahead record of a row in flight"
    );
    let in_flight: Vec<&str> = partial
        .iter()
        .filter(|r| r["status"] == "sending")
        .filter(|r| {
            !partial
                .iter()
                .any(|o| o["line"] == r["line"] && o["status"] != "sending")
        })
        .map(|r| r["username"].as_str())
        .collect();
    assert!(
        in_flight.len() <= 4,
        "at most --concurrency rows in flight: {in_flight:?}"
    );

    // Rows in flight at the kill are read back, not resent.
    resume_writes_every_user_once(&env).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_refuses_a_changed_input_and_retry_failed_runs_only_failed_rows() {
    let env = TestEnv::new().await;
    let csv = env.write(
        "in.csv",
        "username,custom:tier\nuser0001,pro\nghost,pro\nuser0002,pro\n",
    );
    let out = run(env.update(&csv, &[])).await;
    assert_eq!(code(&out), 4, "{}", text(&out));

    env.write(
        "in.csv",
        "username,custom:tier\nuser0001,pro\nghost,gold\nuser0002,pro\n",
    );
    let out = run(env.update(&csv, &["--resume"])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 3 differs"),
        "{}",
        text(&out)
    );

    env.write(
        "in.csv",
        "username,custom:tier\nuser0001,pro\nghost,pro\nuser0002,pro\n",
    );
    let before = env.requests("AdminUpdateUserAttributes");
    let out = run(env.update(&csv, &["--retry-failed"])).await;
    assert_eq!(code(&out), 4, "{}", text(&out));
    assert_eq!(
        env.requests("AdminUpdateUserAttributes") - before,
        1,
        "only the failed row was sent again"
    );
    let r = by_line(&env.report(), 2..=4);
    assert_eq!(r[&3]["status"], "failed");
    assert_eq!(r[&2]["status"], "updated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once_and_reports_rows_in_flight_as_interrupted() {
    // Every update takes 30 s: the first signal waits for them, the second does not.
    let env = TestEnv::slow(Duration::from_secs(30)).await;
    let mut cmd = env.update(&repo("sample-data/migration.csv"), &["--concurrency", "3"]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_until("three updates in flight", Duration::from_secs(30), || {
        env.requests("AdminUpdateUserAttributes") == 3
    })
    .await;
    let pid = child.id().unwrap();
    signal(pid, "-INT");
    let report = env.path("report.csv");
    wait_until(
        "not_attempted rows recorded",
        Duration::from_secs(30),
        || report_rows(&report) >= 197,
    )
    .await;
    signal(pid, "-INT");
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(code(&out), 130, "{}", text(&out));
    let r = by_line(&env.report(), 2..=ROWS + 1);
    let interrupted: Vec<_> = r
        .values()
        .filter(|r| r["error_code"] == "Interrupted")
        .collect();
    assert_eq!(interrupted.len(), 3, "the rows in flight");
    assert!(
        interrupted
            .iter()
            .all(|r| r["status"] == "failed" && r["attempts"] == "1")
    );
    assert_eq!(
        r.values()
            .filter(|r| r["status"] == "not_attempted")
            .count(),
        197
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_command_line_serves_the_first_run_and_its_retries() {
    let env = TestEnv::new().await;
    let first = resume(&env).await;
    assert_eq!(code(&first), 0, "{}", text(&first));
    assert!(
        String::from_utf8_lossy(&first.stderr)
            .contains("no report to resume yet: starting a fresh run"),
        "{}",
        text(&first)
    );
    let rows = by_line(&env.report(), 2..=ROWS + 1);
    assert!(rows.values().all(|r| r["status"] == "updated"));
    let writes = env.requests("AdminUpdateUserAttributes");
    let again = resume(&env).await;
    assert_eq!(code(&again), 0, "{}", text(&again));
    assert_eq!(
        env.requests("AdminUpdateUserAttributes"),
        writes,
        "the retry finds every row done"
    );
}
