//! The main job on the sample data: attributes really change, every row is reported once, applied once.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_updates_every_user_once_and_reports_every_line() {
    let env = TestEnv::new().await;
    let out = run(env.update(&repo("sample-data/migration.csv"), &[])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));

    let report = by_line(&env.report(), 2..=201);
    let rows = migration_rows();
    for (line, username, attrs) in &rows {
        let r = &report[line];
        assert_eq!(
            (
                r["username"].as_str(),
                r["status"].as_str(),
                r["attempts"].as_str()
            ),
            (username.as_str(), "updated", "1")
        );
        assert!(!r["request_id"].is_empty());
        let mut names: Vec<&str> = attrs.iter().map(|(n, _)| n.as_str()).collect();
        let mut reported: Vec<&str> = r["attributes"].split(';').collect();
        names.sort_unstable();
        reported.sort_unstable();
        assert_eq!(reported, names, "the attribute names sent");
        for (name, value) in attrs {
            assert_eq!(
                env.attribute(username, name).as_deref(),
                Some(value.as_str()),
                "{username} {name}"
            );
        }
        assert_eq!(env.applied(username), 1, "{username} applied exactly once");
    }
    assert_eq!(env.emu.stats().applied_total, 200);
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 200);

    // Values are personal data: none reaches the report or the output.
    let report_text = std::fs::read_to_string(env.path("report.csv")).unwrap();
    let out_text = text(&out);
    for (_, _, attrs) in &rows {
        for (name, value) in attrs {
            if name.starts_with("custom:tenant_id") {
                assert!(
                    !report_text.contains(value.as_str()) && !out_text.contains(value.as_str())
                );
            }
        }
    }
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("200 rows")
            && summary.contains("200 updated")
            && summary.contains(&format!(
                "target: endpoint {} (pool {POOL})",
                env.emu.endpoint_url()
            )),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_emails_with_set_marks_each_user_verified_and_sends_no_message() {
    let env = TestEnv::new().await;
    for i in 201..=300 {
        let user = format!("user{i:04}");
        assert_eq!(
            env.attribute(&user, "email_verified").as_deref(),
            Some("false"),
            "the seed leaves {user} unverified"
        );
    }
    env.emu.reset_stats();
    let out = run(env.update(
        &repo("sample-data/verify-emails.csv"),
        &["--set", "email_verified=true"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = by_line(&env.report(), 2..=101);
    assert!(
        report
            .values()
            .all(|r| r["status"] == "updated" && r["attributes"] == "email_verified")
    );
    for i in 201..=300 {
        assert_eq!(
            env.attribute(&format!("user{i:04}"), "email_verified")
                .as_deref(),
            Some("true")
        );
    }
    assert_eq!(env.emu.stats().verification_messages, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_csv_header_stdin_bom_and_crlf_are_accepted() {
    let env = TestEnv::new().await;
    let csv = "\u{feff}name,cognito:mfa_enabled,cognito:username\r\nAda One,false,user0001\r\n\"Smith, Bo\",false,user0002\r\n";
    let mut cmd = env.update(std::path::Path::new("-"), &[]);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use tokio::io::AsyncWriteExt;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(csv.as_bytes())
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = by_line(&env.report(), 2..=3);
    assert_eq!(
        report[&3]["attributes"], "name",
        "cognito:mfa_enabled is not sent"
    );
    assert_eq!(
        env.attribute("user0002", "name").as_deref(),
        Some("Smith, Bo")
    );
}
