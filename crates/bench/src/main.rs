//! The benchmark suite of cognito-bulk (see BENCHMARKS.md).
//!
//! ```sh
//! cargo run --release -p bench -- all            # the whole suite, under 10 minutes on 2 cores
//! cargo run --release -p bench -- contention     # one scenario (several may be named)
//! ```
//!
//! Scenarios: `rate`, `contention`, `overhead`, `memory`, `faults`, `alternatives`, `emulator`, `export`,
//! `nightly`, `shared-quota`, `crash-resume`, `late-apply` (all of these make up `all`), plus `memory-full` (the
//! 1,000,000-row `update`, several minutes), `snapshot-memory` (a snapshot compare against a 1,000,000-user pool;
//! see `nightly.rs`), `shared-quota-margin` (two settle margins against steady live traffic, about 6 minutes) and
//! `outage` (30 s and 120 s outages of the endpoint, about 5 minutes; see `machine_faults.rs`) and `groups`
//! (100,000 users into a group, 1 % disabled, and the re-run; see `groups.rs`), not in `all`.
//!
//! Each scenario starts `cognito-bulk emulator --port 0` as a separate process with a generated seed (pool
//! `local_BenchPool1`), generates the input CSV, runs `cognito-bulk update` (or `validate`) as a child and measures
//! its wall time, CPU seconds and peak RSS (`wait4` rusage of the child), polls `GET /_emulator/stats` every 100 ms
//! for the request and throttle counters, reads the job's report, and prints one table at the end (also written to
//! `<work dir>/results.md`). Work files go to `$BENCH_WORK_DIR`, default `target/bench-work`. The alternatives
//! (boto3 and the AWS CLI) are installed from PyPI into a venv under the target directory on first use.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cognito_emulator::Stats;

