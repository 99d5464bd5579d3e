//! Every operation, happy paths and response shapes.

use aws_sdk_cognitoidentityprovider::types::{
    AliasAttributeType, AttributeDataType, MessageActionType, SchemaAttributeType,
    StringAttributeConstraintsType, UserStatusType, UsernameConfigurationType,
    VerifiedAttributeType,
};
use cognito_emulator::{EmulatorConfig, start};

use super::support::{SAMPLE_POOL, attr, client, seeded, update};

#[tokio::test]
async fn pool_lifecycle() {
    let emu = start(EmulatorConfig::default()).await.unwrap();
    let c = client(&emu);
    let created = c
        .create_user_pool()
        .pool_name("mine")
        .alias_attributes(AliasAttributeType::Email)
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .username_configuration(
            UsernameConfigurationType::builder()
                .case_sensitive(false)
                .build()
                .unwrap(),
        )
        .schema(
            SchemaAttributeType::builder()
                .name("dept")
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .string_attribute_constraints(
                    StringAttributeConstraintsType::builder()
                        .max_length("8")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let pool = created.user_pool().unwrap();
    let id = pool.id().unwrap().to_string();
    assert!(id.starts_with("local_"), "{id}");
    assert_eq!(pool.name(), Some("mine"));

    let described = c
        .describe_user_pool()
        .user_pool_id(&id)
        .send()
        .await
        .unwrap();
    let pool = described.user_pool().unwrap();
    let schema = pool.schema_attributes();
    let dept = schema
        .iter()
        .find(|a| a.name() == Some("custom:dept"))
        .unwrap();
    assert_eq!(dept.mutable(), Some(true));
    assert_eq!(
        dept.string_attribute_constraints().unwrap().max_length(),
        Some("8")
    );
    let sub = schema.iter().find(|a| a.name() == Some("sub")).unwrap();
    assert_eq!((sub.mutable(), sub.required()), (Some(false), Some(true)));
    assert_eq!(pool.alias_attributes(), &[AliasAttributeType::Email]);
    assert!(pool.creation_date().is_some());

    let listed = c.list_user_pools().max_results(60).send().await.unwrap();
    assert_eq!(listed.user_pools().len(), 1);
    assert_eq!(listed.user_pools()[0].id(), Some(id.as_str()));

    c.delete_user_pool().user_pool_id(&id).send().await.unwrap();
    let listed = c.list_user_pools().max_results(10).send().await.unwrap();
    assert!(listed.user_pools().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn list_user_pools_paginates() {
    let emu = start(EmulatorConfig::default().without_quotas())
        .await
        .unwrap();
    let c = client(&emu);
    for i in 0..5 {
        c.create_user_pool()
            .pool_name(format!("p{i}"))
            .send()
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = c
            .list_user_pools()
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen.extend(
            page.user_pools()
                .iter()
                .map(|p| p.id().unwrap().to_string()),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);
}

#[tokio::test]
async fn create_get_update_delete_user() {
    let emu = seeded().await;
    let c = client(&emu);
    let created = c
        .admin_create_user()
        .user_pool_id(SAMPLE_POOL)
        .username("newbie")
        .message_action(MessageActionType::Suppress)
        .user_attributes(attr("email", "newbie@example.org"))
        .user_attributes(attr("custom:legacy_id", "L-9"))
        .send()
        .await
        .unwrap();
    let user = created.user().unwrap();
    assert_eq!(user.username(), Some("newbie"));
    assert_eq!(
        user.user_status(),
        Some(&UserStatusType::ForceChangePassword)
    );
    assert!(user.attributes().iter().any(|a| a.name() == "sub"));

    update(
        &c,
        SAMPLE_POOL,
        "newbie",
        &[("custom:tier", "gold"), ("given_name", "Neo")],
    )
    .await
    .unwrap();
    let got = c
        .admin_get_user()
        .user_pool_id(SAMPLE_POOL)
        .username("newbie")
        .send()
        .await
        .unwrap();
    let value = |n: &str| {
        got.user_attributes()
            .iter()
            .find(|a| a.name() == n)
            .and_then(|a| a.value())
            .map(str::to_string)
    };
    assert_eq!(value("custom:tier").as_deref(), Some("gold"));
    assert_eq!(value("given_name").as_deref(), Some("Neo"));
    assert!(value("sub").is_some());
    assert!(got.enabled());
    assert!(got.user_create_date().is_some() && got.user_last_modified_date().is_some());

    c.admin_delete_user_attributes()
        .user_pool_id(SAMPLE_POOL)
        .username("newbie")
        .user_attribute_names("given_name")
        .send()
        .await
        .unwrap();
    assert_eq!(
        emu.user(SAMPLE_POOL, "newbie")
            .unwrap()
            .attribute("given_name"),
        None
    );

    c.admin_delete_user()
        .user_pool_id(SAMPLE_POOL)
        .username("newbie")
        .send()
        .await
        .unwrap();
    assert!(emu.user(SAMPLE_POOL, "newbie").is_none());
    let stats = emu.stats();
    assert_eq!(stats.applied_updates.get("newbie"), Some(&1));
    assert_eq!(stats.requests.get("AdminCreateUser"), Some(&1));
}

#[tokio::test]
async fn seeded_users_are_found_by_username_case_insensitively_alias_and_sub() {
    let emu = seeded().await;
    let c = client(&emu);
    for name in [
        "user0042",
        "USER0042",
        "user0042@example.com",
        "00000000-0000-4000-8000-000000000042",
    ] {
        let got = c
            .admin_get_user()
            .user_pool_id(SAMPLE_POOL)
            .username(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(got.username(), "user0042");
    }
    let u = emu.user(SAMPLE_POOL, "user0007").unwrap();
    assert_eq!(u.attribute("phone_number"), Some("+15550100007"));
    assert_eq!(u.attribute("custom:tier"), Some("free"));
}

#[tokio::test]
async fn list_users_filters_and_paginates() {
    let emu = seeded().await;
    let c = client(&emu);
    let mut total = 0;
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = c
            .list_users()
            .user_pool_id(SAMPLE_POOL)
            .limit(60)
            .set_pagination_token(token)
            .send()
            .await
            .unwrap();
        total += page.users().len();
        pages += 1;
        token = page.pagination_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!((total, pages), (1000, 17));

    let exact = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .filter("email = \"user0100@example.com\"")
        .send()
        .await
        .unwrap();
    assert_eq!(exact.users().len(), 1);
    let user = &exact.users()[0];
    assert_eq!(user.username(), Some("user0100"));
    assert!(user.attributes().iter().any(|a| a.name() == "sub"));

    let prefix = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .filter("username ^= \"user001\"")
        .attributes_to_get("email")
        .send()
        .await
        .unwrap();
    assert_eq!(prefix.users().len(), 10);
    assert!(prefix.users().iter().all(|u| u.attributes().len() == 1));
}

#[tokio::test]
async fn email_change_unverifies_and_counts_a_message() {
    let emu = seeded().await;
    let c = client(&emu);
    update(
        &c,
        SAMPLE_POOL,
        "user0001",
        &[("email", "changed@example.com")],
    )
    .await
    .unwrap();
    let u = emu.user(SAMPLE_POOL, "user0001").unwrap();
    assert_eq!(u.attribute("email"), Some("changed@example.com"));
    assert_eq!(u.attribute("email_verified"), Some("false"));
    // With the flag in the same call: verified, no message.
    update(
        &c,
        SAMPLE_POOL,
        "user0002",
        &[("email", "two@example.com"), ("email_verified", "true")],
    )
    .await
    .unwrap();
    assert_eq!(
        emu.user(SAMPLE_POOL, "user0002")
            .unwrap()
            .attribute("email_verified"),
        Some("true")
    );
    // email_verified=true alone is accepted.
    update(&c, SAMPLE_POOL, "user0001", &[("email_verified", "true")])
        .await
        .unwrap();
    let stats = emu.stats();
    assert_eq!(stats.verification_messages, 1);
    assert_eq!(
        stats.verification_messages_by_user.get("user0001"),
        Some(&1)
    );
    assert_eq!(stats.applied_total, 3);
}

#[tokio::test]
async fn verifying_a_duplicate_email_alias_moves_it() {
    let emu = seeded().await;
    let c = client(&emu);
    update(
        &c,
        SAMPLE_POOL,
        "user0003",
        &[
            ("email", "user0004@example.com"),
            ("email_verified", "true"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        emu.user(SAMPLE_POOL, "user0004")
            .unwrap()
            .attribute("email_verified"),
        Some("false")
    );
    // The alias now resolves to the new holder.
    assert_eq!(
        emu.user(SAMPLE_POOL, "user0004@example.com")
            .unwrap()
            .username,
        "user0003"
    );
}

#[tokio::test]
async fn pending_value_with_verification_before_update() {
    let emu = start(EmulatorConfig::default().without_quotas())
        .await
        .unwrap();
    let c = client(&emu);
    let pool = c
        .create_user_pool()
        .pool_name("keep")
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .user_attribute_update_settings(
            aws_sdk_cognitoidentityprovider::types::UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = pool.user_pool().unwrap().id().unwrap().to_string();
    c.admin_create_user()
        .user_pool_id(&id)
        .username("kim")
        .user_attributes(attr("email", "old@example.com"))
        .user_attributes(attr("email_verified", "true"))
        .send()
        .await
        .unwrap();
    update(&c, &id, "kim", &[("email", "new@example.com")])
        .await
        .unwrap();
    let u = emu.user(&id, "kim").unwrap();
    assert_eq!(u.attribute("email"), Some("old@example.com"));
    assert_eq!(u.attribute("email_verified"), Some("true"));
    assert_eq!(
        u.pending.get("email").map(String::as_str),
        Some("new@example.com")
    );
    assert_eq!(emu.stats().verification_messages, 1);
}

#[tokio::test]
async fn empty_value_deletes_an_optional_attribute() {
    let emu = seeded().await;
    let c = client(&emu);
    update(&c, SAMPLE_POOL, "user0005", &[("given_name", "")])
        .await
        .unwrap();
    assert_eq!(
        emu.user(SAMPLE_POOL, "user0005")
            .unwrap()
            .attribute("given_name"),
        None
    );
}

#[tokio::test]
async fn stats_endpoint_serves_json() {
    let emu = seeded().await;
    let c = client(&emu);
    update(&c, SAMPLE_POOL, "user0009", &[("custom:tier", "pro")])
        .await
        .unwrap();
    let (status, text) = super::support::raw_http(
        &emu,
        b"GET /_emulator/stats?detail=users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    let stats: cognito_emulator::Stats = serde_json::from_str(body).unwrap();
    assert_eq!(stats, emu.stats());
    assert_eq!(stats.applied_updates.get("user0009"), Some(&1));
    assert_eq!(
        stats.applied_updates_by_pool[SAMPLE_POOL].get("user0009"),
        Some(&1)
    );
    let (status, _) = super::support::raw_http(
        &emu,
        b"POST /_emulator/reset-stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(emu.stats().applied_total, 0);
}
