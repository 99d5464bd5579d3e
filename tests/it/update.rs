//! The `update` job end to end: the real binary, the real AWS SDK, real HTTP, against the in-process emulator.

#[path = "update/cli_and_config.rs"]
mod cli_and_config;
#[path = "update/emulator_subcommand.rs"]
mod emulator_subcommand;
#[path = "update/errors_and_exit_codes.rs"]
mod errors_and_exit_codes;
#[path = "update/happy_path.rs"]
mod happy_path;
#[path = "update/hygiene.rs"]
mod hygiene;
#[path = "update/rate_figures.rs"]
mod rate_figures;
#[path = "update/read_back.rs"]
mod read_back;
#[path = "update/resilience.rs"]
mod resilience;
#[path = "update/skip_unchanged_snapshot.rs"]
mod skip_unchanged_snapshot;
#[path = "update/stop_and_resume.rs"]
mod stop_and_resume;
#[path = "update/support.rs"]
pub(crate) mod support;
#[path = "update/validate_and_dry_run.rs"]
mod validate_and_dry_run;
