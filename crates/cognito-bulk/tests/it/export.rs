//! `export` end to end: the real binary, the real AWS SDK and real HTTP against the in-process emulator; its output
//! given back to the real `update`.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::AttributeType;
use cognito_emulator::EmulatorConfig;

use crate::support::*;

/// `export` against the test emulator; `extra` follows the target flags.
fn export(env: &TestEnv, extra: &[&str]) -> tokio::process::Command {
    let mut cmd = env.export(&["--list-rate", "1000"]);
    cmd.args(extra);
    cmd
}

fn usernames(rows: &[Row]) -> Vec<String> {
    rows.iter().map(|r| r["username"].clone()).collect()
}

/// Every username once, and how many.
fn distinct(rows: &[Row]) -> usize {
    let names = usernames(rows);
    let set: BTreeSet<&String> = names.iter().collect();
    assert_eq!(set.len(), names.len(), "a user is in the export twice");
    set.len()
}

fn header(path: &std::path::Path) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect()
}

async fn set_attribute(env: &TestEnv, username: &str, name: &str, value: &str) {
    crate::support::client(&env.emu)
        .admin_update_user_attributes()
        .user_pool_id(POOL)
        .username(username)
        .user_attributes(
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmodified_export_round_trips_through_update_skip_unchanged_with_zero_writes() {
    let env = TestEnv::new().await;
    let out = run(export(&env, &["--output", "users.csv", "--quiet"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("exported 1000 of 1000 users") && stderr.contains("16 partitions"),
        "{stderr}"
    );
    let path = env.path("users.csv");
    assert_eq!(
        header(&path),
        [
            "username",
            "email",
            "email_verified",
            "family_name",
            "given_name",
            "phone_number",
            "custom:tier",
            "cognito:sub",
            "cognito:custom:legacy_id"
        ],
        "sub and the immutable custom:legacy_id go to ignored cognito: columns"
    );
    let rows = read_csv(&path);
    assert_eq!(
        distinct(&rows),
        1000,
        "the sample's subs all start with 0: one busy partition"
    );
    let ada = rows.iter().find(|r| r["username"] == "user0001").unwrap();
    assert_eq!(ada["email"], env.attribute("user0001", "email").unwrap());
    assert_eq!(ada["cognito:custom:legacy_id"], "L-000001");
    assert!(ada["cognito:sub"].starts_with('0'));

    // The pool has unverified phone numbers: update's guard counts every row today, so the flag is needed
    // although no unchanged row is sent (and no message goes out: nothing is written).
    let update = env.update(
        &path,
        &[
            "--skip-unchanged",
            "--read-rate",
            "1000",
            "--allow-verification-messages",
        ],
    );
    let out = run(update).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = env.report();
    assert_eq!(report.len(), 1000);
    assert!(
        report.iter().all(|r| r["status"] == "unchanged"),
        "{report:?}"
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 0);
    assert_eq!(env.requests("AdminDeleteUserAttributes"), 0);

    // Edited as in a spreadsheet: one value changed, the rest as exported.
    let text_csv = std::fs::read_to_string(&path).unwrap();
    let edited = text_csv.replacen(",Lovelace,Alan,", ",Lovelace,Ada,", 1);
    assert_ne!(edited, text_csv);
    let edited_path = env.write("edited.csv", edited);
    let update = env.update(
        &edited_path,
        &[
            "--skip-unchanged",
            "--read-rate",
            "1000",
            "--allow-verification-messages",
            "--overwrite",
        ],
    );
    let out = run(update).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = env.report();
    let updated: Vec<&Row> = report.iter().filter(|r| r["status"] == "updated").collect();
    assert_eq!(updated.len(), 1, "{updated:?}");
    assert_eq!(updated[0]["username"], "user0001");
    assert_eq!(
        env.attribute("user0001", "given_name").as_deref(),
        Some("Ada")
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_and_filter_select_users() {
    let env = TestEnv::new().await;
    // Cognito's filter, one stream.
    let out = run(export(
        &env,
        &[
            "--filter",
            "email ^= \"user001\"",
            "--output",
            "f.csv",
            "--attributes",
            "email",
        ],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let rows = read_csv(&env.path("f.csv"));
    let names = usernames(&rows);
    let expected: Vec<String> = (10..=19).map(|i| format!("user{i:04}")).collect();
    assert_eq!(names, expected);
    assert_eq!(header(&env.path("f.csv")), ["username", "email"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("one stream"));

    // Client-side --where, on attributes not written, all conditions must hold.
    set_attribute(&env, "user0002", "custom:tier", "pro").await;
    set_attribute(&env, "user0003", "custom:tier", "pro").await;
    set_attribute(&env, "user0003", "locale", "fr").await;
    let out = run(export(
        &env,
        &[
            "--where",
            "custom:tier=pro",
            "--where",
            "locale!=fr",
            "--attributes",
            "given_name",
            "--output",
            "w.csv",
        ],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let rows = read_csv(&env.path("w.csv"));
    assert_eq!(usernames(&rows), ["user0002"]);
    assert_eq!(header(&env.path("w.csv")), ["username", "given_name"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("exported 1 of 1000 users"),
        "{}",
        text(&out)
    );

    // A missing attribute is the empty value.
    let out = run(export(
        &env,
        &["--where", "locale=", "--output", "-", "--quiet"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1 + 999, "every user but user0003");

    // A refused filter is a usage error naming it.
    let out = run(export(
        &env,
        &["--filter", "custom:tier = \"pro\"", "--output", "x.csv"],
    ))
    .await;
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("custom:tier"));
    assert!(!env.path("x.csv").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_list_each_user_once_with_spread_subs_and_when_the_sub_filter_is_refused() {
    let env = TestEnv::new().await;
    let client = crate::support::client(&env.emu);
    for i in 0..300 {
        // No sub given: the emulator draws a random UUID, so these spread over the 16 prefixes.
        client
            .admin_create_user()
            .user_pool_id(POOL)
            .username(format!("spread{i:03}"))
            .user_attributes(
                AttributeType::builder()
                    .name("email")
                    .value(format!("spread{i:03}@example.com"))
                    .build()
                    .unwrap(),
            )
            .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
    }
    let before = env.requests("ListUsers");
    let out = run(export(&env, &["--output", "all.csv"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let rows = read_csv(&env.path("all.csv"));
    assert_eq!(distinct(&rows), 1300);
    let prefixes: BTreeSet<char> = rows
        .iter()
        .filter(|r| r["username"].starts_with("spread"))
        .map(|r| r["cognito:sub"].chars().next().unwrap())
        .collect();
    assert!(prefixes.len() >= 12, "subs spread: {prefixes:?}");
    assert!(
        env.requests("ListUsers") - before >= 16 + 16,
        "every partition was read"
    );

    let refused = TestEnv::with(
        EmulatorConfig::default()
            .without_quotas()
            .with_refused_sub_filter(),
    )
    .await;
    let out = run(export(&refused, &["--output", "one.csv"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refused the partition filter") && stderr.contains("one stream"),
        "{stderr}"
    );
    assert_eq!(distinct(&read_csv(&refused.path("one.csv"))), 1000);
    assert_eq!(
        refused.requests("ListUsers"),
        1 + 17,
        "the refused probe, then 17 pages of 60"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_output_is_refused_without_overwrite() {
    let env = TestEnv::new().await;
    let path = env.write("users.csv", "keep me\n");
    let out = run(export(&env, &["--output", "users.csv"])).await;
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--overwrite"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me\n");
    assert_eq!(env.requests("ListUsers"), 0, "refused before any call");

    let out = run(export(&env, &["--output", "users.csv", "--overwrite"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(read_csv(&path).len(), 1000);
    let files: Vec<_> = std::fs::read_dir(env.dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "no temporary file left beside it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_piped_into_update_marks_the_unverified_users_verified_with_no_script() {
    let env = TestEnv::new().await;
    let unverified = ["user0004", "user0400", "user0999"];
    for user in unverified {
        set_attribute(&env, user, "email_verified", "false").await;
    }
    // The seed's own unverified users (user0201..user0300) and the three above.
    let mut expected: Vec<String> = (201..=300).map(|i| format!("user{i:04}")).collect();
    expected.extend(unverified.iter().map(|u| u.to_string()));
    expected.sort();
    let before = env.requests("AdminUpdateUserAttributes");
    let url = env.emu.endpoint_url();
    let bin = env!("CARGO_BIN_EXE_cognito-bulk");
    let script = format!(
        "set -o pipefail; '{bin}' export --endpoint-url {url} --user-pool-id {POOL} \
         --where 'email_verified!=true' --attributes username --output - \
         | '{bin}' update - --endpoint-url {url} --user-pool-id {POOL} --set email_verified=true \
           --report report.csv --rate 1000 --quiet"
    );
    let mut cmd = hermetic("bash", env.dir.path());
    cmd.args(["-c", &script]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = env.report();
    let mut names: Vec<&str> = report.iter().map(|r| r["username"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, expected);
    assert!(report.iter().all(|r| r["status"] == "updated"));
    for user in &expected {
        assert_eq!(
            env.attribute(user, "email_verified").as_deref(),
            Some("true")
        );
    }
    assert_eq!(
        env.requests("AdminUpdateUserAttributes") - before,
        expected.len() as u64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_the_export_and_leaves_no_file() {
    let env = TestEnv::new().await;
    let mut cmd = env.export(&["--list-rate", "2", "--output", "users.csv"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_until("pages listed", Duration::from_secs(60), || {
        env.requests("ListUsers") >= 3
    })
    .await;
    signal(child.id().unwrap(), "-INT");
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(code(&out), 130, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no output file was written"),
        "{}",
        text(&out)
    );
    let files: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(files.is_empty(), "nothing left behind: {files:?}");
    assert!(env.requests("ListUsers") < 32, "stopped before the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_pages_are_retried_and_every_user_is_written_once() {
    // 5,000 users with random subs, the emulator's own 30/s UserList quota, and far more asked for: pages are
    // throttled, the rate comes down, throttled pages are asked again.
    let dir = tempfile::tempdir().unwrap();
    let users: Vec<serde_json::Value> = (0..5000)
        .map(|i| serde_json::json!({ "Username": format!("u{i:05}"), "Attributes": [{"Name": "given_name", "Value": "X"}] }))
        .collect();
    let seed = dir.path().join("seed.json");
    let doc = serde_json::json!({ "UserPools": [{ "Id": POOL, "PoolName": "t", "Users": users }] });
    std::fs::write(&seed, doc.to_string()).unwrap();
    let emu = cognito_emulator::start(EmulatorConfig::default().with_seed(seed))
        .await
        .unwrap();
    let env = TestEnv { dir, emu };
    let out = run(export(&env, &["--output", "users.csv"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let throttled = env
        .emu
        .stats()
        .throttled
        .get("ListUsers")
        .copied()
        .unwrap_or(0);
    assert!(throttled > 0, "the quota was hit: {}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("{throttled} throttled")),
        "the summary counts the throttles: {}",
        text(&out)
    );
    let rows = read_csv(&env.path("users.csv"));
    assert_eq!(distinct(&rows), 5000);
    let mut per_prefix = std::collections::BTreeMap::<char, usize>::new();
    for row in &rows {
        *per_prefix
            .entry(row["cognito:sub"].chars().next().unwrap())
            .or_default() += 1;
    }
    let pages: usize = "0123456789abcdef"
        .chars()
        .map(|p| per_prefix.get(&p).copied().unwrap_or(0).div_ceil(60).max(1))
        .sum();
    assert_eq!(
        env.requests("ListUsers") - throttled,
        pages as u64,
        "every page answered once: throttled pages were asked again, nothing else"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_export_to_the_same_output_is_refused_while_the_first_runs() {
    let env = TestEnv::new().await;
    let slow = |extra: &[&str]| {
        let mut cmd = env.export(&["--list-rate", "4", "--output", "users.csv", "--quiet"]);
        cmd.args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    };
    let first = slow(&[]).spawn().unwrap();
    let holder = first.id().unwrap();
    wait_until(
        "the first export is listing",
        Duration::from_secs(60),
        || env.requests("ListUsers") >= 2,
    )
    .await;
    let pools_before = env.requests("DescribeUserPool");
    for extra in [&[][..], &["--overwrite"][..]] {
        let out = run(slow(extra)).await;
        assert_eq!(code(&out), 2, "{extra:?}: {}", text(&out));
        assert!(
            text(&out).contains(&holder.to_string()),
            "names the holder: {}",
            text(&out)
        );
    }
    assert_eq!(
        env.requests("DescribeUserPool"),
        pools_before,
        "the refused runs sent nothing"
    );
    let out = first.wait_with_output().await.unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(distinct(&read_csv(&env.path("users.csv"))), 1000);
    assert!(
        !env.path("users.csv.lock").exists(),
        "the lock file goes with the run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_output_pipe_ends_the_export_quietly() {
    let env = TestEnv::new().await;
    let script = format!(
        "set -o pipefail; '{}' export --endpoint-url {} --user-pool-id {POOL} --list-rate 1000 --quiet \
         --output - | head -3",
        env!("CARGO_BIN_EXE_cognito-bulk"),
        env.emu.endpoint_url()
    );
    let mut cmd = hermetic("bash", env.dir.path());
    cmd.args(["-c", &script]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("error"), "no error line: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formulas_and_line_breaks_in_values_are_exported_harmless_and_round_trip_with_zero_writes()
{
    let env = TestEnv::new().await;
    let planted = [
        ("user0001", "given_name", "=HYPERLINK(\"http://x\",\"y\")"),
        ("user0002", "given_name", "@SUM(A1)"),
        ("user0003", "family_name", "=cmd|' /C calc'!A0"),
        ("user0004", "family_name", "two\nlines, \"quoted\""),
        ("user0005", "given_name", "'already quoted"),
        ("user0006", "custom:tier", "-1"),
    ];
    for (user, name, value) in planted {
        set_attribute(&env, user, name, value).await;
    }
    let planted_writes = env.requests("AdminUpdateUserAttributes");
    let out = run(export(&env, &["--output", "users.csv", "--quiet"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let path = env.path("users.csv");
    for row in read_csv(&path) {
        for (column, cell) in &row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{column} of {} would run in a spreadsheet: {cell:?}",
                row["username"]
            );
        }
    }
    let rows = read_csv(&path);
    let ada = rows.iter().find(|r| r["username"] == "user0001").unwrap();
    assert_eq!(ada["given_name"], "'=HYPERLINK(\"http://x\",\"y\")");

    // As it is, with no flag: every row unchanged, by per-user reads and by the export as a snapshot.
    for extra in [&[][..], &["--snapshot", "users.csv"][..]] {
        let mut args = vec![
            "--skip-unchanged",
            "--read-rate",
            "1000",
            "--allow-verification-messages",
            "--overwrite",
        ];
        args.extend_from_slice(extra);
        let out = run(env.update(&path, &args)).await;
        assert_eq!(code(&out), 0, "{extra:?}: {}", text(&out));
        let report = env.report();
        assert_eq!(report.len(), 1000);
        assert!(
            report.iter().all(|r| r["status"] == "unchanged"),
            "{extra:?}: {:?}",
            report.iter().find(|r| r["status"] != "unchanged")
        );
    }
    assert_eq!(
        env.requests("AdminUpdateUserAttributes"),
        planted_writes,
        "no write"
    );

    // --raw-values writes the values as Cognito holds them.
    let out = run(export(
        &env,
        &["--output", "raw.csv", "--quiet", "--raw-values"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let raw = read_csv(&env.path("raw.csv"));
    let ada = raw.iter().find(|r| r["username"] == "user0001").unwrap();
    assert_eq!(ada["given_name"], "=HYPERLINK(\"http://x\",\"y\")");
}
