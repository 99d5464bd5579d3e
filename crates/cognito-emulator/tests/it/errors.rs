//! Every documented error of the emulated operations, as tables of (request, code, message).

use aws_sdk_cognitoidentityprovider::types::{SchemaAttributeType, UsernameAttributeType};
use cognito_emulator::{EmulatorConfig, start};

use super::support::{SAMPLE_POOL, attr, client, code_and_message, seeded, update};

const IPE: &str = "InvalidParameterException";

/// (pool id, username, attributes, expected code, expected message).
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str, String);

#[tokio::test]
async fn admin_update_user_attributes_errors() {
    let emu = seeded().await;
    let c = client(&emu);
    let long_name = "custom:".to_string() + &"n".repeat(26);
    let long_value = "v".repeat(2049);
    let cases: Vec<Case<'_>> = vec![
        ("local_Nope", "user0001", vec![("given_name", "x")], "ResourceNotFoundException",
            "User pool local_Nope does not exist.".into()),
        (SAMPLE_POOL, "ghost", vec![("given_name", "x")], "UserNotFoundException", "User does not exist.".into()),
        (SAMPLE_POOL, "user0001", vec![("custom:nope", "x")], IPE,
            "Invalid user attributes: user.custom:nope: Attribute does not exist in the schema.".into()),
        (SAMPLE_POOL, "user0001", vec![("sub", "x")], IPE,
            "Invalid user attributes: user.sub: Attribute cannot be updated.".into()),
        (SAMPLE_POOL, "user0001", vec![("custom:legacy_id", "x")], IPE,
            "Invalid user attributes: user.custom:legacy_id: Attribute cannot be updated.".into()),
        (SAMPLE_POOL, "user0001", vec![("custom:nope", "x"), ("custom:legacy_id", "y")], IPE,
            "Invalid user attributes: user.custom:nope: Attribute does not exist in the schema.\n\
             user.custom:legacy_id: Attribute cannot be updated.".into()),
        (SAMPLE_POOL, "user0001", vec![("phone_number", "5550100")], IPE, "Invalid phone number format.".into()),
        (SAMPLE_POOL, "user0001", vec![("phone_number", "+1 555 0100")], IPE, "Invalid phone number format.".into()),
        (SAMPLE_POOL, "user0001", vec![("email", "not-an-email")], IPE, "Invalid email address format.".into()),
        (SAMPLE_POOL, "user0001", vec![("email_verified", "yes")], IPE,
            "Invalid user attributes: user.email_verified: Attribute value must be true or false.".into()),
        (SAMPLE_POOL, "user0001", vec![("custom:score", "lots")], IPE,
            "Invalid user attributes: user.custom:score: Attribute value must be a number.".into()),
        (SAMPLE_POOL, "user0001", vec![("custom:score", "1001")], IPE,
            "Invalid user attributes: user.custom:score: Attribute value must be less than or equal to 1000.".into()),
        (SAMPLE_POOL, "user0001", vec![("custom:score", "-1")], IPE,
            "Invalid user attributes: user.custom:score: Attribute value must be greater than or equal to 0.".into()),
        (SAMPLE_POOL, "user0001", vec![("custom:tier", "seventeen-chars!!")], IPE,
            "Invalid user attributes: user.custom:tier: Attribute value must be at most 16 characters long.".into()),
        (SAMPLE_POOL, "user0001", vec![("birthdate", "1990")], IPE,
            "Invalid user attributes: user.birthdate: Attribute value must be at least 10 characters long.".into()),
        ("bad", "user0001", vec![("given_name", "x")], IPE,
            "1 validation error detected: Value 'bad' at 'userPoolId' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+".into()),
        (SAMPLE_POOL, "has space", vec![("given_name", "x")], IPE,
            "1 validation error detected: Value at 'username' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+".into()),
        (SAMPLE_POOL, "user0001", vec![(long_name.as_str(), "x")], IPE,
            format!("1 validation error detected: Value '{long_name}' at 'userAttributes.1.member.name' failed to \
             satisfy constraint: Member must have length less than or equal to 32")),
        (SAMPLE_POOL, "user0001", vec![("given_name", long_value.as_str())], IPE,
            "1 validation error detected: Value at 'userAttributes.1.member.value' failed to satisfy constraint: \
             Member must have length less than or equal to 2048".into()),
        ("bad", "has space", vec![("given_name", "x")], IPE,
            "2 validation errors detected: Value 'bad' at 'userPoolId' failed to satisfy constraint: Member must \
             satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+; Value at 'username' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+".into()),
    ];
    let before = emu.user(SAMPLE_POOL, "user0001").unwrap();
    for (pool, user, attrs, code, message) in cases {
        let got = update(&c, pool, user, &attrs).await;
        assert_eq!(
            got,
            Err((code.to_string(), message)),
            "{pool} {user} {attrs:?}"
        );
    }
    // Nothing was applied by any failing request.
    assert_eq!(emu.user(SAMPLE_POOL, "user0001").unwrap(), before);
    assert_eq!(emu.stats().applied_total, 0);
}