mod export_scenario;
mod groups;
mod machine_faults;
mod nightly;
mod shared_quota;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const POOL: &str = "local_BenchPool1";
/// Stats polling interval; `BENCH_POLL_MS` overrides it.
fn poll_interval() -> Duration {
    let ms = std::env::var("BENCH_POLL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    Duration::from_millis(ms)
}

const SUITE: &[&str] = &[
    "emulator",
    "export",
    "overhead",
    "memory",
    "faults",
    "contention",
    "alternatives",
    "rate",
    "nightly",
    "shared-quota",
    "crash-resume",
    "late-apply",
];
const EXTRA: &[&str] = &[
    "memory-full",
    "snapshot-memory",
    "shared-quota-margin",
    "outage",
    "groups",
];

fn main() {
    let mut names: Vec<String> = std::env::args().skip(1).collect();
    if names.is_empty() || names.iter().any(|n| n == "-h" || n == "--help") {
        eprintln!(
            "usage: cargo run --release -p bench -- <all | {} | {}>...",
            SUITE.join(" | "),
            EXTRA.join(" | ")
        );
        std::process::exit(2);
    }
    if names.iter().any(|n| n == "all") {
        names = SUITE.iter().map(|s| s.to_string()).collect();
    }
    for n in &names {
        if !SUITE.contains(&n.as_str()) && !EXTRA.contains(&n.as_str()) {
            eprintln!("unknown scenario {n}");
            std::process::exit(2);
        }
    }
    let mut ctx = match Ctx::new() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bench: setup failed: {e}");
            std::process::exit(1);
        }
    };
    let suite_start = Instant::now();
    for n in &names {
        let start = Instant::now();
        eprintln!("== {n}");
        let r = match n.as_str() {
            "rate" => rate(&mut ctx),
            "contention" => contention(&mut ctx),
            "overhead" => overhead(&mut ctx),
            "memory" => memory(&mut ctx, false),
            "memory-full" => memory(&mut ctx, true),
            "faults" => faults(&mut ctx),
            "alternatives" => alternatives(&mut ctx),
            "emulator" => emulator_throughput(&mut ctx),
            "nightly" => nightly::nightly(&mut ctx),
            "snapshot-memory" => nightly::snapshot_memory(&mut ctx),
            "export" => export_scenario::export(&mut ctx),
            "shared-quota" => shared_quota::shared_quota(&mut ctx),
            "shared-quota-margin" => shared_quota::shared_quota_margin(&mut ctx),
            "crash-resume" => machine_faults::crash_resume(&mut ctx),
            "outage" => machine_faults::outage(&mut ctx),
            "late-apply" => machine_faults::late_apply(&mut ctx),
            "groups" => groups::groups(&mut ctx),
            _ => unreachable!(),
        };
        if let Err(e) = r {
            eprintln!("bench: scenario {n} failed: {e}");
            ctx.push(n, "-", &format!("error: {e}"), "-", Verdict::Fail);
        }
        eprintln!("   {n} took {:.0} s", start.elapsed().as_secs_f64());
    }
    let table = ctx.table();
    println!("{table}");
    println!(
        "suite time: {:.0} s ({})",
        suite_start.elapsed().as_secs_f64(),
        names.join(", ")
    );
    let out = ctx.work.join("results.md");
    if let Err(e) = fs::write(&out, format!("{table}\n")) {
        eprintln!("bench: cannot write {}: {e}", out.display());
    } else {
        println!("table written to {}", out.display());
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Context and results table

#[derive(Clone, Copy, PartialEq)]
enum Verdict {
    Pass,
    Fail,
    Info,
}

struct Row {
    scenario: String,
    setting: String,
    measured: String,
    target: String,
    verdict: Verdict,
}

struct Ctx {
    bin: PathBuf,
    root: PathBuf,
    target_dir: PathBuf,
    work: PathBuf,
    rows: Vec<Row>,
}

impl Ctx {
    fn new() -> Res<Ctx> {
        // The workspace root, two levels above this crate.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .ok_or("the bench crate lives in crates/bench")?
            .to_path_buf();
        // target/release/bench -> target/release/cognito-bulk
        let exe = std::env::current_exe()?;
        let release = exe
            .parent()
            .ok_or("cannot locate the target directory")?
            .to_path_buf();
        let target_dir = release.parent().unwrap_or(&release).to_path_buf();
        // `cargo run -p bench` builds this harness, not the job: make sure the job's binary is current (xtask
        // style). Building both in one invocation keeps one feature set, so no dependency is rebuilt twice.
        if let Ok(cargo) = std::env::var("CARGO") {
            let status = Command::new(cargo)
                .args(["build", "--release", "-p", "cognito-bulk", "-p", "bench"])
                .current_dir(&root)
                .status()?;
            if !status.success() {
                return Err("cargo build --release --bin cognito-bulk failed".into());
            }
        }
        let bin = release.join("cognito-bulk");
        if !bin.exists() {
            return Err(format!(
                "{} not found: run `cargo build --release` first",
                bin.display()
            )
            .into());
        }
        let work = std::env::var_os("BENCH_WORK_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| target_dir.join("bench-work"));
        fs::create_dir_all(&work)?;
        Ok(Ctx {
            bin,
            root,
            target_dir,
            work,
            rows: Vec::new(),
        })
    }

    fn push(&mut self, scenario: &str, setting: &str, measured: &str, target: &str, v: Verdict) {
        let mark = match v {
            Verdict::Pass => "met",
            Verdict::Fail => "NOT MET",
            Verdict::Info => "",
        };
        eprintln!("   {scenario} | {setting} | {measured} | {target} | {mark}");
        self.rows.push(Row {
            scenario: scenario.into(),
            setting: setting.into(),
            measured: measured.into(),
            target: target.into(),
            verdict: v,
        });
    }

    fn check(&mut self, scenario: &str, setting: &str, measured: &str, target: &str, ok: bool) {
        let v = if ok { Verdict::Pass } else { Verdict::Fail };
        self.push(scenario, setting, measured, target, v);
    }

    fn table(&self) -> String {
        let mut s = String::from(
            "| Scenario | Setting | Measured | Target | Met |\n|---|---|---|---|---|\n",
        );
        for r in &self.rows {
            let mark = match r.verdict {
                Verdict::Pass => "yes",
                Verdict::Fail => "**no**",
                Verdict::Info => "",
            };
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                r.scenario, r.setting, r.measured, r.target, mark
            ));
        }
        s
    }

    /// A seed with pool `local_BenchPool1` and users `bu0000001`..`bu{n}` (cached in the work dir).
    fn seed(&self, n: usize) -> Res<PathBuf> {
        self.write_seed(&format!("seed-{n}.json"), n, |i| {
            format!("{{\"Username\":\"{}\"}}", user(i))
        })
    }

    /// A seed file `file` (cached in the work dir) of pool `local_BenchPool1` with the custom attributes `tier` and
    /// `score`, and `n` users, user `i` written as the JSON object `user_json(i)`.
    pub(crate) fn write_seed(
        &self,
        file: &str,
        n: usize,
        user_json: impl Fn(usize) -> String,
    ) -> Res<PathBuf> {
        self.write_seed_with(file, n, "", user_json)
    }

    /// [`Self::write_seed`] with `pool_members` (JSON members such as `"Groups":[...],`) in the pool object.
    pub(crate) fn write_seed_with(
        &self,
        file: &str,
        n: usize,
        pool_members: &str,
        user_json: impl Fn(usize) -> String,
    ) -> Res<PathBuf> {
        let path = self.work.join(file);
        if path.exists() {
            return Ok(path);
        }
        let tmp = path.with_extension("tmp");
        let mut w = BufWriter::new(File::create(&tmp)?);
        write!(
            w,
            concat!(
                r#"{{"UserPools":[{{"Id":"{}","PoolName":"bench","Schema":["#,
                r#"{{"Name":"tier","AttributeDataType":"String","Mutable":true,"#,
                r#""StringAttributeConstraints":{{"MinLength":"0","MaxLength":"16"}}}},"#,
                r#"{{"Name":"score","AttributeDataType":"Number","Mutable":true,"#,
                r#""NumberAttributeConstraints":{{"MinValue":"0","MaxValue":"1000"}}}}],{}"Users":["#
            ),
            POOL, pool_members
        )?;
        for i in 1..=n {
            let sep = if i == 1 { "" } else { "," };
            write!(w, "{sep}\n{}", user_json(i))?;
        }
        writeln!(w, "]}}]}}")?;
        w.into_inner()?.sync_all()?;
        fs::rename(&tmp, &path)?;
        Ok(path)
    }

    /// An input CSV of `n` rows (`username,custom:tier,custom:score`), one per seeded user.
    fn csv(&self, n: usize) -> Res<PathBuf> {
        let path = self.work.join(format!("input-{n}.csv"));
        if path.exists() {
            return Ok(path);
        }
        let tmp = path.with_extension("tmp");
        let mut w = BufWriter::new(File::create(&tmp)?);
        writeln!(w, "username,custom:tier,custom:score")?;
        for i in 1..=n {
            writeln!(w, "{},{},{}", user(i), tier(i), score(i))?;
        }
        w.into_inner()?.sync_all()?;
        fs::rename(&tmp, &path)?;
        Ok(path)
    }

    /// `update` with a fresh report (an old one is removed first).
    fn update_cmd(
        &self,
        emu: &Emulator,
        csv: &Path,
        report: &Path,
        rate: f64,
        concurrency: usize,
    ) -> Command {
        let _ = fs::remove_file(report);
        self.update_on(emu, csv, report, rate, concurrency)
    }

    /// `update` on `report` as it is (for `--resume`).
    fn update_on(
        &self,
        emu: &Emulator,
        csv: &Path,
        report: &Path,
        rate: f64,
        concurrency: usize,
    ) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("update")
            .args(["--endpoint-url", &emu.url, "--user-pool-id", POOL])
            .arg("--report")
            .arg(report)
            .args(["--rate", &rate.to_string()])
            .args(["--concurrency", &concurrency.to_string()])
            .arg("--quiet")
            .arg(csv);
        aws_env(&mut c);
        c.current_dir(&self.work);
        c
    }
}

