//! Everything the user sees about the run's results: the per-row report file ([`writer`]), reading an earlier
//! report to resume it ([`journal`]), the sink task that owns the report, counters and progress ([`sink`],
//! [`progress`]), the final summary ([`summary`]), the undo file ([`undo`]), and the one-run-per-file lock ([`lock`]).

pub mod journal;
pub mod lock;
pub mod outcome;
pub mod progress;
pub mod sink;
pub mod summary;
pub mod undo;
pub mod writer;
