//! Problem rows, file-level errors and pool-level errors: each outcome, each exit code, and (for errors found
//! before the run) proof from the emulator's counters that nothing was sent.

use cognito_emulator::{EmulatorConfig, ScriptedError};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problem_rows_are_refused_by_default_and_each_gets_its_outcome_with_skip_invalid() {
    let env = TestEnv::new().await;
    let csv = repo("sample-data/problems.csv");
    let out = run(env.update(&csv, &[])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 0);
    assert!(
        !env.path("report.csv").exists(),
        "a refused run leaves no report"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("problems.csv:5: column `sub`"), "{stderr}");
    assert!(stderr.contains("--skip-invalid"), "{stderr}");

    let out = run(env.update(&csv, &["--skip-invalid"])).await;
    assert_eq!(code(&out), 4, "{}", text(&out));
    let r = by_line(&env.report(), 2..=9);
    let expect = [
        (2, "updated", ""),
        (3, "failed", "UserNotFoundException"),
        (4, "invalid", "the pool's schema has no such attribute"),
        (5, "invalid", "`sub` can never be updated"),
        (6, "invalid", "not an E.164 phone number"),
        (7, "invalid", "at most 2048"),
        (8, "invalid", "the same user as line 2"),
        (9, "updated", ""),
    ];
    for (line, status, detail) in expect {
        let row = &r[&line];
        assert_eq!(row["status"], status, "line {line}: {row:?}");
        assert!(
            row["error_code"].contains(detail) || row["message"].contains(detail),
            "line {line}: {row:?}"
        );
    }
    assert_eq!(
        env.requests("AdminUpdateUserAttributes"),
        3,
        "invalid rows never reach Cognito"
    );
    assert_eq!(env.applied("user0001"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_level_errors_stop_before_any_call() {
    let env = TestEnv::new().await;
    let cases: Vec<(&str, &[u8], &str)> = vec![
        ("empty.csv", b"", "empty.csv:1: the file is empty"),
        (
            "nokey.csv",
            b"email,name\na@b.co,x\n",
            "nokey.csv:1: no key column",
        ),
        (
            "utf8.csv",
            b"username,name\nuser0001,ok\nuser0002,\xff\xfe\n",
            "utf8.csv:3: invalid UTF-8",
        ),
        (
            "fields.csv",
            b"username,name\nuser0001,a\nuser0002,b,c\n",
            "fields.csv:3: this row has 3 fields",
        ),
        (
            "dupcol.csv",
            b"username,name,name\nuser0001,a,b\n",
            "column 3 `name` appears twice",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = env.write(name, bytes);
        let out = run(env.update(&path, &[])).await;
        assert_eq!(code(&out), 3, "{name}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(expected),
            "{name}: {}",
            text(&out)
        );
    }
    let out = run(env.update(&env.path("missing.csv"), &[])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing.csv"),
        "{}",
        text(&out)
    );
    let stats = env.emu.stats();
    assert_eq!(
        stats.requests.values().sum::<u64>(),
        0,
        "no call of any kind: {:?}",
        stats.requests
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_pool_stops_before_any_update_with_exit_5() {
    let env = TestEnv::new().await;
    let csv = repo("sample-data/migration.csv");
    let mut cmd = env.update(&csv, &[]);
    cmd.args(["--user-pool-id", "local_NoSuchPool"]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 5, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ResourceNotFoundException"),
        "{}",
        text(&out)
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permission_error_stops_the_run_and_the_rest_is_not_attempted() {
    let scripted = "user0005=NotAuthorizedException:Access denied for this pool"
        .parse::<ScriptedError>()
        .unwrap();
    let env = TestEnv::with(
        EmulatorConfig::default()
            .without_quotas()
            .with_scripted_error(scripted),
    )
    .await;
    let out = run(env.update(&repo("sample-data/migration.csv"), &["--concurrency", "1"])).await;
    assert_eq!(code(&out), 5, "{}", text(&out));
    let r = by_line(&env.report(), 2..=201);
    assert_eq!(r[&6]["error_code"], "NotAuthorizedException");
    assert!((2..=5).all(|l| r[&l]["status"] == "updated"));
    assert!(
        (7..=201).all(|l| r[&l]["status"] == "not_attempted"),
        "the rest is not attempted"
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 5);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("stopped: NotAuthorizedException") && stdout.contains("--resume"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_thresholds_stop_a_scheduled_run_early() {
    let env = TestEnv::new().await;
    let mut csv = String::from("username,custom:tier\n");
    for i in 0..40 {
        csv.push_str(&format!("ghost{i},pro\n"));
    }
    let path = env.write("ghosts.csv", csv);
    let out = run(env.update(&path, &["--concurrency", "1", "--max-failures", "3"])).await;
    assert_eq!(code(&out), 5, "{}", text(&out));
    // A row's concurrency slot is released only once the sink has recorded its outcome (and tripped the
    // threshold): with one row in flight, no row starts after the third failure, however loaded the machine.
    let r = by_line(&env.report(), 2..=41);
    let failed = r.values().filter(|r| r["status"] == "failed").count();
    assert_eq!(failed, 3);
    let not_attempted = r
        .values()
        .filter(|r| r["status"] == "not_attempted")
        .count();
    assert_eq!(not_attempted, 40 - failed);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("--max-failures 3"),
        "{}",
        text(&out)
    );

    std::fs::remove_file(env.path("report.csv")).unwrap();
    let out = run(env.update(
        &path,
        &["--concurrency", "1", "--max-consecutive-failures", "5"],
    ))
    .await;
    assert_eq!(code(&out), 5, "{}", text(&out));
    let r = by_line(&env.report(), 2..=41);
    let failed = r.values().filter(|r| r["status"] == "failed").count();
    assert_eq!(failed, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_failed_or_updated_decides_0_or_4() {
    let env = TestEnv::new().await;
    let path = env.write(
        "mixed.csv",
        "username,custom:tier\nuser0001,pro\nghost,pro\n",
    );
    let out = run(env.update(&path, &[])).await;
    assert_eq!(code(&out), 4, "{}", text(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("1 updated, 1 failed") && summary.contains("UserNotFoundException 1"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2_and_an_existing_report_is_not_replaced() {
    let env = TestEnv::new().await;
    let csv = repo("sample-data/migration.csv");
    let out = run(env.update(&csv, &["--rate", "0"])).await;
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--rate"),
        "{}",
        text(&out)
    );
    let out = run(env.update(&csv, &["--set", "sub=x"])).await;
    assert_eq!(code(&out), 2, "{}", text(&out));

    env.write("report.csv", "keep me\n");
    let out = run(env.update(&csv, &[])).await;
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already exists"),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read_to_string(env.path("report.csv")).unwrap(),
        "keep me\n"
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_guard_refuses_then_allows() {
    let env = TestEnv::new().await;
    let path = env.write(
        "emails.csv",
        "username,email\nuser0001,new1@example.com\nuser0002,new2@example.com\n",
    );
    let out = run(env.update(&path, &[])).await;
    assert_eq!(code(&out), 6, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("2 messages") && stderr.contains("50 emails a day"),
        "{stderr}"
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 0);

    let out = run(env.update(&path, &["--allow-verification-messages"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(env.emu.stats().verification_messages, 2);

    let verified = env.write(
        "verified.csv",
        "username,email,email_verified\nuser0003,new3@example.com,true\n",
    );
    std::fs::remove_file(env.path("report.csv")).unwrap();
    let out = run(env.update(&verified, &[])).await;
    assert_eq!(
        code(&out),
        0,
        "marking the new email verified needs no permission: {}",
        text(&out)
    );
    assert_eq!(env.emu.stats().verification_messages, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_mistakes_are_reported_once_each_with_a_suggestion() {
    let env = TestEnv::new().await;
    let csv = env.write(
        "typos.csv",
        "Username,given_nmae,Custom:tier,custom:teir\nuser0001,a,b,c\nuser0002,a,b,c\n",
    );
    let out = run(env.validate(&csv, &[])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`given_nmae`: not an attribute: did you mean `given_name`?"),
        "{err}"
    );
    assert!(
        err.contains("`Custom:tier`: the `custom:` prefix is lower case"),
        "{err}"
    );
    assert_eq!(
        err.matches("given_nmae").count(),
        1,
        "once for the column, not per row: {err}"
    );

    // The header fixed but for a custom attribute the pool does not have: the schema suggests its own.
    let csv = env.write("typo.csv", "Username,custom:teir\nuser0001,gold\n");
    let out = run(env.validate(&csv, &[])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("did you mean `custom:tier`?"), "{shown}");

    // A file saved with `;` separators: a hint, then --delimiter reads it.
    let csv = env.write("semicolons.csv", "username;custom:tier\nuser0001;gold\n");
    let out = run(env.validate(&csv, &[])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pass --delimiter ';'"),
        "{}",
        text(&out)
    );
    let out = run(env.update(&csv, &["--delimiter", ";"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        env.attribute("user0001", "custom:tier").as_deref(),
        Some("gold")
    );

    // Every problem of a row at once, not only the first.
    let csv2 = env.write(
        "two.csv",
        "username,phone_number,email_verified\nuser0001,555,maybe\n",
    );
    let out = run(env.validate(&csv2, &["--offline"])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("column `phone_number`") && shown.contains("column `email_verified`"),
        "{shown}"
    );

    // A pool id with the wrong case of the emulator's prefix.
    let mut cmd = env.command();
    cmd.args([
        "validate",
        "--offline",
        "--user-pool-id",
        "Local_SamplePool1",
    ])
    .arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`local_SamplePool1`"),
        "{}",
        text(&out)
    );
}
