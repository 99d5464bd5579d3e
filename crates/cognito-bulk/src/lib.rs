//! cognito-bulk: change attributes of existing Amazon Cognito users in bulk, from a CSV file.
//!
//! The architecture (crates, layers, data flow, module map) is described in `ARCHITECTURE.md`. The library's only
//! public item is [`main`]: every module is private to the crate, so the compiler reports what nothing uses.

mod app;
mod cli;
mod cognito;
mod config;
mod error;
mod exec;
mod exit_code;
mod export;
mod input;
mod manual;
mod operations;
mod preflight;
mod private_file;
mod report;
mod schema;
mod signals;
mod snapshot;
mod target;
mod telemetry;
mod writable;

use clap::FromArgMatches;

use crate::cli::{Cli, Command};

/// Parses the command line, runs the subcommand and returns the process exit code.
pub fn main() -> i32 {
    let parsed = manual::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => match manual::env_value_error(&e) {
            Some(message) => {
                telemetry::fatal(&message, exit_code::USAGE);
                return exit_code::USAGE;
            }
            None => e.exit(),
        },
    };
    let page = match &cli.command {
        Command::Completions { shell } => Some(manual::completions(*shell)),
        Command::Man => Some(manual::man()),
        _ => None,
    };
    if let Some(page) = page {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        return match out.write_all(&page).and_then(|()| out.flush()) {
            Ok(()) => exit_code::SUCCESS,
            // `cognito-bulk man | head`: the reader had what it wanted.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit_code::SUCCESS,
            Err(e) => {
                telemetry::err_line(&format!(
                    "cognito-bulk: error: failed to write to standard output: {e}"
                ));
                exit_code::INTERNAL
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            telemetry::err_line(&format!(
                "cognito-bulk: error: failed to start the async runtime: {e}"
            ));
            return exit_code::INTERNAL;
        }
    };
    let code = runtime.block_on(async {
        let result = match cli.command {
            Command::Update(args) => app::update(*args).await,
            Command::Validate(args) => app::validate(args).await,
            Command::Export(args) => app::export(args).await,
            Command::Completions { .. } | Command::Man => unreachable!("handled above"),
            Command::Emulator(mut args) => {
                telemetry::init(cli::LogFormat::Text, false);
                // The built-in pool of `local_*` pool ids, as the configuration names it.
                let state = match args.reset_state && args.state.is_none() {
                    true => config::layered(None, config::FileConfig::default())
                        .map(|cfg| cfg.emulator_state)
                        .map_err(error::RunError::from),
                    false => Ok(args.state.take()),
                };
                // A reset waits for a run using the state: that run writes the state back when it ends.
                let locked = match state {
                    Ok(Some(path)) if args.reset_state => {
                        tokio::task::block_in_place(|| target::lock_state(&path))
                            .map(|lock| (Some(path), Some(lock)))
                    }
                    Ok(state) => Ok((state, None)),
                    Err(e) => Err(e),
                };
                match locked {
                    Ok((state, _lock)) => {
                        args.state = state;
                        cognito_emulator::run_cli(args)
                            .await
                            .map(|()| exit_code::SUCCESS)
                            .map_err(|e| error::RunError::Emulator(error::chain(&e)))
                    }
                    Err(e) => Err(e),
                }
            }
        };
        match result {
            Ok(code) => code,
            Err(err) => {
                telemetry::fatal(&err.to_string(), err.exit_code());
                err.exit_code()
            }
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    code
}
