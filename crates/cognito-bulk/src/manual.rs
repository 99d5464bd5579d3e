//! Shell completion scripts and the manual page, generated from the same clap definitions as the help, the long
//! version string (the SDK crate and the commit the binary was built from), and the words of a parse error whose
//! value came from an environment variable.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::Cli;

/// `cognito-bulk 0.1.0 (commit 1a2b3c4d5e6f, aws-sdk-cognitoidentityprovider 1.144.0)`.
pub(crate) fn version() -> String {
    let commit = match env!("COGNITO_BULK_COMMIT") {
        "" => String::new(),
        commit => format!("commit {commit}, "),
    };
    format!(
        "{} ({commit}aws-sdk-cognitoidentityprovider {})",
        env!("CARGO_PKG_VERSION"),
        aws_sdk_cognitoidentityprovider::meta::PKG_VERSION
    )
}

/// The command line's definition, with the long version.
pub(crate) fn command() -> clap::Command {
    Cli::command().version(version())
}

/// `cognito-bulk completions <shell>`: the script.
///
/// Bash: clap_complete spells the state of a subcommand of a hyphenated binary two ways, `cognito__bulk__subcmd__update`
/// in the loop that reads the words and `cognito__subcmd__bulk__subcmd__update` in the arms that complete it, so no
/// flag of a subcommand ever completes (clap-rs/clap#6421, open). The arms are renamed to the loop's spelling.
pub(crate) fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command(), "cognito-bulk", &mut out);
    if shell == clap_complete::Shell::Bash {
        let script =
            String::from_utf8_lossy(&out).replace("cognito__subcmd__bulk", "cognito__bulk");
        return script.into_bytes();
    }
    out
}

/// `cognito-bulk man`: the page of the command, then one section per subcommand with its options (roff).
pub(crate) fn man() -> Vec<u8> {
    let mut out = Vec::new();
    let mut cmd = command();
    cmd.build();
    // Writing to memory cannot fail.
    let _ = render(&cmd, &mut out);
    out
}

/// One page: clap_mangen's sections but its SUBCOMMANDS, which names a page per subcommand
/// (`cognito-bulk-update(1)`) that does not exist; each subcommand has a section of this page instead.
fn render(cmd: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    let page = clap_mangen::Man::new(cmd.clone());
    page.render_title(out)?;
    page.render_name_section(out)?;
    page.render_synopsis_section(out)?;
    page.render_description_section(out)?;
    page.render_options_section(out)?;
    page.render_version_section(out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("cognito-bulk {}", sub.get_name());
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        let page = clap_mangen::Man::new(sub.clone().name(name));
        page.render_synopsis_section(out)?;
        page.render_description_section(out)?;
        page.render_options_section(out)?;
    }
    Ok(())
}

/// A bad value that clap read from a flag's environment variable (`COGNITO_BULK_RATE=fast`), in words that name
/// the variable: clap names the flag, which the user never typed. `None` for any other parse error.
pub(crate) fn env_value_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(
        e.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let long = arg.strip_prefix("--")?.split([' ', '=']).next()?;
    let flag = format!("--{long}");
    if std::env::args().any(|a| a == flag || a.starts_with(&format!("{flag}="))) {
        return None;
    }
    let cmd = command();
    let variable = cmd
        .get_subcommands()
        .flat_map(|s| s.get_arguments())
        .find(|a| a.get_long() == Some(long))?
        .get_env()?
        .to_string_lossy()
        .into_owned();
    let value = std::env::var(&variable).ok()?;
    let why = match (std::error::Error::source(e), e.get(ContextKind::ValidValue)) {
        (Some(source), _) => source.to_string(),
        (None, Some(ContextValue::Strings(valid))) => {
            format!("expected one of {}", valid.join(", "))
        }
        _ => "not a valid value".to_string(),
    };
    Some(format!(
        "invalid value `{value}` in environment variable {variable} (the variable of {flag}): {why}"
    ))
}
