//! The local Cognito emulator, driven through the real `aws-sdk-cognitoidentityprovider` client.

#[path = "emulator/errors.rs"]
mod errors;
#[path = "emulator/faults.rs"]
mod faults;
#[path = "emulator/latency.rs"]
mod latency;
#[path = "emulator/operations.rs"]
mod operations;
#[path = "emulator/persistence.rs"]
mod persistence;
#[path = "emulator/protocol.rs"]
mod protocol;
#[path = "emulator/quotas.rs"]
mod quotas;
#[path = "emulator/support.rs"]
pub(crate) mod support;
