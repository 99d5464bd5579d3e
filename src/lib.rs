//! cognito-bulk: change attributes of existing Amazon Cognito users in bulk, from a CSV file.
//!
//! The architecture (data flow, module map, design decisions) is described in `ARCHITECTURE.md`.

pub mod app;
pub mod cli;
pub mod cognito;
pub mod config;
pub mod emulator;
pub mod error;
pub mod exec;
pub mod exit_code;
pub mod export;
pub mod input;
pub mod preflight;
pub mod report;
pub mod schema;
pub mod signals;
pub mod snapshot;
pub mod target;
pub mod telemetry;
