//! Taking the snapshot now: the whole pool read with the partitioned ListUsers reader (same `--list-rate`
//! limiter and retries as `export`), each listed user folded into the index as it arrives, so memory holds the
//! index and one channel of users, never the listing.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::Client;
use tokio::sync::mpsc;

use super::index::IndexBuilder;
use crate::cognito::list_users::{self, ListError, ListSpec, ListStats, ListedUser};
use crate::exec::control::RunControl;
use crate::signals;

/// Lists pool `pool_id` into `builder`. SIGINT/SIGTERM stop the listing ([`ListError::Stopped`]).
pub async fn list_pool(
    client: &Client,
    pool_id: &str,
    list_rate: f64,
    attempt_timeout: Duration,
    builder: &mut IndexBuilder,
) -> Result<ListStats, ListError> {
    let control = Arc::new(RunControl::default());
    let watcher = tokio::spawn(signals::watch(control.clone(), Duration::ZERO));
    let spec = ListSpec::new(pool_id, list_rate, attempt_timeout);
    let (tx, mut rx) = mpsc::channel::<ListedUser>(1024);
    let fold = async {
        while let Some(user) = rx.recv().await {
            builder.add(&user.username, &user.attributes);
        }
    };
    let (listed, ()) = tokio::join!(list_users::list_users(client, &spec, &control, tx), fold);
    watcher.abort();
    listed
}
