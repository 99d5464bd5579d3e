//! `validate` and `update --dry-run`: every check, against the pool's schema when a pool is reachable, and
//! nothing written.

use crate::support::*;

const SCHEMA_PROBLEMS: &str = "username,custom:tier,custom:score,custom:legacy_id,custom:nope,email,email_verified\n\
user0001,gold,,,,,\n\
user0002,a-tier-name-longer-than-16,,,,,\n\
user0003,,1001,,,,\n\
user0004,,,L-9,,,\n\
user0005,,,,x,,\n\
user0006,,,,,shared@example.com,true\n\
user0007,,,,,Shared@example.com,true\n\
user0008,,12,,,,\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_checks_the_pool_schema_and_alias_collisions_and_writes_nothing() {
    let env = TestEnv::new().await;
    let csv = env.write("schema.csv", SCHEMA_PROBLEMS);
    let out = run(env.validate(&csv, &["--report", "problems.csv"])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "schema.csv:3: column `custom:tier`: 26 characters, out of the schema's length",
        "schema.csv:4: column `custom:score`: out of the schema's range 0..1000",
        "schema.csv:5: column `custom:legacy_id`: the pool's schema makes this attribute immutable",
        "schema.csv:6: column `custom:nope`: the pool's schema has no such attribute",
        "schema.csv:8: column `email`: the same email as line 7",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("8 rows checked offline and against the pool's schema: 3 valid, 5 invalid"),
        "{}",
        text(&out)
    );
    let problems = read_csv(&env.path("problems.csv"));
    let lines: Vec<&str> = problems.iter().map(|p| p["line"].as_str()).collect();
    assert_eq!(lines, ["3", "4", "5", "6", "8"]);
    assert_eq!(problems[0]["column"], "custom:tier");
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 0);
    assert_eq!(
        env.requests("DescribeUserPool"),
        1,
        "one read of the schema"
    );

    // Offline, only the API's own rules apply (the alias collision is still flagged).
    env.emu.reset_stats();
    let out = run(env.validate(&csv, &["--offline"])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("7 valid, 1 invalid"),
        "{}",
        text(&out)
    );
    assert_eq!(
        env.emu.stats().requests.values().sum::<u64>(),
        0,
        "offline means no call"
    );

    let clean = env.write(
        "clean.csv",
        "username,custom:tier\nuser0001,gold\nuser0002,pro\n",
    );
    let out = run(env.validate(&clean, &[])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_does_the_whole_preflight_and_sends_nothing() {
    let env = TestEnv::new().await;
    let out = run(env.update(&repo("sample-data/migration.csv"), &["--dry-run"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("dry run: 200 rows, 200 would be sent, 0 invalid"),
        "{}",
        text(&out)
    );
    assert!(
        !env.path("report.csv").exists(),
        "a dry run writes no report"
    );
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 0);

    let csv = env.write("schema.csv", SCHEMA_PROBLEMS);
    let out = run(env.update(&csv, &["--dry-run"])).await;
    assert_eq!(
        code(&out),
        3,
        "the code the real run would be refused with: {}",
        text(&out)
    );
    let out = run(env.update(&csv, &["--dry-run", "--skip-invalid"])).await;
    assert_eq!(code(&out), 4, "{}", text(&out));
    assert_eq!(env.requests("AdminUpdateUserAttributes"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line_and_carry_no_values() {
    let env = TestEnv::new().await;
    let csv = env.write("e.csv", "username,email\nuser0001,secret-new@example.com\n");
    let mut cmd = env.update(&csv, &["--log-format", "json"]);
    cmd.env("RUST_LOG", "debug");
    let out = run(cmd).await;
    assert_eq!(code(&out), 6, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with('{')).collect();
    assert!(!json_lines.is_empty(), "{stderr}");
    for line in json_lines {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert!(
        !stderr.contains("secret-new"),
        "attribute values never reach the logs"
    );
}
