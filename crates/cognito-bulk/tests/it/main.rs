//! One integration-test binary; themed modules below.

mod export;
mod safety;
mod support;
mod update;
