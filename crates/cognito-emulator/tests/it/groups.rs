//! Groups, membership and enabled state, through the real SDK: the operations, their errors as Cognito answers
//! them, their quota categories, MAU counting, seed and state files, and faults on the new write operations.

use std::collections::BTreeSet;

use aws_sdk_cognitoidentityprovider as cip;
use cognito_emulator::{Category, Clock, EmulatorConfig, Faults, ManualClock, start};

use super::support::{SAMPLE_POOL, client, code_and_message, sample_seed, seeded};

async fn create_group(c: &cip::Client, name: &str) -> Result<(), (String, String)> {
    c.create_group()
        .user_pool_id(SAMPLE_POOL)
        .group_name(name)
        .description("for tests")
        .precedence(3)
        .send()
        .await
        .map(|_| ())
        .map_err(code_and_message)
}

async fn add(c: &cip::Client, user: &str, group: &str) -> Result<(), (String, String)> {
    c.admin_add_user_to_group()
        .user_pool_id(SAMPLE_POOL)
        .username(user)
        .group_name(group)
        .send()
        .await
        .map(|_| ())
        .map_err(code_and_message)
}

async fn remove(c: &cip::Client, user: &str, group: &str) -> Result<(), (String, String)> {
    c.admin_remove_user_from_group()
        .user_pool_id(SAMPLE_POOL)
        .username(user)
        .group_name(group)
        .send()
        .await
        .map(|_| ())
        .map_err(code_and_message)
}

/// Every group of a user, following `NextToken` with pages of `limit`.
async fn groups_of(c: &cip::Client, user: &str, limit: i32) -> Vec<String> {
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let out = c
            .admin_list_groups_for_user()
            .user_pool_id(SAMPLE_POOL)
            .username(user)
            .limit(limit)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        names.extend(
            out.groups()
                .iter()
                .map(|g| g.group_name().unwrap().to_string()),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return names;
        }
    }
}

/// Every member of a group, following `NextToken`; also the number of pages and of empty pages.
async fn members(c: &cip::Client, group: &str, limit: i32) -> (Vec<String>, usize, usize) {
    let (mut names, mut pages, mut empty) = (Vec::new(), 0, 0);
    let mut token = None;
    loop {
        let out = c
            .list_users_in_group()
            .user_pool_id(SAMPLE_POOL)
            .group_name(group)
            .limit(limit)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        empty += usize::from(out.users().is_empty());
        names.extend(
            out.users()
                .iter()
                .map(|u| u.username().unwrap().to_string()),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return (names, pages, empty);
        }
    }
}