#[tokio::test]
async fn a_request_is_applied_entirely_or_not_at_all() {
    let emu = seeded().await;
    let c = client(&emu);
    let got = update(
        &c,
        SAMPLE_POOL,
        "user0001",
        &[
            ("custom:tier", "gold"),
            ("email", "new@example.com"),
            ("phone_number", "bad"),
        ],
    )
    .await;
    assert_eq!(got.unwrap_err().1, "Invalid phone number format.");
    let u = emu.user(SAMPLE_POOL, "user0001").unwrap();
    assert_eq!(u.attribute("custom:tier"), Some("free"));
    assert_eq!(u.attribute("email"), Some("user0001@example.com"));
    assert_eq!(emu.stats().verification_messages, 0);
}

#[tokio::test]
async fn unverified_alias_does_not_resolve() {
    let emu = seeded().await;
    let c = client(&emu);
    update(
        &c,
        SAMPLE_POOL,
        "user0001",
        &[("email", "fresh@example.com")],
    )
    .await
    .unwrap();
    let got = update(&c, SAMPLE_POOL, "fresh@example.com", &[("given_name", "x")]).await;
    assert_eq!(
        got,
        Err((
            "UserNotFoundException".into(),
            "User does not exist.".into()
        ))
    );
    // The old, verified alias is gone too.
    let got = update(
        &c,
        SAMPLE_POOL,
        "user0001@example.com",
        &[("given_name", "x")],
    )
    .await;
    assert_eq!(got.unwrap_err().0, "UserNotFoundException");
}

