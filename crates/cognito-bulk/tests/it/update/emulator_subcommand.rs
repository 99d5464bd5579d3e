//! `cognito-bulk emulator` as a separate process, and `update --endpoint-url` against it: the way people use
//! the emulator to test their own Cognito code.

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_subcommand_serves_a_seeded_pool_and_saves_its_state() {
    let env = TestEnv::new().await;
    let state = env.path("state.json");
    let mut emulator = env.command();
    emulator
        .args(["emulator", "--port", "0", "--no-quotas", "--seed"])
        .arg(repo("sample-data/seed.json"))
        .arg("--state")
        .arg(&state)
        .stdout(std::process::Stdio::piped());
    let mut child = emulator.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().expect("first line");
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "binds loopback by default: {url}"
    );

    let csv = env.write("one.csv", "username,custom:tier\nuser0042,enterprise\n");
    let mut cmd = env.command();
    cmd.args([
        "update",
        "--endpoint-url",
        &url,
        "--user-pool-id",
        POOL,
        "--report",
        "r.csv",
        "--quiet",
    ])
    .arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));

    signal(child.id().unwrap(), "-TERM");
    child.wait().await.unwrap();
    let saved = std::fs::read_to_string(&state).expect("state written on SIGTERM");
    let saved: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let users = saved["UserPools"][0]["Users"].as_array().unwrap();
    let user = users.iter().find(|u| u["Username"] == "user0042").unwrap();
    assert!(
        user["Attributes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["Name"] == "custom:tier" && a["Value"] == "enterprise")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emulator_started_without_a_seed_says_it_holds_no_pool_and_so_does_the_job() {
    let env = TestEnv::new().await;
    let mut emulator = env.command();
    emulator
        .args(["emulator", "--port", "0", "--no-quotas"])
        .stdout(std::process::Stdio::piped());
    let mut child = emulator.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().expect("first line");
    let url = first.strip_prefix("listening on ").unwrap().to_string();
    let second = lines.next_line().await.unwrap().expect("second line");
    assert!(
        second.starts_with("no user pools: start with --seed FILE"),
        "{second}"
    );

    let csv = env.write("one.csv", "username,custom:tier\nuser0042,enterprise\n");
    let mut cmd = env.command();
    cmd.args([
        "update",
        "--endpoint-url",
        &url,
        "--user-pool-id",
        POOL,
        "--report",
        "r.csv",
    ])
    .arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 5, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "If the endpoint is a `cognito-bulk emulator` started by hand, it holds only the pools of its --seed file"
        ),
        "{}",
        text(&out)
    );
    signal(child.id().unwrap(), "-TERM");
    child.wait().await.unwrap();
}
