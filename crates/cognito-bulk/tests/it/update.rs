//! The `update` job end to end: the real binary, the real AWS SDK, real HTTP, against the in-process emulator.

mod built_in_pool;
mod cli_and_config;
mod emulator_subcommand;
mod errors_and_exit_codes;
mod groups;
mod happy_path;
mod hygiene;
mod machine_faults;
mod moto;
mod pool_read_outages;
mod power_cut;
mod rate_figures;
mod read_back;
mod resilience;
mod skip_unchanged_snapshot;
mod stop_and_resume;
mod validate_and_dry_run;
