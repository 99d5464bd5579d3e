//! Helpers: starting an emulator, an SDK client pointed at it, and raw HTTP requests.

use std::path::PathBuf;

use aws_sdk_cognitoidentityprovider as cip;
use aws_sdk_cognitoidentityprovider::types::AttributeType;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use cognito_emulator::{EmulatorConfig, RunningEmulator, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The pool id of `sample-data/seed.json`.
pub const SAMPLE_POOL: &str = "local_SamplePool1";

pub fn sample_seed() -> PathBuf {
    // The repository's sample data, two levels above this crate.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sample-data/seed.json")
}

/// An emulator with the sample seed and no quotas.
pub async fn seeded() -> RunningEmulator {
    start(
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(sample_seed()),
    )
    .await
    .expect("emulator starts")
}

/// An SDK client with no retries and dummy credentials.
pub fn client(emu: &RunningEmulator) -> cip::Client {
    let conf = cip::Config::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(cip::config::Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        ))
        .endpoint_url(emu.endpoint_url())
        .http_client(
            aws_smithy_http_client::Builder::new()
                .tls_provider(Provider::Rustls(CryptoMode::Ring))
                .build_https(),
        )
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    cip::Client::from_conf(conf)
}

pub fn attr(name: &str, value: &str) -> AttributeType {
    AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .unwrap()
}

/// Updates attributes; `Err((code, message))` on a service error.
pub async fn update(
    client: &cip::Client,
    pool: &str,
    username: &str,
    attrs: &[(&str, &str)],
) -> Result<(), (String, String)> {
    client
        .admin_update_user_attributes()
        .user_pool_id(pool)
        .username(username)
        .set_user_attributes(Some(attrs.iter().map(|(n, v)| attr(n, v)).collect()))
        .send()
        .await
        .map(|_| ())
        .map_err(code_and_message)
}

/// The error code and message of an SDK error (`("<dispatch>", ..)` for errors without a response).
pub fn code_and_message<E, R>(
    e: aws_sdk_cognitoidentityprovider::error::SdkError<E, R>,
) -> (String, String)
where
    E: aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_cognitoidentityprovider::error::SdkError;
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            (
                err.code().unwrap_or("<none>").to_string(),
                err.message().unwrap_or("<none>").to_string(),
            )
        }
        SdkError::DispatchFailure(d) => ("<dispatch>".to_string(), format!("{d:?}")),
        SdkError::ResponseError(r) => ("<response>".to_string(), format!("{r:?}")),
        other => ("<other>".to_string(), format!("{other:?}")),
    }
}

/// Sends raw bytes over a fresh TCP connection and returns (status, headers+body text).
pub async fn raw_http(emu: &RunningEmulator, request: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(emu.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// A `POST /` awsJson request with `Connection: close`.
pub fn aws_request(target: Option<&str>, body: &str) -> Vec<u8> {
    let mut req = String::from("POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    req.push_str("Content-Type: application/x-amz-json-1.1\r\n");
    if let Some(t) = target {
        req.push_str(&format!("X-Amz-Target: {t}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    req.into_bytes()
}