fn user(i: usize) -> String {
    format!("bu{i:07}")
}

/// The `custom:tier` of user `i` in the generated rows (and in seeds that hold values).
pub(crate) fn tier(i: usize) -> &'static str {
    ["free", "pro", "gold", "enterprise"][i % 4]
}

/// The `custom:score` of user `i` in the generated rows (and in seeds that hold values).
pub(crate) fn score(i: usize) -> usize {
    (i * 7919) % 1001
}

/// A size from the environment (`BENCH_*`), or `default`.
pub(crate) fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn aws_env(c: &mut Command) {
    c.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
}

// ---------------------------------------------------------------------------------------------------------------
// The emulator as a child process

struct Emulator {
    child: Child,
    url: String,
    /// The last line the emulator printed (its `final stats {...}` once it has exited).
    last_line: std::sync::Arc<std::sync::Mutex<String>>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    /// Seconds since the job started (midpoint of the stats request).
    t: f64,
    /// AdminUpdateUserAttributes requests received (counted on arrival).
    requests: u64,
    /// AdminUpdateUserAttributes requests answered TooManyRequestsException.
    throttled: u64,
}

impl Emulator {
    fn start(ctx: &Ctx, seed: &Path, flags: &[&str]) -> Res<Emulator> {
        Emulator::start_on(ctx, seed, 0, flags)
    }

    /// An emulator on `port` (0: a free one).
    fn start_on(ctx: &Ctx, seed: &Path, port: u16, flags: &[&str]) -> Res<Emulator> {
        let log = File::create(ctx.work.join("emulator.log"))?;
        let mut child = Command::new(&ctx.bin)
            .arg("emulator")
            .args(["--port", &port.to_string(), "--seed"])
            .arg(seed)
            .args(flags)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let url = match line.trim().strip_prefix("listening on ") {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("emulator did not start: {line:?} (see emulator.log)").into());
            }
        };
        let last_line = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let last = last_line.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                *last.lock().unwrap() = line;
            }
        });
        Ok(Emulator {
            child,
            url,
            last_line,
        })
    }

    /// The port it listens on.
    fn port(&self) -> Res<u16> {
        Ok(self.url.rsplit(':').next().ok_or("no port")?.parse()?)
    }

    /// SIGTERM, then its final counters (the `final stats` line it prints on its way out).
    fn terminate(mut self) -> Res<Stats> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        self.child.wait()?;
        for _ in 0..100 {
            let line = self.last_line.lock().unwrap().clone();
            if let Some(json) = line.strip_prefix("final stats ") {
                return Ok(serde_json::from_str(json)?);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err("the emulator printed no final stats".into())
    }

    /// `GET /_emulator/stats` (with `?detail=users`, the per-user maps too), as the emulator's own type.
    fn fetch_stats(&self, detail: bool) -> Res<Stats> {
        let query = if detail { "?detail=users" } else { "" };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let body = agent
            .get(format!("{}/_emulator/stats{query}", self.url))
            .call()?
            .body_mut()
            .read_to_string()?;
        Ok(serde_json::from_str(&body)?)
    }

    /// The full stats, with the per-user maps.
    fn stats(&self) -> Res<Stats> {
        self.fetch_stats(true)
    }

    /// The AdminUpdateUserAttributes request and throttle counters (the cheap stats, without per-user maps).
    fn counters(&self) -> Res<(u64, u64)> {
        let stats = self.fetch_stats(false)?;
        Ok((
            op_count(&stats.requests, "AdminUpdateUserAttributes"),
            op_count(&stats.throttled, "AdminUpdateUserAttributes"),
        ))
    }

    fn cpu_seconds(&self) -> f64 {
        proc_cpu_seconds(self.child.id())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One operation's count in a per-operation map of [`Stats`] (0 when the operation was never called).
fn op_count(counts: &BTreeMap<String, u64>, op: &str) -> u64 {
    counts.get(op).copied().unwrap_or(0)
}

/// Clock ticks per second of /proc/PID/stat (`getconf CLK_TCK`; 100 on Linux).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of a live process, from /proc/PID/stat.
fn proc_cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    let ticks: f64 = f.get(11).and_then(|s| s.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    ticks / clock_ticks()
}

// ---------------------------------------------------------------------------------------------------------------
// Running a measured child

/// An exit status for the table: the code, or `signal` when the process was killed.
struct Exit(Option<i32>);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(c) => write!(f, "{c}"),
            None => write!(f, "signal"),
        }
    }
}

struct Measured {
    wall: f64,
    cpu: f64,
    user: f64,
    sys: f64,
    max_rss_mb: f64,
    code: Option<i32>,
    samples: Vec<Sample>,
    emulator_cpu: f64,
}

