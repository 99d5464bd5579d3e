//! Scenario `export`: `cognito-bulk export` of a 100,000-user pool (`BENCH_EXPORT_USERS` overrides the size)
//! against an emulator with 100 ms per ListUsers page and the 30/s UserList quota, at `--list-rate 30`: throughput
//! against the ceiling (`--list-rate` × 60 users/s = 1,800 users/s, target ≥ 0.85), beside boto3's `list_users`
//! paginator (`crates/bench/scripts/boto3_list.py`, one stream) on the same emulator (target: cognito-bulk ≥ 3× boto3). The
//! paginator reads the first `BENCH_EXPORT_BOTO3_USERS` users (default 20,000): one stream's rate does not depend
//! on the pool size, and the whole pool would take minutes.

use super::*;

pub(crate) fn export(ctx: &mut Ctx) -> Res<()> {
    let users = env_usize("BENCH_EXPORT_USERS", 100_000);
    let boto3_users = env_usize("BENCH_EXPORT_BOTO3_USERS", 20_000).min(users);
    let list_rate = 30.0;
    let ceiling = list_rate * 60.0;
    let seed = ctx.seed(users)?;
    let emu = Emulator::start(
        ctx,
        &seed,
        &["--op-latency", "ListUsers=100", "--user-list-rps", "30"],
    )?;

    let out = ctx.work.join("export.users.csv");
    let mut cmd = Command::new(&ctx.bin);
    cmd.arg("export")
        .args(["--endpoint-url", &emu.url, "--user-pool-id", POOL])
        .args(["--list-rate", &list_rate.to_string()])
        .arg("--output")
        .arg(&out)
        .args(["--overwrite", "--quiet"]);
    aws_env(&mut cmd);
    cmd.current_dir(&ctx.work);
    let before = emu.stats()?;
    let m = run_measured(ctx, "export", cmd, Some(&emu), false)?;
    let after = emu.stats()?;
    let pages = op_count(&after.requests, "ListUsers") - op_count(&before.requests, "ListUsers");
    let throttled =
        op_count(&after.throttled, "ListUsers") - op_count(&before.throttled, "ListUsers");
    let rows = BufReader::new(File::open(&out)?)
        .lines()
        .count()
        .saturating_sub(1);
    let ours = rows as f64 / m.wall;
    ctx.check(
        "export",
        &format!("cognito-bulk export --list-rate 30, {users} users, 100 ms a page, UserList quota 30/s"),
        &format!(
            "{ours:.0} users/s = {:.2} of the ceiling {ceiling:.0}/s ({rows} rows, {:.1} s wall; {pages} ListUsers \
             requests, {throttled} throttled; CPU {:.2} s, peak RSS {:.1} MB; exit {})",
            ours / ceiling,
            m.wall,
            m.cpu,
            m.max_rss_mb,
            Exit(m.code)
        ),
        "≥ 0.85 of the ceiling",
        m.code == Some(0) && rows == users && ours / ceiling >= 0.85,
    );

    let venv = venv(ctx)?;
    let mut cmd = Command::new(venv.join("bin/python"));
    cmd.arg(ctx.root.join("crates/bench/scripts/boto3_list.py"))
        .args(["--endpoint-url", &emu.url, "--user-pool-id", POOL])
        .args(["--max-users", &boto3_users.to_string()]);
    aws_env(&mut cmd);
    let m = run_measured(ctx, "export-boto3", cmd, Some(&emu), false)?;
    let printed = fs::read_to_string(ctx.work.join("export-boto3.out")).unwrap_or_default();
    let listed: usize = printed
        .split_whitespace()
        .find_map(|w| w.strip_prefix("users="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let theirs = listed as f64 / m.wall;
    ctx.check(
        "export",
        &format!("boto3 list_users paginator (one stream), first {boto3_users} users, same emulator"),
        &format!(
            "{theirs:.0} users/s ({listed} users, {:.1} s wall, exit {}); cognito-bulk is {:.1}× that",
            m.wall,
            Exit(m.code),
            if theirs > 0.0 { ours / theirs } else { 0.0 }
        ),
        "cognito-bulk ≥ 3× boto3",
        m.code == Some(0) && listed == boto3_users && ours >= 3.0 * theirs,
    );
    Ok(())
}
