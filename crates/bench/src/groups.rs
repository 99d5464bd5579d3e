//! Scenario `groups`: the membership columns at scale. A pool of 100,000 users (`BENCH_GROUPS_USERS`) with an
//! empty group `premium`; a file that adds every user to `premium` and disables every 100th one (101,000 UserUpdate
//! calls). The emulator's UserUpdate quota is raised to `BENCH_GROUPS_QUOTA` (default 1,000/s, so the run takes
//! minutes, not the 67 minutes of Cognito's 25/s) and the job runs at that `--rate`; the UserList quota stays
//! Cognito's 30/s. Measured: the wall time against the floor (calls ÷ the quota they are on), every row once, each
//! user in the group once; then a re-run with `--skip-unchanged` (a snapshot: ListUsers and ListUsersInGroup, 60 a
//! page, at 30 pages/s) that must send no write at all, against its own floor (pages ÷ 30).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use super::{Ctx, Emulator, Exit, Res, env_usize, op_count, read_report, run_measured, user};

/// Operations that write, all on the UserUpdate quota.
const WRITES: [&str; 6] = [
    "AdminUpdateUserAttributes",
    "AdminDeleteUserAttributes",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminEnableUser",
    "AdminDisableUser",
];

fn membership_csv(ctx: &Ctx, n: usize) -> Res<PathBuf> {
    let path = ctx.work.join(format!("groups-input-{n}.csv"));
    if path.exists() {
        return Ok(path);
    }
    let tmp = path.with_extension("tmp");
    let mut w = BufWriter::new(File::create(&tmp)?);
    writeln!(w, "username,cognito-bulk:add-groups,cognito-bulk:enabled")?;
    for i in 1..=n {
        let enabled = if i % 100 == 0 { "false" } else { "" };
        writeln!(w, "{},premium,{enabled}", user(i))?;
    }
    w.into_inner()?.sync_all()?;
    fs::rename(&tmp, &path)?;
    Ok(path)
}

pub(crate) fn groups(ctx: &mut Ctx) -> Res<()> {
    let users = env_usize("BENCH_GROUPS_USERS", 100_000);
    let quota = env_usize("BENCH_GROUPS_QUOTA", 1_000);
    let disabled = users / 100;
    let seed = ctx.write_seed_with(
        &format!("groups-seed-{users}.json"),
        users,
        r#""Groups":[{"GroupName":"premium"}],"#,
        |i| format!("{{\"Username\":\"{}\"}}", user(i)),
    )?;
    let csv = membership_csv(ctx, users)?;
    let quota_flag = quota.to_string();
    let emu = Emulator::start(ctx, &seed, &["--user-update-rps", &quota_flag])?;
    let scenario = "groups";

    let report = ctx.work.join("groups.report.csv");
    let cmd = ctx.update_cmd(&emu, &csv, &report, quota as f64, 64);
    let m = run_measured(ctx, "groups-first", cmd, Some(&emu), false)?;
    let rep = read_report(&report, users)?;
    let stats = emu.stats()?;
    let calls: u64 = WRITES.iter().map(|op| op_count(&stats.requests, op)).sum();
    let adds = op_count(&stats.requests, "AdminAddUserToGroup");
    let disables = op_count(&stats.requests, "AdminDisableUser");
    let floor = (users + disabled) as f64 / quota as f64;
    let ok = m.code == Some(0)
        && rep.missing == 0
        && rep.twice == 0
        && adds == users as u64
        && disables == disabled as u64;
    ctx.check(
        scenario,
        &format!(
            "{users} users into `premium`, {disabled} disabled; UserUpdate quota {quota}/s, --rate {quota}"
        ),
        &format!(
            "{:.1} s (floor {floor:.1} s: ×{:.2}); {calls} write calls ({adds} AdminAddUserToGroup, {disables} \
             AdminDisableUser), {} throttled; {}; CPU {:.1} s, peak RSS {:.0} MB (exit {})",
            m.wall,
            m.wall / floor,
            stats.throttled.values().sum::<u64>(),
            rep.statuses(),
            m.cpu,
            m.max_rss_mb,
            Exit(m.code)
        ),
        "every row once, each call once; ≤ 1.2 × floor",
        ok && m.wall <= 1.2 * floor,
    );

    // The re-run: nothing to send.
    let before: u64 = calls;
    let lists_before =
        op_count(&stats.requests, "ListUsers") + op_count(&stats.requests, "ListUsersInGroup");
    let mut cmd = ctx.update_cmd(&emu, &csv, &report, quota as f64, 64);
    cmd.args([
        "--skip-unchanged",
        "--compare-with",
        "snapshot",
        "--list-rate",
        "30",
    ]);
    let again = run_measured(ctx, "groups-again", cmd, Some(&emu), false)?;
    let rep = read_report(&report, users)?;
    let stats = emu.stats()?;
    let after: u64 = WRITES.iter().map(|op| op_count(&stats.requests, op)).sum();
    let pages = op_count(&stats.requests, "ListUsers")
        + op_count(&stats.requests, "ListUsersInGroup")
        - lists_before;
    // The listings run at the UserList quota.
    let floor = pages as f64 / cognito_ops::Category::UserList.default_rate();
    ctx.check(
        scenario,
        "re-run with --skip-unchanged (snapshot, --list-rate 30)",
        &format!(
            "{:.1} s for {pages} list pages (floor {floor:.1} s: ×{:.2}); {} write calls; {} (exit {})",
            again.wall,
            again.wall / floor,
            after - before,
            rep.statuses(),
            Exit(again.code)
        ),
        "0 write calls, every row `unchanged`",
        again.code == Some(0) && after == before && rep.count("unchanged") == users,
    );
    emu.terminate()?;
    Ok(())
}
