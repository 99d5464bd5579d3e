//! One integration-test binary; themed modules below.

mod docs;
mod export;
mod footguns;
mod rehearsal;
mod safety;
mod support;
mod update;
