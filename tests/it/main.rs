//! One integration-test binary; themed modules below.

mod emulator;
mod export;
mod safety;
mod update;
