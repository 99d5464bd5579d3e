//! `DescribeUserPool` answers `EstimatedNumberOfUsers`: the pool's user count, following creations and deletions.

use aws_sdk_cognitoidentityprovider as cip;

use super::support::{SAMPLE_POOL, client, seeded};

async fn estimated(c: &cip::Client) -> i32 {
    c.describe_user_pool()
        .user_pool_id(SAMPLE_POOL)
        .send()
        .await
        .unwrap()
        .user_pool()
        .unwrap()
        .estimated_number_of_users()
}

#[tokio::test]
async fn estimated_number_of_users_is_the_pool_size() {
    let emu = seeded().await;
    let c = client(&emu);
    assert_eq!(estimated(&c).await, 1000);
    c.admin_create_user()
        .user_pool_id(SAMPLE_POOL)
        .username("newcomer")
        .send()
        .await
        .unwrap();
    assert_eq!(estimated(&c).await, 1001);
    for name in ["newcomer", "user0001"] {
        c.admin_delete_user()
            .user_pool_id(SAMPLE_POOL)
            .username(name)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(estimated(&c).await, 999);
}
