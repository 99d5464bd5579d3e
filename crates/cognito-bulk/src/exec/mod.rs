//! Execution: the dispatcher that takes a concurrency permit and a rate token before it pulls the next row, the
//! per-row retry loop, the rate limiter (a fixed ceiling plus an adaptive rate under it), and the run control
//! (stop, abort, their reasons, live counters).
//!
//! Nothing here knows Cognito or the report: rows go to a [`backend::Backend`], [`outcome::RowOutcome`]s go out on a
//! channel. The outcome vocabulary (`Status`, `RowOutcome`) lives here so that the layers above can use it.

pub(crate) mod adaptive;
pub(crate) mod backend;
pub(crate) mod control;
pub(crate) mod dispatcher;
pub(crate) mod outage;
pub(crate) mod outcome;
pub(crate) mod pacer;
pub(crate) mod retry;
