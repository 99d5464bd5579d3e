//! Everything the user sees about the run's results: the per-row report file ([`writer`]), reading an earlier
//! report to resume it ([`journal`]), the sink task that owns the report, counters and progress ([`sink`],
//! [`progress`]), the final summary ([`summary`]), the undo file ([`undo`]), the one-run-per-file lock ([`lock`]),
//! and the syncs that put a record on the disk before its request leaves ([`durable`]).

pub(crate) mod durable;
pub(crate) mod journal;
pub(crate) mod lock;
pub(crate) mod progress;
pub(crate) mod sink;
pub(crate) mod summary;
pub(crate) mod tally;
pub(crate) mod undo;
pub(crate) mod writer;
