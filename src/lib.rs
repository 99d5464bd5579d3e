//! cognito-bulk: bulk attribute updates for Amazon Cognito user pools.
//!
//! (Architecture overview: see ARCHITECTURE.md.)

pub mod emulator;
