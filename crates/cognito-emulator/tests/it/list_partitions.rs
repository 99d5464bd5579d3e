//! `ListUsers` with `sub` prefix filters (the partitions of a parallel listing): every user exactly once across
//! the 16 hex prefixes, also when the seed's subs cluster on a few prefixes; `sub` pagination; and
//! `--refuse-sub-filter` / `with_refused_sub_filter()`.

use std::collections::BTreeMap;
use std::io::Write;

use aws_sdk_cognitoidentityprovider as cip;
use cognito_emulator::{EmulatorConfig, start};

use super::support::{SAMPLE_POOL, client, code_and_message, sample_seed};

/// Every (username, sub) a filtered listing returns, page by page (`limit` users a page).
async fn list_all(c: &cip::Client, pool: &str, filter: &str, limit: i32) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = c
            .list_users()
            .user_pool_id(pool)
            .filter(filter)
            .limit(limit)
            .set_pagination_token(token.take())
            .send()
            .await
            .unwrap();
        for u in page.users() {
            let sub = u
                .attributes()
                .iter()
                .find(|a| a.name() == "sub")
                .and_then(|a| a.value())
                .unwrap()
                .to_string();
            out.push((u.username().unwrap().to_string(), sub));
        }
        match page.pagination_token() {
            Some(t) => token = Some(t.to_string()),
            None => return out,
        }
    }
}

/// Lists the pool in 16 `sub ^= "<hex digit>"` partitions and checks every user comes back exactly once, in the
/// partition of its sub's first character.
async fn check_partitions(c: &cip::Client, pool: &str, expected_users: usize) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for digit in "0123456789abcdef".chars() {
        for (username, sub) in list_all(c, pool, &format!("sub ^= \"{digit}\""), 60).await {
            assert!(
                sub.starts_with(digit),
                "{username} ({sub}) in partition {digit}"
            );
            *seen.entry(username).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), expected_users);
    assert!(seen.values().all(|&n| n == 1), "a user listed twice");
}

#[tokio::test]
async fn sample_subs_cluster_on_one_prefix_and_partitions_still_list_each_user_once() {
    let emu = start(
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(sample_seed()),
    )
    .await
    .unwrap();
    let c = client(&emu);
    assert_eq!(
        list_all(&c, SAMPLE_POOL, "sub ^= \"0\"", 60).await.len(),
        1000
    );
    assert!(
        list_all(&c, SAMPLE_POOL, "sub ^= \"3\"", 60)
            .await
            .is_empty()
    );
    check_partitions(&c, SAMPLE_POOL, 1000).await;
    let exact = list_all(
        &c,
        SAMPLE_POOL,
        "sub = \"00000000-0000-4000-8000-000000000007\"",
        60,
    )
    .await;
    assert_eq!(
        exact,
        [(
            "user0007".to_string(),
            "00000000-0000-4000-8000-000000000007".to_string()
        )]
    );
}

#[tokio::test]
async fn seed_subs_on_a_few_prefixes_partition_with_small_pages() {
    let mut users = Vec::new();
    for i in 0..50 {
        // 30 users under "a", 15 under "5", 5 under "f".
        let first = match i {
            0..30 => 'a',
            30..45 => '5',
            _ => 'f',
        };
        users.push(serde_json::json!({
            "Username": format!("u{i:02}"),
            "Sub": format!("{first}{i:07x}-0000-4000-8000-000000000000"),
        }));
    }
    let seed = serde_json::json!({"UserPools": [{"Id": "local_Clustered", "PoolName": "c", "Users": users}]});
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(seed.to_string().as_bytes()).unwrap();
    let emu = start(
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(file.path()),
    )
    .await
    .unwrap();
    let c = client(&emu);
    assert_eq!(
        list_all(&c, "local_Clustered", "sub ^= \"a\"", 7)
            .await
            .len(),
        30
    );
    check_partitions(&c, "local_Clustered", 50).await;
}

#[tokio::test]
async fn refused_sub_filter_answers_invalid_parameter() {
    let emu = start(
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(sample_seed())
            .with_refused_sub_filter(),
    )
    .await
    .unwrap();
    let c = client(&emu);
    let err = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .filter("sub ^= \"0\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code_and_message(err).0, "InvalidParameterException");
    // Other filters and the unfiltered listing still work.
    let page = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .filter("username = \"user0002\"")
        .send()
        .await
        .unwrap();
    assert_eq!(page.users().len(), 1);
    let page = c
        .list_users()
        .user_pool_id(SAMPLE_POOL)
        .send()
        .await
        .unwrap();
    assert_eq!(page.users().len(), 60);
}
