//! `EmulatorError`: everything that can stop the emulator from starting, loading its data or saving its state.
//!
//! Errors answered to clients over the wire are not here; they are [`crate::protocol::ApiError`].

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Failure to start, seed, persist or serve the emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The listening socket could not be bound.
    #[error("failed to bind {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    /// A seed or state file could not be read.
    #[error("failed to read {path}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A seed or state file is not valid JSON of the expected shape.
    #[error("failed to parse {path}")]
    ParseFile {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A pool in a seed or state file was rejected by the same validation as `CreateUserPool`.
    #[error("invalid pool {pool:?} in {path}: {reason}")]
    InvalidSeedPool {
        path: PathBuf,
        pool: String,
        reason: String,
    },
    /// A user in a seed or state file was rejected by the same validation as `AdminCreateUser`.
    #[error("invalid user {user:?} in pool {pool:?} in {path}: {reason}")]
    InvalidSeedUser {
        path: PathBuf,
        pool: String,
        user: String,
        reason: String,
    },
    /// The state file could not be written.
    #[error("failed to write state file {path}")]
    WriteState {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("failed to serve")]
    Serve(#[source] io::Error),
    /// A combination of flags that means nothing.
    #[error("{0}")]
    Usage(String),
    /// A per-operation setting names an operation the emulator does not have.
    #[error("invalid emulator setting: {0}")]
    UnknownOperation(String),
    /// Waiting for SIGINT/SIGTERM failed.
    #[error("failed to install signal handlers")]
    Signal(#[source] io::Error),
}

/// An error and its causes, as one line for a person: `failed to bind 127.0.0.1:9229: Address in use (os error
/// 98)`; a cause whose text the message already holds is not repeated.
pub fn display_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
