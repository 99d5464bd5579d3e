//! Scenarios `nightly` and `snapshot-memory`: `update --skip-unchanged` compared with a pool snapshot.
//!
//! `nightly`: a 100,000-user pool, a 100,000-row file in which 1 % of the rows change a value, Cognito's quotas
//! (UserUpdate 25/s, UserRead 120/s, UserList 30/s), 100 ms per ListUsers page and 20 ms per other call. Side by
//! side: a blind update at `--rate 25`, the per-user-read skip at `--read-rate 120`, the snapshot skip at
//! `--list-rate 30`. The first two take about 4,000 s and 830 s on the whole file: they run on a sample of the
//! first rows (`BENCH_NIGHTLY_SAMPLE`, default 2,000) and their time, requests and MAUs are extrapolated to the
//! whole file (said in the table). `BENCH_NIGHTLY_USERS` changes the pool and file size (default 100,000).
//!
//! `snapshot-memory`: peak RSS of `update --skip-unchanged --compare-with snapshot --dry-run` (the listing, the
//! index and every comparison, nothing sent) against a 1,000,000-user pool (`BENCH_SNAPSHOT_USERS`), emulator
//! without latency and quotas.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{
    Ctx, Emulator, Exit, POOL, Res, aws_env, env_usize, op_count, read_report, run_measured, score,
    tier, user,
};

/// A seed of `n` users holding `custom:tier` and `custom:score` (the values of [`Ctx::csv`]'s rows).
fn valued_seed(ctx: &Ctx, n: usize) -> Res<PathBuf> {
    ctx.write_seed(&format!("nightly-seed-{n}.json"), n, |i| {
        format!(
            concat!(
                "{{\"Username\":\"{}\",\"Attributes\":[",
                "{{\"Name\":\"custom:tier\",\"Value\":\"{}\"}},",
                "{{\"Name\":\"custom:score\",\"Value\":\"{}\"}}]}}"
            ),
            user(i),
            tier(i),
            score(i)
        )
    })
}

/// The nightly file: every user's values, the score changed on every 100th row; `rows` first rows only.
fn nightly_csv(ctx: &Ctx, rows: usize) -> Res<PathBuf> {
    let path = ctx.work.join(format!("nightly-input-{rows}.csv"));
    if path.exists() {
        return Ok(path);
    }
    let tmp = path.with_extension("tmp");
    let mut w = BufWriter::new(File::create(&tmp)?);
    writeln!(w, "username,custom:tier,custom:score")?;
    for i in 1..=rows {
        let s = if i % 100 == 0 {
            (score(i) + 1) % 1001
        } else {
            score(i)
        };
        writeln!(w, "{},{},{}", user(i), tier(i), s)?;
    }
    w.into_inner()?.sync_all()?;
    fs::rename(&tmp, &path)?;
    Ok(path)
}

/// What one run cost, from the emulator's stats.
struct Cost {
    requests: Vec<(String, u64)>,
    throttled: u64,
    mau: Option<u64>,
    get_user: u64,
}

fn cost(emu: &Emulator) -> Res<Cost> {
    let stats = emu.stats()?;
    Ok(Cost {
        get_user: op_count(&stats.requests, "AdminGetUser"),
        throttled: stats.throttled.values().sum(),
        mau: Some(stats.mau.total),
        requests: stats.requests.into_iter().collect(),
    })
}

fn scaled(n: u64, factor: f64) -> String {
    if factor == 1.0 {
        n.to_string()
    } else {
        format!("~{:.0}", n as f64 * factor)
    }
}

fn describe(c: &Cost, factor: f64) -> String {
    let requests: Vec<String> = c
        .requests
        .iter()
        .filter(|(op, n)| *n > 0 && op.as_str() != "DescribeUserPool")
        .map(|(op, n)| format!("{op} {}", scaled(*n, factor)))
        .collect();
    format!(
        "{}; {} throttled; MAU {}",
        requests.join(", "),
        scaled(c.throttled, factor),
        c.mau
            .map(|m| scaled(m, factor))
            .unwrap_or_else(|| "n/a (emulator without `mau` stats)".into())
    )
}

const LATENCY: [&str; 4] = ["--op-latency", "ListUsers=100", "--op-latency", "*=20"];

/// One measured `update` of `csv` against a fresh emulator with the nightly settings.
fn nightly_run(
    ctx: &Ctx,
    name: &str,
    seed: &Path,
    csv: &Path,
    flags: &[&str],
) -> Res<(super::Measured, Cost, super::Report)> {
    let emu = Emulator::start(ctx, seed, &LATENCY)?;
    let report = ctx.work.join(format!("{name}.report.csv"));
    let mut cmd = ctx.update_cmd(&emu, csv, &report, 25.0, 16);
    cmd.args(flags);
    let m = run_measured(ctx, name, cmd, Some(&emu), false)?;
    let rows = fs::read_to_string(csv)?.lines().count().saturating_sub(1);
    let rep = read_report(&report, rows)?;
    Ok((m, cost(&emu)?, rep))
}

