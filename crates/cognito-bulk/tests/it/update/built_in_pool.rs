//! The built-in pool of `local_*` pool ids remembers between runs (its state file), so that the steps of a
//! production run can be rehearsed on it: a second `--skip-unchanged` run writes nothing, `export | update -` works
//! on one pool, and two processes on one state file take turns.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;

use crate::support::*;

/// `n` rows for users user0001..: one attribute each.
fn tiers(env: &TestEnv, n: usize) -> String {
    let mut text = String::from("username,custom:tier\n");
    for i in 1..=n {
        text.push_str(&format!("user{i:04},gold\n"));
    }
    env.write("tiers.csv", text).to_string_lossy().into_owned()
}

/// The binary on the built-in pool (`local_SamplePool1`, state under the test's directory).
fn built_in(env: &TestEnv, args: &[&str]) -> tokio::process::Command {
    let mut cmd = env.command();
    cmd.args(args)
        .arg("--emulator-seed")
        .arg(repo("sample-data/seed.json"));
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_built_in_pool_sees_the_first_and_writes_nothing() {
    let env = TestEnv::new().await;
    let csv = tiers(&env, 30);
    let csv = csv.as_str();
    let first = run(built_in(
        &env,
        &[
            "update",
            "--rate",
            "1000",
            "--skip-unchanged",
            "--report",
            "one.csv",
            csv,
        ],
    ))
    .await;
    assert_eq!(code(&first), 0, "{}", text(&first));
    let state = env.path(".cognito-bulk/emulator-state.json");
    assert!(state.exists(), "the state is kept");
    assert_eq!(
        std::fs::metadata(&state).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("state .cognito-bulk/emulator-state.json"),
        "the banner says where the state lives: {}",
        text(&first)
    );
    let first_rows = read_csv(&env.path("one.csv"));
    assert_eq!(
        first_rows
            .iter()
            .filter(|r| r["status"] == "updated")
            .count(),
        30
    );

    let second = run(built_in(
        &env,
        &[
            "update",
            "--rate",
            "1000",
            "--skip-unchanged",
            "--report",
            "two.csv",
            csv,
        ],
    ))
    .await;
    assert_eq!(code(&second), 0, "{}", text(&second));
    let rows = read_csv(&env.path("two.csv"));
    assert_eq!(rows.len(), 30);
    assert!(
        rows.iter().all(|r| r["status"] == "unchanged"),
        "{:?}",
        rows.iter().find(|r| r["status"] != "unchanged")
    );

    // Reset: the seed again, so the same file has work to do.
    let mut reset = env.command();
    reset.args(["emulator", "--reset-state"]);
    let reset = run(reset).await;
    assert_eq!(code(&reset), 0, "{}", text(&reset));
    assert!(!state.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_piped_into_update_works_on_one_built_in_pool() {
    // The README's third job as written for the sample data: the seed's users user0201..user0300 are unverified,
    // and one more is unverified by a first run, which the export must see.
    let env = TestEnv::new().await;
    let unverify = env.write("unverify.csv", "username,email_verified\nuser0999,false\n");
    let out = run(built_in(
        &env,
        &[
            "update",
            "--rate",
            "1000",
            "--report",
            "setup.csv",
            unverify.to_str().unwrap(),
        ],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));

    let seed = repo("sample-data/seed.json");
    let script = format!(
        "set -o pipefail; B='{bin}'; S='{seed}'; \
         \"$B\" export --emulator-seed \"$S\" --where 'email_verified!=true' --attributes username --output - \
         | \"$B\" update - --emulator-seed \"$S\" --set email_verified=true --report fix.csv --rate 1000",
        bin = env!("CARGO_BIN_EXE_cognito-bulk"),
        seed = seed.display()
    );
    let mut cmd = hermetic("bash", env.dir.path());
    cmd.args(["-c", &script]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let mut fixed: Vec<String> = read_csv(&env.path("fix.csv"))
        .into_iter()
        .map(|r| r["username"].clone())
        .collect();
    fixed.sort();
    let mut expected: Vec<String> = (201..=300).map(|i| format!("user{i:04}")).collect();
    expected.push("user0999".into());
    assert_eq!(
        fixed, expected,
        "the seed's unverified users and the first run's change"
    );

    let out = run(built_in(
        &env,
        &[
            "export",
            "--where",
            "email_verified!=true",
            "--attributes",
            "username",
            "--output",
            "-",
            "--quiet",
        ],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1,
        "only the header: the update was kept: {}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_the_built_in_pool_waits_for_the_first() {
    let env = TestEnv::new().await;
    let csv = repo("sample-data/migration.csv");
    let csv = csv.to_str().unwrap();
    let mut slow = built_in(
        &env,
        &["update", "--rate", "40", "--report", "slow.csv", csv],
    );
    slow.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut slow = slow.spawn().unwrap();
    let report = env.path("slow.csv");
    wait_until("the first run is writing", Duration::from_secs(60), || {
        report_rows(&report) >= 5
    })
    .await;
    let mut second = built_in(
        &env,
        &[
            "update",
            "--rate",
            "1000",
            "--skip-unchanged",
            "--report",
            "second.csv",
            csv,
        ],
    );
    second
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut second = second.spawn().unwrap();
    let mut lines = tokio::io::BufReader::new(second.stderr.take().unwrap()).lines();
    let mut waited = false;
    while let Ok(Some(line)) = lines.next_line().await {
        if line.contains("is in use by another run") && line.contains("waiting for it to end") {
            waited = true;
            break;
        }
    }
    assert!(waited, "the second run says it waits");
    assert!(
        slow.try_wait().unwrap().is_none(),
        "while the first still runs"
    );
    assert_eq!(slow.wait().await.unwrap().code(), Some(0));
    assert_eq!(second.wait().await.unwrap().code(), Some(0));
    let rows = read_csv(&env.path("second.csv"));
    assert_eq!(rows.len(), 200);
    assert!(
        rows.iter().all(|r| r["status"] == "unchanged"),
        "the second run started from the first one's state"
    );
}
