//! The input CSV: streaming it ([`reader`]), its header ([`header`]), the checks every row passes before it may
//! be sent ([`validate`]) and duplicate detection in flat memory ([`duplicates`]).

pub mod duplicates;
pub mod header;
pub mod reader;
pub mod row;
pub mod validate;
