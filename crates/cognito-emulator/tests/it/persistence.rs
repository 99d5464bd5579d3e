//! State files (written on shutdown, loaded on start) and seed validation.

use cognito_emulator::{EmulatorConfig, EmulatorError, start};

use super::support::{SAMPLE_POOL, client, sample_seed, update};

#[tokio::test]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let emu = start(
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(sample_seed())
            .with_state_file(&state),
    )
    .await
    .unwrap();
    let c = client(&emu);
    update(
        &c,
        SAMPLE_POOL,
        "user0001",
        &[("custom:tier", "gold"), ("email", "moved@example.com")],
    )
    .await
    .unwrap();
    let created = c
        .create_user_pool()
        .pool_name("second")
        .send()
        .await
        .unwrap();
    let second = created.user_pool().unwrap().id().unwrap().to_string();
    let before = emu.user(SAMPLE_POOL, "user0001").unwrap();
    emu.shutdown().await;
    assert!(state.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");

    // The state file wins over the seed when it exists.
    let emu = start(
        EmulatorConfig::default()
            .without_quotas()
            .with_seed(sample_seed())
            .with_state_file(&state),
    )
    .await
    .unwrap();
    assert_eq!(emu.user(SAMPLE_POOL, "user0001").unwrap(), before);
    assert_eq!(
        emu.user(SAMPLE_POOL, "00000000-0000-4000-8000-000000000001")
            .unwrap()
            .username,
        "user0001"
    );
    assert!(emu.pool_ids().contains(&second));
    emu.shutdown().await;

    // A state file is a valid seed.
    let emu = start(EmulatorConfig::default().with_seed(&state))
        .await
        .unwrap();
    assert_eq!(emu.user(SAMPLE_POOL, "user0001").unwrap(), before);
}

#[tokio::test]
async fn bad_seed_names_the_pool_and_user() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        r#"{"UserPools":[{"Id":"local_Bad1","PoolName":"p","Users":[
            {"Username":"fine","Attributes":[{"Name":"email","Value":"f@example.com"}]},
            {"Username":"broken","Attributes":[{"Name":"phone_number","Value":"12345"}]}]}]}"#,
    )
    .unwrap();
    let err = start(EmulatorConfig::default().with_seed(&seed))
        .await
        .err()
        .unwrap();
    match &err {
        EmulatorError::InvalidSeedUser {
            pool, user, reason, ..
        } => {
            assert_eq!((pool.as_str(), user.as_str()), ("local_Bad1", "broken"));
            assert!(reason.contains("Invalid phone number format."), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
    std::fs::write(
        &seed,
        r#"{"UserPools":[{"Id":"nounderscore","PoolName":"p"}]}"#,
    )
    .unwrap();
    let err = start(EmulatorConfig::default().with_seed(&seed))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, EmulatorError::InvalidSeedPool { ref pool, .. } if pool == "nounderscore"),
        "{err:?}"
    );
    std::fs::write(&seed, "{oops").unwrap();
    let err = start(EmulatorConfig::default().with_seed(&seed))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, EmulatorError::ParseFile { .. }), "{err:?}");
}
