//! `EmulatorConfig`: every knob of an emulator instance (address, quotas, faults, seed and state files, clock),
//! with builder-style setters. `Default` behaves like the real service: Cognito's quotas on, no faults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::clock::Clock;
use super::faults::{Faults, ScriptedError};
use super::latency::OpLatency;
use super::live::LivePattern;
use super::quota::{Category, DEFAULT_PER_USER_WRITE_RATE};

/// Largest request body accepted by default (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Configuration of one emulator instance: `EmulatorConfig::default()` (Cognito's quotas, 127.0.0.1, a free
/// port) and a `with_*` method for each setting.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Address to bind; port 0 picks a free port.
    pub(crate) bind: SocketAddr,
    /// Requests per second per category; `None` = unlimited. Indexed by `Category::index`.
    pub(crate) quotas: [Option<f64>; Category::COUNT],
    /// `AdminUpdateUserAttributes`/`AdminDeleteUserAttributes`/`AdminDeleteUser` per user per second.
    pub(crate) per_user_write_rate: Option<f64>,
    /// Fault injection.
    pub(crate) faults: Faults,
    /// Seed file of pools and users, loaded at start (unless the state file exists).
    pub(crate) seed: Option<PathBuf>,
    /// State file: loaded at start if it exists, written atomically on shutdown.
    pub(crate) state_file: Option<PathBuf>,
    /// Clock for the quota buckets.
    pub(crate) clock: Clock,
    /// Largest accepted request body in bytes.
    pub(crate) max_body_bytes: usize,
    /// Region part of the pool ids the emulator creates (`<region>_<random>`).
    pub(crate) region: String,
    /// Latency added per operation (`*` = every operation not named); later settings win.
    pub(crate) op_latency: Vec<OpLatency>,
    /// `ListUsers` refuses a filter on `sub` with `InvalidParameterException` (as some Cognito look-alikes do).
    pub(crate) refuse_sub_filter: bool,
    /// ListUsers and ListUsersInGroup answer short pages, every third one empty (see [`Self::with_short_pages`]).
    pub(crate) short_pages: bool,
    /// A synthetic live caller consuming the UserUpdate bucket (the application's own traffic).
    pub(crate) live_traffic: Option<LivePattern>,
    /// DescribeUserPool lists only the custom attributes in `SchemaAttributes`, as moto does.
    pub(crate) moto_schema: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            quotas: Category::ALL.map(|c| Some(c.default_rate())),
            per_user_write_rate: Some(DEFAULT_PER_USER_WRITE_RATE),
            faults: Faults::default(),
            seed: None,
            state_file: None,
            clock: Clock::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            region: "local".to_string(),
            op_latency: Vec::new(),
            refuse_sub_filter: false,
            short_pages: false,
            live_traffic: None,
            moto_schema: false,
        }
    }
}

impl EmulatorConfig {
    /// The requests per second of `category`'s quota (`None`: unlimited).
    pub fn quota(&self, category: Category) -> Option<f64> {
        self.quotas[category.index()]
    }

    /// The per-user write limit, requests per second (`None`: unlimited).
    pub fn per_user_write_rate(&self) -> Option<f64> {
        self.per_user_write_rate
    }

    /// Turns every quota off, the per-user write limit included.
    pub fn without_quotas(mut self) -> Self {
        self.quotas = [None; Category::COUNT];
        self.per_user_write_rate = None;
        self
    }

    /// Sets one category's rate (`None` = unlimited).
    pub fn with_quota(mut self, category: Category, rate: Option<f64>) -> Self {
        self.quotas[category.index()] = rate;
        self
    }

    /// Sets the per-user write rate (`None` = unlimited).
    pub fn with_per_user_write_rate(mut self, rate: Option<f64>) -> Self {
        self.per_user_write_rate = rate;
        self
    }

    /// Replaces the fault settings.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Adds one scripted per-user error.
    pub fn with_scripted_error(mut self, error: ScriptedError) -> Self {
        self.faults.scripted.push(error);
        self
    }

    /// Adds latency (plus up to `jitter`) to every `AdminUpdateUserAttributes`.
    pub fn with_latency(mut self, latency: Duration, jitter: Duration) -> Self {
        self.faults.latency = latency;
        self.faults.latency_jitter = jitter;
        self
    }

    /// Loads pools and users from a seed file at start.
    pub fn with_seed(mut self, path: impl Into<PathBuf>) -> Self {
        self.seed = Some(path.into());
        self
    }

    /// Loads state from `path` at start if it exists and writes it there on shutdown.
    pub fn with_state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Sets the address to bind.
    pub fn with_bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Sets the quota clock (e.g. a [`super::ManualClock`] for exact counting in tests).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the largest accepted request body.
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Makes DescribeUserPool list only the custom attributes in `SchemaAttributes`, as moto does (the pool
    /// still has, and accepts, every standard attribute).
    pub fn with_moto_schema(mut self) -> Self {
        self.moto_schema = true;
        self
    }

    /// Sets the region used in created pool ids.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Adds `latency` to every request of `op` (an operation name such as `ListUsers`, or `*` for every
    /// operation not named). An unknown name makes [`super::start`] fail with
    /// [`super::EmulatorError::UnknownOperation`].
    pub fn with_op_latency(mut self, op: &str, latency: Duration) -> Self {
        self.op_latency.push(OpLatency {
            operation: op.to_string(),
            latency,
        });
        self
    }

    /// `ListUsers` answers `InvalidParameterException` to a filter on `sub` (to test a client's fallback).
    pub fn with_refused_sub_filter(mut self) -> Self {
        self.refuse_sub_filter = true;
        self
    }

    /// `ListUsers` and `ListUsersInGroup` pages hold fewer users than `Limit` (at most 7), and every third page
    /// none at all while still carrying a pagination token, as Cognito's may: a client must keep paging until the
    /// token is absent.
    pub fn with_short_pages(mut self) -> Self {
        self.short_pages = true;
        self
    }

    /// Adds a synthetic live caller that consumes the UserUpdate bucket with this pattern (e.g.
    /// `LivePattern::constant(10.0)`, or `"5@30s,15@30s".parse()`); its counts are in `Stats::live`.
    /// In tests, pair it with `Clock::Manual`: under the default clock a background tick (every 100 ms) keeps the
    /// counts current, and under paused tokio time that tick lets the runtime auto-advance the clock.
    pub fn with_live_traffic(mut self, pattern: LivePattern) -> Self {
        self.live_traffic = Some(pattern);
        self
    }
}
