//! Input and run hygiene, end to end: quotes that would swallow rows, control characters, multi-line values, one
//! run per report (concurrent runs refused, a killed run's lock not blocking `--resume`), a pool whose
//! DescribeUserPool lists only custom attributes (as moto does), and running away from the repository.

use std::process::Stdio;
use std::time::Duration;

use cognito_emulator::EmulatorConfig;

use crate::support::*;

/// Every request the emulator received, all operations together.
fn all_requests(env: &TestEnv) -> u64 {
    env.emu.stats().requests.values().sum()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_left_open_at_the_end_of_the_file_is_a_file_error_naming_its_line() {
    let env = TestEnv::new().await;
    let csv = env.write(
        "in.csv",
        "username,given_name\nuser0001,\"Al\nuser0002,Bo\n",
    );
    let before = env.attribute("user0001", "given_name");
    let out = run(env.update(&csv, &[])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        stderr(&out).contains("in.csv:2: this line opens a quoted value that is never closed"),
        "{}",
        text(&out)
    );
    assert_eq!(all_requests(&env), 0, "nothing reaches the pool");
    assert_eq!(env.attribute("user0001", "given_name"), before);

    let out = run(env.validate(&csv, &["--offline"])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        stderr(&out).contains("in.csv:2: this line opens a quoted value that is never closed"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_spanning_lines_makes_its_row_invalid_and_every_row_is_reported() {
    let env = TestEnv::new().await;
    // The stray quote on line 2 swallows lines 3 and 4 up to the next quote: one row, starting on line 2.
    let csv = env.write(
        "in.csv",
        "username,given_name\nuser0001,\"Al\nuser0002,Bo\nuser0003,\"Cy\nuser0004,Di\n",
    );
    let before = env.attribute("user0001", "given_name");

    let out = run(env.update(&csv, &[])).await;
    assert_eq!(code(&out), 3, "refused before sending: {}", text(&out));
    assert!(
        stderr(&out).contains("in.csv:2: column `given_name`: the value spans lines 2–4"),
        "{}",
        text(&out)
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 0, "nothing sent");

    let out = run(env.validate(&csv, &["--offline"])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(stderr(&out).contains("spans lines 2–4"), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 rows checked offline: 1 valid, 1 invalid"),
        "{}",
        text(&out)
    );

    let out = run(env.update(&csv, &["--skip-invalid"])).await;
    assert_eq!(code(&out), 4, "{}", text(&out));
    let report = env.report();
    let mut lines: Vec<&str> = report.iter().map(|r| r["line"].as_str()).collect();
    lines.sort();
    assert_eq!(lines, ["2", "5"], "each row of the file exactly once");
    let merged = report.iter().find(|r| r["line"] == "2").unwrap();
    assert_eq!(merged["status"], "invalid");
    assert!(merged["message"].contains("stray `\"`"), "{merged:?}");
    assert!(merged["message"].contains("--allow-multiline-values"));
    assert_eq!(env.attribute("user0001", "given_name"), before);
    assert_eq!(
        env.attribute("user0004", "given_name").as_deref(),
        Some("Di")
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_multiline_values_sends_multi_line_values() {
    let env = TestEnv::new().await;
    let csv = env.write(
        "in.csv",
        "username,address\nuser0001,\"1 Main St\nSpringfield\"\nuser0002,\"2 Elm St\"\n",
    );
    let out = run(env.update(&csv, &["--allow-multiline-values"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        env.attribute("user0001", "address").as_deref(),
        Some("1 Main St\nSpringfield")
    );
    let report = env.report();
    let mut lines: Vec<(&str, &str)> = report
        .iter()
        .map(|r| (r["line"].as_str(), r["status"].as_str()))
        .collect();
    lines.sort();
    assert_eq!(
        lines,
        [("2", "updated"), ("4", "updated")],
        "the next row starts on line 4"
    );
    // Rows keep their identity (start line + content) across runs: resuming finds both done.
    let sent = env.requests("AdminUpdateUserAttributes");
    let out = run(env.update(&csv, &["--allow-multiline-values", "--resume"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        env.requests("AdminUpdateUserAttributes"),
        sent,
        "nothing sent again"
    );
    assert_eq!(env.report().len(), 2);

    let mut validate = env.validate(&csv, &["--offline"]);
    validate.env("COGNITO_BULK_ALLOW_MULTILINE_VALUES", "true");
    let out = run(validate).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = run(env.validate(&csv, &["--offline"])).await;
    assert_eq!(code(&out), 3, "not allowed by default: {}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_byte_makes_its_row_invalid_naming_the_column() {
    let env = TestEnv::new().await;
    let csv = env.write(
        "in.csv",
        b"username,given_name\nuser0001,A\0da\nuser0002,Bob\n",
    );
    let before = env.attribute("user0001", "given_name");
    let out = run(env.update(&csv, &["--skip-invalid"])).await;
    assert_eq!(code(&out), 4, "{}", text(&out));
    let r = by_line(&env.report(), 2..=3);
    assert_eq!(r[&2]["status"], "invalid");
    assert!(
        r[&2]["message"].contains("column `given_name`: contains the control character U+0000"),
        "{:?}",
        r[&2]
    );
    assert_eq!(r[&3]["status"], "updated");
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 1);
    assert_eq!(env.attribute("user0001", "given_name"), before);

    let out = run(env.validate(&csv, &["--offline"])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        stderr(&out)
            .contains("in.csv:2: column `given_name`: contains the control character U+0000")
    );
}

const SLOW_ROWS: u64 = 4;

fn slow_input(env: &TestEnv) -> std::path::PathBuf {
    let mut text = String::from("username,custom:tier\n");
    for i in 1..=SLOW_ROWS {
        text.push_str(&format!("user{i:04},gold\n"));
    }
    env.write("in.csv", text)
}

/// A run of [`SLOW_ROWS`] rows, one at a time, each update taking 1.5 s; returns once its first row is reported.
async fn start_slow_run(env: &TestEnv, csv: &std::path::Path) -> tokio::process::Child {
    let mut cmd = env.update(csv, &["--concurrency", "1"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    let report = env.path("report.csv");
    wait_until("the first report row", Duration::from_secs(60), || {
        report_rows(&report) >= 1
    })
    .await;
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_report_is_refused_in_every_mode() {
    let env = TestEnv::slow(Duration::from_millis(1500)).await;
    let csv = slow_input(&env);
    let mut first = start_slow_run(&env, &csv).await;
    let pid = first.id().unwrap();
    let lock = std::fs::read_to_string(env.path("report.csv.lock")).unwrap();
    assert_eq!(
        lock.trim(),
        pid.to_string(),
        "the lock file names its holder"
    );

    for mode in [
        &[][..],
        &["--resume"],
        &["--retry-failed"],
        &["--overwrite"],
    ] {
        let out = run(env.update(&csv, mode)).await;
        assert_eq!(code(&out), 2, "{mode:?}: {}", text(&out));
        let err = stderr(&out);
        assert!(
            err.contains("report.csv is in use by another cognito-bulk run")
                && err.contains(&format!("pid {pid}")),
            "{mode:?}: {}",
            text(&out)
        );
    }
    // `validate --report` writes its problems report over the file: refused too.
    let out = run(env.validate(&csv, &["--offline", "--report", "report.csv"])).await;
    assert_eq!(code(&out), 2, "validate: {}", text(&out));
    assert!(
        stderr(&out).contains("in use by another cognito-bulk run"),
        "{}",
        text(&out)
    );
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run was still running while the others were refused"
    );
    let out = first.wait_with_output().await.unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    let r = by_line(&env.report(), 2..=SLOW_ROWS + 1);
    assert!(r.values().all(|r| r["status"] == "updated"));
    for i in 1..=SLOW_ROWS {
        assert_eq!(env.applied(&format!("user{i:04}")), 1, "user{i:04} once");
    }
    // Only the first run talked to the pool: one DescribeUserPool, one GetProvisionedLimit (its --rate is above
    // 25/s), one update per row.
    assert_eq!(env.requests("DescribeUserPool"), 1);
    assert_eq!(env.requests("GetProvisionedLimit"), 1);
    assert_eq!(env.requests("AdminUpdateUserAttributes"), SLOW_ROWS);
    assert_eq!(all_requests(&env), SLOW_ROWS + 2);
    assert!(
        !env.path("report.csv.lock").exists(),
        "the lock file is removed at the end"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_undo_file_is_locked_too() {
    let env = TestEnv::slow(Duration::from_millis(1500)).await;
    let csv = slow_input(&env);
    let mut cmd = env.update(&csv, &["--concurrency", "1", "--undo-file", "undo.csv"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut first = cmd.spawn().unwrap();
    let report = env.path("report.csv");
    wait_until("the first report row", Duration::from_secs(60), || {
        report_rows(&report) >= 1
    })
    .await;
    let mut other = env.update(&csv, &["--undo-file", "undo.csv"]);
    other.args(["--report", "other.csv"]);
    let out = run(other).await;
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        stderr(&out).contains("undo.csv is in use by another cognito-bulk run"),
        "{}",
        text(&out)
    );
    assert!(
        !env.path("other.csv").exists(),
        "refused before creating its report"
    );
    assert!(first.try_wait().unwrap().is_none(), "still running");
    let out = first.wait_with_output().await.unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        env.requests("DescribeUserPool"),
        1,
        "the refused run never reached the pool"
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), SLOW_ROWS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_leaves_a_stale_lock_that_does_not_block_resume() {
    let env = TestEnv::slow(Duration::from_millis(1500)).await;
    let csv = slow_input(&env);
    let first = start_slow_run(&env, &csv).await;
    signal(first.id().unwrap(), "-KILL");
    let out = first.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), None, "killed by a signal");
    assert!(
        env.path("report.csv.lock").exists(),
        "a killed run leaves its lock file behind"
    );

    let out = run(env.update(&csv, &["--resume"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let r = by_line(&env.report(), 2..=SLOW_ROWS + 1);
    assert!(r.values().all(|r| r["status"] == "updated"));
    assert!(!env.path("report.csv.lock").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moto_shaped_pool_accepts_standard_attributes_and_refuses_unknown_ones() {
    let env = TestEnv::with(
        EmulatorConfig::default()
            .without_quotas()
            .with_moto_schema(),
    )
    .await;
    let csv = env.write(
        "in.csv",
        "username,email,email_verified,given_name,birthdate,custom:tier,custom:nope\n\
         user0001,ada@example.com,true,Ada,1815-12-10,gold,\n\
         user0002,bob@example.com,true,Bob,,,x\n",
    );
    let out = run(env.update(&csv, &["--skip-invalid"])).await;
    assert_eq!(code(&out), 4, "{}", text(&out));
    let r = by_line(&env.report(), 2..=3);
    assert_eq!(r[&2]["status"], "updated", "{:?}", r[&2]);
    assert_eq!(
        env.attribute("user0001", "email").as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(
        env.attribute("user0001", "given_name").as_deref(),
        Some("Ada")
    );
    assert_eq!(r[&3]["status"], "invalid");
    assert!(
        r[&3]["message"].contains("column `custom:nope`: the pool's schema has no such attribute"),
        "{:?}",
        r[&3]
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 1);

    // The standard attributes' rules still apply.
    let csv = env.write("bad.csv", "username,email_verified\nuser0003,yes\n");
    let out = run(env.validate(&csv, &[])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        stderr(&out).contains("column `email_verified`"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn away_from_the_repository_the_missing_seed_is_explained() {
    let env = TestEnv::new().await;
    let csv = env.write("in.csv", "username,given_name\nuser0001,Ada\n");
    let mut cmd = env.command();
    cmd.args(["update", "--report", "report.csv", "--quiet"])
        .arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("seed file sample-data/seed.json (relative to the current directory")
            && err.contains("--emulator-seed PATH")
            && err.contains("--endpoint-url")
            && err.contains("--user-pool-id"),
        "{}",
        text(&out)
    );
    assert!(!env.path("report.csv").exists(), "nothing left behind");

    let out = run(env.validate(&csv, &["--offline"])).await;
    assert_eq!(
        code(&out),
        0,
        "offline validation needs no seed: {}",
        text(&out)
    );

    let mut cmd = env.command();
    cmd.args(["update", "--report", "report.csv", "--quiet"])
        .args([
            "--emulator-seed",
            repo("sample-data/seed.json").to_str().unwrap(),
        ])
        .arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
}
