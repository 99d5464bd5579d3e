//! Monthly active users in the stats: distinct (pool, user) pairs touched by AdminUpdateUserAttributes,
//! AdminDeleteUserAttributes and AdminGetUser, never by ListUsers or DescribeUserPool; throttled requests and
//! unknown users excluded; `POST /_emulator/reset-stats` starts over.

use aws_sdk_cognitoidentityprovider as cip;
use cognito_emulator::{Category, Clock, EmulatorConfig, ManualClock, MauStats, start};

use super::support::{SAMPLE_POOL, client, raw_http, sample_seed, seeded, update};

async fn get(c: &cip::Client, username: &str) -> bool {
    c.admin_get_user()
        .user_pool_id(SAMPLE_POOL)
        .username(username)
        .send()
        .await
        .is_ok()
}

async fn delete_given_name(c: &cip::Client, username: &str) {
    c.admin_delete_user_attributes()
        .user_pool_id(SAMPLE_POOL)
        .username(username)
        .user_attribute_names("given_name")
        .send()
        .await
        .unwrap();
}

fn mau(total: u64, update: u64, delete: u64, get: u64) -> MauStats {
    let mut stats = MauStats::default();
    stats.total = total;
    stats.by_operation = [
        ("AdminUpdateUserAttributes".to_string(), update),
        ("AdminDeleteUserAttributes".to_string(), delete),
        ("AdminGetUser".to_string(), get),
        ("AdminAddUserToGroup".to_string(), 0),
        ("AdminRemoveUserFromGroup".to_string(), 0),
    ]
    .into();
    stats
}

#[tokio::test]
async fn distinct_users_per_billed_operation_and_in_total() {
    let emu = seeded().await;
    let c = client(&emu);
    assert_eq!(emu.stats().mau, mau(0, 0, 0, 0));

    // The whole pool listed, and described: never billed.
    let mut token: Option<String> = None;
    let mut listed = 0;
    loop {
        let page = c
            .list_users()
            .user_pool_id(SAMPLE_POOL)
            .set_pagination_token(token.take())
            .send()
            .await
            .unwrap();
        listed += page.users().len();
        match page.pagination_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(listed, 1000);
    c.describe_user_pool()
        .user_pool_id(SAMPLE_POOL)
        .send()
        .await
        .unwrap();
    assert_eq!(emu.stats().mau, mau(0, 0, 0, 0));

    for name in ["user0001", "user0002", "user0001"] {
        update(&c, SAMPLE_POOL, name, &[("custom:tier", "pro")])
            .await
            .unwrap();
    }
    // Resolved but refused (the user was reached): counted, conservatively.
    let refused = update(&c, SAMPLE_POOL, "user0005", &[("custom:nope", "x")]).await;
    assert_eq!(refused.unwrap_err().0, "InvalidParameterException");
    // No such user: not counted.
    assert!(
        update(&c, SAMPLE_POOL, "nobody", &[("custom:tier", "pro")])
            .await
            .is_err()
    );
    assert!(get(&c, "user0002").await);
    assert!(get(&c, "user0003").await);
    assert!(get(&c, "USER0003").await); // the same user, found case-insensitively
    assert!(!get(&c, "nobody").await);
    delete_given_name(&c, "user0004").await;
    delete_given_name(&c, "user0001").await;

    // update {1, 2, 5}, delete {4, 1}, get {2, 3}: 5 distinct users.
    assert_eq!(emu.stats().mau, mau(5, 3, 2, 2));
}

#[tokio::test]
async fn throttled_requests_are_not_billed() {
    let clock = ManualClock::new();
    let emu = start(
        EmulatorConfig::default()
            .with_clock(Clock::Manual(clock.clone()))
            .with_quota(Category::UserRead, Some(1.0))
            .with_seed(sample_seed()),
    )
    .await
    .unwrap();
    let c = client(&emu);
    assert!(get(&c, "user0001").await);
    assert!(!get(&c, "user0002").await); // the bucket is empty: throttled
    assert_eq!(emu.stats().throttled.get("AdminGetUser"), Some(&1));
    assert_eq!(emu.stats().mau, mau(1, 0, 0, 1));
}

#[tokio::test]
async fn reset_stats_starts_the_count_over() {
    let emu = seeded().await;
    let c = client(&emu);
    assert!(get(&c, "user0007").await);
    update(&c, SAMPLE_POOL, "user0008", &[("custom:tier", "pro")])
        .await
        .unwrap();
    assert_eq!(emu.stats().mau, mau(2, 1, 0, 1));
    let (status, _) = raw_http(
        &emu,
        b"POST /_emulator/reset-stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(emu.stats().mau, mau(0, 0, 0, 0));
    assert!(get(&c, "user0007").await);
    assert_eq!(emu.stats().mau, mau(1, 0, 0, 1));
    // Served over HTTP as well.
    let (_, text) = raw_http(
        &emu,
        b"GET /_emulator/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    let body: serde_json::Value =
        serde_json::from_str(&text[text.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(body["mau"]["total"], 1);
    assert_eq!(body["mau"]["by_operation"]["AdminGetUser"], 1);
    assert_eq!(body["mau"]["by_operation"]["AdminUpdateUserAttributes"], 0);
}