pub(crate) fn nightly(ctx: &mut Ctx) -> Res<()> {
    let users = env_usize("BENCH_NIGHTLY_USERS", 100_000);
    let sample = env_usize("BENCH_NIGHTLY_SAMPLE", 2_000).min(users);
    let changed = users / 100;
    let seed = valued_seed(ctx, users)?;
    let full = nightly_csv(ctx, users)?;
    let part = nightly_csv(ctx, sample)?;
    let factor = users as f64 / sample as f64;
    // Listing at the UserList quota (60 users a page), then writing at the UserUpdate quota.
    let list_users_per_s = cognito_ops::Category::UserList.default_rate() * 60.0;
    let floor = users as f64 / list_users_per_s
        + changed as f64 / cognito_ops::Category::UserUpdate.default_rate();
    let scenario = "nightly";

    let (blind, blind_cost, blind_rep) = nightly_run(ctx, "nightly-blind", &seed, &part, &[])?;
    let blind_wall = blind.wall * factor;
    ctx.push(
        scenario,
        &format!(
            "blind update --rate 25, {sample}-row sample of {users} (extrapolated ×{factor:.0})"
        ),
        &format!(
            "~{blind_wall:.0} s; {}; {} (exit {})",
            describe(&blind_cost, factor),
            blind_rep.statuses(),
            Exit(blind.code)
        ),
        "",
        super::Verdict::Info,
    );

    let (reads, reads_cost, reads_rep) = nightly_run(
        ctx,
        "nightly-reads",
        &seed,
        &part,
        &[
            "--skip-unchanged",
            "--compare-with",
            "reads",
            "--read-rate",
            "120",
        ],
    )?;
    let reads_wall = reads.wall * factor;
    ctx.push(
        scenario,
        &format!(
            "--skip-unchanged by reads, --read-rate 120, {sample}-row sample of {users} (extrapolated ×{factor:.0})"
        ),
        &format!(
            "~{reads_wall:.0} s; {}; {} (exit {})",
            describe(&reads_cost, factor),
            reads_rep.statuses(),
            Exit(reads.code)
        ),
        "",
        super::Verdict::Info,
    );

    let (snap, snap_cost, snap_rep) = nightly_run(
        ctx,
        "nightly-snapshot",
        &seed,
        &full,
        &[
            "--skip-unchanged",
            "--compare-with",
            "snapshot",
            "--list-rate",
            "30",
        ],
    )?;
    let ok_run = snap.code == Some(0) && snap_rep.missing == 0 && snap_rep.twice == 0;
    ctx.check(
        scenario,
        &format!("--skip-unchanged by snapshot, --list-rate 30, {users} rows, {changed} changed"),
        &format!(
            "{:.1} s (floor {floor:.1} s: ×{:.2}); {}; {} (exit {})",
            snap.wall,
            snap.wall / floor,
            describe(&snap_cost, 1.0),
            snap_rep.statuses(),
            Exit(snap.code)
        ),
        "≤ 1.15 × floor",
        ok_run && snap.wall <= 1.15 * floor,
    );
    ctx.check(
        scenario,
        "snapshot vs per-user reads, vs blind",
        &format!(
            "{:.1}× faster than reads, {:.1}× faster than blind",
            reads_wall / snap.wall,
            blind_wall / snap.wall
        ),
        "≥ 8×, ≥ 30×",
        reads_wall / snap.wall >= 8.0 && blind_wall / snap.wall >= 30.0,
    );
    let mau_ok = snap_cost.mau.is_none_or(|m| m == changed as u64);
    ctx.check(
        scenario,
        "snapshot: AdminGetUser calls, MAUs, rows written",
        &format!(
            "{} AdminGetUser; MAU {}; {} updated, {} unchanged",
            snap_cost.get_user,
            snap_cost
                .mau
                .map(|m| m.to_string())
                .unwrap_or_else(|| "n/a".into()),
            snap_rep.count("updated"),
            snap_rep.count("unchanged")
        ),
        &format!("0; {changed}; {changed}"),
        snap_cost.get_user == 0 && mau_ok && snap_rep.count("updated") == changed,
    );
    Ok(())
}

pub(crate) fn snapshot_memory(ctx: &mut Ctx) -> Res<()> {
    let users = env_usize("BENCH_SNAPSHOT_USERS", 1_000_000);
    let seed = ctx.seed(users)?;
    let csv = ctx.csv(users)?;
    let emu = Emulator::start(ctx, &seed, &["--no-quotas"])?;
    let mut cmd = Command::new(&ctx.bin);
    cmd.arg("update")
        .args(["--endpoint-url", &emu.url, "--user-pool-id", POOL])
        .args([
            "--skip-unchanged",
            "--compare-with",
            "snapshot",
            "--dry-run",
        ])
        .args(["--list-rate", "100000", "--quiet"])
        .arg("--report")
        .arg(ctx.work.join("snapshot-memory.report.csv"))
        .arg(&csv)
        .current_dir(&ctx.work);
    aws_env(&mut cmd);
    let m = run_measured(ctx, "snapshot-memory", cmd, Some(&emu), false)?;
    let listed = op_count(&emu.stats()?.requests, "ListUsers");
    ctx.check(
        "snapshot-memory",
        &format!("update --skip-unchanged --dry-run by snapshot, {users}-user pool, {users} rows"),
        &format!(
            "peak RSS {:.1} MB; {:.1} s wall, {:.1} s CPU, {listed} ListUsers pages (exit {})",
            m.max_rss_mb,
            m.wall,
            m.cpu,
            Exit(m.code)
        ),
        "≤ 64 MB",
        m.max_rss_mb <= 64.0 && m.code == Some(0),
    );
    Ok(())
}
