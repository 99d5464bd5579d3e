//! The command line and configuration layers: built-in < config file < environment < flag, and `--help`.

use crate::support::*;

/// Runs `update` with layered settings; which report file appears shows which layer won.
async fn report_chosen(env: &TestEnv, config: bool, environment: bool, flag: bool) -> String {
    let csv = env.write("one.csv", "username,custom:tier\nuser0001,pro\n");
    let mut cmd = env.command();
    cmd.args([
        "update",
        "--endpoint-url",
        &env.emu.endpoint_url(),
        "--quiet",
    ]);
    if config {
        let cfg = env.write(
            "cfg.toml",
            "report = \"from-file.csv\"\nuser_pool_id = \"local_SamplePool1\"\nrate = 500.0\n",
        );
        cmd.arg("--config").arg(cfg);
    } else {
        cmd.args(["--user-pool-id", POOL]);
    }
    if environment {
        cmd.env("COGNITO_BULK_REPORT", "from-env.csv");
    }
    if flag {
        cmd.args(["--report", "from-flag.csv"]);
    }
    cmd.arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    let mut made: Vec<String> = ["from-file.csv", "from-env.csv", "from-flag.csv"]
        .into_iter()
        .filter(|f| env.path(f).exists())
        .map(str::to_string)
        .collect();
    for f in &made {
        std::fs::remove_file(env.path(f)).unwrap();
    }
    assert_eq!(made.len(), 1, "{made:?}");
    made.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_layers_resolve_in_order() {
    let env = TestEnv::new().await;
    assert_eq!(
        report_chosen(&env, true, false, false).await,
        "from-file.csv"
    );
    assert_eq!(report_chosen(&env, true, true, false).await, "from-env.csv");
    assert_eq!(report_chosen(&env, true, true, true).await, "from-flag.csv");
    assert_eq!(
        report_chosen(&env, false, true, false).await,
        "from-env.csv"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_errors_name_the_file_and_key() {
    let env = TestEnv::new().await;
    let csv = env.write("one.csv", "username,custom:tier\nuser0001,pro\n");
    let cfg = env.write("bad.toml", "rate = 10.0\nconcurency = 4\n");
    let mut cmd = env.command();
    cmd.args(["update", "--config"]).arg(&cfg).arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("concurency"),
        "{stderr}"
    );

    let mut cmd = env.command();
    cmd.env("COGNITO_BULK_CONCURRENCY", "0")
        .args(["update", "--user-pool-id", POOL])
        .arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("COGNITO_BULK_CONCURRENCY"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banner_says_where_the_job_goes() {
    let env = TestEnv::new().await;
    let csv = env.write("one.csv", "username,custom:tier\nuser0001,pro\n");
    // The built-in default: the embedded emulator, seeded from the sample data.
    let mut cmd = env.command();
    cmd.args(["update", "--emulator-seed"])
        .arg(repo("sample-data/seed.json"))
        .arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("→ local emulator (pool local_SamplePool1"),
        "{}",
        text(&out)
    );
    let reports: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("one-") && n.ends_with(".report.csv"))
        .collect();
    assert_eq!(reports.len(), 1, "default report name: {reports:?}");

    // A real pool id goes to AWS in its Region; without credentials it stops before reading anything.
    let mut cmd = env.command();
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    cmd.args([
        "update",
        "--user-pool-id",
        "eu-west-1_AbCdEf123",
        "--report",
        "aws.csv",
    ])
    .arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 5, "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no usable AWS credentials"),
        "{}",
        text(&out)
    );
    assert!(!env.path("aws.csv").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_documents_every_option() {
    let env = TestEnv::new().await;
    let out = run({
        let mut c = env.command();
        c.args(["update", "--help"]);
        c
    })
    .await;
    assert_eq!(code(&out), 0);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--user-pool-id",
        "--region",
        "--profile",
        "--endpoint-url",
        "--rate",
        "--concurrency",
        "--report",
        "--set",
        "--username-column",
        "--config",
        "--max-attempts",
        "--log-format",
        "--quiet",
        "--attempt-timeout",
        "--max-row-time",
        "--max-failures",
        "--max-failure-ratio",
        "--max-consecutive-failures",
        "--shutdown-grace",
        "--resume",
        "--retry-failed",
        "--overwrite",
        "--dry-run",
        "--skip-invalid",
        "--allow-verification-messages",
        "--skip-unchanged",
        "--read-rate",
        "--undo-file",
        "--emulator-seed",
    ] {
        assert!(help.contains(flag), "update --help lacks {flag}:\n{help}");
    }
    for env_var in [
        "COGNITO_BULK_RATE",
        "COGNITO_BULK_REPORT",
        "COGNITO_BULK_SET",
    ] {
        assert!(help.contains(env_var), "update --help lacks {env_var}");
    }
    let flowing = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flowing.contains("[default: 10]"),
        "the built-in rate is shown"
    );
    for sub in ["validate", "emulator"] {
        let mut c = env.command();
        c.args([sub, "--help"]);
        let out = run(c).await;
        assert_eq!(code(&out), 0, "{sub} --help");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_help_fits_on_a_screen_and_long_help_ends_with_the_exit_codes() {
    let env = TestEnv::new().await;
    for sub in ["update", "validate", "export", "emulator"] {
        let mut c = env.command();
        c.args([sub, "-h"]);
        let out = run(c).await;
        assert_eq!(code(&out), 0);
        let short = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            short.lines().count() <= 50,
            "{sub} -h: {} lines",
            short.lines().count()
        );
        assert!(short.contains("see more with '--help'"), "{short}");
    }
    let mut c = env.command();
    c.args(["update", "--help"]);
    let long = String::from_utf8_lossy(&run(c).await.stdout).into_owned();
    let tail: Vec<&str> = long.lines().rev().take(12).collect();
    assert!(tail.iter().any(|l| l.starts_with("Exit codes:")), "{long}");
    for heading in [
        "Input:",
        "Target:",
        "Rate and retries:",
        "Safety:",
        "Resume and report:",
        "Output and logging:",
    ] {
        assert!(
            long.lines().any(|l| l == heading),
            "update --help lacks {heading}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_parse_the_man_page_has_every_subcommand_and_the_version_names_the_sdk() {
    let env = TestEnv::new().await;
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let mut c = env.command();
        c.args(["completions", shell]);
        let out = run(c).await;
        assert_eq!(code(&out), 0, "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("update"),
            "{shell}"
        );
        if shell == "bash" {
            let script = env.write("completion.bash", &out.stdout);
            let status = std::process::Command::new("bash")
                .arg("-n")
                .arg(&script)
                .status()
                .unwrap();
            assert!(status.success(), "the bash completion parses");
            // And completes a subcommand's flags, as bash does at `cognito-bulk update --ra<TAB>`.
            let asked = std::process::Command::new("bash")
                .arg("-c")
                .arg(
                    "source \"$1\"; COMP_WORDS=(cognito-bulk update --ra); COMP_CWORD=2; \
                     _cognito__bulk cognito-bulk --ra update; printf '%s\\n' \"${COMPREPLY[@]}\"",
                )
                .arg("bash")
                .arg(&script)
                .output()
                .unwrap();
            let offered = String::from_utf8_lossy(&asked.stdout).into_owned();
            let mut offered: Vec<&str> = offered.lines().collect();
            offered.sort_unstable();
            assert_eq!(
                offered,
                ["--rate", "--rate-margin", "--raw-values"],
                "{asked:?}"
            );
        }
    }
    let mut c = env.command();
    c.arg("man");
    let out = run(c).await;
    assert_eq!(code(&out), 0);
    let page = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        page.starts_with(".ie") || page.contains(".TH cognito-bulk 1"),
        "{}",
        &page[..200]
    );
    assert!(
        !page.contains("\\-update(1)") && !page.contains("-update(1)"),
        "the page names no page that does not exist"
    );
    for sub in [
        "update",
        "validate",
        "export",
        "emulator",
        "completions",
        "man",
    ] {
        assert!(
            page.contains(&format!(".SH \"COGNITO-BULK {}\"", sub.to_uppercase())),
            "the man page lacks {sub}"
        );
    }
    let mut c = env.command();
    c.arg("--version");
    let version = String::from_utf8_lossy(&run(c).await.stdout).into_owned();
    assert!(
        version.starts_with("cognito-bulk 0.1.0 (")
            && version.contains("aws-sdk-cognitoidentityprovider 1."),
        "{version}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_json_logs_every_line_of_standard_error_is_json_and_the_run_ends_with_a_summary_event()
{
    let env = TestEnv::new().await;
    // One invalid row (a problem line) and an unverified phone (a warning), then the run.
    let csv = env.write(
        "in.csv",
        "username,custom:tier,phone_number\nuser0001,gold,\nuser0002,silver,555\n",
    );
    let mut cmd = env.target("update");
    cmd.args([
        "--report",
        "report.csv",
        "--log-format",
        "json",
        "--skip-invalid",
        "--summary-json",
        "summary.json",
    ])
    .arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 4, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(events.len() >= 3, "banner, problem, summary: {stderr}");
    assert!(
        events
            .iter()
            .any(|e| e["line"] == 3 && e["level"] == "WARN"),
        "the invalid row is an event: {stderr}"
    );
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary", "{stderr}");
    assert_eq!(summary["updated"], 1);
    assert_eq!(summary["invalid"], 1);
    assert_eq!(summary["exit_code"], 4);
    assert!(
        summary["requests"].is_u64() && summary["duration_seconds"].is_f64(),
        "{summary}"
    );
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("summary.json")).unwrap()).unwrap();
    assert_eq!(file["updated"], 1);
    assert_eq!(file["exit_code"], 4);

    // An error before the run is JSON too, with its exit code.
    let mut cmd = env.target("update");
    cmd.args(["--report", "report.csv", "--log-format", "json"])
        .arg(&csv);
    let out = run(cmd).await;
    assert_eq!(code(&out), 2, "the report exists: {}", text(&out));
    let last: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stderr).lines().last().unwrap()).unwrap();
    assert_eq!(last["level"], "ERROR");
    assert_eq!(last["exit_code"], 2);
}
