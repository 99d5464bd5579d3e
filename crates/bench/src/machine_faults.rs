//! The machine's faults, measured: `crash-resume` (kill -9 at random points, five times, each followed by
//! `--resume`, under 2 % dropped connections: users written twice), `outage` (the endpoint stopped for 30 s and
//! for 120 s in the middle of a 2,000-row run, then restarted on the same port with its state: exit code, rows
//! failed, users written twice) and `late-apply` (every update applied 15 s after it arrived, the client's
//! attempt timeout 10 s: users written twice; and 25 s, beyond what the read-back waits for, as the residual).

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use cognito_emulator::Stats;

use super::{Ctx, Emulator, Exit, Res, Verdict, read_report};

/// Users the emulator(s) applied an update to more than once.
fn written_twice(stats: &[&Stats]) -> usize {
    let mut per_user: BTreeMap<&str, u64> = BTreeMap::new();
    for s in stats {
        for (user, n) in &s.applied_updates {
            *per_user.entry(user).or_default() += n;
        }
    }
    per_user.values().filter(|n| **n > 1).count()
}

/// A pseudo-random number in [0, 1) from a seed (splitmix64), for reproducible kill points.
fn unit(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

pub(crate) fn crash_resume(ctx: &mut Ctx) -> Res<()> {
    let rows = 2_000;
    let seed = ctx.seed(rows)?;
    let csv = ctx.csv(rows)?;
    let emu = Emulator::start(
        ctx,
        &seed,
        &["--no-quotas", "--drop-rate", "0.02", "--fault-seed", "5"],
    )?;
    let report = ctx.work.join("crash-resume.report.csv");
    let _ = std::fs::remove_file(&report);
    let mut kills = 0;
    for k in 0..5u64 {
        // `--resume` with no report yet is a fresh run: one command line for all six runs.
        let mut cmd = ctx.update_on(&emu, &csv, &report, 200.0, 8);
        cmd.arg("--resume");
        let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
        std::thread::sleep(Duration::from_secs_f64(0.5 + 2.0 * unit(k)));
        if child.try_wait()?.is_none() {
            child.kill()?;
            kills += 1;
        }
        child.wait()?;
    }
    let mut cmd = ctx.update_on(&emu, &csv, &report, 200.0, 8);
    cmd.arg("--resume");
    let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status()?;
    let rep = read_report(&report, rows)?;
    let stats = emu.stats()?;
    let twice = written_twice(&[&stats]);
    let setting = format!(
        "{rows} rows, --rate 200 --concurrency 8, 2 % dropped connections; kill -9 {kills} times at random \
         points, each followed by --resume"
    );
    ctx.check(
        "crash-resume",
        &setting,
        &format!(
            "users written twice: {twice}; report: {} lost, {} twice, {} (final exit {})",
            rep.missing,
            rep.twice,
            rep.statuses(),
            Exit(status.code())
        ),
        "0 written twice, every line once, exit 0",
        twice == 0 && rep.missing == 0 && rep.twice == 0 && status.code() == Some(0),
    );
    Ok(())
}

pub(crate) fn outage(ctx: &mut Ctx) -> Res<()> {
    for seconds in [30, 120] {
        outage_of(ctx, seconds)?;
    }
    Ok(())
}

fn outage_of(ctx: &mut Ctx, seconds: u64) -> Res<()> {
    let rows = 2_000;
    let seed = ctx.seed(rows)?;
    let csv = ctx.csv(rows)?;
    let state = ctx.work.join(format!("outage-{seconds}.state.json"));
    let _ = std::fs::remove_file(&state);
    let state_arg = state.to_string_lossy().into_owned();
    let flags = ["--no-quotas", "--state", state_arg.as_str()];
    let first = Emulator::start(ctx, &seed, &flags)?;
    let port = first.port()?;
    let report = ctx.work.join(format!("outage-{seconds}.report.csv"));
    let mut cmd = ctx.update_cmd(&first, &csv, &report, 50.0, 4);
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    std::thread::sleep(Duration::from_secs(10));
    let before = first.terminate()?;
    std::thread::sleep(Duration::from_secs(seconds));
    let second = Emulator::start_on(ctx, &seed, port, &flags)?;
    let status = child.wait()?;
    let wall = started.elapsed().as_secs_f64();
    let after = second.terminate()?;
    let rep = read_report(&report, rows)?;
    let twice = written_twice(&[&before, &after]);
    let failed = rep.count("failed");
    ctx.check(
        "outage",
        &format!(
            "{rows} rows at --rate 50; the endpoint stopped at 10 s for {seconds} s, then restarted on the \
             same port with its state"
        ),
        &format!(
            "exit {}; {} rows failed; {}; users written twice {twice}; wall {wall:.0} s",
            Exit(status.code()),
            failed,
            rep.statuses()
        ),
        "exit 0, every row updated once, 0 failed",
        status.code() == Some(0)
            && failed == 0
            && rep.count("updated") == rows
            && twice == 0
            && rep.missing == 0,
    );
    Ok(())
}

pub(crate) fn late_apply(ctx: &mut Ctx) -> Res<()> {
    for (late_s, expect_zero) in [(15, true), (25, false)] {
        let rows = 64;
        let seed = ctx.seed(rows)?;
        let csv = ctx.csv(rows)?;
        let late_ms = (late_s * 1000).to_string();
        let emu = Emulator::start(ctx, &seed, &["--no-quotas", "--late-apply-ms", &late_ms])?;
        let report = ctx.work.join(format!("late-apply-{late_s}.report.csv"));
        let mut cmd = ctx.update_cmd(&emu, &csv, &report, 1000.0, 64);
        cmd.args(["--attempt-timeout", "10s", "--max-attempts", "5"]);
        let started = Instant::now();
        let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status()?;
        let wall = started.elapsed().as_secs_f64();
        // The last resends may still be held: wait for them to land before counting.
        std::thread::sleep(Duration::from_secs(late_s));
        let stats = emu.terminate()?;
        let rep = read_report(&report, rows)?;
        let twice = written_twice(&[&stats]);
        let setting = format!(
            "{rows} rows, every update applied {late_s} s after it arrived, --attempt-timeout 10s (the \
             read-back waits 10 s after a timeout)"
        );
        let measured = format!(
            "users written twice: {twice} of {rows}; {} (exit {}, {wall:.0} s)",
            rep.statuses(),
            Exit(status.code())
        );
        if expect_zero {
            ctx.check("late-apply", &setting, &measured, "0", twice == 0);
        } else {
            ctx.push(
                "late-apply",
                &setting,
                &measured,
                "residual (beyond 2 × the attempt timeout)",
                Verdict::Info,
            );
        }
    }
    Ok(())
}
