//! The pool snapshot behind `update --skip-unchanged`: what the file looks like ([`shape`]), how to compare
//! (the cost [`choice`] between listing the pool and per-user reads), the compact [`index`] of the pool's users,
//! and where it comes from (an earlier export, [`file`]).

pub(crate) mod choice;
pub(crate) mod file;
pub(crate) mod index;
pub(crate) mod live;
pub(crate) mod shape;

pub(crate) use index::{Compared, IndexBuilder, KeyRules, SnapshotIndex};
pub(crate) use shape::FileShape;
