//! The parts of `cognito-bulk export` (the outline is [`crate::app::export`]): its settings ([`settings`]), the
//! client-side `--where` selection ([`select`]), where each listed attribute goes in `update`'s input format
//! ([`columns`]), the spool that lets the header name every attribute found ([`spool`]), the output file written
//! aside and renamed at the end ([`output`]) and the progress line ([`progress`]).

pub(crate) mod columns;
pub(crate) mod output;
pub(crate) mod progress;
pub(crate) mod select;
pub(crate) mod settings;
pub(crate) mod spool;
