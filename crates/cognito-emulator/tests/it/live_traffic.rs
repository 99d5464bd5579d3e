//! The synthetic live caller (`--live-traffic`, `EmulatorConfig::with_live_traffic`) under the manual clock: it
//! takes UserUpdate tokens at its rate, so the job's requests are throttled when it holds part of the quota; its
//! own attempts and throttles are counted per second in `live`, never in the per-operation counters.

use std::time::Duration;

use aws_sdk_cognitoidentityprovider as cip;
use cognito_emulator::{
    Category, Clock, EmulatorConfig, LivePattern, LiveStats, ManualClock, RunningEmulator, start,
};

use super::support::{SAMPLE_POOL, client, raw_http, sample_seed, update};

async fn emulator(clock: &ManualClock, live: Option<LivePattern>) -> RunningEmulator {
    let mut config = EmulatorConfig::default()
        .with_clock(Clock::Manual(clock.clone()))
        .with_quota(Category::UserUpdate, Some(10.0))
        .with_per_user_write_rate(None)
        .with_seed(sample_seed());
    if let Some(live) = live {
        config = config.with_live_traffic(live);
    }
    start(config).await.unwrap()
}

/// Sends `n` updates to distinct users at the current (manual) time; returns how many were accepted.
async fn burst(c: &cip::Client, first_user: usize, n: usize) -> usize {
    let mut ok = 0;
    for i in first_user..first_user + n {
        match update(
            c,
            SAMPLE_POOL,
            &format!("user{i:04}"),
            &[("custom:tier", "pro")],
        )
        .await
        {
            Ok(()) => ok += 1,
            Err((code, _)) => assert_eq!(code, "TooManyRequestsException"),
        }
    }
    ok
}

#[tokio::test]
async fn live_traffic_takes_its_share_of_the_user_update_quota() {
    // Without live traffic: the bucket (10/s) is full again one second after a burst emptied it.
    let clock = ManualClock::new();
    let quiet = emulator(&clock, None).await;
    let c = client(&quiet);
    assert_eq!(burst(&c, 1, 10).await, 10);
    clock.advance(Duration::from_secs(1));
    assert_eq!(burst(&c, 11, 10).await, 10);
    assert_eq!(quiet.stats().live, LiveStats::default());

    // With 8/s of live traffic: attempts at 0.0625 s, 0.1875 s, ... The first finds 0.625 token and is throttled;
    // each later one finds 1.25 more and takes one, so 3 tokens are left for the job at 1 s.
    let clock = ManualClock::new();
    let shared = emulator(&clock, Some(LivePattern::constant(8.0))).await;
    let c = client(&shared);
    assert_eq!(burst(&c, 1, 10).await, 10);
    clock.advance(Duration::from_secs(1));
    assert_eq!(burst(&c, 11, 10).await, 3);
    let stats = shared.stats();
    assert_eq!(
        (
            stats.live.attempts,
            stats.live.throttled,
            seconds(&stats.live)
        ),
        (8, 1, vec![(8, 1)])
    );
    // The job's own counters do not include the live caller.
    assert_eq!(stats.requests.get("AdminUpdateUserAttributes"), Some(&20));
    assert_eq!(stats.throttled.get("AdminUpdateUserAttributes"), Some(&7));
    assert_eq!(stats.applied_total, 13);

    // A second with no job traffic: the same pattern again, seen in the stats without any request.
    clock.advance(Duration::from_secs(1));
    let stats = shared.stats();
    assert_eq!(seconds(&stats.live), [(8, 1), (8, 1)]);
    assert_eq!((stats.live.attempts, stats.live.throttled), (16, 2));
    assert_eq!(stats.requests.get("AdminUpdateUserAttributes"), Some(&20));
}

#[tokio::test]
async fn repeating_pattern_per_second_over_http_and_reset() {
    let clock = ManualClock::new();
    let emu = start(
        EmulatorConfig::default()
            .without_quotas()
            .with_clock(Clock::Manual(clock.clone()))
            .with_live_traffic("2@1s,4@1s".parse().unwrap()),
    )
    .await
    .unwrap();
    clock.advance(Duration::from_secs(4));
    let (status, text) = raw_http(
        &emu,
        b"GET /_emulator/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200);
    let body: serde_json::Value =
        serde_json::from_str(&text[text.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert_eq!(body["live"]["attempts"], 12);
    assert_eq!(body["live"]["throttled"], 0);
    assert_eq!(
        body["live"]["per_second"],
        serde_json::json!([[2, 0], [4, 0], [2, 0], [4, 0]])
    );
    assert_eq!(body["requests"], serde_json::json!({}));

    emu.reset_stats();
    clock.advance(Duration::from_secs(1));
    let live = emu.stats().live;
    assert_eq!((live.attempts, live.throttled), (2, 0));
    assert_eq!(seconds(&live), [(0, 0), (0, 0), (0, 0), (0, 0), (2, 0)]);
}

/// The per-second counts as (attempts, throttled).
fn seconds(live: &LiveStats) -> Vec<(u64, u64)> {
    live.per_second
        .iter()
        .map(|s| (s.attempts, s.throttled))
        .collect()
}
