//! What is on the disk before a request leaves: the row's `sending` record (and its undo row), synced. Checked on
//! the real binary's system calls with `strace` (skipped, with a line saying so, where it is not installed or may
//! not trace).

use crate::support::*;

/// The system calls of `update` on `csv`, one per line, with the strings they write.
async fn traced(env: &TestEnv, csv: &std::path::Path, extra: &[&str]) -> Option<Vec<String>> {
    let trace = env.path("trace.txt");
    let mut cmd = hermetic("strace", env.dir.path());
    cmd.args([
        "-f",
        "-s",
        "4096",
        "-e",
        "trace=write,writev,sendto,sendmsg,fdatasync,fsync",
        "-o",
    ])
    .arg(&trace)
    .arg(env!("CARGO_BIN_EXE_cognito-bulk"))
    .args([
        "update",
        "--endpoint-url",
        &env.emu.endpoint_url(),
        "--user-pool-id",
        POOL,
        "--report",
        "report.csv",
        "--quiet",
    ])
    .args(extra)
    .arg(csv);
    let out = match cmd.output().await {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped: strace is not installed ({e})");
            return None;
        }
    };
    let denied = String::from_utf8_lossy(&out.stderr).contains("ptrace");
    if !trace.exists() || (code(&out) != 0 && denied) {
        eprintln!("skipped: strace could not trace here: {}", text(&out));
        return None;
    }
    assert_eq!(code(&out), 0, "{}", text(&out));
    Some(
        std::fs::read_to_string(&trace)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

fn first(trace: &[String], what: &str, pred: impl Fn(&str) -> bool) -> usize {
    trace
        .iter()
        .position(|l| pred(l))
        .unwrap_or_else(|| panic!("no {what} in the trace:\n{}", trace.join("\n")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sending_record_and_the_undo_row_are_synced_before_the_write_leaves() {
    let env = TestEnv::new().await;
    let csv = env.write("in.csv", "username,custom:tier\nuser0001,platinum\n");
    let Some(trace) = traced(&env, &csv, &["--undo-file", "undo.csv"]).await else {
        return;
    };
    let intent = first(&trace, "sending record", |l| {
        l.contains("write(") && l.contains(",user0001,sending,")
    });
    let request = first(&trace, "AdminUpdateUserAttributes request", |l| {
        l.contains("AdminUpdateUserAttributes") && !l.contains(",sending,")
    });
    let undo_row = first(&trace, "undo row", |l| {
        l.contains("write(")
            && l.contains("user0001,")
            && !l.contains(",sending,")
            && l.contains("\"user0001,")
    });
    // The row's first request: the read of its old values for the undo file.
    let read = first(&trace, "AdminGetUser request", |l| {
        l.contains("AWSCognitoIdentityProviderService.AdminGetUser")
    });
    // A sync that finished (`fdatasync(7) = 0`, or `<... fdatasync resumed>) = 0` when threads interleave).
    let synced_between = |from: usize, to: usize| {
        trace[from..to]
            .iter()
            .any(|l| l.contains("fdatasync") && l.trim_end().ends_with("= 0"))
    };
    let all = trace.join("\n");
    assert!(
        intent < read && synced_between(intent, read),
        "the intent is synced before the row's first request:\n{all}"
    );
    assert!(
        read < undo_row && undo_row < request && synced_between(undo_row, request),
        "the undo row is synced before the write:\n{all}"
    );
    assert_eq!(env.applied("user0001"), 1);
}
