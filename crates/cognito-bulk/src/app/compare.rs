//! How `--skip-unchanged` compares, for `update` and `validate`: the cost choice between a pool snapshot and
//! per-user reads, then the snapshot itself (listed now, or loaded from `--snapshot FILE`), and the banner line
//! that says which way was taken and why.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::Client;

use super::plan_settings::PlanSettings;
use crate::cognito::groups;
use crate::cognito::list_users::ListSpec;
use crate::error::RunError;
use crate::schema::PoolSchema;
use crate::snapshot::choice::{self, Decision, Inputs, Method};
use crate::snapshot::shape::{FileShape, MAX_PATTERNS};
use crate::snapshot::{IndexBuilder, KeyRules, SnapshotIndex, file, live};

/// The way chosen, and the snapshot when it is one.
pub(crate) struct Comparison {
    pub(crate) decision: Decision,
    pub(crate) index: Option<Arc<SnapshotIndex>>,
    /// What the snapshot is: "12,000 users listed in 7 s", "export x.csv, 3h old, 12,000 users".
    pub(crate) source: Option<String>,
}

impl Comparison {
    /// Whether rows are compared by AdminGetUser before their write.
    pub(crate) fn by_reads(&self) -> bool {
        self.index.is_none()
    }

    /// The banner line.
    pub(crate) fn describe(&self) -> String {
        match &self.source {
            Some(source) => format!("comparing with {} ({source})", self.decision.reason),
            None => format!("comparing with {}", self.decision.reason),
        }
    }
}

/// Chooses and, for a snapshot, takes it. `rows` is the number of rows that would be compared.
pub(crate) async fn prepare(
    s: &PlanSettings<'_>,
    client: &Client,
    schema: Option<&PoolSchema>,
    pool_groups: Option<&BTreeSet<String>>,
    shape: &FileShape,
    rows: u64,
) -> Result<Comparison, RunError> {
    let options = s.compare;
    let estimated_users = schema.and_then(|s| s.estimated_users);
    let decision = choice::choose(&Inputs {
        compare_with: options.compare_with,
        snapshot_file: options.snapshot.is_some(),
        estimated_users,
        rows,
        list_rate: options.list_rate,
        read_rate: options.read_rate,
        not_comparable: shape.overflow.then(|| {
            format!(
                "the file has more than {MAX_PATTERNS} different sets of non-empty columns, more than a snapshot \
                 keeps"
            )
        }),
    });
    if decision.method == Method::Reads {
        return Ok(Comparison {
            decision,
            index: None,
            source: None,
        });
    }
    // Without the pool's settings, keys resolve by exact username (and `sub`) only: a key the pool would resolve
    // otherwise is "not in the snapshot", so sent.
    let no_schema = PoolSchema {
        case_sensitive: true,
        ..PoolSchema::default()
    };
    let rules = KeyRules::for_pool(
        schema.unwrap_or(&no_schema),
        shape.sub_keys,
        shape.alias_keys,
    );
    let mut builder = IndexBuilder::new(rules, shape.patterns.clone(), estimated_users);
    let membership = shape.exact_groups || !shape.groups.is_empty() || shape.enabled;
    let started = Instant::now();
    let source = match &options.snapshot {
        Some(path) => {
            let age = file::load(path, membership, &mut builder)?;
            let index = builder.finish();
            let age = age.map_or("age unknown".to_string(), |a| {
                format!(
                    "{} old",
                    humantime::format_duration(Duration::from_secs(a.as_secs()))
                )
            });
            let source = format!("{}, {age}, {} users", path.display(), index.users());
            return Ok(Comparison {
                decision,
                index: Some(Arc::new(index)),
                source: Some(source),
            });
        }
        None => {
            let pool_id = &s.common.target.pool_id;
            let memberships = if membership {
                // Only groups the pool has: a row naming another is invalid already.
                let only: Option<BTreeSet<String>> =
                    shape.groups_to_list().map(|named| match pool_groups {
                        Some(pool) => named.intersection(pool).cloned().collect(),
                        None => named.clone(),
                    });
                // Every group (an exact set): the pool's, already read by ListGroups when it could be.
                let listed = only.as_ref().or(pool_groups);
                let never = tokio_util::sync::CancellationToken::new();
                let read = groups::memberships(
                    client,
                    pool_id,
                    options.list_rate,
                    listed,
                    s.outage,
                    &never,
                );
                match read.await {
                    Ok(read) => {
                        builder.take_membership(true, only);
                        Some(read)
                    }
                    Err(e) if e.is_denied() => {
                        // The snapshot then knows no membership: rows that change groups are sent (each call is
                        // idempotent), the rest is compared as usual.
                        tracing::warn!(
                            "these credentials may not list the groups' members (the IAM permission \
                             cognito-idp:ListUsersInGroup): rows that change groups are sent without being compared"
                        );
                        builder.take_membership(true, Some(BTreeSet::new()));
                        Some(HashMap::new())
                    }
                    Err(e) => {
                        return Err(RunError::Target(format!(
                            "the members of the file's groups could not be listed for --skip-unchanged \
                             (ListUsersInGroup): {e} ({})",
                            s.common.target.describe()
                        )));
                    }
                }
            } else {
                None
            };
            let spec = ListSpec {
                outage: s.outage.clone(),
                ..ListSpec::new(pool_id.clone(), options.list_rate, s.attempt_timeout)
            };
            let stats = live::list_pool(
                client,
                &spec,
                s.common.quiet,
                memberships.as_ref(),
                &mut builder,
            )
            .await?;
            let mut source = format!(
                "{} users listed in {:.1} s, {} pages, {} throttled",
                stats.users,
                started.elapsed().as_secs_f64(),
                stats.pages,
                stats.throttles
            );
            if let Some(reason) = &stats.fallback_reason {
                source.push_str(&format!("; one stream: {reason}"));
            }
            source
        }
    };
    Ok(Comparison {
        decision,
        index: Some(Arc::new(builder.finish())),
        source: Some(source),
    })
}
