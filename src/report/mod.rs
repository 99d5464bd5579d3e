//! Everything the user sees about the run's results: the per-row report file ([`writer`]), reading an earlier
//! report to resume it ([`journal`]), the sink task that owns the report, counters and progress ([`sink`],
//! [`progress`]), and the final summary ([`summary`]).

pub mod journal;
pub mod outcome;
pub mod progress;
pub mod sink;
pub mod summary;
pub mod writer;
