//! Fault injection: seeded internal errors, dropped connections, scripted per-user errors, latency.

use std::time::{Duration, Instant};

use cognito_emulator::{EmulatorConfig, Faults, ScriptedError, start};

use super::support::{SAMPLE_POOL, client, sample_seed, update};

fn config(faults: Faults) -> EmulatorConfig {
    EmulatorConfig::default()
        .without_quotas()
        .with_seed(sample_seed())
        .with_faults(faults)
}

/// Runs 200 sequential updates (one per user) and returns each outcome's code ("ok" on success).
async fn run_200(faults: Faults) -> (Vec<String>, cognito_emulator::Stats, Vec<Option<String>>) {
    let emu = start(config(faults)).await.unwrap();
    let c = client(&emu);
    let mut outcomes = Vec::new();
    for i in 1..=200 {
        let r = update(
            &c,
            SAMPLE_POOL,
            &format!("user{i:04}"),
            &[("custom:tier", "done")],
        )
        .await;
        outcomes.push(match r {
            Ok(()) => "ok".to_string(),
            Err((code, _)) => code,
        });
    }
    let tiers = (1..=200)
        .map(|i| {
            emu.user(SAMPLE_POOL, &format!("user{i:04}"))
                .unwrap()
                .attribute("custom:tier")
                .map(str::to_string)
        })
        .collect();
    (outcomes, emu.stats(), tiers)
}

#[tokio::test]
async fn internal_errors_are_repeatable_for_a_seed() {
    let faults = Faults {
        seed: 42,
        internal_error_rate: 0.2,
        ..Faults::default()
    };
    let (a, stats, tiers) = run_200(faults.clone()).await;
    let (b, _, _) = run_200(faults).await;
    assert_eq!(a, b, "same seed, same sequence");
    let errors = a.iter().filter(|c| *c == "InternalErrorException").count() as u64;
    assert!(
        (20..=60).contains(&errors),
        "about 20% of 200, got {errors}"
    );
    assert_eq!(stats.faults.internal_errors, errors);
    assert_eq!(stats.applied_total, 200 - errors);
    // Failed requests were not applied.
    for (outcome, tier) in a.iter().zip(&tiers) {
        assert_eq!(outcome == "ok", tier.as_deref() == Some("done"));
    }
    let (other, _, _) = run_200(Faults {
        seed: 43,
        internal_error_rate: 0.2,
        ..Faults::default()
    })
    .await;
    assert_ne!(a, other, "another seed, another sequence");
}

#[tokio::test]
async fn dropped_connections_surface_as_dispatch_failures_and_half_are_applied() {
    let (outcomes, stats, tiers) = run_200(Faults {
        seed: 7,
        drop_rate: 0.5,
        ..Faults::default()
    })
    .await;
    let dropped = outcomes.iter().filter(|c| *c == "<dispatch>").count() as u64;
    let ok = outcomes.iter().filter(|c| *c == "ok").count() as u64;
    assert_eq!(dropped + ok, 200, "{outcomes:?}");
    assert_eq!(
        stats.faults.dropped_before_apply + stats.faults.dropped_after_apply,
        dropped
    );
    assert!(
        stats.faults.dropped_after_apply > 10 && stats.faults.dropped_before_apply > 10,
        "{stats:?}"
    );
    // dropped-after-apply requests really changed state and are counted as applied.
    let changed = tiers
        .iter()
        .filter(|t| t.as_deref() == Some("done"))
        .count() as u64;
    assert_eq!(changed, ok + stats.faults.dropped_after_apply);
    assert_eq!(stats.applied_total, changed);
}

#[tokio::test]
async fn scripted_errors_for_named_users() {
    let documented = [
        "UserLambdaValidationException",
        "InvalidLambdaResponseException",
        "UnexpectedLambdaException",
        "NotAuthorizedException",
        "InvalidSmsRoleAccessPolicyException",
        "InvalidSmsRoleTrustRelationshipException",
        "InvalidEmailRoleAccessPolicyException",
        "OperationNotEnabledException",
        "AliasExistsException",
        "TooManyRequestsException",
        "InternalErrorException",
    ];
    let mut faults = Faults::default();
    for (i, code) in documented.iter().enumerate() {
        faults.scripted.push(ScriptedError {
            username: format!("user{:04}", i + 1),
            error: code.to_string(),
            message: None,
        });
    }
    faults.scripted.push(
        "user0100=UserLambdaValidationException:PreUpdate failed: tier locked"
            .parse()
            .unwrap(),
    );
    let emu = start(config(faults)).await.unwrap();
    let c = client(&emu);
    for (i, code) in documented.iter().enumerate() {
        let got = update(
            &c,
            SAMPLE_POOL,
            &format!("user{:04}", i + 1),
            &[("custom:tier", "x")],
        )
        .await;
        assert_eq!(
            got,
            Err((
                code.to_string(),
                cognito_emulator::default_message(code).to_string()
            ))
        );
    }
    let got = update(&c, SAMPLE_POOL, "user0100", &[("custom:tier", "x")]).await;
    assert_eq!(
        got,
        Err((
            "UserLambdaValidationException".into(),
            "PreUpdate failed: tier locked".into()
        ))
    );
    update(&c, SAMPLE_POOL, "user0200", &[("custom:tier", "x")])
        .await
        .unwrap();
    let stats = emu.stats();
    assert_eq!(stats.faults.scripted_errors, documented.len() as u64 + 1);
    assert_eq!(stats.applied_total, 1);
    assert_eq!(
        emu.user(SAMPLE_POOL, "user0100")
            .unwrap()
            .attribute("custom:tier"),
        Some("free")
    );
}

#[tokio::test]
async fn latency_is_added_to_updates() {
    let emu = start(config(Faults {
        latency: Duration::from_millis(60),
        latency_jitter: Duration::from_millis(20),
        ..Faults::default()
    }))
    .await
    .unwrap();
    let c = client(&emu);
    // Warm the connection so the timing is the emulator's.
    c.admin_get_user()
        .user_pool_id(SAMPLE_POOL)
        .username("user0001")
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    update(&c, SAMPLE_POOL, "user0001", &[("custom:tier", "x")])
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(60));
    assert_eq!(emu.stats().faults.delayed, 1);
}
