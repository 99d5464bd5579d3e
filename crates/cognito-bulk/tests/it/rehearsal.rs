//! The documentation's checked command blocks run as written on the built-in pool: the README's three jobs on the
//! sample data, production.md's rehearsal of the safety steps, and groups.md's membership run, one after another
//! in one copy of the sample data with `cognito-bulk` on the PATH; a `# exit N` comment is the code the line must
//! end with (0 otherwise).

use std::path::Path;

use crate::support::*;

const MARKER: &str =
    "<!-- checked: the tests run this block, line by line, on the built-in pool -->";

/// One command of a checked block: its line in the document, the shell text and the exit code it must end with.
#[derive(Debug)]
struct Step {
    line: usize,
    command: String,
    exit: i32,
}

/// The steps of the one checked block of `document` (lines ending in `\` continue on the next).
fn checked_steps(document: &str) -> Vec<Step> {
    let text = std::fs::read_to_string(repo(document)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == MARKER)
        .unwrap_or_else(|| panic!("{document} has no checked block"));
    assert_eq!(
        lines[start + 1],
        "```sh",
        "{document}: the marker is followed by a sh block"
    );
    let mut steps = Vec::new();
    let mut pending: Option<Step> = None;
    for (i, line) in lines.iter().enumerate().skip(start + 2) {
        if line.starts_with("```") {
            break;
        }
        let step = pending.get_or_insert_with(|| Step {
            line: i + 1,
            command: String::new(),
            exit: 0,
        });
        let (code, comment) = match line.find("  # ") {
            Some(at) => (&line[..at], &line[at + 4..]),
            None => (*line, ""),
        };
        if let Some(n) = comment.strip_prefix("exit ") {
            step.exit = n.split(':').next().unwrap().parse().unwrap();
        }
        match code.trim_end().strip_suffix('\\') {
            Some(head) => step.command.push_str(head),
            None => {
                step.command.push_str(code);
                steps.push(pending.take().unwrap());
            }
        }
    }
    assert!(
        pending.is_none(),
        "{document}: the block ends inside a command"
    );
    steps
}

/// A directory holding a copy of `sample-data/` and a `bin/` whose `cognito-bulk` is the binary under test.
fn sample_checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sample-data")).unwrap();
    for entry in std::fs::read_dir(repo("sample-data")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(
            &path,
            dir.path()
                .join("sample-data")
                .join(path.file_name().unwrap()),
        )
        .unwrap();
    }
    std::fs::create_dir(dir.path().join("bin")).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_cognito-bulk"),
        dir.path().join("bin/cognito-bulk"),
    )
    .unwrap();
    dir
}

async fn shell(dir: &Path, command: &str) -> std::process::Output {
    let mut cmd = hermetic("bash", dir);
    let path = format!(
        "{}:{}",
        dir.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The commands as written; only the pace is the built-in pool's quota instead of the default 10/s, to keep
    // the test short.
    cmd.env("PATH", path)
        .env("COGNITO_BULK_RATE", "24")
        .env("COGNITO_BULK_READ_RATE", "100")
        .env("COGNITO_BULK_LIST_RATE", "25")
        .args(["-c", &format!("set -o pipefail; {command}")]);
    run(cmd).await
}

async fn run_checked_block(document: &str, dir: &Path) {
    let steps = checked_steps(document);
    assert!(steps.len() >= 5, "{document}: {steps:?}");
    for step in steps {
        let out = shell(dir, &step.command).await;
        assert_eq!(
            code(&out),
            step.exit,
            "{document}:{} `{}`\n{}",
            step.line,
            step.command,
            text(&out)
        );
    }
}

/// Every user of the pool behind `state`, as `export --groups` writes them.
async fn export_all(dir: &Path, state: &str) -> Vec<Row> {
    let out = shell(
        dir,
        &format!(
            "cognito-bulk export --groups --emulator-state {state} --output {state}.csv --quiet"
        ),
    )
    .await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    read_csv(&dir.join(format!("{state}.csv")))
}

fn statuses(path: &Path) -> Vec<String> {
    read_csv(path)
        .into_iter()
        .map(|r| r["status"].clone())
        .collect()
}

/// The three documents' blocks, one after another in one directory and on one built-in pool, as a reader who
/// follows the README, then production.md, then groups.md would run them: no block may collide with another's
/// files (a report name used twice would exit 2 and nudge the reader towards `--overwrite`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documents_blocks_run_as_written_one_after_another_in_one_directory() {
    let dir = sample_checkout();
    let d = dir.path();

    // The README's three jobs.
    run_checked_block("README.md", d).await;
    assert_eq!(
        statuses(&d.join("migration.report.csv")),
        vec!["updated"; 200]
    );
    assert_eq!(
        statuses(&d.join("migration-again.report.csv")),
        vec!["unchanged"; 200],
        "the second run saw the first one's changes"
    );
    assert_eq!(
        statuses(&d.join("migration-undo.report.csv")),
        vec!["updated"; 200]
    );
    let verified: Vec<String> = read_csv(&d.join("verified.report.csv"))
        .into_iter()
        .filter(|r| r["status"] == "updated")
        .map(|r| r["username"].clone())
        .collect();
    let mut sorted = verified.clone();
    sorted.sort();
    let expected: Vec<String> = (201..=300).map(|i| format!("user{i:04}")).collect();
    assert_eq!(sorted, expected);

    // production.md's rehearsal of the safety steps.
    run_checked_block("docs/production.md", d).await;
    assert_eq!(statuses(&d.join("emails.report.csv")), vec!["updated"; 5]);
    assert_eq!(
        statuses(&d.join("emails-again.report.csv")),
        vec!["unchanged"; 5]
    );
    assert_eq!(
        statuses(&d.join("emails-undo.report.csv")),
        vec!["updated"; 5]
    );

    // groups.md's membership run.
    run_checked_block("docs/groups.md", d).await;
    assert_eq!(statuses(&d.join("groups.report.csv")), vec!["updated"; 60]);
    assert_eq!(
        statuses(&d.join("groups-again.report.csv")),
        vec!["unchanged"; 60]
    );
    assert_eq!(
        statuses(&d.join("groups-undo.report.csv")),
        vec!["updated"; 60]
    );
    let pool = read_csv(&d.join("pool.csv"));
    let user = |name: &str| pool.iter().find(|r| r["username"] == name).unwrap().clone();
    assert_eq!(user("user0901")["cognito-bulk:groups"], "premium");
    assert_eq!(user("user0991")["cognito-bulk:enabled"], "false");
    assert_eq!(user("user0991")["cognito-bulk:groups"], "");
    assert_eq!(user("user0960")["cognito-bulk:groups"], "trial");

    // Every undo restored its users: the pool is the seed again, but for the emails the README's third job
    // verified.
    let now = export_all(d, ".cognito-bulk/emulator-state.json").await;
    let mut seed = export_all(d, "fresh-state.json").await;
    for row in &mut seed {
        if expected.contains(&row["username"]) {
            row.insert("email_verified".into(), "true".into());
        }
    }
    assert_eq!(now.len(), 1000);
    assert!(
        now == seed,
        "the undos restored every attribute, address, membership and enabled state"
    );
}
