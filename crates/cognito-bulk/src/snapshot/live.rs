//! Taking the snapshot now: the whole pool read with the partitioned ListUsers reader (same `--list-rate`
//! limiter and retries as `export`), each listed user folded into the index as it arrives, so memory holds the
//! index and one channel of users, never the listing. When rows change membership, the groups' members are listed
//! first (ListUsersInGroup, on the same quota) and each user carries its groups and enabled state into the index.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::Client;
use tokio::sync::mpsc;

use super::index::IndexBuilder;
use crate::cognito::list_users::{self, ListError, ListProgress, ListSpec, ListStats, ListedUser};
use crate::error::{RunError, SnapshotError};
use crate::exec::control::RunControl;
use crate::signals;

/// How often the listing prints a status line (unless quiet).
const STATUS_EVERY: Duration = Duration::from_secs(10);

/// Lists pool `pool_id` into `builder`, with a status line every 10 s unless `quiet`. SIGINT/SIGTERM stop the
/// listing ([`SnapshotError::Interrupted`]). With `memberships` (the groups of each user, listed before), each
/// user is added with its groups and enabled state.
pub(crate) async fn list_pool(
    client: &Client,
    spec: &ListSpec,
    quiet: bool,
    memberships: Option<&HashMap<String, Vec<String>>>,
    builder: &mut IndexBuilder,
) -> Result<ListStats, RunError> {
    let control = Arc::new(RunControl::default());
    let watcher = tokio::spawn(signals::watch(control.clone(), Duration::ZERO));
    let (tx, mut rx) = mpsc::channel::<ListedUser>(1024);
    let fold = async {
        while let Some(mut user) = rx.recv().await {
            if let Some(memberships) = memberships {
                user.add_membership(memberships);
            }
            builder.add(&user.username, &user.attributes);
        }
    };
    let progress = ListProgress::default();
    let listing = list_users::list_users_with_progress(client, spec, &control, tx, &progress);
    let status = async {
        let mut ticker = tokio::time::interval(STATUS_EVERY);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            if !quiet {
                crate::telemetry::say(&format!(
                    "listing the pool for --skip-unchanged: {} users, {} pages, {} throttled",
                    progress.users(),
                    progress.pages(),
                    progress.throttles()
                ));
            }
        }
    };
    let (listed, ()) = tokio::select! {
        done = async { tokio::join!(listing, fold) } => done,
        never = status => match never {},
    };
    watcher.abort();
    match (listed, control.signal()) {
        (Err(ListError::Stopped), Some(signal)) => {
            Err(SnapshotError::Interrupted { signal }.into())
        }
        (listed, _) => Ok(listed?),
    }
}