#[tokio::test]
async fn groups_are_created_listed_read_and_deleted() {
    let emu = seeded().await;
    let c = client(&emu);
    for name in ["gold", "silver", "bronze", "beta"] {
        create_group(&c, name).await.unwrap();
    }
    let (code, _) = create_group(&c, "staff").await.unwrap_err();
    assert_eq!(code, "GroupExistsException");
    let (code, message) = create_group(&c, "has space").await.unwrap_err();
    assert_eq!(code, "InvalidParameterException");
    assert!(message.contains("'groupName'"), "{message}");

    let mut listed = Vec::new();
    let mut token = None;
    loop {
        let out = c
            .list_groups()
            .user_pool_id(SAMPLE_POOL)
            .limit(3)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        listed.extend(
            out.groups()
                .iter()
                .map(|g| g.group_name().unwrap().to_string()),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(
        listed,
        [
            "beta", "bronze", "gold", "premium", "silver", "staff", "trial"
        ],
        "the seed's groups and the new ones"
    );

    let got = c
        .get_group()
        .user_pool_id(SAMPLE_POOL)
        .group_name("gold")
        .send()
        .await
        .unwrap();
    let group = got.group().unwrap();
    assert_eq!(group.description(), Some("for tests"));
    assert_eq!(group.precedence(), Some(3));
    assert_eq!(group.user_pool_id(), Some(SAMPLE_POOL));

    add(&c, "user0010", "beta").await.unwrap();
    c.delete_group()
        .user_pool_id(SAMPLE_POOL)
        .group_name("beta")
        .send()
        .await
        .unwrap();
    assert!(
        groups_of(&c, "user0010", 60).await.is_empty(),
        "memberships go with the group"
    );
    let err = c
        .get_group()
        .user_pool_id(SAMPLE_POOL)
        .group_name("beta")
        .send()
        .await
        .map_err(code_and_message)
        .unwrap_err();
    assert_eq!(
        err,
        (
            "ResourceNotFoundException".into(),
            "Group not found.".into()
        )
    );
}

#[tokio::test]
async fn membership_is_idempotent_and_answers_cognitos_errors() {
    let emu = seeded().await;
    let c = client(&emu);
    for name in ["a", "b", "c"] {
        create_group(&c, name).await.unwrap();
    }
    for group in ["c", "a", "b", "a"] {
        add(&c, "user0010", group).await.unwrap();
    }
    assert_eq!(groups_of(&c, "user0010", 2).await, ["a", "b", "c"]);
    remove(&c, "user0010", "b").await.unwrap();
    remove(&c, "user0010", "b").await.unwrap();
    assert_eq!(
        groups_of(&c, "USER0010", 60).await,
        ["a", "c"],
        "case-insensitive pool"
    );

    assert_eq!(
        add(&c, "user0010", "nope").await.unwrap_err(),
        (
            "ResourceNotFoundException".into(),
            "Group not found.".into()
        )
    );
    assert_eq!(
        add(&c, "nobody", "a").await.unwrap_err(),
        (
            "UserNotFoundException".into(),
            "User does not exist.".into()
        )
    );
    let err = c
        .list_users_in_group()
        .user_pool_id(SAMPLE_POOL)
        .group_name("nope")
        .send()
        .await
        .map_err(code_and_message)
        .unwrap_err();
    assert_eq!(err.0, "ResourceNotFoundException");

    for i in (10..=159).rev() {
        add(&c, &format!("user{i:04}"), "b").await.unwrap();
    }
    let (names, pages, _) = members(&c, "b", 60).await;
    let expected: Vec<String> = (10..=159).map(|i| format!("user{i:04}")).collect();
    assert_eq!(
        names, expected,
        "members in the order of ListUsers, each once"
    );
    assert_eq!(pages, 3);
    assert_eq!(
        emu.user(SAMPLE_POOL, "user0010").unwrap().groups,
        ["a", "b", "c"]
    );
}

#[tokio::test]
async fn disabled_users_show_enabled_false_in_get_and_list() {
    let emu = seeded().await;
    let c = client(&emu);
    c.admin_disable_user()
        .user_pool_id(SAMPLE_POOL)
        .username("user0002")
        .send()
        .await
        .unwrap();
    let got = c
        .admin_get_user()
        .user_pool_id(SAMPLE_POOL)
        .username("user0002")
        .send()
        .await
        .unwrap();
    assert!(!got.enabled());
    let disabled = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .filter("status = \"Disabled\"")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = disabled
        .users()
        .iter()
        .map(|u| u.username().unwrap())
        .collect();
    assert_eq!(names, ["user0002"]);
    assert!(!disabled.users()[0].enabled());
    c.admin_enable_user()
        .user_pool_id(SAMPLE_POOL)
        .username("user0002")
        .send()
        .await
        .unwrap();
    let got = c
        .admin_get_user()
        .user_pool_id(SAMPLE_POOL)
        .username("user0002")
        .send()
        .await
        .unwrap();
    assert!(got.enabled());
    let err = c
        .admin_disable_user()
        .user_pool_id(SAMPLE_POOL)
        .username("nobody")
        .send()
        .await
        .map_err(code_and_message)
        .unwrap_err();
    assert_eq!(err.0, "UserNotFoundException");
}

#[tokio::test]
async fn each_operation_draws_on_its_quota_category_and_membership_is_billed() {
    let emu = start(
        EmulatorConfig::default()
            .without_quotas()
            .with_quota(Category::UserUpdate, Some(3.0))
            .with_quota(Category::UserResourceRead, Some(2.0))
            // The quota clock stands still: no token comes back while the test runs, however slow the machine.
            .with_clock(Clock::Manual(ManualClock::new()))
            .with_seed(sample_seed()),
    )
    .await
    .unwrap();
    let c = client(&emu);
    create_group(&c, "g").await.unwrap();
    // UserUpdate: a membership change, an enable and an attribute update share its 3 tokens.
    add(&c, "user0001", "g").await.unwrap();
    c.admin_disable_user()
        .user_pool_id(SAMPLE_POOL)
        .username("user0002")
        .send()
        .await
        .unwrap();
    super::support::update(&c, SAMPLE_POOL, "user0003", &[("custom:tier", "pro")])
        .await
        .unwrap();
    assert_eq!(
        remove(&c, "user0001", "g").await.unwrap_err().0,
        "TooManyRequestsException"
    );
    // UserResourceRead: AdminListGroupsForUser, 2 tokens.
    for expected_ok in [true, true, false] {
        let result = c
            .admin_list_groups_for_user()
            .user_pool_id(SAMPLE_POOL)
            .username("user0001")
            .send()
            .await;
        assert_eq!(result.is_ok(), expected_ok);
    }
    // ListUsersInGroup is on UserList, which is unlimited here.
    for _ in 0..10 {
        members(&c, "g", 60).await;
    }
    let stats = emu.stats();
    assert_eq!(stats.throttled.get("AdminRemoveUserFromGroup"), Some(&1));
    assert_eq!(stats.throttled.get("AdminListGroupsForUser"), Some(&1));
    assert_eq!(stats.mau.by_operation.get("AdminAddUserToGroup"), Some(&1));
    assert_eq!(
        stats.mau.by_operation.get("AdminRemoveUserFromGroup"),
        Some(&0)
    );
    assert_eq!(
        stats.mau.total, 2,
        "user0001 (membership) and user0003 (attributes)"
    );
}

#[tokio::test]
async fn seed_groups_and_memberships_load_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        r#"{"UserPools": [{"Id": "local_G1", "PoolName": "g",
            "Groups": [{"GroupName": "premium", "Precedence": 1}, {"GroupName": "trial"}],
            "Users": [
              {"Username": "ann", "Groups": ["premium", "trial"]},
              {"Username": "bob", "Enabled": false, "Groups": ["trial"]},
              {"Username": "cy"}
            ]}]}"#,
    )
    .unwrap();
    let state = dir.path().join("state.json");
    let config = || {
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(&seed)
            .with_state_file(&state)
    };
    let emu = start(config()).await.unwrap();
    let c = client(&emu);
    let out = c
        .list_users_in_group()
        .user_pool_id("local_G1")
        .group_name("trial")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = out.users().iter().map(|u| u.username().unwrap()).collect();
    assert_eq!(names, ["ann", "bob"]);
    assert!(!out.users()[1].enabled());
    c.admin_add_user_to_group()
        .user_pool_id("local_G1")
        .username("cy")
        .group_name("premium")
        .send()
        .await
        .unwrap();
    emu.shutdown().await;

    let emu = start(config()).await.unwrap();
    let c = client(&emu);
    let out = c
        .admin_list_groups_for_user()
        .user_pool_id("local_G1")
        .username("cy")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = out
        .groups()
        .iter()
        .map(|g| g.group_name().unwrap())
        .collect();
    assert_eq!(names, ["premium"], "the state file kept the change");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"UserPools": [{"Id": "local_G2", "Users": [{"Username": "ann", "Groups": ["missing"]}]}]}"#,
    )
    .unwrap();
    let err = start(EmulatorConfig::default().with_seed(&bad))
        .await
        .err()
        .expect("a membership of a missing group is refused");
    assert!(err.to_string().contains("Group not found"), "{err}");
}

