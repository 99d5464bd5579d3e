//! Quota buckets, counted exactly with a manual clock (time only moves when the test says so).

use std::time::Duration;

use cognito_emulator::{Category, Clock, EmulatorConfig, ManualClock, start};

use super::support::{SAMPLE_POOL, client, sample_seed, update};

#[tokio::test]
async fn burst_over_the_user_update_bucket_is_throttled_exactly() {
    let clock = ManualClock::new();
    let emu = start(
        EmulatorConfig::default()
            .with_per_user_write_rate(None)
            .with_clock(Clock::Manual(clock.clone()))
            .with_seed(sample_seed()),
    )
    .await
    .unwrap();
    let c = client(&emu);
    let mut ok = 0;
    let mut throttled = 0;
    for i in 1..=60 {
        match update(
            &c,
            SAMPLE_POOL,
            &format!("user{i:04}"),
            &[("custom:tier", "pro")],
        )
        .await
        {
            Ok(()) => ok += 1,
            Err((code, message)) => {
                assert_eq!(
                    (code.as_str(), message.as_str()),
                    ("TooManyRequestsException", "Rate exceeded")
                );
                throttled += 1;
            }
        }
    }
    assert_eq!((ok, throttled), (25, 35));
    let stats = emu.stats();
    assert_eq!(stats.throttled.get("AdminUpdateUserAttributes"), Some(&35));
    assert_eq!(stats.requests.get("AdminUpdateUserAttributes"), Some(&60));
    assert_eq!(stats.applied_total, 25, "throttled requests apply nothing");
    // user0026..user0060 were throttled and keep their value.
    assert_eq!(
        emu.user(SAMPLE_POOL, "user0026")
            .unwrap()
            .attribute("custom:tier"),
        Some("free")
    );

    // 200 ms refill 5 tokens.
    clock.advance(Duration::from_millis(200));
    let mut ok = 0;
    for _ in 0..10 {
        if update(&c, SAMPLE_POOL, "user0100", &[("custom:tier", "x")])
            .await
            .is_ok()
        {
            ok += 1;
        }
    }
    assert_eq!(ok, 5);
    // Other categories have their own bucket.
    c.admin_get_user()
        .user_pool_id(SAMPLE_POOL)
        .username("user0001")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn per_user_write_limit() {
    let clock = ManualClock::new();
    let emu = start(
        EmulatorConfig::default()
            .with_quota(Category::UserUpdate, None)
            .with_clock(Clock::Manual(clock.clone()))
            .with_seed(sample_seed()),
    )
    .await
    .unwrap();
    let c = client(&emu);
    let results: Vec<bool> = {
        let mut v = Vec::new();
        for _ in 0..15 {
            v.push(
                update(&c, SAMPLE_POOL, "user0001", &[("custom:tier", "a")])
                    .await
                    .is_ok(),
            );
        }
        v
    };
    assert_eq!(results.iter().filter(|ok| **ok).count(), 10);
    assert!(results[..10].iter().all(|ok| *ok));
    update(&c, SAMPLE_POOL, "user0002", &[("custom:tier", "a")])
        .await
        .unwrap();
    clock.advance(Duration::from_secs(1));
    update(&c, SAMPLE_POOL, "user0001", &[("custom:tier", "a")])
        .await
        .unwrap();
    assert_eq!(emu.stats().applied_updates.get("user0001"), Some(&11));
}

#[tokio::test]
async fn default_config_has_cognito_quotas_and_without_quotas_turns_them_off() {
    let d = EmulatorConfig::default();
    let rates: Vec<Option<f64>> = Category::ALL.iter().map(|c| d.quota(*c)).collect();
    assert_eq!(
        rates,
        vec![
            Some(25.0),
            Some(120.0),
            Some(30.0),
            Some(15.0),
            Some(50.0),
            Some(50.0),
            Some(20.0),
            Some(15.0),
            Some(1.0)
        ]
    );
    assert_eq!(d.per_user_write_rate(), Some(10.0));
    let off = d.without_quotas();
    assert!(Category::ALL.iter().all(|c| off.quota(*c).is_none()));
    assert_eq!(off.per_user_write_rate(), None);
}

#[tokio::test]
async fn get_provisioned_limit_answers_the_rate_each_category_enforces() {
    use aws_sdk_cognitoidentityprovider::types::{LimitClass, LimitDefinitionType};
    // GetProvisionedLimit's own quota (LimitManagement, 1/s) off: the test asks three times at once.
    let config = EmulatorConfig::default()
        .with_quota(Category::UserUpdate, Some(40.0))
        .with_quota(Category::LimitManagement, None);
    let emu = start(config).await.unwrap();
    let c = client(&emu);
    let ask = |category: &str| {
        c.get_provisioned_limit().limit_definition(
            LimitDefinitionType::builder()
                .limit_class(LimitClass::ApiCategory)
                .attributes("Category", category)
                .build()
                .unwrap(),
        )
    };
    let limit = ask("UserUpdate").send().await.unwrap().limit.unwrap();
    assert_eq!(
        (limit.free_limit_value, limit.provisioned_limit_value),
        (25, 40),
        "provisioned above the default"
    );
    assert_eq!(
        limit.limit_definition.unwrap().attributes["Category"],
        "UserUpdate"
    );
    let read = ask("UserRead").send().await.unwrap().limit.unwrap();
    assert_eq!(
        (read.free_limit_value, read.provisioned_limit_value),
        (120, 120)
    );
    let err = ask("NoSuchCategory").send().await.unwrap_err();
    assert_eq!(
        err.into_service_error().meta().code(),
        Some("InvalidParameterException")
    );
}
