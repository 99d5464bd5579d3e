//! Scenario `shared-quota`: the job shares the 25/s UserUpdate quota with the emulator's synthetic live caller
//! (`--live-traffic`), steady at 10/s and cycling 5 ↔ 15/s every 30 s, the job at `--rate 25` (above its free
//! share) on enough rows to run for more than 2 minutes. Figures: the live traffic's throttle share, the job's
//! throughput against the average free share (25 − live), the step response (seconds until the job's successes
//! are within 10% of the new free share after each step of the live load), and the job's throttles in its first
//! 10 s. Scenario `shared-quota-margin` runs the steady case at two settle margins (`--rate-margin 0` and `0.25`)
//! to show what the margin costs (throughput) and buys (throttles, the job's and the live traffic's).

use super::{Ctx, Emulator, Exit, Res, Sample, active_span, env_usize, read_report, run_measured};

const QUOTA: f64 = 25.0;
/// Rows: at a free share of 15/s on average, about 160 s of work. `BENCH_SHARED_QUOTA_ROWS` overrides it (for a
/// quick try of the scenario; the figures need the full run).
fn rows() -> usize {
    env_usize("BENCH_SHARED_QUOTA_ROWS", 2_400)
}

/// The live load: (rate, seconds) steps repeated from the emulator's start.
struct Live {
    flag: &'static str,
    label: &'static str,
    steps: &'static [(f64, f64)],
}

impl Live {
    fn rate_at(&self, t: f64) -> f64 {
        let cycle: f64 = self.steps.iter().map(|s| s.1).sum();
        let mut t = t.rem_euclid(cycle);
        for (rate, length) in self.steps {
            if t < *length {
                return *rate;
            }
            t -= length;
        }
        self.steps[0].0
    }

    /// Emulator times (seconds) at which the live rate changes, up to `until`.
    fn steps_until(&self, until: f64) -> Vec<f64> {
        let mut out = Vec::new();
        let mut t = 0.0;
        if self.steps.len() < 2 {
            return out;
        }
        'outer: loop {
            for (_, length) in self.steps {
                t += length;
                if t > until {
                    break 'outer;
                }
                out.push(t);
            }
        }
        out
    }
}

const STEADY: Live = Live {
    flag: "10",
    label: "steady 10/s",
    steps: &[(10.0, 1e9)],
};
const CYCLING: Live = Live {
    flag: "5@30s,15@30s",
    label: "5/s ↔ 15/s every 30 s",
    steps: &[(5.0, 30.0), (15.0, 30.0)],
};

/// The live caller's (attempts, throttled, seconds since the emulator started).
fn live_counts(emu: &Emulator) -> Res<(u64, u64, f64)> {
    let live = emu.stats()?.live;
    Ok((live.attempts, live.throttled, live.per_second.len() as f64))
}

/// The job's successful requests per second over `[t, t + 1)` (job time), from the sampled counters.
fn successes_in(samples: &[Sample], t: f64) -> f64 {
    let ok = |s: &Sample| s.requests as f64 - s.throttled as f64;
    let at = |x: f64| {
        samples
            .iter()
            .find(|s| s.t >= x)
            .or(samples.last())
            .map_or(0.0, ok)
    };
    at(t + 1.0) - at(t)
}

struct Outcome {
    setting: String,
    live_share: f64,
    live_counts: (u64, u64),
    throughput: f64,
    free_share: f64,
    first_ten: u64,
    job_throttled: u64,
    job_requests: u64,
    /// (emulator time of the step, new free share, seconds to within 10%: None = not within 10 s).
    steps: Vec<(f64, f64, Option<f64>)>,
}