#[tokio::test]
async fn short_pages_still_list_every_user_exactly_once() {
    let emu = start(
        EmulatorConfig::default()
            .without_quotas()
            .with_short_pages()
            .with_seed(sample_seed()),
    )
    .await
    .unwrap();
    let c = client(&emu);
    let (mut seen, mut pages, mut empty) = (Vec::new(), 0, 0);
    let mut token: Option<String> = None;
    loop {
        let out = c
            .list_users()
            .user_pool_id(SAMPLE_POOL)
            .limit(60)
            .set_pagination_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(out.users().len() <= 7, "shorter than Limit");
        empty += usize::from(out.users().is_empty());
        seen.extend(
            out.users()
                .iter()
                .map(|u| u.username().unwrap().to_string()),
        );
        token = out.pagination_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 1000);
    assert!(
        empty > 0 && pages > 1000 / 7,
        "{pages} pages, {empty} empty"
    );

    create_group(&c, "g").await.unwrap();
    for i in 1..=30 {
        add(&c, &format!("user{i:04}"), "g").await.unwrap();
    }
    let (names, _, empty) = members(&c, "g", 60).await;
    assert_eq!(names.len(), 30);
    assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), 30);
    assert!(empty > 0);
}

#[tokio::test]
async fn attributes_to_get_naming_an_attribute_some_user_lacks_is_refused() {
    let emu = seeded().await;
    let c = client(&emu);
    // Only user0001..user0010 have a phone number.
    let ok = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .limit(10)
        .attributes_to_get("phone_number")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.users().len(), 10);
    let err = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .limit(20)
        .attributes_to_get("phone_number")
        .send()
        .await
        .map_err(code_and_message)
        .unwrap_err();
    assert_eq!(err.0, "InvalidParameterException");
    let email = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .limit(60)
        .attributes_to_get("email")
        .send()
        .await
        .unwrap();
    assert_eq!(email.users().len(), 60);
}

