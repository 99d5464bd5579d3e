//! The machine's faults, not Cognito's: a disk that fills up under the report, a report cut mid-record, an input
//! changed during the run, symbolic links where the run's files go, and the modes of the files it creates.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::*;

/// `n` rows for users user0001..: one attribute each.
fn tiers(env: &TestEnv, name: &str, n: usize, tier: &str) -> PathBuf {
    let mut text = String::from("username,custom:tier\n");
    for i in 1..=n {
        text.push_str(&format!("user{i:04},{tier}\n"));
    }
    env.write(name, text)
}

/// `update` with its report at `report` (anywhere), fast.
fn update_with_report(
    env: &TestEnv,
    csv: &Path,
    report: &Path,
    extra: &[&str],
) -> tokio::process::Command {
    let mut cmd = env.target("update");
    cmd.arg("--report")
        .arg(report)
        .args(["--rate", "1000", "--quiet"])
        .args(extra)
        .arg(csv);
    cmd
}

/// A small tmpfs, unmounted on drop; `None` (with a message) where this process may not mount one.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Option<SmallDisk> {
        let path = dir.join("small-disk");
        std::fs::create_dir_all(&path).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!(
                "skipped: cannot mount a tmpfs here (needs root); the full-disk test did not run"
            );
            return None;
        }
        Some(SmallDisk(path))
    }

    fn grow(&self, size: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_run_at_once_and_resume_writes_no_user_twice() {
    let env = TestEnv::new().await;
    let Some(disk) = SmallDisk::mount(env.dir.path(), "48k") else {
        return;
    };
    let csv = tiers(&env, "in.csv", 1000, "gold");
    let report = disk.0.join("report.csv");
    let undo = disk.0.join("undo.csv");
    let out = run(update_with_report(
        &env,
        &csv,
        &report,
        &["--undo-file", undo.to_str().unwrap(), "--concurrency", "8"],
    ))
    .await;
    assert_eq!(code(&out), 5, "stopped, resumable: {}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("the report could not be written")
            || stdout.contains("undo row could not be written"),
        "{stdout}"
    );
    assert!(stdout.contains("to continue: "), "{stdout}");
    let applied_first = env.emu.stats().applied_total;
    assert!(
        applied_first < 1000,
        "the run stopped at once: {applied_first} applied"
    );

    disk.grow("4m");
    let out = run(update_with_report(
        &env,
        &csv,
        &report,
        &["--undo-file", undo.to_str().unwrap(), "--resume"],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let rows = by_line(&read_csv(&report), 2..=1001);
    assert!(rows.values().all(|r| r["status"] == "updated"));
    let stats = env.emu.stats();
    let twice: Vec<&String> = stats
        .applied_updates
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(u, _)| u)
        .collect();
    assert!(twice.is_empty(), "users written twice: {twice:?}");
    assert_eq!(stats.applied_total, 1000);
    // The undo file is valid input and restores every user.
    let undo_rows = read_csv(&undo);
    assert_eq!(undo_rows.len(), 1000, "one undo row per user written");
    let out = run(env.validate(&undo, &["--offline"])).await;
    assert_eq!(
        code(&out),
        0,
        "the undo file is valid input: {}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_cut_mid_record_is_repaired_before_resume_appends() {
    let env = TestEnv::new().await;
    let csv = tiers(&env, "in.csv", 10, "gold");
    let out = run(env.update(&csv, &[])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    // A crash cut the report in the middle of its last record.
    let report = env.path("report.csv");
    let text_before = std::fs::read_to_string(&report).unwrap();
    let cut = text_before.trim_end().rfind(',').unwrap() - 3;
    std::fs::write(&report, &text_before[..cut]).unwrap();

    let out = run(env.update(&csv, &["--resume"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let rows = by_line(&env.report(), 2..=11);
    assert!(rows.values().all(|r| r["status"] == "updated"));
    assert!(
        std::fs::read_to_string(&report)
            .unwrap()
            .lines()
            .all(|l| l.split(',').count() == 10),
        "no record merged into another"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_line_with_the_wrong_field_count_is_an_error_naming_it() {
    let env = TestEnv::new().await;
    let csv = tiers(&env, "in.csv", 3, "gold");
    let out = run(env.update(&csv, &[])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report = env.path("report.csv");
    let mut text_now = std::fs::read_to_string(&report).unwrap();
    text_now.push_str("3,abc,user0002\n");
    std::fs::write(&report, text_now).unwrap();
    let out = run(env.update(&csv, &["--resume"])).await;
    assert_eq!(code(&out), 3, "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 5 has 3 fields"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_appended_to_the_input_during_the_run_are_never_sent() {
    let env = TestEnv::new().await;
    // Wide rows (a long `given_name`), so the file is much larger than one read of it.
    let note = "n".repeat(200);
    let mut text_in = String::from("username,custom:tier,given_name\n");
    for i in 1..=1000 {
        text_in.push_str(&format!("user{i:04},gold,{note}\n"));
    }
    let csv = env.write("in.csv", text_in);
    let mut cmd = env.update(&csv, &["--rate", "200", "--concurrency", "4"]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let report = env.path("report.csv");
    wait_until("the first outcomes", Duration::from_secs(60), || {
        report_rows(&report) >= 2
    })
    .await;
    // A second row for a user already in the file, a row for a new user, and a short row: none of them was
    // checked, none may be sent.
    let mut file = std::fs::OpenOptions::new().append(true).open(&csv).unwrap();
    std::io::Write::write_all(
        &mut file,
        b"user0001,platinum,x\nuser1000,silver,x\nuser0600\n",
    )
    .unwrap();
    drop(file);
    let out = child.wait_with_output().await.unwrap();
    assert_eq!(code(&out), 0, "{}", text(&out));
    by_line(&env.report(), 2..=1001);
    assert_eq!(env.applied("user0001"), 1);
    assert_eq!(env.applied("user1000"), 1);
    assert_eq!(
        env.attribute("user0001", "custom:tier").as_deref(),
        Some("gold")
    );
    assert_eq!(
        env.attribute("user1000", "custom:tier").as_deref(),
        Some("gold")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symbolic_links_at_the_report_its_lock_and_the_undo_file_are_refused() {
    let env = TestEnv::new().await;
    let csv = tiers(&env, "in.csv", 3, "gold");
    let precious = env.write("precious.txt", "keep me");
    // Refused before anything is written, and the file the link points to is intact.
    let refused_as_a_link = |out: &std::process::Output| {
        assert_eq!(code(out), 2, "{}", text(out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("symbolic link"),
            "{}",
            text(out)
        );
        assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    };

    // The report is a link: --overwrite does not write through it.
    std::os::unix::fs::symlink(&precious, env.path("report.csv")).unwrap();
    let out = run(env.update(&csv, &["--overwrite"])).await;
    refused_as_a_link(&out);
    std::fs::remove_file(env.path("report.csv")).unwrap();

    // The report's lock file is a link.
    std::os::unix::fs::symlink(&precious, env.path("report.csv.lock")).unwrap();
    let out = run(env.update(&csv, &[])).await;
    refused_as_a_link(&out);
    std::fs::remove_file(env.path("report.csv.lock")).unwrap();

    // The undo file is a link: --overwrite-undo does not write through it either.
    std::os::unix::fs::symlink(&precious, env.path("undo.csv")).unwrap();
    let out = run(env.update(
        &csv,
        &["--undo-file", "undo.csv", "--overwrite", "--overwrite-undo"],
    ))
    .await;
    refused_as_a_link(&out);
    assert_eq!(env.emu.stats().applied_total, 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_and_the_undo_file_are_private_under_umask_022() {
    let env = TestEnv::new().await;
    let csv = tiers(&env, "in.csv", 3, "gold");
    let script = format!(
        "umask 022; exec '{}' update --endpoint-url {} --user-pool-id {POOL} --report report.csv \
         --undo-file undo.csv --quiet '{}'",
        env!("CARGO_BIN_EXE_cognito-bulk"),
        env.emu.endpoint_url(),
        csv.display()
    );
    let mut cmd = hermetic("bash", env.dir.path());
    cmd.args(["-c", &script]);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    for name in ["report.csv", "undo.csv"] {
        let mode = std::fs::metadata(env.path(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name}: {mode:o}");
    }
}

/// The binary with no AWS credentials anywhere in the chain.
fn without_credentials(env: &TestEnv, args: &[&str]) -> tokio::process::Command {
    let mut cmd = env.command();
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(args);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_endpoint_needs_no_aws_setup_and_says_so() {
    let env = TestEnv::new().await;
    let csv = tiers(&env, "in.csv", 5, "gold");
    let url = env.emu.endpoint_url();
    let mut cmd = without_credentials(
        &env,
        &[
            "update",
            "--endpoint-url",
            &url,
            "--user-pool-id",
            POOL,
            "--report",
            "r.csv",
        ],
    );
    cmd.arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("signing with placeholder credentials"),
        "{}",
        text(&out)
    );
    assert_eq!(env.emu.stats().applied_total, 5);
    let out = run(without_credentials(
        &env,
        &[
            "export",
            "--endpoint-url",
            &url,
            "--user-pool-id",
            POOL,
            "--output",
            "-",
            "--quiet",
        ],
    ))
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_for_a_remote_endpoint_stop_every_subcommand_in_one_sentence() {
    let env = TestEnv::new().await;
    let csv = tiers(&env, "in.csv", 5, "gold");
    // Never contacted: the credentials are checked first.
    let remote = "http://192.0.2.1:9229";
    let pool = [
        "--endpoint-url",
        remote,
        "--user-pool-id",
        "eu-west-1_AbC123",
    ];
    let csv_arg = csv.to_str().unwrap();
    for args in [
        [&["update", "--report", "r.csv"][..], &pool, &[csv_arg]].concat(),
        [&["validate"][..], &pool, &[csv_arg]].concat(),
        [&["export", "--output", "out.csv"][..], &pool].concat(),
    ] {
        let out = run(without_credentials(&env, &args)).await;
        assert_eq!(code(&out), 5, "{args:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line: {stderr}");
        assert!(lines[0].contains("no usable AWS credentials"), "{stderr}");
        assert!(
            lines[0].len() < 400 + "cognito-bulk: error: ".len(),
            "{}",
            lines[0].len()
        );
        assert!(
            !stderr.contains("Error {") && !stderr.contains("source:"),
            "no debug dump: {stderr}"
        );
    }
    assert!(!env.path("r.csv").exists() && !env.path("out.csv").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_of_the_endpoint_pauses_the_run_and_no_row_fails() {
    use tokio::io::AsyncBufReadExt;

    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("state.json");
    let config = || {
        cognito_emulator::EmulatorConfig::default()
            .without_quotas()
            .with_state_file(&state_file)
    };
    let mut env = TestEnv::with(config()).await;
    let addr = env.emu.addr();
    let csv = tiers(&env, "in.csv", 600, "gold");
    let mut cmd = env.update(&csv, &["--rate", "100", "--concurrency", "4"]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let (tx, mut paused) = tokio::sync::mpsc::unbounded_channel();
    let mut stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let log = tokio::spawn(async move {
        let mut all = String::new();
        while let Ok(Some(line)) = stderr.next_line().await {
            if line.contains("the run pauses") {
                let _ = tx.send(());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let report = env.path("report.csv");
    wait_until("rows before the outage", Duration::from_secs(60), || {
        report_rows(&report) >= 100
    })
    .await;

    // The endpoint goes away (its state saved), until the run has paused; then it comes back on the same port.
    let stand_in = cognito_emulator::start(cognito_emulator::EmulatorConfig::default())
        .await
        .unwrap();
    let first = std::mem::replace(&mut env.emu, stand_in);
    let before = first.shutdown().await.applied_updates;
    tokio::time::timeout(Duration::from_secs(60), paused.recv())
        .await
        .expect("the run pauses")
        .unwrap();
    let mut restarted = None;
    for _ in 0..50 {
        match cognito_emulator::start(config().with_bind(addr)).await {
            Ok(emu) => {
                restarted = Some(emu);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let stand_in = std::mem::replace(&mut env.emu, restarted.expect("the port is free again"));
    stand_in.shutdown().await;

    let status = child.wait().await.unwrap();
    let stderr = log.await.unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the endpoint answers again"), "{stderr}");
    let rows = by_line(&env.report(), 2..=601);
    let not_updated: Vec<_> = rows.values().filter(|r| r["status"] != "updated").collect();
    assert!(not_updated.is_empty(), "{not_updated:?}");
    let after = env.emu.stats().applied_updates;
    for i in 1..=600 {
        let user = format!("user{i:04}");
        let n = before.get(&user).copied().unwrap_or(0) + after.get(&user).copied().unwrap_or(0);
        assert_eq!(n, 1, "{user} written {n} times");
        assert_eq!(env.attribute(&user, "custom:tier").as_deref(), Some("gold"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_applied_after_the_client_timed_out_is_read_back_and_not_resent() {
    // The service holds each update 1.5 s and applies it even though the client gave up after 1 s.
    let faults = cognito_emulator::Faults {
        late_apply: Duration::from_millis(1500),
        ..cognito_emulator::Faults::default()
    };
    let env = TestEnv::with(
        cognito_emulator::EmulatorConfig::default()
            .without_quotas()
            .with_faults(faults),
    )
    .await;
    let csv = tiers(&env, "in.csv", 5, "gold");
    let out = run(env.update(&csv, &["--attempt-timeout", "1s", "--max-attempts", "5"])).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let rows = by_line(&env.report(), 2..=6);
    for row in rows.values() {
        assert_eq!(row["status"], "updated");
        assert!(row["message"].contains("confirmed by read-back"), "{row:?}");
        assert_eq!(
            env.applied(&row["username"]),
            1,
            "{} written once",
            row["username"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_kills_with_resumes_under_dropped_connections_write_no_user_twice() {
    let faults = cognito_emulator::Faults {
        seed: 9,
        drop_rate: 0.02,
        drop_after_apply_share: 0.5,
        ..cognito_emulator::Faults::default()
    };
    let env = TestEnv::with(
        cognito_emulator::EmulatorConfig::default()
            .without_quotas()
            .with_faults(faults),
    )
    .await;
    let rows = 600;
    let csv = tiers(&env, "in.csv", rows, "gold");
    let report = env.path("report.csv");
    let command = || {
        let mut cmd = env.update(&csv, &["--rate", "200", "--concurrency", "8", "--resume"]);
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd
    };
    for kill in 1..=5 {
        let before = report_rows(&report);
        let mut child = command().spawn().unwrap();
        // Killed at a different point each time: after 20, 40, ... more outcomes than the last run left.
        wait_until("more outcomes", Duration::from_secs(60), || {
            report_rows(&report) >= before + 20 * kill
        })
        .await;
        child.start_kill().unwrap();
        child.wait().await.unwrap();
    }
    let out = run(command()).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let report_rows = by_line(&env.report(), 2..=rows as u64 + 1);
    assert!(report_rows.values().all(|r| r["status"] == "updated"));
    let twice: Vec<_> = env
        .emu
        .stats()
        .applied_updates
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "users written twice: {twice:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_private_copy_of_standard_input_leaves_nothing_behind_after_kill_9() {
    let env = TestEnv::slow(Duration::from_millis(200)).await;
    let tmp = env.path("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let input = std::fs::read(tiers(&env, "in.csv", 50, "gold")).unwrap();
    let mut cmd = env.update(std::path::Path::new("-"), &["--rate", "5"]);
    cmd.env("TMPDIR", &tmp)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stdin, &input)
        .await
        .unwrap();
    drop(stdin);
    let report = env.path("report.csv");
    wait_until("the run is sending", Duration::from_secs(60), || {
        report_rows(&report) >= 1
    })
    .await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "left in $TMPDIR: {left:?}");
}
