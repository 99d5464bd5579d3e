//! Wire-level behaviour with hand-written HTTP requests: headers, error bodies, malformed input.

use cognito_emulator::{EmulatorConfig, start};

use super::support::{SAMPLE_POOL, aws_request, raw_http, seeded};

const UPDATE: &str = "AWSCognitoIdentityProviderService.AdminUpdateUserAttributes";

fn header<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.split("\r\n\r\n").next()?.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn body(text: &str) -> serde_json::Value {
    serde_json::from_str(&text[text.find("\r\n\r\n").unwrap() + 4..]).unwrap()
}

#[tokio::test]
async fn success_has_json_content_type_request_id_and_empty_object() {
    let emu = seeded().await;
    let payload = format!(
        r#"{{"UserPoolId":"{SAMPLE_POOL}","Username":"user0001","UserAttributes":[{{"Name":"custom:tier","Value":"pro"}}]}}"#
    );
    let req = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: {UPDATE}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=abc\r\n\
         X-Amz-Date: 20260101T000000Z\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\nContent-Length: {}\r\n\r\n{payload}",
        payload.len()
    );
    let (status, text) = raw_http(&emu, req.as_bytes()).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        header(&text, "content-type"),
        Some("application/x-amz-json-1.1")
    );
    let id = header(&text, "x-amzn-requestid").unwrap();
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(body(&text), serde_json::json!({}));
}

#[tokio::test]
async fn malformed_requests_get_400_with_a_typed_error() {
    let emu = start(EmulatorConfig::default().with_max_body_bytes(1024))
        .await
        .unwrap();
    let big = format!(r#"{{"UserPoolId":"{}"}}"#, "x".repeat(2000));
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (
            aws_request(Some("AWSCognitoIdentityProviderService.Frobnicate"), "{}"),
            "UnknownOperationException",
            "Frobnicate",
        ),
        (
            aws_request(None, "{}"),
            "UnknownOperationException",
            "X-Amz-Target",
        ),
        (
            aws_request(Some(UPDATE), "{not json"),
            "SerializationException",
            "Invalid request body",
        ),
        (
            aws_request(Some(UPDATE), r#"{"UserPoolId": 5}"#),
            "SerializationException",
            "Invalid request body",
        ),
        (
            aws_request(Some(UPDATE), r#"{"Username":"u","UserAttributes":[]}"#),
            "InvalidParameterException",
            "'userPoolId'",
        ),
        (
            aws_request(Some(UPDATE), r#"{"UserPoolId":"a_b","UserAttributes":[]}"#),
            "InvalidParameterException",
            "'username'",
        ),
        (
            aws_request(Some(UPDATE), r#"{"UserPoolId":"a_b","Username":"u"}"#),
            "InvalidParameterException",
            "'userAttributes'",
        ),
        (
            aws_request(Some(UPDATE), &big),
            "SerializationException",
            "larger than 1024 bytes",
        ),
    ];
    for (req, code, needle) in cases {
        let (status, text) = raw_http(&emu, &req).await;
        assert_eq!(status, 400, "{text}");
        assert_eq!(header(&text, "x-amzn-errortype"), Some(code), "{text}");
        assert!(header(&text, "x-amzn-requestid").is_some(), "{text}");
        let b = body(&text);
        assert_eq!(b["__type"], code, "{text}");
        assert!(
            b["message"].as_str().unwrap().contains(needle),
            "{needle}: {text}"
        );
    }
}

#[tokio::test]
async fn internal_error_is_500() {
    let emu = start(
        EmulatorConfig::default().with_faults(cognito_emulator::Faults {
            internal_error_rate: 1.0,
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    let payload = r#"{"UserPoolId":"a_b","Username":"u","UserAttributes":[]}"#;
    let (status, text) = raw_http(&emu, &aws_request(Some(UPDATE), payload)).await;
    assert_eq!(status, 500, "{text}");
    assert_eq!(body(&text)["__type"], "InternalErrorException");
}