#[tokio::test]
async fn required_attribute_cannot_be_blanked_and_username_attribute_email_is_unique() {
    let emu = start(EmulatorConfig::default().without_quotas())
        .await
        .unwrap();
    let c = client(&emu);
    let pool = c
        .create_user_pool()
        .pool_name("strict")
        .username_attributes(UsernameAttributeType::Email)
        .schema(
            SchemaAttributeType::builder()
                .name("email")
                .required(true)
                .mutable(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = pool.user_pool().unwrap().id().unwrap().to_string();
    for email in ["a@example.com", "b@example.com"] {
        c.admin_create_user()
            .user_pool_id(&id)
            .username(email)
            .send()
            .await
            .unwrap();
    }
    let got = update(&c, &id, "a@example.com", &[("email", "")]).await;
    assert_eq!(
        got,
        Err((
            IPE.into(),
            "user.email: Required attribute cannot be deleted.".into()
        ))
    );
    let got = update(&c, &id, "a@example.com", &[("email", "b@example.com")]).await;
    assert_eq!(
        got,
        Err((
            "AliasExistsException".into(),
            "An account with the given email already exists.".into()
        ))
    );
    // Creating a second user with the same email is refused too.
    let err = c
        .admin_create_user()
        .user_pool_id(&id)
        .username("b@example.com")
        .send()
        .await
        .map_err(code_and_message)
        .unwrap_err();
    assert_eq!(err.0, "UsernameExistsException");
    // In a username-attribute pool, a non-email username is refused.
    let err = c
        .admin_create_user()
        .user_pool_id(&id)
        .username("plainname")
        .send()
        .await
        .map_err(code_and_message)
        .unwrap_err();
    assert_eq!(
        err,
        (
            IPE.into(),
            "Username should be either an email or a phone number.".into()
        )
    );
}

#[tokio::test]
async fn other_operation_errors() {
    let emu = seeded().await;
    let c = client(&emu);
    let e = c
        .admin_get_user()
        .user_pool_id(SAMPLE_POOL)
        .username("ghost")
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err(),
        (
            "UserNotFoundException".into(),
            "User does not exist.".into()
        )
    );
    let e = c
        .admin_delete_user()
        .user_pool_id(SAMPLE_POOL)
        .username("ghost")
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err().0,
        "UserNotFoundException"
    );
    let e = c
        .describe_user_pool()
        .user_pool_id("local_Missing")
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err(),
        (
            "ResourceNotFoundException".into(),
            "User pool local_Missing does not exist.".into()
        )
    );
    let e = c
        .delete_user_pool()
        .user_pool_id("local_Missing")
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err().0,
        "ResourceNotFoundException"
    );
    let e = c
        .admin_create_user()
        .user_pool_id(SAMPLE_POOL)
        .username("user0001")
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err(),
        (
            "UsernameExistsException".into(),
            "User account already exists".into()
        )
    );
    let e = c
        .admin_create_user()
        .user_pool_id(SAMPLE_POOL)
        .username("someone@example.com")
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err(),
        (
            IPE.into(),
            "Username cannot be of email format, since user pool is configured for email alias."
                .into()
        )
    );
    let e = c
        .admin_create_user()
        .user_pool_id(SAMPLE_POOL)
        .username("dup")
        .user_attributes(attr("email", "user0002@example.com"))
        .user_attributes(attr("email_verified", "true"))
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err().0,
        "AliasExistsException"
    );
    let e = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .limit(61)
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err(),
        (
            IPE.into(),
            "1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: Member must have \
             value less than or equal to 60"
                .into()
        )
    );
    let e = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .filter("custom:tier = \"free\"")
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err(),
        (IPE.into(), "Invalid search attribute: custom:tier".into())
    );
    let e = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .filter("email is bob")
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err(),
        (IPE.into(), "Error while parsing filter.".into())
    );
    let e = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .pagination_token("junk")
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err().1,
        "Invalid pagination token."
    );
    let e = c
        .admin_delete_user_attributes()
        .user_pool_id(SAMPLE_POOL)
        .username("user0001")
        .user_attribute_names("custom:legacy_id")
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err(),
        (
            IPE.into(),
            "Invalid user attributes: user.custom:legacy_id: Attribute cannot be updated.".into()
        )
    );
    let e = c
        .create_user_pool()
        .pool_name("x")
        .schema(
            SchemaAttributeType::builder()
                .name("c")
                .required(true)
                .build(),
        )
        .send()
        .await;
    assert_eq!(
        e.map_err(code_and_message).unwrap_err(),
        (
            IPE.into(),
            "Required custom attributes are not supported currently.".into()
        )
    );
}

#[tokio::test]
async fn denied_operations_answer_access_denied_and_the_others_work() {
    let faults = cognito_emulator::Faults {
        denied: vec!["DescribeUserPool".into()],
        ..cognito_emulator::Faults::default()
    };
    let emu = cognito_emulator::start(
        cognito_emulator::EmulatorConfig::default()
            .with_seed(super::support::sample_seed())
            .with_faults(faults),
    )
    .await
    .unwrap();
    let c = super::support::client(&emu);
    let err = c
        .describe_user_pool()
        .user_pool_id(super::support::SAMPLE_POOL)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.meta().code(), Some("AccessDeniedException"));
    assert!(
        err.meta()
            .message()
            .is_some_and(|m| m.contains("cognito-idp:DescribeUserPool")),
        "{err:?}"
    );
    c.list_users()
        .user_pool_id(super::support::SAMPLE_POOL)
        .send()
        .await
        .expect("ListUsers is allowed");
}
