//! `cognito-bulk export`, as an outline: settings, the output refused early if it exists, the pool (connect,
//! DescribeUserPool for the schema the columns follow), the partitioned ListUsers reader feeding the `--where`
//! selection and the spool, then the CSV written aside and renamed, and the summary (on standard error: standard
//! output may be the CSV). Ctrl-C stops the listing and leaves no output file (exit 130 / 143).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cli::ExportArgs;
use crate::cognito::list_users::{
    ListProgress, ListSpec, ListStats, filter_attribute, list_users_with_progress,
};
use crate::error::{ExportError, RunError};
use crate::exec::control::{RunControl, Signal};
use crate::exec::outage::{Outage, ReadFailure};
use crate::exec::retry::RetryPolicy;
use crate::export::output::{Destination, Pending, lock_output};
use crate::export::progress::{ExportProgress, ExportView, TICK};
use crate::export::select::selected;
use crate::export::settings::ExportSettings;
use crate::export::spool::Spool;
use crate::report::progress::RateMeter;
use crate::{exit_code, signals, target, telemetry};

pub(crate) async fn export(args: ExportArgs) -> Result<i32, RunError> {
    let settings = ExportSettings::resolve(&args)?;
    telemetry::init(settings.log_format, settings.quiet);
    // A path that can never be written is refused before anything else, and the lock next, so that a run
    // refused because another one holds the file says so.
    if let Destination::File(path) = &settings.output {
        crate::writable::check(path, "--output")?;
    }
    let _lock = match &settings.output {
        Destination::File(path) => Some(lock_output(path)?),
        Destination::Stdout => None,
    };
    settings.output.check(settings.overwrite)?;
    let signing = target::credentials(&settings.target).await?;
    if let Some(note) = signing.note(&settings.target)
        && !settings.quiet
    {
        crate::telemetry::say(&note);
    }
    let connected =
        target::connect(&settings.target, &signing, settings.retry.attempt_timeout).await?;
    let result = run(&settings, &connected.client).await;
    connected.close().await;
    result
}

async fn run(
    settings: &ExportSettings,
    client: &aws_sdk_cognitoidentityprovider::Client,
) -> Result<i32, RunError> {
    let outage = Arc::new(Outage::new(settings.retry.max_outage));
    let schema = target::describe_pool(client, &settings.target, &outage)
        .await?
        .map(Arc::new);
    // The names the user typed, against the pool's own (the standard names only, if the schema can't be read),
    // every problem at once, before anything is listed.
    crate::export::select::check_names(
        &settings.conditions,
        settings.attributes.as_deref(),
        settings.groups,
        schema.as_deref(),
    )?;
    if schema.is_none() {
        tracing::warn!(
            "without the pool's schema, immutable custom attributes can't be told apart: they are written as \
             attribute columns, which `update` would send"
        );
    }
    let control = Arc::new(RunControl::default());
    tokio::spawn(signals::watch(
        control.clone(),
        settings.retry.shutdown_grace,
    ));
    let spec = ListSpec {
        pool_id: settings.target.pool_id.clone(),
        filter: settings.filter.clone(),
        partitions: true,
        list_rate: settings.list_rate,
        attempt_timeout: settings.retry.attempt_timeout,
        retry: RetryPolicy::new(settings.retry.max_attempts, settings.retry.max_row_time),
        outage: outage.clone(),
    };
    if !settings.quiet {
        banner(settings);
    }
    let spool_error = |source| ExportError::Write {
        path: "(temporary spool file)".into(),
        source,
    };
    let memberships = if settings.groups {
        let read = crate::cognito::groups::memberships(
            client,
            &settings.target.pool_id,
            settings.list_rate,
            None,
            &outage,
            control.stopping(),
        )
        .await;
        match read {
            Ok(read) => Some(read),
            // Ctrl-C while the members were listed: nothing was written.
            Err(ReadFailure::Stopping) => return Ok(stopped(&control, &ListProgress::default())),
            Err(e) => {
                return Err(RunError::Target(format!(
                    "the pool's groups could not be read: {e} ({})",
                    settings.target.describe()
                )));
            }
        }
    } else {
        None
    };
    let mut spool = Spool::new(settings.attributes.clone(), schema.clone()).map_err(spool_error)?;
    let started = Instant::now();
    let live = ListProgress::default();
    let (tx, rx) = mpsc::channel(1024);
    let listing = list_users_with_progress(client, &spec, &control, tx, &live);
    let consuming = consume(
        settings,
        rx,
        &mut spool,
        memberships.as_ref(),
        &live,
        &control,
    );
    let (listed, consumed) = tokio::join!(listing, consuming);
    let elapsed = started.elapsed();
    // A spool that can't be written stops the listing: its error is the one to report.
    consumed.map_err(spool_error)?;
    let listed = match listed {
        Err(_) if control.signal().is_some() => return Ok(stopped(&control, &live)),
        Err(e) => return Err(e.into()),
        Ok(stats) => stats,
    };
    let written = spool.users();
    let moved = spool.moved().clone();
    match write_output(settings, spool, control.clone()).await? {
        Written::Whole => {}
        // Ctrl-C while the CSV was being written: the temporary file is gone, nothing was renamed.
        Written::Stopped => return Ok(stopped(&control, &live)),
        // `export ... | head`: the reader had what it wanted; end quietly, as ripgrep does.
        Written::PipeClosed => return Ok(exit_code::SUCCESS),
    }
    for (name, n) in moved {
        tracing::warn!(
            attribute = %name,
            "{n} values of {name} would be refused by update's row checks: written under `cognito:{name}` (not sent)"
        );
    }
    telemetry::err(&summary(settings, &listed, written, elapsed));
    Ok(exit_code::SUCCESS)
}

