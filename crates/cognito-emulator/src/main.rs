//! The `cognito-emulator` binary: the emulator on its own, with the same flags as `cognito-bulk emulator`.

use std::io::Write;

use clap::Parser;

/// Run a local Amazon Cognito user-pool emulator (awsJson 1.1 over HTTP).
#[derive(Parser)]
#[command(name = "cognito-emulator", version)]
struct Cli {
    #[command(flatten)]
    args: cognito_emulator::EmulatorArgs,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = cognito_emulator::run_cli(cli.args).await {
        // A closed standard error is not worth a panic: the exit code says it failed.
        let _ = writeln!(
            std::io::stderr(),
            "cognito-emulator: error: {}",
            cognito_emulator::display_chain(&e)
        );
        std::process::exit(1);
    }
}
