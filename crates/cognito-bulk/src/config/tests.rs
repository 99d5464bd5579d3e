//! Layering and resolution, from the shipped config.toml to checked settings.

use std::path::Path;

use super::layers::parse_set_pair;
use super::*;

fn built_in() -> FileConfig {
    FileConfig::parse(BUILT_IN, Path::new("config.toml")).expect("shipped config.toml parses")
}

#[test]
fn shipped_config_parses_and_resolves_to_the_local_emulator() {
    let settings = Settings::resolve(Path::new("x.csv"), built_in()).unwrap();
    assert_eq!(settings.rate, 10.0);
    assert_eq!(settings.common.target.pool_id, "local_SamplePool1");
    assert!(matches!(
        settings.common.target.endpoint,
        Endpoint::Emulator { .. }
    ));
    assert!(
        settings
            .common
            .target
            .describe()
            .starts_with("local emulator")
    );
}

#[test]
fn unknown_keys_are_rejected_with_their_name() {
    let err = FileConfig::parse("rat = 3\n", Path::new("my.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("my.toml") && err.contains("rat"), "{err}");
}

#[test]
fn later_layers_win() {
    let file = FileConfig {
        rate: Some(5.0),
        concurrency: Some(3),
        ..Default::default()
    };
    let cli = FileConfig {
        rate: Some(7.0),
        ..Default::default()
    };
    let merged = built_in().overlaid_with(file).overlaid_with(cli);
    assert_eq!(merged.rate, Some(7.0));
    assert_eq!(merged.concurrency, Some(3));
}

#[test]
fn a_real_pool_id_goes_to_aws_in_its_region() {
    let cfg = FileConfig {
        user_pool_id: Some("eu-west-1_AbC123".into()),
        ..built_in()
    };
    let target = resolve_target(&cfg).unwrap();
    assert_eq!(target.endpoint, Endpoint::Aws);
    assert_eq!(target.describe(), "AWS eu-west-1 eu-west-1_AbC123");
}

#[test]
fn a_region_that_contradicts_the_pool_id_is_refused() {
    let cfg = FileConfig {
        user_pool_id: Some("eu-west-1_AbC123".into()),
        region: Some("us-east-1".into()),
        ..built_in()
    };
    let err = resolve_target(&cfg).unwrap_err().to_string();
    assert!(
        err.contains("--region") && err.contains("eu-west-1"),
        "{err}"
    );
}

#[test]
fn bad_values_name_flag_variable_and_key() {
    let cfg = FileConfig {
        rate: Some(0.0),
        ..built_in()
    };
    let err = Settings::resolve(Path::new("x.csv"), cfg)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--rate") && err.contains("COGNITO_BULK_RATE") && err.contains("`rate`"),
        "{err}"
    );
    let cfg = FileConfig {
        user_pool_id: Some("nope".into()),
        ..built_in()
    };
    assert!(Settings::resolve(Path::new("x.csv"), cfg).is_err());
    let cfg = FileConfig {
        attempt_timeout: Some("soon".into()),
        ..built_in()
    };
    let err = Settings::resolve(Path::new("x.csv"), cfg)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--attempt-timeout"), "{err}");
}

#[test]
fn set_pairs_need_a_name() {
    assert_eq!(
        parse_set_pair("email_verified=true", "--set").unwrap().1,
        "true"
    );
    assert_eq!(parse_set_pair("custom:note=a=b", "--set").unwrap().1, "a=b");
    assert!(parse_set_pair("=x", "--set").is_err());
    assert!(parse_set_pair("novalue", "--set").is_err());
}