/// Feeds listed users through `--where` into the spool (with `--groups`, each with its groups and enabled state
/// as the membership columns), refreshing the progress line.
async fn consume(
    settings: &ExportSettings,
    mut rx: mpsc::Receiver<crate::cognito::list_users::ListedUser>,
    spool: &mut Spool,
    memberships: Option<&HashMap<String, Vec<String>>>,
    live: &ListProgress,
    control: &RunControl,
) -> std::io::Result<()> {
    let mut progress = ExportProgress::new(settings.quiet);
    let mut meter = RateMeter::default();
    let mut tick = tokio::time::interval(TICK);
    let result = loop {
        tokio::select! {
            user = rx.recv() => match user {
                Some(mut user) => {
                    if let Some(memberships) = memberships {
                        user.add_membership(memberships);
                    }
                    if selected(&settings.conditions, &user)
                        && let Err(e) = spool.push(&user)
                    {
                        control.stop(crate::exec::control::StopReason::Fatal {
                            code: "SpoolError".into(),
                            message: e.to_string(),
                        });
                        break Err(e);
                    }
                }
                None => break Ok(()),
            },
            _ = tick.tick() => {
                let listed = live.users();
                progress.update(&ExportView {
                    listed,
                    written: spool.users(),
                    pages: live.pages(),
                    throttled: live.throttles(),
                    rate: meter.sample(Instant::now(), listed),
                });
            }
        }
    };
    progress.finish();
    result
}

/// How pass 2 ended.
enum Written {
    Whole,
    /// A signal arrived before the rename (nothing is left behind).
    Stopped,
    /// Standard output was closed by its reader.
    PipeClosed,
}

/// Pass 2: the CSV, written aside and renamed (or to standard output).
async fn write_output(
    settings: &ExportSettings,
    spool: Spool,
    control: Arc<RunControl>,
) -> Result<Written, RunError> {
    let destination = settings.output.clone();
    let overwrite = settings.overwrite;
    let raw = settings.raw_values;
    tokio::task::spawn_blocking(move || match destination {
        Destination::Stdout => match spool.write_csv(std::io::stdout().lock(), raw) {
            Ok(_) => Ok(Written::Whole),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Written::PipeClosed),
            Err(source) => Err(ExportError::Write {
                path: "standard output".into(),
                source,
            }),
        },
        Destination::File(path) => {
            let mut pending = Pending::create(&path)?;
            spool
                .write_csv(pending.writer(), raw)
                .map_err(|source| ExportError::Write {
                    path: path.clone(),
                    source,
                })?;
            if control.is_stopping() {
                return Ok(Written::Stopped);
            }
            pending.commit(overwrite).map(|()| Written::Whole)
        }
    })
    .await
    .map_err(|e| RunError::Internal(format!("the output writer failed: {e}")))?
    .map_err(RunError::from)
}

fn stopped(control: &RunControl, live: &ListProgress) -> i32 {
    let why = control
        .reason()
        .map_or_else(|| "stopped".to_string(), |r| r.to_string());
    crate::telemetry::say(&format!(
        "export {why} after {} users listed: no output file was written",
        live.users()
    ));
    control
        .signal()
        .map_or(exit_code::STOPPED, Signal::exit_code)
}

fn banner(settings: &ExportSettings) {
    let selection = match &settings.filter {
        Some(f) => format!(" · --filter on {} (one stream)", filter_attribute(f)),
        None => String::new(),
    };
    let wheres = if settings.conditions.is_empty() {
        String::new()
    } else {
        format!(" · {} --where condition(s)", settings.conditions.len())
    };
    crate::telemetry::say(&format!(
        "export {} → {}{selection}{wheres} · ListUsers ≤ {}/s",
        settings.target.describe(),
        settings.output.describe(),
        settings.list_rate
    ));
}

fn summary(
    settings: &ExportSettings,
    stats: &ListStats,
    written: u64,
    elapsed: std::time::Duration,
) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        stats.users as f64 / secs
    } else {
        0.0
    };
    let how = match (&stats.fallback_reason, stats.partitioned) {
        (Some(reason), _) => format!("one stream: {reason}"),
        (None, true) => "16 partitions".to_string(),
        (None, false) => "one stream".to_string(),
    };
    format!(
        "cognito-bulk: exported {written} of {} users listed to {} in {secs:.1}s\n  \
         {} pages, {} throttled, {rate:.0} users/s ({how})\n  target: {}\n",
        stats.users,
        settings.output.describe(),
        stats.pages,
        stats.throttles,
        settings.target.describe()
    )
}
