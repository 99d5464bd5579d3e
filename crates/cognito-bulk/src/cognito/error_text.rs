//! The words a person reads for a transport failure of the SDK (a report row's message, a warning, the error that
//! ends a run): the error's display chain with each cause once and without the SDK's layer names or Debug forms,
//! as one sentence that says what failed (connection refused by 127.0.0.1:9229, the DNS name not found, the TLS
//! handshake, no answer within 10s) and, where it helps, what to do. At most [`MAX_CHARS`] characters.
//!
//! Service errors are not described here: Cognito's own code and message are already words
//! ([`super::classify::from_sdk`]).

use std::error::Error;
use std::sync::LazyLock;

use aws_sdk_cognitoidentityprovider::error::SdkError;
use regex::Regex;

/// The longest description: a report cell stays readable.
pub(crate) const MAX_CHARS: usize = 300;

/// Layer names of the SDK and hyper that say nothing a person needs.
const LAYERS: [&str; 8] = [
    "dispatch failure",
    "failed to construct request",
    "request has timed out",
    "io error",
    "other",
    "client error (Connect)",
    "client error (SendRequest)",
    "response error",
];

/// A socket address, as hyper-util's connect error holds it (its Display leaves it out).
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}|\[[0-9a-fA-F:]+\]:\d{1,5})").unwrap()
});

/// Describes a transport failure (timeout, dispatch, unreadable answer, construction) in words.
pub(crate) fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: Error + 'static,
    R: std::fmt::Debug,
{
    let chain = causes(err);
    let text = match err {
        SdkError::TimeoutError(_) => {
            let after = chain
                .rsplit_once("after ")
                .map_or(String::new(), |(_, d)| format!(" within {d}"));
            format!(
                "no answer{after} (--attempt-timeout); the request may have been applied, so it is read back \
                 before any resend"
            )
        }
        SdkError::DispatchFailure(failure) => {
            // The address the connection was refused by is only in the connector error's Debug form: read it
            // from there, never show the form itself.
            let address = failure.as_connector_error().and_then(|c| {
                ADDRESS
                    .find(&format!("{c:?}"))
                    .map(|m| m.as_str().to_string())
            });
            dispatch(&chain, address.as_deref())
        }
        SdkError::ResponseError(_) => format!("the answer could not be read: {chain}"),
        SdkError::ConstructionFailure(_) => {
            format!("the request could not be prepared, so it was not sent: {chain}")
        }
        _ => chain,
    };
    capped(&text)
}

/// A dispatch failure by its kind.
fn dispatch(chain: &str, address: Option<&str>) -> String {
    let lower = chain.to_lowercase();
    let at = address.map_or_else(|| "the endpoint".to_string(), str::to_string);
    if lower.contains("dns error") || lower.contains("dns lookup") {
        let why = chain.rsplit(": ").next().unwrap_or(chain);
        format!(
            "the endpoint's host name was not found (DNS: {why}); check --endpoint-url or --region, and the \
             network"
        )
    } else if lower.contains("connection refused") {
        format!("connection refused by {at}: nothing listens there (is the endpoint running?)")
    } else if lower.contains("tls handshake") || lower.contains("certificate") {
        let why = chain.rsplit(": ").next().unwrap_or(chain);
        format!(
            "the TLS handshake with {at} failed ({why}); an http:// endpoint named as https://?"
        )
    } else if lower.contains("connect timeout")
        || lower.contains("timed out") && lower.contains("connect")
    {
        format!("connecting to {at} timed out: {chain}")
    } else if lower.contains("closed before message completed")
        || lower.contains("connection reset")
    {
        "the connection was closed before the answer arrived; the request may have been applied, so it is read \
         back before any resend"
            .to_string()
    } else {
        format!("the request could not be sent or answered: {chain}")
    }
}

/// The error's display chain (each cause once: [`crate::error::chain`]) without the layer names.
fn causes(err: &dyn Error) -> String {
    let chain = crate::error::chain(err);
    let parts: Vec<&str> = chain
        .split(": ")
        .filter(|part| !LAYERS.contains(&part.trim()))
        .collect();
    match parts.is_empty() {
        true => chain,
        false => parts.join(": "),
    }
}

/// `text` cut to [`MAX_CHARS`] characters, on one line.
fn capped(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(MAX_CHARS - 1) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_and_made_one_line() {
        let long = "word ".repeat(100);
        let cut = capped(&long);
        assert_eq!(cut.chars().count(), MAX_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(capped("a\n  b"), "a b");
    }

    #[test]
    fn dispatch_kinds_are_told_apart() {
        assert_eq!(
            dispatch(
                "tcp connect error: Connection refused (os error 111)",
                Some("127.0.0.1:9229")
            ),
            "connection refused by 127.0.0.1:9229: nothing listens there (is the endpoint running?)"
        );
        assert!(
            dispatch(
                "dns error: failed to lookup address information: Name or service not known",
                None
            )
            .starts_with("the endpoint's host name was not found (DNS: Name or service not known)")
        );
    }
}
