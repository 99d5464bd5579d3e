//! The input CSV: streaming it ([`reader`]) with a check for quotes left open at the end ([`quotes`]), its header
//! ([`header`]), the checks every row passes before it may be sent ([`text`] for control characters and values
//! spanning lines, [`validate`] for the API's rules, [`membership`] for the group and enabled-state columns, with
//! the names they accept in [`names`] and their vocabulary in [`problem`]) and duplicate detection in flat memory
//! ([`duplicates`]).

pub(crate) mod cells;
pub(crate) mod duplicates;
pub(crate) mod header;
pub(crate) mod membership;
pub(crate) mod names;
pub(crate) mod problem;
pub(crate) mod quotes;
pub(crate) mod reader;
pub(crate) mod row;
pub(crate) mod text;
pub(crate) mod validate;
