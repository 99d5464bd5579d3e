//! One run against moto_server, an independent Cognito fake that implements groups and the enabled state, so that
//! the membership calls are checked against a second implementation besides the emulator. `.ci/run` installs moto
//! from PyPI, starts it on loopback and names it in `COGNITO_BULK_TEST_MOTO`; without it, the test says so and
//! checks nothing.

use aws_sdk_cognitoidentityprovider as cip;

use crate::support::*;

async fn groups_of(c: &cip::Client, pool: &str, user: &str) -> Vec<String> {
    let out = c
        .admin_list_groups_for_user()
        .user_pool_id(pool)
        .username(user)
        .send()
        .await
        .unwrap();
    let mut names: Vec<String> = out
        .groups()
        .iter()
        .map(|g| g.group_name().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_and_enabled_state_apply_against_moto_server() {
    let Ok(url) = std::env::var("COGNITO_BULK_TEST_MOTO") else {
        eprintln!(
            "skipped: COGNITO_BULK_TEST_MOTO is not set (`.ci/run` starts moto_server and sets it)"
        );
        return;
    };
    let c = client_at(&url);
    let pool = c
        .create_user_pool()
        .pool_name(format!("cognito-bulk-{}", std::process::id()))
        .send()
        .await
        .unwrap()
        .user_pool()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    for user in ["ann", "bob", "cy"] {
        c.admin_create_user()
            .user_pool_id(&pool)
            .username(user)
            .message_action(cip::types::MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
    }
    for group in ["premium", "trial"] {
        c.create_group()
            .user_pool_id(&pool)
            .group_name(group)
            .send()
            .await
            .unwrap();
    }
    c.admin_add_user_to_group()
        .user_pool_id(&pool)
        .username("bob")
        .group_name("trial")
        .send()
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("groups.csv");
    std::fs::write(
        &csv,
        "username,given_name,cognito-bulk:add-groups,cognito-bulk:remove-groups,cognito-bulk:enabled\n\
         ann,Ann,premium,,\n\
         bob,,premium,trial,\n\
         cy,,,,false\n",
    )
    .unwrap();
    let update = |extra: &[&str]| {
        let mut cmd = binary(dir.path());
        cmd.args(["update", "--endpoint-url", &url, "--user-pool-id", &pool])
            .args([
                "--report",
                "report.csv",
                "--rate",
                "50",
                "--quiet",
                "--overwrite",
            ])
            .args(extra)
            .arg(&csv);
        cmd
    };
    let out = run(update(&[])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = read_csv(&dir.path().join("report.csv"));
    assert_eq!(report.len(), 3, "{report:?}");
    assert!(
        report.iter().all(|r| r["status"] == "updated"),
        "{report:?}"
    );
    assert_eq!(groups_of(&c, &pool, "ann").await, ["premium"]);
    assert_eq!(groups_of(&c, &pool, "bob").await, ["premium"]);
    let cy = c
        .admin_get_user()
        .user_pool_id(&pool)
        .username("cy")
        .send()
        .await
        .unwrap();
    assert!(!cy.enabled());

    // Read back by the job itself: nothing left to send.
    let out = run(update(&["--skip-unchanged", "--compare-with", "reads"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = read_csv(&dir.path().join("report.csv"));
    assert_eq!(report.len(), 3, "{report:?}");
    assert!(
        report.iter().all(|r| r["status"] == "unchanged"),
        "{report:?}"
    );
}
