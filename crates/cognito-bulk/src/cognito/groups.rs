//! Reading the pool's groups: their names (ListGroups, checked against the groups a file names before the first
//! write) and their members (ListUsersInGroup, for `export --groups`). Both are paged (60 a page) and paced, and a
//! throttled or failed page is retried on its own with the job's backoff, and an outage of the endpoint is waited
//! out ([`Outage::read`]), so that every group and member is read once.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_cognitoidentityprovider::Client;
use tokio_util::sync::CancellationToken;

use super::classify;
use crate::exec::outage::{Outage, ReadFailure};
use crate::exec::pacer::Pacer;
use crate::exec::retry::RetryPolicy;

/// The pace of ListGroups pages: under the 5 requests/s per pool of the UserPoolResourceRead quota.
const LIST_GROUPS_RATE: f64 = 4.0;

/// Every group name of the pool.
pub(crate) async fn list_groups(
    client: &Client,
    pool_id: &str,
    outage: &Outage,
    stopping: &CancellationToken,
) -> Result<BTreeSet<String>, ReadFailure> {
    let pacer = Pacer::new(LIST_GROUPS_RATE);
    let mut names = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let out = outage
            .read(RetryPolicy::pool_read(), Some(&pacer), stopping, || async {
                client
                    .list_groups()
                    .user_pool_id(pool_id)
                    .limit(60)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(classify::from_sdk)
            })
            .await?;
        names.extend(
            out.groups()
                .iter()
                .filter_map(|g| g.group_name().map(str::to_string)),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(names);
        }
    }
}

/// The groups of every user that is in one, by username: ListUsersInGroup for each group of `only` (`None`:
/// every group of the pool, from ListGroups), its pages paced at `list_rate` (ListUsersInGroup is on the UserList
/// quota). Pages may be short or empty and still carry a token: the listing goes on until the token is absent.
pub(crate) async fn memberships(
    client: &Client,
    pool_id: &str,
    list_rate: f64,
    only: Option<&BTreeSet<String>>,
    outage: &Outage,
    stopping: &CancellationToken,
) -> Result<HashMap<String, Vec<String>>, ReadFailure> {
    let pacer = Pacer::new(list_rate);
    let mut members: HashMap<String, Vec<String>> = HashMap::new();
    let groups = match only {
        Some(groups) => groups.clone(),
        None => list_groups(client, pool_id, outage, stopping).await?,
    };
    for group in groups {
        let mut token: Option<String> = None;
        loop {
            let out = outage
                .read(RetryPolicy::pool_read(), Some(&pacer), stopping, || async {
                    client
                        .list_users_in_group()
                        .user_pool_id(pool_id)
                        .group_name(&group)
                        .limit(60)
                        .set_next_token(token.clone())
                        .send()
                        .await
                        .map_err(classify::from_sdk)
                })
                .await?;
            for user in out.users() {
                if let Some(name) = user.username() {
                    members
                        .entry(name.to_string())
                        .or_default()
                        .push(group.clone());
                }
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
    }
    Ok(members)
}
