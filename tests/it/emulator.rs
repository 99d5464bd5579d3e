//! The local Cognito emulator, driven through the real `aws-sdk-cognitoidentityprovider` client.

#[path = "emulator/errors.rs"]
mod errors;
#[path = "emulator/faults.rs"]
mod faults;
#[path = "emulator/latency.rs"]
mod latency;
#[path = "emulator/list_partitions.rs"]
mod list_partitions;
#[path = "emulator/live_traffic.rs"]
mod live_traffic;
#[path = "emulator/mau.rs"]
mod mau;
#[path = "emulator/operations.rs"]
mod operations;
#[path = "emulator/persistence.rs"]
mod persistence;
#[path = "emulator/pool_size.rs"]
mod pool_size;
#[path = "emulator/protocol.rs"]
mod protocol;
#[path = "emulator/quotas.rs"]
mod quotas;
#[path = "emulator/stats_detail.rs"]
mod stats_detail;
#[path = "emulator/support.rs"]
pub(crate) mod support;
