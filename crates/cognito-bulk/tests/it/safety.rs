//! Safety features of `update`, end to end through the real binary against an in-process emulator:
//! `--skip-unchanged` and `--undo-file` with the `cognito-bulk:delete` column.

use std::collections::HashMap;
use std::path::Path;

use cognito_emulator::{EmulatorConfig, RunningEmulator, start};

use crate::support::{binary, client, repo};

const POOL: &str = "local_SamplePool1";

async fn emulator() -> RunningEmulator {
    let seed = repo("sample-data/seed.json");
    start(EmulatorConfig::default().without_quotas().with_seed(seed))
        .await
        .expect("emulator starts")
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `cognito-bulk update <csv> <args>` against the emulator, with its report at `report`.
async fn update(emu: &RunningEmulator, csv: &Path, report: &Path, args: &[&str]) -> Output {
    let out = binary(report.parent().expect("the report is in a directory"))
        .arg("update")
        .arg(csv)
        .args(["--endpoint-url", &emu.endpoint_url()])
        .args(["--user-pool-id", POOL, "--rate", "500", "--report"])
        .arg(report)
        .args(args)
        .output()
        .await
        .expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The report's rows as `username → status`, plus the whole rows for messages.
fn report(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("report exists");
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn updates(emu: &RunningEmulator) -> u64 {
    emu.stats()
        .requests
        .get("AdminUpdateUserAttributes")
        .copied()
        .unwrap_or(0)
}

/// Every user of the pool as ListUsers returns them (pages of 60), without `UserLastModifiedDate`.
async fn list_users(emu: &RunningEmulator) -> Vec<String> {
    let client = client(emu);
    let mut users = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .list_users()
            .user_pool_id(POOL)
            .limit(60)
            .set_pagination_token(token)
            .send()
            .await
            .expect("ListUsers");
        for user in page.users() {
            let mut user = user.clone();
            user.user_last_modified_date = None;
            users.push(format!("{user:?}"));
        }
        token = page.pagination_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    users
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_unchanged_sends_no_update_on_a_second_run() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    let mut text = String::from("username,given_name,custom:tier,locale,email_verified\n");
    for n in 1..=40 {
        text.push_str(&format!("user{n:04},Name{n},pro,en-GB,TRUE\n"));
    }
    std::fs::write(&csv, text).unwrap();

    let first = update(&emu, &csv, &dir.path().join("r1.csv"), &[]).await;
    assert_eq!(first.code, 0, "{first}");
    let after_first = updates(&emu);
    assert_eq!(after_first, 40);

    let report_path = dir.path().join("r2.csv");
    let second = update(&emu, &csv, &report_path, &["--skip-unchanged"]).await;
    assert_eq!(second.code, 0, "{second}");
    assert_eq!(updates(&emu), after_first, "no update on the second run");
    let rows = report(&report_path);
    assert_eq!(rows.len(), 40);
    for row in &rows {
        assert_eq!(row["status"], "unchanged", "{row:?}");
    }
    assert_eq!(emu.stats().requests["AdminGetUser"], 40);

    // One changed value: only that row is written.
    let changed = dir.path().join("changed.csv");
    std::fs::write(
        &changed,
        "username,given_name,custom:tier\nuser0001,Name1,pro\nuser0002,Renamed,pro\n",
    )
    .unwrap();
    let report_path = dir.path().join("r3.csv");
    let third = update(&emu, &changed, &report_path, &["--skip-unchanged"]).await;
    assert_eq!(third.code, 0, "{third}");
    let statuses: Vec<_> = report(&report_path)
        .iter()
        .map(|r| (r["username"].clone(), r["status"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("user0001".to_string(), "unchanged".to_string()),
            ("user0002".to_string(), "updated".to_string())
        ]
    );
    assert_eq!(updates(&emu), after_first + 1);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_unchanged_fails_a_missing_user_without_writing() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "username,given_name\nno-such-user,Nobody\n").unwrap();
    let report_path = dir.path().join("r.csv");
    let out = update(&emu, &csv, &report_path, &["--skip-unchanged"]).await;
    assert_eq!(out.code, 4, "{out}");
    let rows = report(&report_path);
    assert_eq!(rows[0]["status"], "failed");
    assert_eq!(rows[0]["error_code"], "UserNotFoundException");
    assert_eq!(updates(&emu), 0);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_file_restores_the_pool_exactly() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let before = list_users(&emu).await;
    assert_eq!(before.len(), 1000);

    // Changes existing attributes, adds ones no user has (`locale`, `custom:tenant_id`), changes emails (one
    // user addressed by that email, one by sub) and deletes an attribute.
    let csv = dir.path().join("in.csv");
    let mut text = String::from(
        "username,given_name,custom:tier,locale,custom:tenant_id,email,cognito-bulk:delete\n",
    );
    for n in 1..=20 {
        text.push_str(&format!("user{n:04},New{n},pro,fr-FR,tenant-{n},,\n"));
    }
    text.push_str("user0021,,,,,changed21@example.com,\n");
    text.push_str("user0022@example.com,,,de-DE,,changed22@example.com,\n");
    text.push_str("00000000-0000-4000-8000-000000000023,Sub23,,,t-23,,\n");
    text.push_str("user0024,,,it-IT,,,custom:tier\n");
    std::fs::write(&csv, text).unwrap();

    let undo = dir.path().join("undo.csv");
    let undo_arg = undo.display().to_string();
    let out = update(
        &emu,
        &csv,
        &dir.path().join("r1.csv"),
        &["--undo-file", &undo_arg, "--allow-verification-messages"],
    )
    .await;
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("undo file:"), "{out}");
    assert_ne!(list_users(&emu).await, before, "the run changed the pool");
    let user24 = emu.user(POOL, "user0024").unwrap();
    assert!(
        !format!("{user24:?}").contains("custom:tier"),
        "custom:tier deleted: {user24:?}"
    );

    let undo_text = std::fs::read_to_string(&undo).unwrap();
    assert!(
        undo_text.starts_with(
            "username,given_name,custom:tier,locale,custom:tenant_id,email,email_verified,cognito-bulk:delete\n"
        ),
        "{undo_text}"
    );
    assert!(
        undo_text.contains("user0001,Alan,free,,,,,locale;custom:tenant_id\n"),
        "{undo_text}"
    );
    assert!(
        undo_text.contains("user0022,,,,,user0022@example.com,true,locale\n"),
        "the key was the email the row changed, so the undo row uses the username: {undo_text}"
    );
    assert_eq!(undo_text.lines().count(), 25, "{undo_text}");

    // The undo run: no flag needed (every changed email was verified before, and its flag is restored too).
    let out = update(&emu, &undo, &dir.path().join("r2.csv"), &[]).await;
    assert_eq!(out.code, 0, "{out}");
    let after = list_users(&emu).await;
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a);
    }
    assert_eq!(before, after);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_file_that_cannot_be_created_stops_before_any_call() {
    let emu = emulator().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("in.csv");
    std::fs::write(&csv, "username,given_name\nuser0001,Ada\n").unwrap();
    let undo = dir.path().join("no-such-dir/undo.csv");
    let report_path = dir.path().join("r.csv");
    let out = update(
        &emu,
        &csv,
        &report_path,
        &["--undo-file", &undo.display().to_string()],
    )
    .await;
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("--undo-file ")
            && out
                .stderr
                .contains("no-such-dir does not exist: create it first"),
        "{out}"
    );
    assert_eq!(updates(&emu), 0);
    assert!(!report_path.exists(), "no report was created");
    emu.shutdown().await;
}
