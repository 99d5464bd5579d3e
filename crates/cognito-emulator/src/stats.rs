//! Observability counters: requests and throttles per operation, the busiest second of each operation, injected
//! faults, verification messages and applied updates (in total and per user), monthly active users. Served as JSON at `GET /_emulator/stats` and by
//! `RunningEmulator::stats`.
//!
//! Every aggregate is an atomic counter, so the default `GET /_emulator/stats` never takes the state lock nor
//! walks the users: it stays cheap to poll under load. The per-user maps are built (under the lock) only for
//! `GET /_emulator/stats?detail=users` and for the in-process `RunningEmulator::stats`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::live::LiveStats;
use super::mau::{BILLED, MauCounters};
use super::protocol::Operation;

/// A snapshot of the emulator's counters.
///
/// `applied_updates` and `verification_messages_by_user` are keyed by the stored username (counts of users with
/// the same username in different pools are added up); the `*_by_pool` maps hold the same counts keyed by pool id
/// then username. These per-user maps are filled only with detail (`?detail=users`, `RunningEmulator::stats`);
/// otherwise they are empty and left out of the JSON.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Stats {
    /// All requests received per operation name, throttled and faulted ones included.
    pub requests: BTreeMap<String, u64>,
    /// `TooManyRequestsException` answers per operation name.
    pub throttled: BTreeMap<String, u64>,
    /// Per operation name, the most requests received within one second: at each arrival, the arrivals of the
    /// second up to it (exact, on the emulator's clock; throttled and faulted requests included).
    #[serde(default)]
    pub busiest_second: BTreeMap<String, u64>,
    /// Injected faults.
    pub faults: FaultStats,
    /// Verification messages the real service would have sent (email/phone changed without `*_verified=true`).
    pub verification_messages: u64,
    /// Verification messages per username (detail only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub verification_messages_by_user: BTreeMap<String, u64>,
    /// `AdminUpdateUserAttributes` requests that were applied, per username (dropped-after-apply ones included;
    /// throttled, rejected and dropped-before-apply ones excluded). Detail only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub applied_updates: BTreeMap<String, u64>,
    /// The same counts per pool id, then username (detail only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub applied_updates_by_pool: BTreeMap<String, BTreeMap<String, u64>>,
    /// Sum of `applied_updates`.
    pub applied_total: u64,
    /// Monthly active users: distinct (pool, user) pairs touched by billed operations.
    #[serde(default)]
    pub mau: MauStats,
    /// The synthetic live caller's attempts and throttles (all zero without `--live-traffic`).
    #[serde(default)]
    pub live: LiveStats,
}

/// Monthly active users since start or the last reset (see the `mau` module for what counts as touched).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MauStats {
    /// Distinct (pool, user) pairs touched by any billed operation.
    pub total: u64,
    /// Distinct (pool, user) pairs touched per billed operation (`AdminUpdateUserAttributes`,
    /// `AdminDeleteUserAttributes`, `AdminGetUser`; always all three).
    pub by_operation: BTreeMap<String, u64>,
}

/// Injected fault counts.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultStats {
    /// `InternalErrorException` answers from the internal-error rate.
    pub internal_errors: u64,
    /// Connections closed before the request was applied.
    pub dropped_before_apply: u64,
    /// Connections closed after the request was applied.
    pub dropped_after_apply: u64,
    /// Scripted per-user errors answered.
    pub scripted_errors: u64,
    /// Requests delayed by added latency.
    pub delayed: u64,
}

/// Per-user counters kept under the state lock.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct UserCounters {
    pub(crate) applied: u64,
    pub(crate) messages: u64,
}

/// Per-user counters, pool id -> username -> counters.
pub(crate) type UserStats = HashMap<String, HashMap<String, UserCounters>>;

/// The arrivals of the last second of one operation, and the most there ever were.
#[derive(Debug, Default)]
struct Window {
    arrivals: VecDeque<f64>,
    busiest: u64,
}

impl Window {
    /// An arrival at `now` (seconds): the arrivals in `(now − 1 s, now]` are counted.
    fn arrive(&mut self, now: f64) {
        while self.arrivals.front().is_some_and(|t| *t <= now - 1.0) {
            self.arrivals.pop_front();
        }
        self.arrivals.push_back(now);
        self.busiest = self.busiest.max(self.arrivals.len() as u64);
    }
}

/// Counters updated without the state lock.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: [AtomicU64; Operation::ALL.len()],
    busiest: Mutex<[Window; Operation::ALL.len()]>,
    throttled: [AtomicU64; Operation::ALL.len()],
    unknown: Mutex<BTreeMap<String, u64>>,
    pub(crate) internal_errors: AtomicU64,
    pub(crate) dropped_before_apply: AtomicU64,
    pub(crate) dropped_after_apply: AtomicU64,
    pub(crate) scripted_errors: AtomicU64,
    pub(crate) delayed: AtomicU64,
    pub(crate) mau: MauCounters,
    /// Sum of the per-user applied updates.
    pub(crate) applied_total: AtomicU64,
    /// Sum of the per-user verification messages.
    pub(crate) verification_messages: AtomicU64,
}

