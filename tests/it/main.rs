//! One integration-test binary; themed modules below.

mod emulator;
mod safety;
mod update;
