//! Amazon Cognito through the real AWS SDK: building the client ([`client`]), classifying every error the API
//! documents in one table ([`classify`]), and the [`backend::CognitoBackend`] the executor sends rows through,
//! with the read-before-write decisions of `--skip-unchanged` and `--undo-file` ([`before`]) and the read-back
//! after an ambiguous failure ([`readback`]).

pub mod backend;
pub mod before;
pub mod classify;
pub mod client;
pub mod list_users;
pub mod pool;
pub mod readback;
