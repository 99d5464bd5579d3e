//! `--op-latency` / `EmulatorConfig::with_op_latency`: the latency applies to the named operation only (checked
//! with the `delayed` counter, never with wall time), `*` to every other one, and unknown names are refused.

use std::time::Duration;

use cognito_emulator::{EmulatorConfig, EmulatorError, start};

use super::support::{SAMPLE_POOL, client, sample_seed};

#[tokio::test]
async fn latency_applies_to_the_named_operation_only() {
    let emu = start(
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(sample_seed())
            .with_op_latency("ListUsers", Duration::from_millis(1)),
    )
    .await
    .unwrap();
    let c = client(&emu);
    c.describe_user_pool()
        .user_pool_id(SAMPLE_POOL)
        .send()
        .await
        .unwrap();
    c.admin_get_user()
        .user_pool_id(SAMPLE_POOL)
        .username("user0001")
        .send()
        .await
        .unwrap();
    assert_eq!(emu.stats().faults.delayed, 0);
    for _ in 0..3 {
        c.list_users()
            .user_pool_id(SAMPLE_POOL)
            .limit(2)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(emu.stats().faults.delayed, 3);
}

#[tokio::test]
async fn star_applies_to_every_operation_not_named() {
    let emu = start(
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(sample_seed())
            .with_op_latency("*", Duration::from_millis(1))
            .with_op_latency("AdminGetUser", Duration::ZERO),
    )
    .await
    .unwrap();
    let c = client(&emu);
    c.admin_get_user()
        .user_pool_id(SAMPLE_POOL)
        .username("user0001")
        .send()
        .await
        .unwrap();
    assert_eq!(emu.stats().faults.delayed, 0);
    c.describe_user_pool()
        .user_pool_id(SAMPLE_POOL)
        .send()
        .await
        .unwrap();
    c.list_users()
        .user_pool_id(SAMPLE_POOL)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(emu.stats().faults.delayed, 2);
}

#[tokio::test]
async fn unknown_operation_is_refused_at_start() {
    let err =
        start(EmulatorConfig::default().with_op_latency("ListUser", Duration::from_millis(1)))
            .await
            .err()
            .expect("start fails");
    assert!(matches!(err, EmulatorError::UnknownOperation(_)), "{err:?}");
    assert!(err.to_string().contains("\"ListUser\""), "{err}");
}
