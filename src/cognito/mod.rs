//! Amazon Cognito through the real AWS SDK: building the client ([`client`]), classifying every error the API
//! documents in one table ([`classify`]), and the [`backend::CognitoBackend`] the executor sends rows through.

pub mod backend;
pub mod classify;
pub mod client;
pub mod pool;
