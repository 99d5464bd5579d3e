//! Serves the emulator with quotas off and the sample seed, for load tests (e.g. with `wrk`).
//!
//! `cargo run --release --example emulator_bench -- [PORT]`, then point the load client at the printed address.

use cognito_bulk::emulator::{EmulatorConfig, start};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::args()
        .nth(1)
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(9229);
    let config = EmulatorConfig::default()
        .without_quotas()
        .with_seed(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample-data/seed.json"
        ))
        .with_bind(([127, 0, 0, 1], port).into());
    let emu = start(config).await?;
    println!("listening on {}", emu.endpoint_url());
    tokio::signal::ctrl_c().await?;
    let stats = emu.stats();
    println!(
        "applied_total={} requests={:?}",
        stats.applied_total, stats.requests
    );
    emu.shutdown().await;
    Ok(())
}
