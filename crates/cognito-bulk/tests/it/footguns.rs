//! The traps a person falls into by typing: a misspelt name in `--where`, `--attributes` or `--set`, `--overwrite`
//! next to an existing undo file, an output path that can't be written, a closed pipe, and a `validate` that would
//! pass what `update` refuses. Each must be refused before anything is listed or written, or be harmless.

use std::process::Stdio;

use crate::support::*;

/// Every request the emulator received.
fn all_requests(env: &TestEnv) -> u64 {
    env.emu.stats().requests.values().sum()
}

fn refused(out: &std::process::Output, code_wanted: i32, says: &[&str]) {
    assert_eq!(code(out), code_wanted, "{}", text(out));
    said(out, says);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_where_or_attributes_name_lists_nothing_and_writes_no_file() {
    let env = TestEnv::new().await;
    // A standard name.
    let out = run(env.export(&[
        "--where",
        "emial_verified!=true",
        "--attributes",
        "username",
        "--output",
        "users.csv",
    ]))
    .await;
    refused(
        &out,
        2,
        &[
            "--where `emial_verified!=true`",
            "did you mean `email_verified`?",
        ],
    );
    assert_eq!(env.requests("ListUsers"), 0, "nothing was listed");
    assert!(!env.path("users.csv").exists());

    // A custom name, a value of the wrong kind and an unknown column, all in one error, against the pool's own
    // names: DescribeUserPool is read, ListUsers never.
    let out = run(env.export(&[
        "--where",
        "custom:teir=gold",
        "--where",
        "email_verified!=yes",
        "--attributes",
        "username,nosuch,Custom:tier",
        "--output",
        "users.csv",
    ]))
    .await;
    refused(
        &out,
        2,
        &[
            "--where `custom:teir=gold`: the pool has no attribute `custom:teir`: did you mean `custom:tier`?",
            "`email_verified` is a Boolean: compare it with `true` or `false`, not `yes`",
            "--attributes `nosuch`",
            "--attributes `Custom:tier`: the `custom:` prefix is lower case: `custom:tier`",
            "Nothing was listed or written.",
        ],
    );
    assert_eq!(env.requests("ListUsers"), 0, "nothing was listed");
    assert!(!env.path("users.csv").exists());

    // Operators that don't exist, and a membership column without --groups.
    for (wheres, says) in [
        (
            "email_verified==true",
            "the only operators are `=` and `!=`",
        ),
        ("updated_at>=1", "the only operators are `=` and `!=`"),
        ("cognito-bulk:enabled=false", "add --groups"),
    ] {
        let out = run(env.export(&["--where", wheres, "--output", "-"])).await;
        refused(&out, 2, &[says]);
        assert!(out.stdout.is_empty(), "{}", text(&out));
    }
    assert_eq!(env.requests("ListUsers"), 0);

    // Spelt right, the same selection lists the pool: the check refuses only what can't be.
    let out = run(env.export(&[
        "--where",
        "custom:tier=gold",
        "--where",
        "email_verified!=true",
        "--attributes",
        "username,custom:tier",
        "--output",
        "users.csv",
    ]))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(env.requests("ListUsers") > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_set_name_or_key_column_writes_nothing() {
    let env = TestEnv::new().await;
    let csv = env.write("in.csv", "username\nuser0001\nuser0002\n");
    // Offline: a standard name.
    let out = run(env.update(&csv, &["--set", "emial_verified=true"])).await;
    refused(&out, 2, &["did you mean `email_verified`?"]);
    // Against the pool's schema: a custom name, in update and in validate alike.
    let out = run(env.update(&csv, &["--set", "custom:teir=gold"])).await;
    refused(
        &out,
        2,
        &[
            "--set `custom:teir`: the pool has no attribute `custom:teir`: did you mean `custom:tier`?",
            "Nothing was written.",
        ],
    );
    assert!(!env.path("report.csv").exists(), "no report is left");
    // An earlier report named with --overwrite is not touched by a run refused for its flags.
    let earlier = env.write("report.csv", "the earlier run's report\n");
    let out = run(env.update(&csv, &["--set", "custom:teir=gold", "--overwrite"])).await;
    refused(&out, 2, &["did you mean `custom:tier`?"]);
    assert_eq!(
        std::fs::read_to_string(&earlier).unwrap(),
        "the earlier run's report\n"
    );
    std::fs::remove_file(&earlier).unwrap();
    let out = run(env.validate(&csv, &["--set", "custom:teir=gold"])).await;
    refused(&out, 2, &["did you mean `custom:tier`?"]);
    assert_eq!(env.emu.stats().applied_total, 0, "nothing was written");

    let misspelt = env.write("key.csv", "usernme,custom:tier\nuser0001,gold\n");
    let out = run(env.update(&misspelt, &[])).await;
    refused(
        &out,
        3,
        &[
            "Column 1 `usernme`: did you mean `username`? Rename it, or pass --username-column usernme",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overwrite_replaces_the_report_but_never_an_existing_undo_file() {
    let env = TestEnv::new().await;
    let tiers = |tier: &str| {
        (1..=3).fold(String::from("username,custom:tier\n"), |csv, i| {
            csv + &format!("user{i:04},{tier}\n")
        })
    };
    let csv = env.write("in.csv", tiers("platinum"));
    let out = run(env.update(&csv, &["--undo-file", "undo.csv"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let undo = std::fs::read_to_string(env.path("undo.csv")).unwrap();
    let report = std::fs::read_to_string(env.path("report.csv")).unwrap();
    assert_eq!(undo.lines().count(), 4, "{undo}");

    // The same command again with --overwrite, as a person reusing a report name would type it.
    let out = run(env.update(&csv, &["--undo-file", "undo.csv", "--overwrite"])).await;
    refused(
        &out,
        2,
        &[
            "undo file undo.csv already exists",
            "--overwrite replaces the report only",
            "--overwrite-undo",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(env.path("undo.csv")).unwrap(),
        undo,
        "the old values are kept"
    );
    assert_eq!(
        std::fs::read_to_string(env.path("report.csv")).unwrap(),
        report,
        "refused before the report was touched"
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 3);

    // A dry run is refused as the real run would be; a resumed run appends.
    let out = run(env.update(
        &csv,
        &["--undo-file", "undo.csv", "--overwrite", "--dry-run"],
    ))
    .await;
    refused(&out, 2, &["undo file undo.csv already exists"]);
    let out = run(env.update(&csv, &["--undo-file", "undo.csv", "--resume"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(env.path("undo.csv")).unwrap(),
        undo,
        "every row was done: nothing to append, nothing lost"
    );

    // The flag meant for it replaces it: the old values are now those the first run wrote.
    let silver = env.write("silver.csv", tiers("silver"));
    let out = run(env.update(
        &silver,
        &["--undo-file", "undo.csv", "--overwrite", "--overwrite-undo"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let replaced = read_csv(&env.path("undo.csv"));
    assert_eq!(replaced.len(), 3);
    assert!(
        replaced.iter().all(|r| r["custom:tier"] == "platinum"),
        "{replaced:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_path_that_cannot_be_written_is_refused_before_anything_is_read() {
    let env = TestEnv::new().await;
    let csv = env.write("in.csv", "username,custom:tier\nuser0001,gold\n");
    std::fs::create_dir(env.path("a-directory")).unwrap();
    for (flag, path, says) in [
        (
            "--summary-json",
            "no/such/s.json",
            "the directory no/such does not exist",
        ),
        ("--summary-json", "a-directory", "it is a directory"),
        (
            "--undo-file",
            "no/such/undo.csv",
            "the directory no/such does not exist",
        ),
        (
            "--report",
            "no/such/r.csv",
            "the directory no/such does not exist",
        ),
    ] {
        let mut cmd = env.target("update");
        cmd.args(["--rate", "1000", "--report", "report.csv", flag, path])
            .arg(&csv);
        let out = run(cmd).await;
        refused(&out, 2, &[&format!("{flag} {path}: {says}")]);
        assert!(!env.path("report.csv").exists(), "{flag}: no report");
    }
    let out = run(env.validate(&csv, &["--report", "no/such/problems.csv"])).await;
    refused(&out, 2, &["--report no/such/problems.csv: the directory"]);
    let out = run(env.export(&["--output", "no/such/users.csv"])).await;
    refused(&out, 2, &["--output no/such/users.csv: the directory"]);
    not_said(&out, "lock");
    assert_eq!(all_requests(&env), 0, "nothing was read or written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_that_cannot_be_written_after_the_run_is_a_warning_and_keeps_the_exit_code() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full here");
        return;
    }
    let env = TestEnv::new().await;
    let csv = env.write("in.csv", "username,custom:tier\nuser0001,gold\n");
    let out = run(env.update(&csv, &["--summary-json", "/dev/full"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    said(
        &out,
        &["the summary could not be written to --summary-json /dev/full"],
    );
    assert_eq!(env.report()[0]["status"], "updated");
}

/// Standard error holds each of `says`.
fn said(out: &std::process::Output, says: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    for s in says {
        assert!(stderr.contains(s), "stderr lacks {s:?}:\n{}", text(out));
    }
}

/// Standard output holds `text`.
fn printed(out: &std::process::Output, text_wanted: &str) {
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(text_wanted),
        "stdout lacks {text_wanted:?}:\n{}",
        text(out)
    );
}

/// Standard error does not hold `text`.
fn not_said(out: &std::process::Output, unwanted: &str) {
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(unwanted),
        "stderr holds {unwanted:?}:\n{}",
        text(out)
    );
}

/// A pipe whose reading end is already closed: every write to it fails with a broken pipe.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_stdout_and_stderr_never_panic_and_the_report_is_complete() {
    let env = TestEnv::new().await;
    let mut csv = String::from("username,custom:tier\n");
    for i in 1..=50 {
        csv.push_str(&format!("user{i:04},gold\n"));
    }
    let csv = env.write("in.csv", csv);
    // `| true` on standard output, then both closed: the banner, warnings, progress and summary go nowhere.
    for (name, closed_stderr) in [("stdout.csv", false), ("both.csv", true)] {
        let mut cmd = env.target("update");
        cmd.args(["--rate", "1000", "--report", name]).arg(&csv);
        cmd.stdout(closed_pipe());
        if closed_stderr {
            cmd.stderr(closed_pipe());
        }
        let out = run(cmd).await;
        // A panic would end with 101.
        assert_eq!(code(&out), 0, "{name}: {}", text(&out));
        let rows = read_csv(&env.path(name));
        assert_eq!(rows.len(), 50, "{name}");
        assert!(rows.iter().all(|r| r["status"] == "updated"), "{name}");
        if !closed_stderr {
            assert!(
                !String::from_utf8_lossy(&out.stderr).contains("panicked"),
                "{}",
                text(&out)
            );
        }
    }
    // export's CSV and summary, and validate's lines, go nowhere as well.
    let mut cmd = env.export(&["--output", "-"]);
    cmd.stdout(closed_pipe()).stderr(closed_pipe());
    assert_eq!(code(&run(cmd).await), 0, "export");
    let mut cmd = env.export(&["--output", "users.csv"]);
    cmd.stdout(closed_pipe()).stderr(closed_pipe());
    assert_eq!(code(&run(cmd).await), 0, "export to a file");
    assert_eq!(read_csv(&env.path("users.csv")).len(), 1000);
    let mut cmd = env.validate(&csv, &[]);
    cmd.stdout(closed_pipe()).stderr(closed_pipe());
    assert_eq!(code(&run(cmd).await), 0, "validate");
    // A refusal still ends with its own code when nobody reads its words.
    let guarded = env.write("emails.csv", "username,email\nuser0001,new@example.com\n");
    let mut cmd = env.update(&guarded, &[]);
    cmd.stdout(closed_pipe()).stderr(closed_pipe());
    assert_eq!(code(&run(cmd).await), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_refuses_what_update_refuses_and_fails_when_it_cannot_read_the_pool() {
    let env = TestEnv::new().await;
    let emails = env.write(
        "emails.csv",
        "username,email\nuser0001,a.new@example.com\nuser0002,b.new@example.com\n",
    );
    let dry = run(env.update(&emails, &["--dry-run"])).await;
    let validated = run(env.validate(&emails, &[])).await;
    assert_eq!(code(&dry), 6, "{}", text(&dry));
    assert_eq!(code(&validated), 6, "{}", text(&validated));
    let guard = |out: &std::process::Output| {
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .find(|l| l.contains("2 rows change `email` without `email_verified=true`"))
            .map(|l| l[l.find("2 rows change").unwrap()..].to_string())
            .unwrap_or_default()
    };
    assert!(!guard(&validated).is_empty(), "{}", text(&validated));
    assert_eq!(guard(&validated), guard(&dry), "the same message");
    assert!(guard(&validated).contains("Add `--set email_verified=true` (or the column)"));
    let out = run(env.validate(&emails, &["--allow-verification-messages"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));

    // Phone numbers: the advice names the flag that helps them.
    let phones = env.write(
        "phones.csv",
        "username,phone_number\nuser0001,+14155550101\n",
    );
    let out = run(env.validate(&phones, &[])).await;
    refused(
        &out,
        6,
        &["Add `--set phone_number_verified=true` (or the column)"],
    );
    not_said(&out, "Add `--set email_verified=true`");

    // A pool that can't be read is not a pass: validate waits for it (here 2 s of --max-outage), then fails.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let tiers = env.write("tiers.csv", "username,custom:tier\nuser0001,gold\n");
    let unreachable = format!("http://127.0.0.1:{port}");
    let validate_at = |extra: &[&str]| {
        let mut cmd = env.command();
        cmd.args(["validate", "--endpoint-url", &unreachable])
            .args(["--user-pool-id", "local_Nowhere1"])
            .args(extra)
            .arg(&tiers);
        cmd
    };
    let out = run(validate_at(&["--max-outage", "2s"])).await;
    refused(
        &out,
        5,
        &[
            "DescribeUserPool failed: the endpoint could not be reached for ",
            "in all, past --max-outage",
            "Nothing was written",
        ],
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("connection refused by 127.0.0.1:"),
        "the pause names its cause: {}",
        text(&out)
    );
    let out = run(validate_at(&["--offline"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_smaller_traps_say_what_is_wrong() {
    // Cognito's quotas: GetProvisionedLimit answers the default 25/s.
    let env = TestEnv::with(cognito_emulator::EmulatorConfig::default()).await;
    let csv = env.write("in.csv", "username,custom:tier\nuser0001,gold\n");
    // A bad value from the environment names the variable, not the flag nobody typed.
    let mut cmd = env.update(&csv, &[]);
    cmd.env("COGNITO_BULK_READ_RATE", "fast");
    refused(
        &run(cmd).await,
        2,
        &[
            "invalid value `fast` in environment variable COGNITO_BULK_READ_RATE (the variable of --read-rate)",
        ],
    );
    // A rate above the quota Cognito enforces is said, and the dry run estimates the writes' duration.
    let mut cmd = env.target("update");
    cmd.args(["--rate", "1000", "--dry-run"]).arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    said(
        &out,
        &[
            "--rate 1000 is above the 25 requests/s of the UserUpdate quota (the account's limit, from GetProvisionedLimit)",
        ],
    );
    printed(
        &out,
        "dry run: the writes take at least 1s at the UserUpdate quota, 25/s",
    );
    // A pool the endpoint does not hold (an emulator started without --seed): the hint says so.
    let mut cmd = env.command();
    cmd.args([
        "update",
        "--endpoint-url",
        &env.emu.endpoint_url(),
        "--user-pool-id",
        "local_NotSeeded1",
        "--report",
        "r.csv",
    ])
    .arg(&csv);
    refused(
        &run(cmd).await,
        5,
        &["it holds only the pools of its --seed file"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_within_the_accounts_provisioned_limit_is_not_warned_about() {
    let config = cognito_emulator::EmulatorConfig::default()
        .without_quotas()
        .with_quota(cognito_emulator::Category::UserUpdate, Some(2000.0));
    let env = TestEnv::with(config).await;
    let csv = env.write("in.csv", "username,custom:tier\nuser0001,gold\n");
    let mut cmd = env.target("update");
    cmd.args(["--rate", "1000", "--dry-run"]).arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    not_said(&out, "is above the");
    printed(&out, "the writes take at least 1s at --rate 1000/s");
    assert_eq!(env.requests("GetProvisionedLimit"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_problem_of_the_header_comes_at_once_with_the_pools_own_names() {
    let env = TestEnv::new().await;
    let csv = env.write(
        "in.csv",
        "username,given_nmae,custom:teir,Custom:tier2\nuser0001,a,b,c\n",
    );
    for out in [
        run(env.update(&csv, &[])).await,
        run(env.validate(&csv, &[])).await,
    ] {
        refused(
            &out,
            3,
            &[
                "in.csv:1: column 2 `given_nmae`: not an attribute: did you mean `given_name`?; \
                 column 3 `custom:teir`: the pool has no attribute `custom:teir`: did you mean `custom:tier`?; \
                 column 4 `Custom:tier2`: the `custom:` prefix is lower case: `custom:tier2`",
            ],
        );
    }
    // Offline, only what can be known without the pool.
    let out = run(env.validate(&csv, &["--offline"])).await;
    refused(
        &out,
        3,
        &["column 2 `given_nmae`", "column 4 `Custom:tier2`"],
    );
    not_said(&out, "custom:teir");
    assert_eq!(env.emu.stats().applied_total, 0);
}
