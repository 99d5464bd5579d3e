//! A local Amazon Cognito user-pool emulator (awsJson 1.1 over HTTP): `cognito-bulk`'s default target when no AWS
//! account is configured, the test double of its integration tests, and a library for other projects' tests.
//! It depends on no AWS SDK crate: any SDK or the AWS CLI talks to it over HTTP with an endpoint override.
//!
//! The public API: [`start`] and [`RunningEmulator`] (the running handle: endpoint, stats, clock, shutdown),
//! [`EmulatorConfig`] (builder: seed, state file, quotas, [`Faults`], [`OpLatency`], [`LivePattern`], [`Clock`]),
//! and [`Stats`]. With the `cli` feature, `EmulatorArgs` and `run_cli` (the `cognito-emulator` binary and the
//! `cognito-bulk emulator` subcommand).
//!
//! Layout: `server` (router, request pipeline, start/shutdown), `protocol` (wire format, errors, request ids),
//! `listener` (connections that faults can kill), `ops/` (one file per group of operations), `store` (state and
//! indexes), `schema` + `attributes` + `constraints` (validation), `quota` (token buckets; each operation's
//! category from the `cognito-ops` table), `faults` (seeded fault injection), `latency` (per-operation added
//! latency), `live` (the synthetic live caller), `mau` (monthly active users), `stats`, `persist` (seed and state
//! files), `cli` (the subcommand).
//!
//! ```no_run
//! # async fn demo() -> Result<(), cognito_emulator::EmulatorError> {
//! use cognito_emulator::{EmulatorConfig, start};
//! let emu = start(EmulatorConfig::default().with_seed("sample-data/seed.json")).await?;
//! println!("{}", emu.endpoint_url()); // pass to the SDK's endpoint_url
//! emu.shutdown().await;
//! # Ok(()) }
//! ```

mod attributes;
#[cfg(feature = "cli")]
mod cli;
mod clock;
mod config;
mod constraints;
mod error;
mod faults;
mod latency;
mod listener;
mod live;
mod mau;
mod model;
mod ops;
mod persist;
mod protocol;
mod quota;
mod schema;
mod server;
mod stats;
mod store;
mod user_view;

#[cfg(feature = "cli")]
pub use cli::{EmulatorArgs, Rate, run_cli};
pub use clock::{Clock, ManualClock};
pub use config::{DEFAULT_MAX_BODY_BYTES, EmulatorConfig};
pub use error::{EmulatorError, display_chain};
pub use faults::{Faults, ScriptedError, default_message};
pub use latency::{EVERY_OTHER_OPERATION, OpLatency};
pub use live::{LivePattern, LiveSecond, LiveStats, LiveStep};
pub use quota::{Category, DEFAULT_PER_USER_WRITE_RATE, TokenBucket};
pub use server::{RunningEmulator, start};
pub use stats::{FaultStats, MauStats, Stats};
pub use user_view::UserView;
