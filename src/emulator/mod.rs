//! Local Cognito user-pool emulator (placeholder API until the emulator lands).

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Default)]
pub struct EmulatorConfig {
    pub seed: Option<PathBuf>,
}

impl EmulatorConfig {
    pub fn with_seed(mut self, seed: impl Into<PathBuf>) -> Self {
        self.seed = Some(seed.into());
        self
    }
    pub fn without_quotas(self) -> Self {
        self
    }
}

#[derive(Debug, thiserror::Error)]
#[error("emulator: {0}")]
pub struct EmulatorError(String);

pub struct RunningEmulator {
    addr: SocketAddr,
}

impl RunningEmulator {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub async fn shutdown(self) {}
}

pub async fn start(_config: EmulatorConfig) -> Result<RunningEmulator, EmulatorError> {
    Err(EmulatorError("not built yet".into()))
}

#[derive(Debug, Clone, clap::Args)]
pub struct EmulatorArgs {}

pub async fn run_cli(_args: EmulatorArgs) -> Result<(), EmulatorError> {
    Err(EmulatorError("not built yet".into()))
}
