//! What the jobs tell the user besides the report: the problems the pre-flight found, the verification-message
//! warning, and the exact command that continues an interrupted run.

use std::path::Path;

use crate::error::RunError;
use crate::preflight::Preflight;

/// The daily email quota of Cognito's default email sender (developer guide, "Email settings for Amazon Cognito
/// user pools").
const DEFAULT_SENDER_DAILY_EMAILS: u64 = 50;
use crate::schema::PoolSchema;

pub(crate) fn print_problems(input: &Path, pre: &Preflight) {
    let file = input.display().to_string();
    for p in &pre.problems {
        let message = format!("{} (user key `{}`)", p.problem, p.username);
        crate::telemetry::problem(&file, p.line, &message);
    }
    let unlisted = pre.invalid.saturating_sub(pre.problems.len() as u64);
    if unlisted > 0 {
        crate::telemetry::say(&format!("... and {unlisted} more invalid rows"));
    }
}

/// The refusal a run meets before its first write, the same for `update`, its dry run and `validate`: invalid rows
/// (unless `--skip-invalid`), then rows that would make Cognito send verification messages (unless
/// `--allow-verification-messages`).
pub(crate) fn refusal(
    pre: &Preflight,
    schema: Option<&PoolSchema>,
    skip_invalid: bool,
    allow_messages: bool,
) -> Option<RunError> {
    if pre.invalid > 0 && !skip_invalid {
        return Some(RunError::InvalidRows {
            invalid: pre.invalid,
            total: pre.total,
        });
    }
    verification_warning(pre, schema)
        .filter(|_| !allow_messages)
        .map(RunError::Refused)
}

pub(crate) fn verification_warning(pre: &Preflight, schema: Option<&PoolSchema>) -> Option<String> {
    let total = pre.email_messages + pre.sms_messages;
    if total == 0 {
        return None;
    }
    let rows = |n: u64| match n {
        1 => "1 row changes".to_string(),
        n => format!("{n} rows change"),
    };
    let changes: Vec<String> = [
        (pre.email_messages, "email"),
        (pre.sms_messages, "phone_number"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, attr)| format!("{} `{attr}` without `{attr}_verified=true`", rows(n)))
    .collect();
    let messages = match total {
        1 => "1 message".to_string(),
        n => format!("{n} messages"),
    };
    let mut msg = format!(
        "{} in the same row: Cognito un-verifies each of these users and sends each a verification message \
         ({messages})",
        changes.join(" and ")
    );
    if let Some(schema) = schema {
        if !schema.keep_original_until_verified.is_empty() {
            msg.push_str(&format!(
                "; this pool keeps the old {} active until the user verifies the new value",
                schema.keep_original_until_verified.join(" and ")
            ));
        }
        if pre.email_messages > 0 && schema.uses_default_email_sender() {
            msg.push_str(if pre.email_messages > DEFAULT_SENDER_DAILY_EMAILS {
                "; the pool sends email with Cognito's default sender, which allows 50 emails a day per account: \
                 the run would exhaust it and then fail"
            } else {
                "; the pool sends email with Cognito's default sender, which allows 50 emails a day per account \
                 (shared with the pool's other messages)"
            });
        }
    }
    // The flag that marks each changed attribute verified: `email_verified` does nothing for phone numbers.
    let flags: Vec<&str> = [
        (pre.email_messages, "`--set email_verified=true`"),
        (pre.sms_messages, "`--set phone_number_verified=true`"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(_, flag)| flag)
    .collect();
    let columns = if flags.len() == 1 {
        "the column"
    } else {
        "the columns"
    };
    msg.push_str(&format!(
        ". Add {} (or {columns}) if the new values are already verified, or pass --allow-verification-messages to \
         send them",
        flags.join(" and ")
    ));
    Some(msg)
}

/// The exact command that continues this run: the same arguments plus `--resume` and `--report`.
pub(crate) fn resume_command(report: &Path) -> String {
    let mut args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--overwrite" && a != "--overwrite-undo")
        .collect();
    let has = |args: &[String], flag: &str| {
        args.iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    if !has(&args, "--report") {
        args.insert(1, report.display().to_string());
        args.insert(1, "--report".into());
    }
    if !has(&args, "--resume") && !has(&args, "--retry-failed") {
        args.insert(1, "--resume".into());
    }
    std::iter::once("cognito-bulk".to_string())
        .chain(args.iter().map(|a| shell_quote(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn shell_quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_keeps_simple_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("sample-data/x.csv"), "sample-data/x.csv");
        assert_eq!(shell_quote("email_verified=true"), "email_verified=true");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
