//! `update --skip-unchanged` from a pool snapshot: the keys a row may use (username in the pool's case rule,
//! `sub`, verified email alias), empty cells and the delete column, users missing from the snapshot, the automatic
//! choice between a snapshot and per-user reads, `--snapshot FILE`, the guard and the dry run counted on the rows
//! really sent, and resuming after Ctrl-C.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::support::*;

/// `update` with the banner on (no `--quiet`), report in `report.csv`.
fn update_loud(env: &TestEnv, csv: &std::path::Path, extra: &[&str]) -> tokio::process::Command {
    let mut cmd = env.target("update");
    cmd.args(["--report", "report.csv", "--rate", "1000"])
        .args(extra)
        .arg(csv);
    cmd
}

fn statuses(report: &[Row]) -> BTreeMap<u64, (String, String)> {
    report
        .iter()
        .map(|r| {
            (
                r["line"].parse().unwrap(),
                (r["status"].clone(), r["error_code"].clone()),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_resolves_username_sub_and_email_keys_and_compares_only_what_rows_set() {
    let env = TestEnv::new().await;
    let csv = env.write(
        "in.csv",
        "username,given_name,family_name,locale,cognito-bulk:delete\n\
         user0001,Alan,Lovelace,,\n\
         USER0002,Grace,,,\n\
         00000000-0000-4000-8000-000000000003,Linus,,,\n\
         user0004@EXAMPLE.com,Barbara,,,\n\
         user0005,Kenneth,,,\n\
         user0006,Margaret,,,locale\n\
         user0007,Dennis,,,custom:tier\n\
         no-such-user,Nobody,,,\n\
         user0008,,,en-GB,\n",
    );
    let out = run(update_loud(
        &env,
        &csv,
        &["--skip-unchanged", "--compare-with", "snapshot"],
    ))
    .await;
    assert_eq!(code(&out), 4, "one row failed: {}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("comparing with a pool snapshot (forced by compare_with = snapshot")
            && stderr.contains("1000 users listed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("5 rows already hold their values"),
        "{stderr}"
    );
    let unchanged = |s: &str| (s.to_string(), String::new());
    let expected: BTreeMap<u64, (String, String)> = [
        (2, unchanged("unchanged")),
        (3, unchanged("unchanged")),
        (4, unchanged("unchanged")),
        (5, unchanged("unchanged")),
        (6, unchanged("updated")),
        (7, unchanged("unchanged")),
        (8, unchanged("updated")),
        (
            9,
            ("failed".to_string(), "UserNotFoundException".to_string()),
        ),
        (10, unchanged("updated")),
    ]
    .into();
    let report = env.report();
    by_line(&report, 2..=10);
    assert_eq!(statuses(&report), expected);
    let unchanged_attempts: Vec<&str> = report
        .iter()
        .filter(|r| r["status"] == "unchanged")
        .map(|r| r["attempts"].as_str())
        .collect();
    assert_eq!(
        unchanged_attempts, ["0"; 5],
        "unchanged rows are never sent"
    );
    assert_eq!(env.requests("AdminGetUser"), 0);
    assert!(env.requests("ListUsers") >= 16, "partitioned listing");
    // user0005, user0007, user0008 and the missing user: one update each; user0007's delete.
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 4);
    assert_eq!(env.requests("AdminDeleteUserAttributes"), 1);
    assert_eq!(
        env.attribute("user0005", "given_name").as_deref(),
        Some("Kenneth")
    );
    assert_eq!(env.attribute("user0007", "custom:tier"), None);
    assert_eq!(
        env.attribute("user0008", "locale").as_deref(),
        Some("en-GB")
    );
    for user in ["user0001", "user0002", "user0003", "user0004", "user0006"] {
        assert_eq!(env.applied(user), 0, "{user}");
    }
}

/// `n` rows that set each user's current given name (unchanged), the last one changed.
fn names_file(env: &TestEnv, n: usize) -> std::path::PathBuf {
    const NAMES: [&str; 10] = [
        "Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances",
        "Edsger",
    ];
    let mut text = String::from("username,given_name\n");
    for i in 1..=n {
        let name = if i == n { "Changed" } else { NAMES[i % 10] };
        text.push_str(&format!("user{i:04},{name}\n"));
    }
    env.write(&format!("names{n}.csv"), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_automatic_choice_reads_a_few_users_and_lists_the_pool_for_many() {
    // 1000 users at 20 pages/s ≈ 0.8 s of listing; reads at 50/s: 5 rows ≈ 0.1 s, 200 rows ≈ 4 s.
    let env = TestEnv::new().await;
    let small = names_file(&env, 5);
    let out = run(update_loud(&env, &small, &["--skip-unchanged"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("comparing with per-user reads: reading 5 users")
            && stderr.contains("beats listing ~1000 users"),
        "{stderr}"
    );
    assert_eq!(env.requests("AdminGetUser"), 5);
    assert_eq!(env.requests("ListUsers"), 0);
    assert_eq!(env.emu.stats().mau.total, 5, "every read bills its user");
    let report = env.report();
    assert_eq!(
        report.iter().filter(|r| r["status"] == "unchanged").count(),
        4
    );

    env.emu.reset_stats();
    std::fs::remove_file(env.path("report.csv")).unwrap();
    let big = names_file(&env, 200);
    let out = run(update_loud(&env, &big, &["--skip-unchanged"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("comparing with a pool snapshot: listing ~1000 users")
            && stderr.contains("beats reading 200 users"),
        "{stderr}"
    );
    assert_eq!(
        env.requests("AdminGetUser"),
        0,
        "no per-user read in snapshot mode"
    );
    assert!(env.requests("ListUsers") > 0);
    let report = env.report();
    by_line(&report, 2..=201);
    // user0005 was renamed by the first run: its row is sent again, with user0200's.
    assert_eq!(
        report.iter().filter(|r| r["status"] == "unchanged").count(),
        198
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 2);
    assert_eq!(env.applied("user0200"), 1);
    assert_eq!(env.emu.stats().mau.total, 2, "only the changed rows bill");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_file_is_compared_instead_of_the_pool() {
    let env = TestEnv::new().await;
    // An export taken when user0001 was still called "Old": the row puts "Alan" back, which the pool already
    // holds — the comparison follows the file, so the row is sent.
    let export = env.write(
        "pool.users.csv",
        "username,sub,given_name,family_name,email,email_verified\n\
         user0001,00000000-0000-4000-8000-000000000001,Old,Lovelace,user0001@example.com,true\n\
         user0002,00000000-0000-4000-8000-000000000002,Grace,Lovelace,user0002@example.com,true\n",
    );
    let csv = env.write(
        "in.csv",
        "username,given_name\nuser0001,Alan\nuser0002,Grace\nuser0003,Linus\n",
    );
    let export_arg = export.display().to_string();
    let out = run(update_loud(
        &env,
        &csv,
        &["--skip-unchanged", "--snapshot", &export_arg],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("comparing with the --snapshot file")
            && stderr.contains("pool.users.csv")
            && stderr.contains(" old, 2 users"),
        "{stderr}"
    );
    assert_eq!(env.requests("ListUsers"), 0);
    assert_eq!(env.requests("AdminGetUser"), 0);
    let expected: BTreeMap<u64, (String, String)> = [
        (2, ("updated".to_string(), String::new())),
        (3, ("unchanged".to_string(), String::new())),
        (4, ("updated".to_string(), String::new())),
    ]
    .into();
    assert_eq!(
        statuses(&env.report()),
        expected,
        "user0003 is not in the file: sent"
    );

    // A broken snapshot file stops before anything is sent, naming the file and line.
    let broken = env.write("broken.csv", "username,given_name\nuser0001,Alan,extra\n");
    let broken_arg = broken.display().to_string();
    let out = run(env.update(
        &csv,
        &["--skip-unchanged", "--snapshot", &broken_arg, "--overwrite"],
    ))
    .await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("broken.csv:2"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_and_the_dry_run_count_only_rows_really_sent() {
    let env = TestEnv::new().await;
    // 50 rows name the user's current email (unchanged), 49 rows the current email and a new given name (sent,
    // the address does not change: no message), 1 row a new email (one message).
    let mut body = String::from("username,email,given_name\n");
    for i in 1..=100 {
        match i {
            1..=50 => body.push_str(&format!("user{i:04},user{i:04}@example.com,\n")),
            51..=99 => body.push_str(&format!("user{i:04},user{i:04}@example.com,Renamed\n")),
            _ => body.push_str(&format!("user{i:04},new{i}@example.com,\n")),
        }
    }
    let csv = env.write("emails.csv", body);
    let snapshot = ["--skip-unchanged", "--compare-with", "snapshot"];

    let out = run(env.update(&csv, &[&snapshot[..], &["--dry-run"]].concat())).await;
    assert_eq!(
        code(&out),
        6,
        "the real run would be refused by the guard: {}",
        text(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(
            "dry run: 100 rows, 50 would be sent, 50 unchanged, 0 invalid, 1 verification messages"
        ),
        "{}",
        text(&out)
    );

    let out = run(env.update(&csv, &snapshot)).await;
    assert_eq!(
        code(&out),
        6,
        "one message is still refused: {}",
        text(&out)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 row changes `email` without `email_verified=true` in the same row")
            && stderr.contains("(1 message)"),
        "{stderr}"
    );
    // By per-user reads the pre-flight cannot know: every row with an email counts.
    let out = run(env.update(
        &csv,
        &["--skip-unchanged", "--compare-with", "reads", "--dry-run"],
    ))
    .await;
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("100 verification messages"),
        "{}",
        text(&out)
    );
    assert_eq!(env.emu.stats().applied_total, 0, "nothing was written");

    // validate, asked to compare, counts the same way, and refuses the one message as update does.
    let out = run(env.validate(&csv, &["--skip-unchanged", "--compare-with", "snapshot"])).await;
    assert_eq!(code(&out), 6, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("1 row changes `email` without `email_verified=true` in the same row")
            && String::from_utf8_lossy(&out.stderr).contains("(1 message)"),
        "{}",
        text(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("100 valid, 0 invalid")
            && stdout.contains("validate: 50 rows unchanged, 50 would be sent"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_ctrl_c_takes_the_snapshot_again_and_completes_exactly_once() {
    let env = TestEnv::new().await;
    // Half the rows already hold their values: put them in place first.
    let input = repo("sample-data/migration.csv");
    let first_half: String = std::fs::read_to_string(&input)
        .unwrap()
        .lines()
        .take(101)
        .map(|l| format!("{l}\n"))
        .collect();
    let half = env.write("half.csv", first_half);
    let out = run(env.update(&half, &["--report", "half.report.csv"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    env.emu.reset_stats();

    let args = ["--skip-unchanged", "--compare-with", "snapshot"];
    let mut cmd = env.update(
        &input,
        &[&args[..], &["--rate", "20", "--concurrency", "2"]].concat(),
    );
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let report = env.path("report.csv");
    // The 100 unchanged rows come first, at once; wait for some updates after them.
    wait_until(
        "updated rows in the report",
        Duration::from_secs(60),
        || report_rows(&report) >= 105,
    )
    .await;
    signal(child.id().unwrap(), "-INT");
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(code(&out), 130, "{}", text(&out));
    let first = by_line(&env.report(), 2..=201);
    let updated_first = first.values().filter(|r| r["status"] == "updated").count();
    assert!((5..100).contains(&updated_first), "{updated_first}");
    assert_eq!(
        first
            .values()
            .filter(|r| r["status"] == "unchanged")
            .count(),
        100
    );

    let out = run(env.update(&input, &[&args[..], &["--resume"]].concat())).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let last = by_line(&env.report(), 2..=201);
    for (line, row) in &last {
        let expected = if *line <= 101 { "unchanged" } else { "updated" };
        assert_eq!(row["status"], expected, "line {line}");
        let applied = env.applied(&row["username"]);
        assert_eq!(
            applied,
            u64::from(expected == "updated"),
            "line {line} applied once"
        );
    }
    assert_eq!(env.requests("AdminGetUser"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_undo_file_only_rows_to_write_are_read() {
    let env = TestEnv::new().await;
    let csv = env.write(
        "in.csv",
        "username,given_name\nuser0001,Alan\nuser0002,Changed\nuser0003,Linus\nuser0004,Other\n",
    );
    let out = run(env.update(
        &csv,
        &[
            "--skip-unchanged",
            "--compare-with",
            "snapshot",
            "--undo-file",
            "undo.csv",
        ],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        env.requests("AdminGetUser"),
        2,
        "user0002 and user0004 only"
    );
    let undo = read_csv(&env.path("undo.csv"));
    let mut restored: Vec<(&str, &str)> = undo
        .iter()
        .map(|r| (r["username"].as_str(), r["given_name"].as_str()))
        .collect();
    restored.sort();
    assert_eq!(restored, [("user0002", "Grace"), ("user0004", "Barbara")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_of_the_pool_is_a_snapshot_file_with_sub_keys() {
    let env = TestEnv::new().await;
    let out = run(env.export(&["--output", "pool.users.csv", "--quiet"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    env.emu.reset_stats();
    let csv = env.write(
        "in.csv",
        "username,given_name\n\
         00000000-0000-4000-8000-000000000001,Alan\n\
         user0002,Renamed\n\
         user0003@example.com,Linus\n",
    );
    let out = run(env.update(&csv, &["--skip-unchanged", "--snapshot", "pool.users.csv"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let expected: BTreeMap<u64, (String, String)> = [
        (2, ("unchanged".to_string(), String::new())),
        (3, ("updated".to_string(), String::new())),
        (4, ("unchanged".to_string(), String::new())),
    ]
    .into();
    assert_eq!(statuses(&env.report()), expected);
    assert_eq!(env.requests("ListUsers"), 0, "the file, not the pool");
    assert_eq!(env.requests("AdminGetUser"), 0);
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_listing_sends_nothing_and_leaves_no_report() {
    use cognito_emulator::EmulatorConfig;
    let env = TestEnv::with(
        EmulatorConfig::default()
            .without_quotas()
            .with_op_latency("ListUsers", Duration::from_secs(30)),
    )
    .await;
    let csv = names_file(&env, 200);
    let mut cmd = env.update(&csv, &["--skip-unchanged", "--compare-with", "snapshot"]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_until("the listing to start", Duration::from_secs(60), || {
        env.requests("ListUsers") > 0
    })
    .await;
    signal(child.id().unwrap(), "-INT");
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(code(&out), 130, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "interrupted by SIGINT while listing the pool for --skip-unchanged: nothing was sent"
        ),
        "{}",
        text(&out)
    );
    assert!(
        !env.path("report.csv").exists(),
        "no report of a run that sent nothing"
    );
    assert_eq!(env.emu.stats().applied_total, 0);
}
