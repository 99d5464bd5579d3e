//! The local Cognito emulator, driven through the real `aws-sdk-cognitoidentityprovider` client.

mod errors;
mod faults;
mod groups;
mod latency;
mod list_partitions;
mod live_traffic;
mod mau;
mod operations;
mod persistence;
mod pool_size;
mod protocol;
mod quotas;
mod stats_detail;
pub(crate) mod support;
