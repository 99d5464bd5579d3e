//! Shell completion scripts and the manual page, generated from the same clap definitions as the help, and the
//! long version string (the SDK crate and the commit the binary was built from).

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
pub(crate) fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command(), "cognito-bulk", &mut out);
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

fn render(cmd: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    clap_mangen::Man::new(cmd.clone()).render(out)?;
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
