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
    crate::cognito::client::build(&config, &target, Some(endpoint), Duration::from_secs(10))
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
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-data/seed.json");
    let faults = Faults {
        seed: 11,
        drop_rate: 1.0,
        drop_after_apply_share: 1.0,
        latency_jitter: Duration::from_millis(5),
        ..Faults::default()
    };
    let emu = cognito_emulator::start(
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(seed)
            .with_faults(faults),
    )
    .await
    .expect("emulator starts");
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
