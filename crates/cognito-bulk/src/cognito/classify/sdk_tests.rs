//! The classification of transport failures from the real SDK over real HTTP: a connection the emulator dropped
//! (maybe after applying the request) is ambiguous, a refused one is not.

use std::path::Path;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::SdkError;
use aws_sdk_cognitoidentityprovider::operation::admin_update_user_attributes::{
    AdminUpdateUserAttributesError, AdminUpdateUserAttributesOutput,
};
use aws_sdk_cognitoidentityprovider::types::AttributeType;
use cognito_emulator::{EmulatorConfig, Faults};

use super::from_sdk;
use crate::config::{Endpoint, TargetSettings};

/// The job's own client (retries off, attempt timeout), aimed at `endpoint` as it is at the built-in emulator.
async fn client(endpoint: &str) -> Client {
    client_with_timeout(endpoint, Duration::from_secs(10)).await
}

/// The sample pool on an emulator with `faults`.
async fn faulty(faults: Faults) -> cognito_emulator::RunningEmulator {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-data/seed.json");
    cognito_emulator::start(
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(seed)
            .with_faults(faults),
    )
    .await
    .expect("emulator starts")
}

/// The job's client with its attempt timeout.
async fn client_with_timeout(endpoint: &str, attempt_timeout: Duration) -> Client {
    let target = TargetSettings {
        pool_id: "local_SamplePool1".into(),
        region: "local".into(),
        profile: None,
        endpoint: Endpoint::Emulator {
            seed: "unused".into(),
            state: "unused".into(),
        },
    };
    let config = crate::cognito::client::load_placeholder(&target).await;
    crate::cognito::client::build(&config, &target, Some(endpoint), attempt_timeout)
}