impl Counters {
    /// A request of `op` received at `now` (the emulator's clock, seconds).
    pub(crate) fn request(&self, op: Operation, now: f64) {
        self.requests[op.index()].fetch_add(1, Ordering::Relaxed);
        self.busiest.lock().unwrap_or_else(|e| e.into_inner())[op.index()].arrive(now);
    }

    pub(crate) fn unknown_request(&self, name: &str) {
        let mut unknown = self.unknown.lock().unwrap_or_else(|e| e.into_inner());
        *unknown.entry(name.to_string()).or_default() += 1;
    }

    pub(crate) fn throttled(&self, op: Operation) {
        self.throttled[op.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reset(&self) {
        for c in self.requests.iter().chain(&self.throttled) {
            c.store(0, Ordering::Relaxed);
        }
        for w in self
            .busiest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter_mut()
        {
            *w = Window::default();
        }
        self.unknown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        for c in [
            &self.internal_errors,
            &self.dropped_before_apply,
            &self.dropped_after_apply,
            &self.scripted_errors,
            &self.delayed,
            &self.applied_total,
            &self.verification_messages,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.mau.reset();
    }

    /// Counts one applied update of a user and the verification messages it caused (under the state lock, with
    /// the per-user counters).
    pub(crate) fn applied(&self, user: &mut UserCounters, messages: u64) {
        user.applied += 1;
        user.messages += messages;
        self.applied_total.fetch_add(1, Ordering::Relaxed);
        self.verification_messages
            .fetch_add(messages, Ordering::Relaxed);
    }

    /// Builds the snapshot from these counters, with the per-user maps when `users` is given.
    pub(crate) fn snapshot(&self, users: Option<&UserStats>) -> Stats {
        let per_op = |counters: &[AtomicU64; Operation::ALL.len()]| {
            Operation::ALL
                .iter()
                .filter_map(|op| {
                    let n = counters[op.index()].load(Ordering::Relaxed);
                    (n > 0).then(|| (op.name().to_string(), n))
                })
                .collect::<BTreeMap<_, _>>()
        };
        let mut requests = per_op(&self.requests);
        for (name, n) in self
            .unknown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            *requests.entry(name.clone()).or_default() += n;
        }
        let busiest_second = {
            let windows = self.busiest.lock().unwrap_or_else(|e| e.into_inner());
            Operation::ALL
                .iter()
                .filter(|op| windows[op.index()].busiest > 0)
                .map(|op| (op.name().to_string(), windows[op.index()].busiest))
                .collect()
        };
        let mut stats = Stats {
            requests,
            throttled: per_op(&self.throttled),
            busiest_second,
            faults: FaultStats {
                internal_errors: self.internal_errors.load(Ordering::Relaxed),
                dropped_before_apply: self.dropped_before_apply.load(Ordering::Relaxed),
                dropped_after_apply: self.dropped_after_apply.load(Ordering::Relaxed),
                scripted_errors: self.scripted_errors.load(Ordering::Relaxed),
                delayed: self.delayed.load(Ordering::Relaxed),
            },
            mau: MauStats {
                total: self.mau.total.load(Ordering::Relaxed),
                by_operation: BILLED
                    .iter()
                    .zip(&self.mau.by_operation)
                    .map(|(op, n)| (op.name().to_string(), n.load(Ordering::Relaxed)))
                    .collect(),
            },
            verification_messages: self.verification_messages.load(Ordering::Relaxed),
            applied_total: self.applied_total.load(Ordering::Relaxed),
            ..Stats::default()
        };
        for (pool, users) in users.into_iter().flatten() {
            for (user, c) in users {
                if c.applied > 0 {
                    *stats.applied_updates.entry(user.clone()).or_default() += c.applied;
                    stats
                        .applied_updates_by_pool
                        .entry(pool.clone())
                        .or_default()
                        .insert(user.clone(), c.applied);
                }
                if c.messages > 0 {
                    *stats
                        .verification_messages_by_user
                        .entry(user.clone())
                        .or_default() += c.messages;
                }
            }
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_second_counts_arrivals_within_one_second_of_each_other() {
        let mut w = Window::default();
        for t in [0.0, 0.5, 0.99, 1.0, 1.2, 1.6] {
            w.arrive(t);
        }
        // (0.0, 1.0] holds 0.5, 0.99, 1.0; (0.6, 1.6] holds 0.99, 1.0, 1.2, 1.6.
        assert_eq!(w.busiest, 4);
        w.arrive(5.0);
        assert_eq!(w.arrivals.len(), 1, "older arrivals are dropped");
        assert_eq!(w.busiest, 4, "the most there ever were");
    }

    #[test]
    fn the_busiest_second_is_served_per_operation_and_reset() {
        let c = Counters::default();
        for i in 0..40 {
            // 16 a second, evenly spaced (binary fractions: exact).
            c.request(Operation::AdminUpdateUserAttributes, f64::from(i) / 16.0);
        }
        c.request(Operation::AdminGetUser, 0.0);
        let s = c.snapshot(None);
        assert_eq!(s.busiest_second["AdminUpdateUserAttributes"], 16);
        assert_eq!(s.busiest_second["AdminGetUser"], 1);
        c.reset();
        assert!(c.snapshot(None).busiest_second.is_empty());
    }
}