fn run_one(ctx: &mut Ctx, live: &Live, margin: Option<&str>, name: &str) -> Res<Outcome> {
    let rows = rows();
    let seed = ctx.seed(rows)?;
    let csv = ctx.csv(rows)?;
    let emu = Emulator::start(
        ctx,
        &seed,
        &["--user-update-rps", "25", "--live-traffic", live.flag],
    )?;
    let report = ctx.work.join(format!("{name}.report.csv"));
    let mut cmd = ctx.update_cmd(&emu, &csv, &report, QUOTA, 16);
    if let Some(m) = margin {
        cmd.args(["--rate-margin", m]);
    }
    let (a0, t0, emu_t0) = live_counts(&emu)?;
    let m = run_measured(ctx, name, cmd, Some(&emu), true)?;
    let (a1, t1, _) = live_counts(&emu)?;
    let rep = read_report(&report, rows)?;
    let (first, done) = active_span(&m.samples).ok_or("no traffic seen")?;
    let span = (done - first).max(1.0);
    // Job time t is emulator time emu_t0 + t (to within a second: the stats count whole seconds).
    let free_share = (0..span as usize)
        .map(|s| QUOTA - live.rate_at(emu_t0 + first + s as f64))
        .sum::<f64>()
        / span.floor().max(1.0);
    let throughput = rep.count("updated") as f64 / span;
    let base = m.samples[0];
    let first_ten = m
        .samples
        .iter()
        .take_while(|s| s.t <= first + 10.0)
        .last()
        .map_or(0, |s| s.throttled - base.throttled);
    let last = *m.samples.last().ok_or("no samples")?;
    let mut steps = Vec::new();
    for step in live.steps_until(emu_t0 + done) {
        let job_t = step - emu_t0;
        if job_t < first + 10.0 || job_t + 10.0 > done {
            continue;
        }
        let share = QUOTA - live.rate_at(step + 0.5);
        let up = share > QUOTA - live.rate_at(step - 0.5);
        let reached = (0..10).map(f64::from).find(|d| {
            let s = successes_in(&m.samples, job_t + d);
            if up {
                s >= 0.9 * share
            } else {
                s <= 1.1 * share
            }
        });
        steps.push((step, share, reached.map(|d| d + 1.0)));
    }
    let setting = format!(
        "live {}, --rate 25{}, quota 25/s, {rows} rows ({:.0} s, exit {})",
        live.label,
        margin
            .map(|m| format!(" --rate-margin {m}"))
            .unwrap_or_default(),
        span,
        Exit(m.code)
    );
    Ok(Outcome {
        setting,
        live_share: if a1 > a0 {
            (t1 - t0) as f64 / (a1 - a0) as f64
        } else {
            0.0
        },
        live_counts: (a1 - a0, t1 - t0),
        throughput,
        free_share,
        first_ten,
        job_throttled: last.throttled - base.throttled,
        job_requests: last.requests - base.requests,
        steps,
    })
}

fn report(ctx: &mut Ctx, scenario: &str, o: &Outcome) {
    ctx.check(
        scenario,
        &o.setting,
        &format!(
            "live traffic throttled {}/{} = {:.2} %",
            o.live_counts.1,
            o.live_counts.0,
            o.live_share * 100.0
        ),
        "≤ 1 %",
        o.live_share <= 0.01,
    );
    ctx.check(
        scenario,
        &o.setting,
        &format!(
            "{:.2} rows/s = {:.3} × average free share {:.1}/s; job throttled {}/{}",
            o.throughput,
            o.throughput / o.free_share,
            o.free_share,
            o.job_throttled,
            o.job_requests
        ),
        "≥ 0.85 × free share",
        o.throughput / o.free_share >= 0.85,
    );
    ctx.check(
        scenario,
        &o.setting,
        &format!("job throttled in its first 10 s: {}", o.first_ten),
        "≤ 5",
        o.first_ten <= 5,
    );
    if !o.steps.is_empty() {
        let text: Vec<String> = o
            .steps
            .iter()
            .map(|(t, share, d)| match d {
                Some(d) => format!("{t:.0}s→{share:.0}/s: {d:.0}s"),
                None => format!("{t:.0}s→{share:.0}/s: >10s"),
            })
            .collect();
        ctx.check(
            scenario,
            &o.setting,
            &format!(
                "step response (within 10% of the new free share): {}",
                text.join(", ")
            ),
            "≤ 10 s after each step",
            o.steps.iter().all(|s| s.2.is_some()),
        );
    }
}

/// `shared-quota`: steady 10/s and cycling 5 ↔ 15/s live traffic, default margin.
pub(crate) fn shared_quota(ctx: &mut Ctx) -> Res<()> {
    let steady = run_one(ctx, &STEADY, None, "shared-quota-steady")?;
    report(ctx, "shared-quota", &steady);
    let cycling = run_one(ctx, &CYCLING, None, "shared-quota-cycling")?;
    report(ctx, "shared-quota", &cycling);
    Ok(())
}

/// `shared-quota-margin`: the steady case at margins 0 and 0.25, figures only.
pub(crate) fn shared_quota_margin(ctx: &mut Ctx) -> Res<()> {
    for margin in ["0", "0.25"] {
        let name = format!("shared-quota-margin-{margin}");
        let o = run_one(ctx, &STEADY, Some(margin), &name)?;
        ctx.push(
            "shared-quota-margin",
            &o.setting,
            &format!(
                "{:.2} rows/s = {:.3} × free share; job throttled {}/{}; live throttled {}/{} = {:.2} %",
                o.throughput,
                o.throughput / o.free_share,
                o.job_throttled,
                o.job_requests,
                o.live_counts.1,
                o.live_counts.0,
                o.live_share * 100.0
            ),
            "reported",
            super::Verdict::Info,
        );
    }
    Ok(())
}
