//! The pool snapshot behind `update --skip-unchanged`: what the file looks like ([`shape`]), how to compare
//! (the cost [`choice`] between listing the pool and per-user reads), the compact [`index`] of the pool's users,
//! and where it comes from (an earlier export, [`file`]).

pub mod choice;
pub mod file;
pub mod index;
pub mod live;
pub mod shape;

pub use choice::CompareWith;
pub use index::{Compared, IndexBuilder, KeyRules, SnapshotIndex};
pub use shape::FileShape;
