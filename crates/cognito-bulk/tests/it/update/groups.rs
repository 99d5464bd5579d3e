//! Group membership and enabled state end to end: the membership columns through the real binary and SDK against
//! the emulator (whose sample pool has groups `staff` = user0001..user0003, `trial` = user0901..user1000 and an
//! empty `premium`): every call on its own, a row combining them with attributes and the delete column, a missing
//! group refused before the first write, read-back after dropped connections, `--skip-unchanged` by reads and by
//! snapshot, undo, and `export --groups` round trips.

use cognito_emulator::{EmulatorConfig, Faults};

use crate::support::*;

fn groups(env: &TestEnv, user: &str) -> Vec<String> {
    env.emu.user(POOL, user).expect("user exists").groups
}

fn enabled(env: &TestEnv, user: &str) -> bool {
    env.emu.user(POOL, user).expect("user exists").enabled
}

/// `update --skip-unchanged` compared `way` (`reads` or `snapshot`), over the report of an earlier run, with fast
/// reads and listings; `extra` adds flags.
async fn skip_unchanged(
    env: &TestEnv,
    csv: &std::path::Path,
    way: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut flags = vec![
        "--skip-unchanged",
        "--compare-with",
        way,
        "--overwrite",
        "--read-rate",
        "1000",
        "--list-rate",
        "1000",
    ];
    flags.extend(extra);
    run(env.update(csv, &flags)).await
}

/// Requests of the operations that write (every one on the UserUpdate quota).
fn writes(env: &TestEnv) -> u64 {
    [
        "AdminUpdateUserAttributes",
        "AdminDeleteUserAttributes",
        "AdminAddUserToGroup",
        "AdminRemoveUserFromGroup",
        "AdminEnableUser",
        "AdminDisableUser",
    ]
    .iter()
    .map(|op| env.requests(op))
    .sum()
}