#[tokio::test]
async fn a_dropped_membership_change_can_be_applied_and_read_back() {
    let emu = start(
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(sample_seed())
            .with_faults(Faults {
                drop_rate: 1.0,
                drop_after_apply_share: 1.0,
                operations: vec!["AdminAddUserToGroup".into(), "AdminDisableUser".into()],
                ..Faults::default()
            }),
    )
    .await
    .unwrap();
    let c = client(&emu);
    create_group(&c, "g").await.unwrap();
    let err = add(&c, "user0010", "g").await.unwrap_err();
    assert_eq!(
        err.0, "<dispatch>",
        "the connection closed without an answer"
    );
    assert_eq!(
        groups_of(&c, "user0010", 60).await,
        ["g"],
        "applied before the drop"
    );
    let err = c
        .admin_disable_user()
        .user_pool_id(SAMPLE_POOL)
        .username("user0002")
        .send()
        .await
        .map_err(code_and_message)
        .unwrap_err();
    assert_eq!(
        err.0, "<dispatch>",
        "the connection closed without an answer"
    );
    assert!(!emu.user(SAMPLE_POOL, "user0002").unwrap().enabled);
    assert_eq!(emu.stats().faults.dropped_after_apply, 2);
}

#[tokio::test]
async fn a_fault_operation_the_emulator_does_not_have_is_refused_at_start() {
    let err = start(EmulatorConfig::default().with_faults(Faults {
        drop_rate: 1.0,
        operations: vec!["AdminAddUserToGrup".into()],
        ..Faults::default()
    }))
    .await
    .err()
    .expect("a misspelt operation would silently inject nothing");
    assert!(err.to_string().contains("\"AdminAddUserToGrup\""), "{err}");
}
