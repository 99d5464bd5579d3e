//! Execution: the dispatcher that takes a concurrency permit and a rate token before it pulls the next row, the
//! per-row retry loop, the rate limiter (a fixed ceiling plus an adaptive rate under it), and the run control
//! (stop, abort, their reasons, live counters).
//!
//! Nothing here knows Cognito or the report: rows go to a [`backend::Backend`], outcomes go out on a channel.

pub mod adaptive;
pub mod backend;
pub mod control;
pub mod dispatcher;
pub mod pacer;
pub mod retry;