const MIXED: &str = "username,given_name,cognito-bulk:delete,cognito-bulk:add-groups,cognito-bulk:remove-groups,cognito-bulk:groups,cognito-bulk:enabled\n\
    user0001,,,premium,,,\n\
    user0002,,,,staff,,\n\
    user0003,,,,,premium;trial,\n\
    user0004,,,,,,false\n\
    user0005,Zed,family_name,premium;trial,,,false\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adds_removes_exact_sets_and_enabled_state_apply_with_attributes_in_one_run() {
    let env = TestEnv::new().await;
    let csv = env.write("mixed.csv", MIXED);
    let out = run(env.update(&csv, &[])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));

    assert_eq!(groups(&env, "user0001"), ["premium", "staff"]);
    assert!(groups(&env, "user0002").is_empty());
    assert_eq!(
        groups(&env, "user0003"),
        ["premium", "trial"],
        "staff removed"
    );
    assert!(!enabled(&env, "user0004"));
    assert_eq!(groups(&env, "user0005"), ["premium", "trial"]);
    assert!(!enabled(&env, "user0005"));
    assert_eq!(
        env.attribute("user0005", "given_name").as_deref(),
        Some("Zed")
    );
    assert_eq!(env.attribute("user0005", "family_name"), None);

    let report = by_line(&env.report(), 2..=6);
    assert!(
        report.values().all(|r| r["status"] == "updated"),
        "{report:?}"
    );
    let column = |line: u64| report[&line]["attributes"].as_str();
    assert_eq!(column(2), "+group:premium");
    assert_eq!(column(3), "-group:staff");
    assert_eq!(column(4), "groups=premium,trial");
    assert_eq!(column(5), "enabled=false");
    assert_eq!(
        column(6),
        "given_name;-family_name;+group:premium;+group:trial;enabled=false"
    );
    // `attempts` counts every write request of the row.
    let attempts: Vec<&str> = (2..=6).map(|l| report[&l]["attempts"].as_str()).collect();
    assert_eq!(attempts, ["1", "1", "3", "1", "5"]);
    assert_eq!(env.requests("AdminAddUserToGroup"), 5);
    assert_eq!(env.requests("AdminRemoveUserFromGroup"), 2);
    assert_eq!(env.requests("AdminDisableUser"), 2);
    assert_eq!(
        env.requests("AdminListGroupsForUser"),
        1,
        "only the exact set needs the user's groups"
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("5 AdminAddUserToGroup, 2 AdminRemoveUserFromGroup")
            && summary.contains("2 AdminDisableUser"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_group_is_refused_before_the_first_write() {
    let env = TestEnv::new().await;
    let csv = env.write(
        "groups.csv",
        "username,cognito-bulk:add-groups\nuser0001,premium\nuser0002,premuim\nuser0003,has space\n",
    );
    let out = run(env.update(&csv, &[])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("the pool has no group `premuim` (did you mean `premium`?)"),
        "{shown}"
    );
    assert!(
        shown.contains("group `has space` contains a space"),
        "{shown}"
    );
    assert_eq!(writes(&env), 0, "nothing was written");
    assert_eq!(
        env.requests("ListGroups"),
        1,
        "the pool's groups are read once"
    );

    let out = run(env.validate(&csv, &[])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(text(&out).contains("premuim"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_and_validate_count_the_calls_per_operation() {
    let env = TestEnv::new().await;
    let out = run(env.update(&repo("sample-data/groups.csv"), &["--dry-run"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains(
            "write calls (at most): 50 AdminAddUserToGroup, 10 AdminDisableUser, 60 AdminRemoveUserFromGroup"
        ),
        "{shown}"
    );
    let out = run(env.validate(&repo("sample-data/groups.csv"), &[])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("60 AdminRemoveUserFromGroup"),
        "{}",
        text(&out)
    );
    assert_eq!(writes(&env), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_on_each_new_operation_is_read_back_and_not_resent() {
    let env = TestEnv::with(
        EmulatorConfig::default()
            .without_quotas()
            .with_faults(Faults {
                drop_rate: 1.0,
                drop_after_apply_share: 1.0,
                operations: vec![
                    "AdminAddUserToGroup".into(),
                    "AdminRemoveUserFromGroup".into(),
                    "AdminDisableUser".into(),
                    "AdminEnableUser".into(),
                ],
                ..Faults::default()
            }),
    )
    .await;
    let csv = env.write(
        "drops.csv",
        "username,cognito-bulk:add-groups,cognito-bulk:remove-groups,cognito-bulk:enabled\n\
         user0010,premium,,\n\
         user0901,,trial,\n\
         user0011,,,false\n\
         user0012,,,true\n",
    );
    client(&env.emu)
        .admin_disable_user()
        .user_pool_id(POOL)
        .username("user0012")
        .send()
        .await
        .expect_err("the fault drops this call too, after applying it");
    assert!(!enabled(&env, "user0012"));
    let out = run(env.update(&csv, &["--max-attempts", "3"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = env.report();
    assert!(
        report
            .iter()
            .all(|r| r["status"] == "updated" && r["message"].starts_with("confirmed by read-back")),
        "{report:?}"
    );
    assert_eq!(groups(&env, "user0010"), ["premium"]);
    assert!(groups(&env, "user0901").is_empty());
    assert!(!enabled(&env, "user0011"));
    assert!(enabled(&env, "user0012"));
    // Each call went out once: the read-back found it applied.
    assert_eq!(env.requests("AdminAddUserToGroup"), 1);
    assert_eq!(env.requests("AdminRemoveUserFromGroup"), 1);
    assert_eq!(
        env.requests("AdminDisableUser"),
        2,
        "the set-up's and the run's"
    );
    assert_eq!(env.requests("AdminEnableUser"), 1);
    assert_eq!(env.emu.stats().faults.dropped_after_apply, 5);
    assert!(
        env.requests("AdminListGroupsForUser") >= 2,
        "groups read back"
    );
    assert!(
        env.requests("AdminGetUser") >= 1,
        "the enabled state read back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_run_with_skip_unchanged_sends_nothing_by_reads_or_by_snapshot() {
    let env = TestEnv::with(
        EmulatorConfig::default()
            .without_quotas()
            .with_short_pages(),
    )
    .await;
    let csv = env.write("mixed.csv", MIXED);
    let out = run(env.update(&csv, &[])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let first = writes(&env);

    for way in ["reads", "snapshot"] {
        let out = skip_unchanged(&env, &csv, way, &[]).await;
        assert_eq!(code(&out), 0, "{way}: {}", text(&out));
        let report = by_line(&env.report(), 2..=6);
        assert!(
            report.values().all(|r| r["status"] == "unchanged"),
            "{way}: {report:?}"
        );
        assert_eq!(writes(&env), first, "{way}: nothing written");
    }

    // One user drifts: only what it lacks is sent, by snapshot (no per-user read) and by reads.
    let c = client(&env.emu);
    c.admin_remove_user_from_group()
        .user_pool_id(POOL)
        .username("user0005")
        .group_name("trial")
        .send()
        .await
        .unwrap();
    for way in ["snapshot", "reads"] {
        let (adds, removes) = (
            env.requests("AdminAddUserToGroup"),
            env.requests("AdminRemoveUserFromGroup"),
        );
        let reads = env.requests("AdminListGroupsForUser");
        let out = skip_unchanged(&env, &csv, way, &[]).await;
        assert_eq!(code(&out), 0, "{way}: {}", text(&out));
        let report = by_line(&env.report(), 2..=6);
        assert_eq!(report[&6]["status"], "updated", "{way}");
        assert_eq!(report[&5]["status"], "unchanged", "{way}");
        assert_eq!(
            env.requests("AdminAddUserToGroup") - adds,
            1,
            "{way}: only trial"
        );
        assert_eq!(env.requests("AdminRemoveUserFromGroup"), removes, "{way}");
        assert_eq!(groups(&env, "user0005"), ["premium", "trial"]);
        if way == "snapshot" {
            assert_eq!(
                env.requests("AdminListGroupsForUser"),
                reads,
                "the snapshot knew every membership"
            );
            // Put the drift back for the second way.
            c.admin_remove_user_from_group()
                .user_pool_id(POOL)
                .username("user0005")
                .group_name("trial")
                .send()
                .await
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_undo_file_restores_membership_and_enabled_state() {
    let env = TestEnv::new().await;
    let users = ["user0001", "user0002", "user0003", "user0004", "user0005"];
    let before: Vec<_> = users
        .iter()
        .map(|u| env.emu.user(POOL, u).unwrap())
        .collect();
    let csv = env.write("mixed.csv", MIXED);
    let out = run(env.update(&csv, &["--undo-file", "undo.csv"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let undo = std::fs::read_to_string(env.path("undo.csv")).unwrap();
    assert!(
        undo.starts_with(
            "username,given_name,family_name,cognito-bulk:delete,cognito-bulk:add-groups,\
             cognito-bulk:remove-groups,cognito-bulk:enabled\n"
        ),
        "{undo}"
    );
    let mut cmd = env.target("update");
    cmd.args(["--report", "undo-report.csv", "--rate", "1000", "--quiet"])
        .arg(env.path("undo.csv"));
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let after: Vec<_> = users
        .iter()
        .map(|u| env.emu.user(POOL, u).unwrap())
        .collect();
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(
            (&b.groups, b.enabled, &b.attributes),
            (&a.groups, a.enabled, &a.attributes),
            "{}",
            b.username
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_with_groups_round_trips_with_zero_writes_through_short_pages() {
    let env = TestEnv::with(
        EmulatorConfig::default()
            .without_quotas()
            .with_short_pages(),
    )
    .await;
    let c = client(&env.emu);
    c.admin_disable_user()
        .user_pool_id(POOL)
        .username("user0500")
        .send()
        .await
        .unwrap();
    let out = run(env.export(&[
        "--groups",
        "--output",
        "users.csv",
        "--quiet",
        "--list-rate",
        "1000",
    ]))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let exported = read_csv(&env.path("users.csv"));
    assert_eq!(
        exported.len(),
        1000,
        "every user once through short and empty pages"
    );
    let names: std::collections::BTreeSet<&str> =
        exported.iter().map(|r| r["username"].as_str()).collect();
    assert_eq!(names.len(), 1000);
    let row = |user: &str| exported.iter().find(|r| r["username"] == user).unwrap();
    assert_eq!(row("user0001")["cognito-bulk:groups"], "staff");
    assert_eq!(row("user0950")["cognito-bulk:groups"], "trial");
    assert_eq!(row("user0500")["cognito-bulk:groups"], "");
    assert_eq!(row("user0500")["cognito-bulk:enabled"], "false");
    assert_eq!(row("user0501")["cognito-bulk:enabled"], "true");

    let before = writes(&env);
    for way in ["snapshot", "reads"] {
        // By reads the guard cannot know that the unverified users' emails do not change: nothing is sent anyway.
        let out = skip_unchanged(
            &env,
            &env.path("users.csv"),
            way,
            &["--allow-verification-messages"],
        )
        .await;
        assert_eq!(code(&out), 0, "{way}: {}", text(&out));
        assert!(
            by_line(&env.report(), 2..=1001)
                .values()
                .all(|r| r["status"] == "unchanged"),
            "{way}"
        );
        assert_eq!(writes(&env), before, "{way}: zero writes");
    }
    // The export is also a snapshot file that knows memberships: no per-user read.
    let reads = env.requests("AdminListGroupsForUser");
    let out = run(env.update(
        &repo("sample-data/groups.csv"),
        &["--skip-unchanged", "--snapshot", "users.csv", "--overwrite"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(env.requests("AdminListGroupsForUser"), reads);
    assert_eq!(
        env.requests("AdminGetUser"),
        1000,
        "only the reads of the run above"
    );
    assert_eq!(groups(&env, "user0901"), ["premium"]);
    assert!(!enabled(&env, "user0991"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_resume_sends_each_membership_call_once() {
    let env = TestEnv::new().await;
    let mut text_csv = String::from("username,cognito-bulk:add-groups,cognito-bulk:enabled\n");
    for i in 101..=300 {
        let enabled = if i % 10 == 0 { "false" } else { "" };
        text_csv.push_str(&format!("user{i:04},premium,{enabled}\n"));
    }
    let csv = env.write("premium.csv", text_csv);
    let mut cmd = env.update(&csv, &["--rate", "40", "--concurrency", "4"]);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let child = cmd.spawn().unwrap();
    let report = env.path("report.csv");
    wait_until(
        "rows in the report",
        std::time::Duration::from_secs(60),
        || report_rows(&report) >= 30,
    )
    .await;
    signal(child.id().unwrap(), "-KILL");
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), None, "killed by a signal");

    let out = run(env.update(&csv, &["--resume"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let last = by_line(&env.report(), 2..=201);
    assert!(last.values().all(|r| r["status"] == "updated"), "{last:?}");
    for i in 101..=300 {
        let user = format!("user{i:04}");
        assert!(
            groups(&env, &user).contains(&"premium".to_string()),
            "{user}"
        );
        assert_eq!(enabled(&env, &user), i % 10 != 0, "{user}");
    }
    // Rows in flight at the kill were read back, not sent again: at most the four in flight may have been sent
    // twice (a request cut before the emulator applied it), never the whole file again.
    let adds = env.requests("AdminAddUserToGroup");
    let disables = env.requests("AdminDisableUser");
    assert!((200..=204).contains(&adds), "{adds} AdminAddUserToGroup");
    assert!((20..=24).contains(&disables), "{disables} AdminDisableUser");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_group_is_invalid_and_the_snapshot_still_serves_the_other_rows() {
    let env = TestEnv::new().await;
    let csv = env.write(
        "groups.csv",
        "username,cognito-bulk:add-groups\nuser0001,premium\nuser0002,premuim\nuser0003,staff\n",
    );
    let out = run(env.update(
        &csv,
        &[
            "--skip-unchanged",
            "--compare-with",
            "snapshot",
            "--skip-invalid",
            "--list-rate",
            "1000",
        ],
    ))
    .await;
    assert_eq!(code(&out), 4, "{}", text(&out));
    let report = by_line(&env.report(), 2..=4);
    assert_eq!(report[&2]["status"], "updated");
    assert_eq!(report[&3]["status"], "invalid");
    assert_eq!(
        report[&4]["status"], "unchanged",
        "user0003 is in staff already"
    );
    assert_eq!(env.requests("AdminAddUserToGroup"), 1);
    assert_eq!(groups(&env, "user0001"), ["premium", "staff"]);
}