/// Runs `cmd` to completion under GNU time (`/usr/bin/time`), for its CPU seconds and peak RSS (its own plus
/// those of the descendants it waited for; peak RSS is the largest single process), its stdout and stderr in
/// `<work>/<name>.out|.err`; with an emulator and `poll`, samples the emulator's counters every [`poll_interval`].
fn run_measured(
    ctx: &Ctx,
    name: &str,
    cmd: Command,
    emu: Option<&Emulator>,
    poll: bool,
) -> Res<Measured> {
    let time_file = ctx.work.join(format!("{name}.time"));
    let _ = fs::remove_file(&time_file);
    let mut wrapped = Command::new("/usr/bin/time");
    wrapped
        .args(["-f", "%U %S %M", "-o"])
        .arg(&time_file)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null())
        .stdout(File::create(ctx.work.join(format!("{name}.out")))?)
        .stderr(File::create(ctx.work.join(format!("{name}.err")))?);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => wrapped.env(k, v),
            None => wrapped.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    let emu_cpu0 = emu.map(|e| e.cpu_seconds()).unwrap_or(0.0);
    let mut samples = Vec::new();
    if let (Some(e), true) = (emu, poll) {
        let (requests, throttled) = e.counters()?;
        samples.push(Sample {
            t: 0.0,
            requests,
            throttled,
        });
    }
    let start = Instant::now();
    let mut child = wrapped.spawn()?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send((Instant::now(), status));
    });
    let poll_every = poll_interval();
    let mut next = start + poll_every;
    let (end, status) = loop {
        let wait = next.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(v) => break v,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let (Some(e), true) = (emu, poll) {
                    let t0 = start.elapsed().as_secs_f64();
                    let (requests, throttled) = e.counters()?;
                    let t1 = start.elapsed().as_secs_f64();
                    samples.push(Sample {
                        t: (t0 + t1) / 2.0,
                        requests,
                        throttled,
                    });
                }
                next += poll_every;
                let now = Instant::now();
                if next < now {
                    next = now + poll_every;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err("wait thread died".into()),
        }
    };
    let status = status?;
    let wall = end.duration_since(start).as_secs_f64();
    if let (Some(e), true) = (emu, poll) {
        let (requests, throttled) = e.counters()?;
        samples.push(Sample {
            t: start.elapsed().as_secs_f64(),
            requests,
            throttled,
        });
    }
    // GNU time writes "Command exited with non-zero status N" first when N != 0; the figures are the last line.
    let text = fs::read_to_string(&time_file)?;
    let f: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let [user, sys, rss_kb] = f[..] else {
        return Err(format!("unexpected /usr/bin/time output: {text:?}").into());
    };
    Ok(Measured {
        wall,
        cpu: user + sys,
        user,
        sys,
        max_rss_mb: rss_kb / 1024.0,
        code: status.code(),
        samples,
        emulator_cpu: emu.map(|e| e.cpu_seconds()).unwrap_or(0.0) - emu_cpu0,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the report

#[derive(Default, Debug)]
struct Report {
    rows: usize,
    status: BTreeMap<String, usize>,
    missing: usize,
    twice: usize,
    attempts: u64,
    max_attempts: u64,
}

impl Report {
    fn count(&self, s: &str) -> usize {
        self.status.get(s).copied().unwrap_or(0)
    }
    fn statuses(&self) -> String {
        self.status
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Reads a report of an input with `n` data rows (input lines 2..=n+1).
fn read_report(path: &Path, n: usize) -> Res<Report> {
    let mut rdr = csv::Reader::from_path(path)?;
    let headers = rdr.headers()?.clone();
    let col = |name: &str| -> Res<usize> {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("report has no column {name}").into())
    };
    let (c_line, c_status, c_attempts) = (col("line")?, col("status")?, col("attempts")?);
    let mut seen = vec![0u8; n + 2];
    let mut rep = Report::default();
    for rec in rdr.records() {
        let rec = rec?;
        rep.rows += 1;
        let line: usize = rec.get(c_line).unwrap_or("0").parse()?;
        if let Some(s) = seen.get_mut(line) {
            *s = s.saturating_add(1);
        }
        *rep.status
            .entry(rec.get(c_status).unwrap_or("").to_string())
            .or_default() += 1;
        let a: u64 = rec.get(c_attempts).unwrap_or("0").parse().unwrap_or(0);
        rep.attempts += a;
        rep.max_attempts = rep.max_attempts.max(a);
    }
    for &s in &seen[2..] {
        if s == 0 {
            rep.missing += 1;
        } else if s > 1 {
            rep.twice += 1;
        }
    }
    Ok(rep)
}

// ---------------------------------------------------------------------------------------------------------------
// Rate analysis on the sampled counters

/// Requests at time `t`, linearly interpolated between samples.
fn at(samples: &[Sample], t: f64) -> f64 {
    match samples.iter().position(|s| s.t >= t) {
        None => samples.last().map(|s| s.requests as f64).unwrap_or(0.0),
        Some(0) => samples[0].requests as f64,
        Some(i) => {
            let (a, b) = (samples[i - 1], samples[i]);
            let f = if b.t > a.t {
                (t - a.t) / (b.t - a.t)
            } else {
                1.0
            };
            a.requests as f64 + f * (b.requests as f64 - a.requests as f64)
        }
    }
}

/// Time of the first sample that shows traffic, and of the first sample that shows the final count.
fn active_span(samples: &[Sample]) -> Option<(f64, f64)> {
    let base = samples.first()?.requests;
    let last = samples.last()?.requests;
    let first = samples.iter().find(|s| s.requests > base)?.t;
    let done = samples.iter().find(|s| s.requests == last)?.t;
    Some((first, done))
}

/// Requests per second over `[start, start + window]` (interpolated), if the job was sending all along.
fn achieved(samples: &[Sample], start: f64, window: f64) -> Option<f64> {
    let (_, done) = active_span(samples)?;
    if start + window > done {
        return None;
    }
    Some((at(samples, start + window) - at(samples, start)) / window)
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios

/// Rate tracking: quotas off; the achieved rate over a window, and the busiest 1 s window.
fn rate(ctx: &mut Ctx) -> Res<()> {
    // (rate, measured window in seconds). 60 s windows for 100/s and 1000/s; 30 s for the slow rates, to keep the
    // suite under 10 minutes.
    // `BENCH_RATES=100,1000` runs only those rates.
    let only: Option<Vec<f64>> = std::env::var("BENCH_RATES")
        .ok()
        .map(|v| v.split(',').filter_map(|r| r.trim().parse().ok()).collect());
    for &(r, window) in &[(10.0, 30.0), (25.0, 30.0), (100.0, 60.0), (1000.0, 60.0)] {
        if only.as_ref().is_some_and(|o| !o.contains(&r)) {
            continue;
        }
        let rows = (r * (window + 3.0)) as usize;
        let seed = ctx.seed(rows)?;
        let csv = ctx.csv(rows)?;
        let emu = Emulator::start(ctx, &seed, &["--no-quotas"])?;
        let report = ctx.work.join(format!("rate-{r}.report.csv"));
        let cmd = ctx.update_cmd(&emu, &csv, &report, r, 16);
        let m = run_measured(ctx, &format!("rate-{r}"), cmd, Some(&emu), true)?;
        let rep = read_report(&report, rows)?;
        let (first, _) = active_span(&m.samples).ok_or("no traffic seen")?;
        let start = first + 1.0;
        let setting = format!("--rate {r}, {rows} rows, quotas off");
        match achieved(&m.samples, start, window) {
            Some(a) => ctx.check(
                "rate tracking",
                &setting,
                &format!("{a:.2}/s over {window:.0} s = {:.4} of configured", a / r),
                "≥ 0.99",
                a / r >= 0.99,
            ),
            None => ctx.check(
                "rate tracking",
                &setting,
                "job ended before the window",
                "≥ 0.99",
                false,
            ),
        }
        // Exact: the emulator counts, at each arrival, the arrivals of the second up to it. The bound is the
        // pacer's: `--rate` plus the 2 ms of catch-up after a late timer wake-up (one request below 500/s).
        let count = op_count(&emu.stats()?.busiest_second, "AdminUpdateUserAttributes");
        let allowed = r as u64 + ((r * 0.002).ceil() as u64).max(1);
        ctx.check(
            "rate tracking",
            &setting,
            &format!(
                "busiest second (exact, at the emulator): {count} requests (allowed {allowed})"
            ),
            "none above the rate + catch-up",
            count <= allowed,
        );
        let ok = m.code == Some(0) && rep.count("updated") == rows;
        if !ok {
            ctx.push(
                "rate tracking",
                &setting,
                &format!("exit {}, {}", Exit(m.code), rep.statuses()),
                "every row updated",
                Verdict::Fail,
            );
        }
    }
    Ok(())
}

/// Contention: the UserUpdate quota at 25/s, the job at --rate 100 and at --rate 20.
fn contention(ctx: &mut Ctx) -> Res<()> {
    let quota = cognito_ops::Category::UserUpdate.default_rate();
    // --rate 100: 45 s worth of quota.
    {
        let rows = 1125;
        let seed = ctx.seed(rows)?;
        let csv = ctx.csv(rows)?;
        let emu = Emulator::start(ctx, &seed, &["--user-update-rps", "25"])?;
        let report = ctx.work.join("contention-100.report.csv");
        let cmd = ctx.update_cmd(&emu, &csv, &report, 100.0, 16);
        let m = run_measured(ctx, "contention-100", cmd, Some(&emu), true)?;
        let rep = read_report(&report, rows)?;
        let setting = format!("--rate 100 vs quota 25/s, {rows} rows");
        let failed = rows - rep.count("updated");
        ctx.check(
            "contention",
            &setting,
            &format!("rows failed: {failed} (exit {})", Exit(m.code)),
            "0",
            failed == 0 && m.code == Some(0),
        );
        let tput = rep.count("updated") as f64 / m.wall;
        ctx.check(
            "contention",
            &setting,
            &format!(
                "{tput:.2} rows/s = {:.3} × quota ({:.1} s wall)",
                tput / quota,
                m.wall
            ),
            "≥ 0.90 × quota",
            tput / quota >= 0.90,
        );
        let (first, _) = active_span(&m.samples).ok_or("no traffic seen")?;
        let last = *m.samples.last().ok_or("no samples")?;
        let after = m
            .samples
            .iter()
            .find(|s| s.t >= first + 10.0)
            .copied()
            .unwrap_or(last);
        let (req, thr) = (
            last.requests - after.requests,
            last.throttled - after.throttled,
        );
        let share = if req > 0 {
            thr as f64 / req as f64
        } else {
            0.0
        };
        let (req0, thr0) = (
            last.requests - m.samples[0].requests,
            last.throttled - m.samples[0].throttled,
        );
        ctx.check(
            "contention",
            &setting,
            &format!(
                "throttled after the first 10 s: {thr}/{req} = {:.2} % (whole run: {thr0}/{req0})",
                share * 100.0
            ),
            "≤ 5 %",
            share <= 0.05,
        );
        let first_ten = after.throttled - m.samples[0].throttled;
        ctx.check(
            "contention",
            &setting,
            &format!("throttled in the first 10 s: {first_ten} (slow start)"),
            "≤ 5",
            first_ten <= 5,
        );
    }
    // --rate 20 under the same quota: no throttles, ≥ 98 % of 20/s.
    {
        let r = 20.0;
        let window = 30.0;
        let rows = (r * (window + 3.0)) as usize;
        let seed = ctx.seed(rows)?;
        let csv = ctx.csv(rows)?;
        let emu = Emulator::start(ctx, &seed, &["--user-update-rps", "25"])?;
        let report = ctx.work.join("contention-20.report.csv");
        let cmd = ctx.update_cmd(&emu, &csv, &report, r, 16);
        let m = run_measured(ctx, "contention-20", cmd, Some(&emu), true)?;
        let rep = read_report(&report, rows)?;
        let setting = format!("--rate 20 vs quota 25/s, {rows} rows");
        let (first, _) = active_span(&m.samples).ok_or("no traffic seen")?;
        let a = achieved(&m.samples, first + 1.0, window).unwrap_or(0.0);
        let last = *m.samples.last().ok_or("no samples")?;
        let thr = last.throttled - m.samples[0].throttled;
        ctx.check(
            "contention",
            &setting,
            &format!(
                "{a:.2}/s over {window:.0} s = {:.3} of 20/s; {thr} throttled; {} updated",
                a / r,
                rep.count("updated")
            ),
            "≥ 0.98, 0 throttled",
            a / r >= 0.98 && thr == 0 && rep.count("updated") == rows,
        );
    }
    Ok(())
}

/// Client overhead: quotas off, no faults, a rate far above what the client can send.
fn overhead(ctx: &mut Ctx) -> Res<()> {
    let rows = 20_000;
    let seed = ctx.seed(rows)?;
    let csv = ctx.csv(rows)?;
    let emu = Emulator::start(ctx, &seed, &["--no-quotas"])?;
    let report = ctx.work.join("overhead.report.csv");
    let cmd = ctx.update_cmd(&emu, &csv, &report, 100_000.0, 64);
    let m = run_measured(ctx, "overhead", cmd, Some(&emu), false)?;
    let rep = read_report(&report, rows)?;
    let setting = format!("{rows} rows, --rate 100000 --concurrency 64, quotas off");
    let rps = rep.count("updated") as f64 / m.wall;
    ctx.check(
        "client overhead",
        &setting,
        &format!(
            "{rps:.0} rows/s ({:.1} s wall; {} updated, exit {})",
            m.wall,
            rep.count("updated"),
            Exit(m.code)
        ),
        "≥ 5,000 rows/s",
        rps >= 5000.0 && m.code == Some(0),
    );
    ctx.push(
        "client overhead",
        &setting,
        &format!(
            "cognito-bulk CPU {:.2} s per 10,000 rows (user {:.1} s + sys {:.1} s); emulator CPU {:.1} s; peak RSS {:.1} MB",
            m.cpu / (rows as f64 / 10_000.0),
            m.user,
            m.sys,
            m.emulator_cpu,
            m.max_rss_mb
        ),
        "-",
        Verdict::Info,
    );
    Ok(())
}

/// Peak RSS of `update` (quotas off) and `validate --offline` at 100,000 and 1,000,000 rows.
fn memory(ctx: &mut Ctx, full: bool) -> Res<()> {
    let small = 100_000;
    let large = 1_000_000;
    if !full {
        // validate --offline, both sizes.
        let mut rss = Vec::new();
        for n in [small, large] {
            let csv = ctx.csv(n)?;
            let mut cmd = Command::new(&ctx.bin);
            cmd.args(["validate", "--offline", "--user-pool-id", POOL, "--quiet"])
                .arg("--report")
                .arg(ctx.work.join(format!("validate-{n}.report.csv")))
                .arg(&csv)
                .current_dir(&ctx.work);
            let _ = fs::remove_file(ctx.work.join(format!("validate-{n}.report.csv")));
            aws_env(&mut cmd);
            let m = run_measured(ctx, &format!("validate-{n}"), cmd, None, false)?;
            ctx.check(
                "memory",
                &format!("validate --offline, {n} rows"),
                &format!(
                    "peak RSS {:.1} MB; {:.2} s wall, {:.2} s CPU (exit {})",
                    m.max_rss_mb,
                    m.wall,
                    m.cpu,
                    Exit(m.code)
                ),
                "≤ 64 MB",
                m.max_rss_mb <= 64.0 && m.code == Some(0),
            );
            rss.push(m.max_rss_mb);
        }
        let ratio = rss[1] / rss[0];
        ctx.check(
            "memory",
            "validate --offline, 1,000,000 vs 100,000 rows",
            &format!("RSS ratio {ratio:.3}"),
            "≤ 1.10",
            ratio <= 1.10,
        );
    }
    // update, quotas off: 100,000 in the suite; 1,000,000 with memory-full.
    let sizes: &[usize] = if full { &[large] } else { &[small] };
    for &n in sizes {
        let seed = ctx.seed(n)?;
        let csv = ctx.csv(n)?;
        let emu = Emulator::start(ctx, &seed, &["--no-quotas"])?;
        let report = ctx.work.join(format!("update-{n}.report.csv"));
        let cmd = ctx.update_cmd(&emu, &csv, &report, 100_000.0, 64);
        let m = run_measured(ctx, &format!("update-{n}"), cmd, Some(&emu), false)?;
        let rep = read_report(&report, n)?;
        ctx.check(
            "memory",
            &format!("update, {n} rows, quotas off"),
            &format!(
                "peak RSS {:.1} MB; {:.1} s wall ({:.0} rows/s), {} updated (exit {})",
                m.max_rss_mb,
                m.wall,
                rep.count("updated") as f64 / m.wall,
                rep.count("updated"),
                Exit(m.code)
            ),
            "≤ 64 MB",
            m.max_rss_mb <= 64.0 && m.code == Some(0),
        );
        let record = ctx.work.join(format!("update-{n}.rss"));
        fs::write(&record, format!("{}\n", m.max_rss_mb))?;
    }
    if full {
        // Compare with the last 100,000-row update measured by `memory`.
        let small_rss: Option<f64> =
            fs::read_to_string(ctx.work.join(format!("update-{small}.rss")))
                .ok()
                .and_then(|s| s.trim().parse().ok());
        let large_rss: f64 = fs::read_to_string(ctx.work.join(format!("update-{large}.rss")))?
            .trim()
            .parse()?;
        match small_rss {
            Some(s) => ctx.check(
                "memory",
                "update, 1,000,000 vs 100,000 rows",
                &format!("RSS ratio {:.3}", large_rss / s),
                "≤ 1.10",
                large_rss / s <= 1.10,
            ),
            None => ctx.push(
                "memory",
                "update, 1,000,000 vs 100,000 rows",
                "run `memory` first for the 100,000-row figure",
                "≤ 1.10",
                Verdict::Info,
            ),
        }
    }
    Ok(())
}

/// Faults: 5 % internal errors, 2 % dropped connections (half after applying), latency spikes.
fn faults(ctx: &mut Ctx) -> Res<()> {
    let rows = 10_000;
    let seed = ctx.seed(rows)?;
    let csv = ctx.csv(rows)?;
    let flags = [
        "--no-quotas",
        "--internal-error-rate",
        "0.05",
        "--drop-rate",
        "0.02",
        "--latency-ms",
        "5",
        "--latency-jitter-ms",
        "50",
        "--fault-seed",
        "7",
    ];
    let emu = Emulator::start(ctx, &seed, &flags)?;
    let report = ctx.work.join("faults.report.csv");
    let cmd = ctx.update_cmd(&emu, &csv, &report, 1000.0, 64);
    let m = run_measured(ctx, "faults", cmd, Some(&emu), false)?;
    let rep = read_report(&report, rows)?;
    let stats = emu.stats()?;
    let setting = format!(
        "{rows} rows, 5 % errors, 2 % drops, latency 5+0..50 ms, --rate 1000 --concurrency 64"
    );
    ctx.check(
        "faults",
        &setting,
        &format!(
            "rows lost {}, reported twice {}; {} (exit {}, {:.1} s)",
            rep.missing,
            rep.twice,
            rep.statuses(),
            Exit(m.code),
            m.wall
        ),
        "0 lost, 0 twice",
        rep.missing == 0 && rep.twice == 0,
    );
    let applied = stats.applied_total;
    let requests = op_count(&stats.requests, "AdminUpdateUserAttributes");
    let f = &stats.faults;
    let twice_users = stats.applied_updates.values().filter(|n| **n > 1).count();
    let updated = rep.count("updated") as u64;
    ctx.push(
        "faults",
        &setting,
        &format!(
            "extra applied updates: {} (applied_total {applied} − {updated} rows updated; users applied more than once: {twice_users}); injected: {} errors, {} dropped before / {} after apply",
            applied as i64 - updated as i64,
            f.internal_errors,
            f.dropped_before_apply,
            f.dropped_after_apply
        ),
        "reported",
        Verdict::Info,
    );
    ctx.check(
        "faults",
        &setting,
        &format!("users updated more than once: {twice_users}"),
        "0",
        twice_users == 0,
    );
    ctx.check(
        "faults",
        &setting,
        &format!(
            "rows updated exactly once: {} of {rows} ({} confirmed by read-back)",
            if rep.twice == 0 { updated } else { 0 },
            count_confirmed(&report)?
        ),
        "all",
        rep.twice == 0 && updated == rows as u64,
    );
    let reads = op_count(&stats.requests, "AdminGetUser");
    let ambiguous = f.internal_errors + f.dropped_before_apply + f.dropped_after_apply;
    ctx.check(
        "faults",
        &setting,
        &format!("extra AdminGetUser calls {reads} vs ambiguous failures {ambiguous}"),
        "≤ ambiguous failures",
        reads <= ambiguous,
    );
    ctx.check(
        "faults",
        &setting,
        &format!(
            "attempts in report {} vs requests received {requests}; most attempts for one row: {}",
            rep.attempts, rep.max_attempts
        ),
        "requests ≤ attempts",
        requests <= rep.attempts,
    );
    Ok(())
}

/// Report rows whose message says they were confirmed by read-back.
fn count_confirmed(report: &Path) -> Res<usize> {
    let mut rdr = csv::Reader::from_path(report)?;
    let c = rdr
        .headers()?
        .iter()
        .position(|h| h == "message")
        .ok_or("report has no column message")?;
    let mut n = 0;
    for rec in rdr.records() {
        if rec?
            .get(c)
            .unwrap_or("")
            .starts_with("confirmed by read-back")
        {
            n += 1;
        }
    }
    Ok(n)
}

/// The Python venv with boto3 and the AWS CLI v1, installed from PyPI on first use.
fn venv(ctx: &Ctx) -> Res<PathBuf> {
    let venv = ctx.target_dir.join("bench-venv");
    let py = venv.join("bin/python");
    let marker = venv.join(".bench-installed");
    if marker.exists() {
        return Ok(venv);
    }
    eprintln!("   installing boto3 and awscli into {}", venv.display());
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()?
        .success()
        && Command::new(&py)
            .args(["-m", "pip", "install", "--quiet", "boto3", "awscli"])
            .status()?
            .success();
    if !ok {
        return Err("could not install boto3 and awscli (python3 -m venv; pip install)".into());
    }
    let versions = Command::new(&py)
        .args([
            "-c",
            "import boto3, botocore, awscli; print(f'boto3 {boto3.__version__}, botocore {botocore.__version__}, awscli {awscli.__version__}')",
        ])
        .output()?;
    fs::write(&marker, &versions.stdout)?;
    Ok(venv)
}

/// boto3 with a thread pool and the AWS CLI under xargs, against the same emulator settings and rows as
/// cognito-bulk, under the 25/s UserUpdate quota.
fn alternatives(ctx: &mut Ctx) -> Res<()> {
    let venv = venv(ctx)?;
    let versions = fs::read_to_string(venv.join(".bench-installed")).unwrap_or_default();
    eprintln!("   {}", versions.trim());
    let path = format!(
        "{}:{}",
        venv.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let rows = 500;
    let csv = ctx.csv(rows)?;
    let r = 100.0;
    let report = ctx.work.join("alt-cognito-bulk.report.csv");
    alternative(
        ctx,
        &format!("cognito-bulk --rate {r} --concurrency 16"),
        rows,
        &|ctx, emu| ctx.update_cmd(emu, &csv, &report, r, 16),
    )?;
    alternative(
        ctx,
        "boto3 ThreadPoolExecutor(16), standard retries",
        rows,
        &|ctx, emu| {
            let mut cmd = Command::new(venv.join("bin/python"));
            cmd.arg(ctx.root.join("crates/bench/scripts/boto3_update.py"))
                .args(["--endpoint-url", &emu.url, "--user-pool-id", POOL])
                .arg(&csv);
            aws_env(&mut cmd);
            cmd
        },
    )?;
    let rows = 200;
    let csv = ctx.csv(rows)?;
    alternative(ctx, "aws CLI v1 under xargs -P 8", rows, &|ctx, emu| {
        let mut cmd = Command::new("bash");
        cmd.arg(ctx.root.join("crates/bench/scripts/awscli_update.sh"))
            .arg(&csv)
            .env("ENDPOINT_URL", &emu.url)
            .env("USER_POOL_ID", POOL)
            .env("PATH", &path);
        aws_env(&mut cmd);
        cmd
    })?;
    Ok(())
}

/// One tool on `rows` rows against a fresh emulator with the 25/s UserUpdate quota. A row counts as failed when
/// its user was never updated (per the emulator), whatever the tool printed.
fn alternative(
    ctx: &mut Ctx,
    tool: &str,
    rows: usize,
    make: &dyn Fn(&Ctx, &Emulator) -> Command,
) -> Res<()> {
    let seed = ctx.seed(rows)?;
    let emu = Emulator::start(ctx, &seed, &["--user-update-rps", "25"])?;
    let name = format!("alt-{}", tool.split_whitespace().next().unwrap_or("x"));
    let cmd = make(ctx, &emu);
    let m = run_measured(ctx, &name, cmd, Some(&emu), true)?;
    let stats = emu.stats()?;
    let applied = stats.applied_total;
    let last = *m.samples.last().ok_or("no samples")?;
    let first = m.samples[0];
    let updated_users = stats.applied_updates.len();
    let failed = rows - updated_users.min(rows);
    ctx.push(
        "alternatives",
        &format!("{tool}, {rows} rows, quota 25/s"),
        &format!(
            "{:.1} rows/s ({:.1} s wall); rows failed: {failed}; CPU {:.2} s ({:.1} s per 10,000 rows); {} requests, {} throttled; {applied} applied; exit {}",
            updated_users as f64 / m.wall,
            m.wall,
            m.cpu,
            m.cpu / (rows as f64 / 10_000.0),
            last.requests - first.requests,
            last.throttled - first.throttled,
            Exit(m.code)
        ),
        "-",
        Verdict::Info,
    );
    Ok(())
}

/// The emulator's own throughput with wrk (`cognito-bulk emulator --no-quotas`, driven by `scripts/emulator_bench.lua`), if wrk is installed.
fn emulator_throughput(ctx: &mut Ctx) -> Res<()> {
    if Command::new("wrk").arg("--version").output().is_err() {
        ctx.push(
            "emulator",
            "wrk not installed (apt-get install wrk)",
            "skipped",
            "≥ 10,000 requests/s",
            Verdict::Info,
        );
        return Ok(());
    }
    let seed = ctx.root.join("sample-data/seed.json");
    let emu = Emulator::start(ctx, &seed, &["--no-quotas"])?;
    let out = Command::new("wrk")
        .args(["-t1", "-c64", "-d10s", "-s"])
        .arg(ctx.root.join("crates/bench/scripts/emulator_bench.lua"))
        .arg(format!("{}/", emu.url))
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    fs::write(ctx.work.join("emulator-wrk.out"), text.as_bytes())?;
    let rps: f64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or("no Requests/sec in wrk output")?;
    let non2xx = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "0".into());
    ctx.check(
        "emulator",
        "wrk -t1 -c64 -d10s, AdminUpdateUserAttributes, quotas off",
        &format!("{rps:.0} requests/s (non-2xx: {non2xx})"),
        "≥ 10,000 requests/s",
        rps >= 10_000.0,
    );
    Ok(())
}
