//! `GET /_emulator/stats` is cheap: aggregates only (requests, throttles, faults, totals, MAU); the per-user maps
//! come only with `?detail=users`, and the in-process `RunningEmulator::stats()` always has them.

use cognito_emulator::{RunningEmulator, Stats};

use super::support::{SAMPLE_POOL, client, raw_http, seeded, update};

async fn get_json(emu: &RunningEmulator, path: &str) -> serde_json::Value {
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let (status, text) = raw_http(emu, request.as_bytes()).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text[text.find("\r\n\r\n").unwrap() + 4..]).unwrap()
}

#[tokio::test]
async fn per_user_maps_only_with_detail() {
    let emu = seeded().await;
    let c = client(&emu);
    update(&c, SAMPLE_POOL, "user0009", &[("custom:tier", "pro")])
        .await
        .unwrap();
    update(
        &c,
        SAMPLE_POOL,
        "user0010",
        &[("email", "new10@example.com")],
    )
    .await
    .unwrap();
    update(&c, SAMPLE_POOL, "user0010", &[("custom:tier", "pro")])
        .await
        .unwrap();

    let cheap = get_json(&emu, "/_emulator/stats").await;
    for aggregate in [
        "requests",
        "throttled",
        "faults",
        "verification_messages",
        "applied_total",
        "mau",
    ] {
        assert!(
            cheap.get(aggregate).is_some(),
            "{aggregate} missing: {cheap}"
        );
    }
    assert_eq!(cheap["applied_total"], 3);
    assert_eq!(cheap["verification_messages"], 1);
    assert_eq!(cheap["requests"]["AdminUpdateUserAttributes"], 3);
    assert_eq!(cheap["mau"]["total"], 2);
    for per_user in [
        "applied_updates",
        "applied_updates_by_pool",
        "verification_messages_by_user",
    ] {
        assert!(cheap.get(per_user).is_none(), "{per_user} present: {cheap}");
    }
    // Still a valid `Stats` document, with empty per-user maps.
    let parsed: Stats = serde_json::from_value(cheap).unwrap();
    assert!(parsed.applied_updates.is_empty());
    assert_eq!(parsed.applied_total, 3);

    let detail = get_json(&emu, "/_emulator/stats?detail=users").await;
    assert_eq!(detail["applied_updates"]["user0009"], 1);
    assert_eq!(detail["applied_updates"]["user0010"], 2);
    assert_eq!(
        detail["applied_updates_by_pool"][SAMPLE_POOL]["user0010"],
        2
    );
    assert_eq!(detail["verification_messages_by_user"]["user0010"], 1);
    assert_eq!(detail["applied_total"], 3);
    let in_process = emu.stats();
    assert_eq!(serde_json::from_value::<Stats>(detail).unwrap(), in_process);
    assert_eq!(in_process.applied_updates.get("user0010"), Some(&2));
}

#[tokio::test]
async fn reset_zeroes_the_aggregates_too() {
    let emu = seeded().await;
    let c = client(&emu);
    update(
        &c,
        SAMPLE_POOL,
        "user0011",
        &[("email", "new11@example.com")],
    )
    .await
    .unwrap();
    emu.reset_stats();
    let cheap = get_json(&emu, "/_emulator/stats").await;
    assert_eq!(cheap["applied_total"], 0);
    assert_eq!(cheap["verification_messages"], 0);
    let mut expected = Stats::default();
    expected.mau = emu.stats().mau.clone();
    assert_eq!(emu.stats(), expected);
    assert_eq!(emu.stats().mau.total, 0);
}