/// One AdminUpdateUserAttributes call for user0001 through `sdk`.
async fn update_tier(
    sdk: &Client,
) -> Result<AdminUpdateUserAttributesOutput, SdkError<AdminUpdateUserAttributesError>> {
    let tier = AttributeType::builder()
        .name("custom:tier")
        .value("gold")
        .build()
        .unwrap();
    sdk.admin_update_user_attributes()
        .user_pool_id("local_SamplePool1")
        .username("user0001")
        .user_attributes(tier)
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_ambiguous_and_a_refused_one_is_not() {
    let faults = Faults {
        seed: 11,
        drop_rate: 1.0,
        drop_after_apply_share: 1.0,
        latency_jitter: Duration::from_millis(5),
        ..Faults::default()
    };
    let emu = faulty(faults).await;
    let dropped = from_sdk(
        update_tier(&client(&emu.endpoint_url()).await)
            .await
            .expect_err("the connection is dropped"),
    );
    assert!(dropped.ambiguous, "{dropped:?}");
    emu.shutdown().await;

    // A port nothing listens on: refused before anything was sent.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let nowhere = client(&format!("http://127.0.0.1:{port}")).await;
    let refused = from_sdk(update_tier(&nowhere).await.expect_err("nothing listens"));
    assert!(!refused.ambiguous, "{refused:?}");
}

/// What a person may never read in a message: Debug forms, Rust paths, doubled prefixes, walls of text.
fn assert_words(kind: &str, message: &str, says: &str) {
    for debug in [
        "{",
        "}",
        "Some(",
        "None",
        "::",
        "DispatchFailure(",
        "ConnectorError",
    ] {
        assert!(!message.contains(debug), "{kind}: `{debug}` in {message:?}");
    }
    for doubled in ["error: error", "failure: failure", "dispatch failure"] {
        assert!(
            !message.contains(doubled),
            "{kind}: `{doubled}` in {message:?}"
        );
    }
    assert!(
        message.chars().count() <= crate::cognito::error_text::MAX_CHARS,
        "{kind}: {} characters",
        message.chars().count()
    );
    assert!(message.contains(says), "{kind}: {message:?} lacks {says:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_sdk_failure_reads_as_words() {
    let check = |kind: &str, err: SdkError<AdminUpdateUserAttributesError>, says: &str| {
        let e = from_sdk(err);
        assert_words(kind, &e.message, says);
        e
    };

    // Over real HTTP: a connection dropped after the request, TLS spoken to a plain-HTTP port, no answer in time,
    // a port nothing listens on.
    let faults = Faults {
        seed: 11,
        drop_rate: 1.0,
        drop_after_apply_share: 1.0,
        ..Faults::default()
    };
    let emu = faulty(faults).await;
    let url = emu.endpoint_url();
    let dropped = update_tier(&client(&url).await).await.unwrap_err();
    check(
        "dropped",
        dropped,
        "the connection was closed before the answer arrived",
    );
    let https = client(&url.replace("http://", "https://")).await;
    check(
        "tls",
        update_tier(&https).await.unwrap_err(),
        "the TLS handshake with the endpoint failed (received corrupt message",
    );
    emu.shutdown().await;

    let faults = Faults {
        seed: 1,
        latency: Duration::from_secs(3),
        ..Faults::default()
    };
    let emu = faulty(faults).await;
    let slow = client_with_timeout(&emu.endpoint_url(), Duration::from_secs(1)).await;
    check(
        "timeout",
        update_tier(&slow).await.unwrap_err(),
        "no answer within 1s (--attempt-timeout)",
    );
    emu.shutdown().await;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let nowhere = client(&format!("http://127.0.0.1:{port}")).await;
    check(
        "refused",
        update_tier(&nowhere).await.unwrap_err(),
        &format!("connection refused by 127.0.0.1:{port}: nothing listens there"),
    );
    check(
        "endpoint",
        update_tier(&client("not a url").await).await.unwrap_err(),
        "endpoint is not a valid URI",
    );

    // Built by hand: the kinds a loopback test can't provoke.
    use aws_smithy_runtime_api::client::dns::ResolveDnsError;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    let io = |kind: std::io::ErrorKind, text: &str| {
        Box::new(std::io::Error::new(kind, text.to_string()))
    };
    let dns = ResolveDnsError::new(io(std::io::ErrorKind::Other, "Name or service not known"));
    let cases: Vec<(&str, SdkError<AdminUpdateUserAttributesError>, &str)> = vec![
        (
            "dns",
            SdkError::dispatch_failure(ConnectorError::io(Box::new(dns))),
            "the endpoint's host name was not found (DNS",
        ),
        (
            "connector timeout",
            SdkError::dispatch_failure(ConnectorError::timeout(io(
                std::io::ErrorKind::TimedOut,
                "HTTP connect timeout occurred after 5s",
            ))),
            "connecting to the endpoint timed out",
        ),
        (
            "connector user",
            SdkError::dispatch_failure(ConnectorError::user(io(
                std::io::ErrorKind::InvalidInput,
                "invalid header value",
            ))),
            "invalid header value",
        ),
        (
            "connector other",
            SdkError::dispatch_failure(ConnectorError::other(
                io(std::io::ErrorKind::Other, "stream ended"),
                None,
            )),
            "stream ended",
        ),
        (
            "response",
            SdkError::response_error(
                io(
                    std::io::ErrorKind::InvalidData,
                    "expected value at line 1 column 1",
                ),
                HttpResponse::new(StatusCode::try_from(200).unwrap(), SdkBody::empty()),
            ),
            "the answer could not be read: expected value at line 1 column 1",
        ),
        (
            "construction",
            SdkError::construction_failure(io(
                std::io::ErrorKind::Other,
                "the credentials provider was not enabled",
            )),
            "the request could not be prepared, so it was not sent: the credentials provider was not enabled",
        ),
    ];
    for (kind, err, says) in cases {
        check(kind, err, says);
    }
    // A service error: Cognito's own code and message, as it sent them.
    use aws_sdk_cognitoidentityprovider::error::ErrorMetadata;
    let service = SdkError::service_error(
        AdminUpdateUserAttributesError::generic(
            ErrorMetadata::builder()
                .code("InvalidParameterException")
                .message("Invalid phone number format.")
                .build(),
        ),
        HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::empty()),
    );
    let e = check("service", service, "Invalid phone number format.");
    assert_eq!(e.code, "InvalidParameterException");
}
