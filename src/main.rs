//! The `cognito-bulk` binary: parse the command line, run the subcommand, exit with its code.

use clap::Parser;

use cognito_bulk::cli::{Cli, Command};
use cognito_bulk::{app, emulator, exit_code};

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cognito-bulk: failed to start the async runtime: {e}");
            std::process::exit(exit_code::INTERNAL);
        }
    };
    let code = runtime.block_on(async {
        let result = match cli.command {
            Command::Update(args) => app::update(*args).await,
            Command::Validate(args) => app::validate(args).await,
            Command::Export(args) => app::export(args).await,
            Command::Emulator(args) => {
                cognito_bulk::telemetry::init(cognito_bulk::cli::LogFormat::Text, false);
                emulator::run_cli(args)
                    .await
                    .map(|()| exit_code::SUCCESS)
                    .map_err(|e| cognito_bulk::error::RunError::Emulator(e.to_string()))
            }
        };
        match result {
            Ok(code) => code,
            Err(err) => {
                eprintln!("cognito-bulk: error: {err}");
                err.exit_code()
            }
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    std::process::exit(code);
}
