//! The `update` job end to end: the real binary, the real AWS SDK, real HTTP, against the in-process emulator.

#[path = "update/cli_and_config.rs"]
mod cli_and_config;
#[path = "update/errors_and_exit_codes.rs"]
mod errors_and_exit_codes;
#[path = "update/happy_path.rs"]
mod happy_path;
#[path = "update/resilience.rs"]
mod resilience;
#[path = "update/stop_and_resume.rs"]
mod stop_and_resume;
#[path = "update/support.rs"]
mod support;
