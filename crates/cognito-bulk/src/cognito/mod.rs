//! Amazon Cognito through the real AWS SDK: building the client ([`client`]), classifying every error the API
//! documents in one table ([`classify`]) and putting transport failures into words ([`error_text`]), and the
//! [`backend::CognitoBackend`] the executor sends rows through, with the read-before-write decisions of
//! `--skip-unchanged` and `--undo-file` ([`before`]) and the read-back after an ambiguous failure ([`readback`]),
//! and the pool's groups and their members ([`groups`]).

pub(crate) mod backend;
pub(crate) mod before;
pub(crate) mod classify;
pub(crate) mod client;
mod error_text;
pub(crate) mod groups;
pub(crate) mod list_users;
pub(crate) mod pool;
pub(crate) mod readback;
