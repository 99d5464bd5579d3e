//! `cognito-bulk emulator` as a separate process, and `update --endpoint-url` against it: the way people use
//! the emulator to test their own Cognito code.

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::*;

type Lines = tokio::io::Lines<BufReader<tokio::process::ChildStdout>>;

/// `cognito-bulk emulator --port 0 --no-quotas` with `extra`, the endpoint its first line names, and the lines
/// after it.
async fn spawn_emulator(
    env: &TestEnv,
    extra: &[&std::ffi::OsStr],
) -> (tokio::process::Child, String, Lines) {
    let mut emulator = env.command();
    emulator
        .args(["emulator", "--port", "0", "--no-quotas"])
        .args(extra)
        .stdout(std::process::Stdio::piped());
    let mut child = emulator.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().expect("first line");
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_string();
    (child, url, lines)
}

/// `update` of one row (user0042 to `enterprise`) against the emulator at `url`.
fn update_at(env: &TestEnv, url: &str) -> tokio::process::Command {
    let csv = env.write("one.csv", "username,custom:tier\nuser0042,enterprise\n");
    let mut cmd = env.command();
    cmd.args(["update", "--endpoint-url", url, "--user-pool-id", POOL])
        .args(["--report", "r.csv", "--quiet"])
        .arg(&csv);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_subcommand_serves_a_seeded_pool_and_saves_its_state() {
    let env = TestEnv::new().await;
    let state = env.path("state.json");
    let seed = repo("sample-data/seed.json");
    let (mut child, url, _) = spawn_emulator(
        &env,
        &[
            "--seed".as_ref(),
            seed.as_os_str(),
            "--state".as_ref(),
            state.as_os_str(),
        ],
    )
    .await;
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "binds loopback by default: {url}"
    );

    let out = run(update_at(&env, &url)).await;
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
    let (mut child, url, mut lines) = spawn_emulator(&env, &[]).await;
    let second = lines.next_line().await.unwrap().expect("second line");
    assert!(
        second.starts_with("no user pools: start with --seed FILE"),
        "{second}"
    );

    let out = run(update_at(&env, &url)).await;
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
