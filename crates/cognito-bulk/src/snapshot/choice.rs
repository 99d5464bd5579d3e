//! How `update --skip-unchanged` compares, chosen per run: a snapshot of the pool (ListUsers, on the UserList
//! quota, not billed as monthly active users) or today's per-user AdminGetUser reads (UserRead quota, each read
//! bills its user). The estimated times decide: listing ≈ pool ÷ (list_rate × 60 users a page), reading ≈ rows
//! to compare ÷ read_rate. `--compare-with` forces either way; `--snapshot FILE` uses an earlier export.

use std::time::Duration;

use crate::cli::CompareWith;

/// Users per ListUsers page.
pub(crate) const PAGE_SIZE: f64 = 60.0;

/// The chosen way, and the sentence the banner prints about it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    pub(crate) method: Method,
    pub(crate) reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// List the pool now.
    Snapshot,
    /// Load the `--snapshot` file.
    File,
    /// AdminGetUser per row.
    Reads,
}

/// What the choice depends on.
#[derive(Debug, Clone)]
pub(crate) struct Inputs {
    pub(crate) compare_with: CompareWith,
    pub(crate) snapshot_file: bool,
    /// DescribeUserPool's `EstimatedNumberOfUsers`, if the pool gave one.
    pub(crate) estimated_users: Option<u64>,
    /// Rows that would be compared (valid rows to send, before the comparison).
    pub(crate) rows: u64,
    pub(crate) list_rate: f64,
    pub(crate) read_rate: f64,
    /// Why the file cannot be compared with a snapshot, if it cannot (too many column patterns).
    pub(crate) not_comparable: Option<String>,
}

fn minutes(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 90.0 {
        format!("{s:.0} s")
    } else if s < 5400.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// Estimated time to list `users` at `list_rate` pages a second.
fn listing_time(users: u64, list_rate: f64) -> Duration {
    Duration::from_secs_f64(users as f64 / (list_rate * PAGE_SIZE))
}

/// Chooses. Forcing `snapshot` on a file that cannot be compared with one is refused by the caller (the
/// decision's method is `Reads` with the reason; `compare_with == Snapshot` tells the caller it was forced).
pub(crate) fn choose(i: &Inputs) -> Decision {
    let reads = |reason: String| Decision {
        method: Method::Reads,
        reason,
    };
    if let Some(why) = &i.not_comparable {
        return reads(format!("per-user reads: {why}"));
    }
    if i.snapshot_file {
        return Decision {
            method: Method::File,
            reason: "the --snapshot file".into(),
        };
    }
    let read_time = Duration::from_secs_f64(i.rows as f64 / i.read_rate);
    match i.compare_with {
        CompareWith::Reads => reads(format!(
            "per-user reads (forced by compare_with = reads): {} rows at ≤ {}/s ≈ {}",
            i.rows,
            i.read_rate,
            minutes(read_time)
        )),
        CompareWith::Snapshot => Decision {
            method: Method::Snapshot,
            reason: format!(
                "a pool snapshot (forced by compare_with = snapshot){}",
                i.estimated_users
                    .map(|u| format!(
                        ": ~{u} users at ≤ {} pages/s ≈ {}",
                        i.list_rate,
                        minutes(listing_time(u, i.list_rate))
                    ))
                    .unwrap_or_default()
            ),
        },
        CompareWith::Auto => match i.estimated_users {
            None => reads(format!(
                "per-user reads: the pool gives no size estimate, so listing it may cost more than reading {} users \
                 (pass --compare-with snapshot to list it anyway)",
                i.rows
            )),
            Some(users) => {
                let list_time = listing_time(users, i.list_rate);
                if list_time < read_time {
                    Decision {
                        method: Method::Snapshot,
                        reason: format!(
                            "a pool snapshot: listing ~{users} users at ≤ {} pages/s ≈ {} beats reading {} users at \
                             ≤ {}/s ≈ {} (and listing bills no monthly active users)",
                            i.list_rate,
                            minutes(list_time),
                            i.rows,
                            i.read_rate,
                            minutes(read_time)
                        ),
                    }
                } else {
                    reads(format!(
                        "per-user reads: reading {} users at ≤ {}/s ≈ {} beats listing ~{users} users at ≤ {} pages/s \
                         ≈ {}",
                        i.rows,
                        i.read_rate,
                        minutes(read_time),
                        i.list_rate,
                        minutes(list_time)
                    ))
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(users: Option<u64>, rows: u64) -> Inputs {
        Inputs {
            compare_with: CompareWith::Auto,
            snapshot_file: false,
            estimated_users: users,
            rows,
            list_rate: 20.0,
            read_rate: 50.0,
            not_comparable: None,
        }
    }

    #[test]
    fn a_small_file_against_a_big_pool_reads() {
        let d = choose(&inputs(Some(5_000_000), 200));
        assert_eq!(d.method, Method::Reads, "{}", d.reason);
        assert!(d.reason.contains("200 users"), "{}", d.reason);
    }

    #[test]
    fn a_big_share_of_the_pool_lists_it() {
        // 100,000 users at 20 pages/s: 83 s; 100,000 reads at 50/s: 2,000 s.
        let d = choose(&inputs(Some(100_000), 100_000));
        assert_eq!(d.method, Method::Snapshot, "{}", d.reason);
        assert!(d.reason.contains("monthly active"), "{}", d.reason);
        // The threshold: pool ÷ 1,200 vs rows ÷ 50, i.e. rows > pool ÷ 24.
        assert_eq!(
            choose(&inputs(Some(24_000), 1_001)).method,
            Method::Snapshot
        );
        assert_eq!(choose(&inputs(Some(24_000), 999)).method, Method::Reads);
    }

    #[test]
    fn an_unknown_pool_size_reads_unless_forced() {
        assert_eq!(choose(&inputs(None, 1_000_000)).method, Method::Reads);
        let forced = Inputs {
            compare_with: CompareWith::Snapshot,
            ..inputs(None, 10)
        };
        assert_eq!(choose(&forced).method, Method::Snapshot);
        let forced = Inputs {
            compare_with: CompareWith::Reads,
            ..inputs(Some(100), 1_000_000)
        };
        assert_eq!(choose(&forced).method, Method::Reads);
    }

    #[test]
    fn a_file_snapshot_wins_and_too_many_patterns_read() {
        let file = Inputs {
            snapshot_file: true,
            ..inputs(Some(5_000_000), 1)
        };
        assert_eq!(choose(&file).method, Method::File);
        let wide = Inputs {
            not_comparable: Some("too many patterns".into()),
            ..file
        };
        assert_eq!(choose(&wide).method, Method::Reads);
    }
}
