//! `export`'s settings: the same layers as `update` (built-in config.toml < `--config` file < environment < flags)
//! for the target, `list_rate` and the retry keys (`max_attempts`, `attempt_timeout`, `max_row_time`,
//! `shutdown_grace`, from the config file), plus export's own flags.

use super::output::Destination;
use super::select::Condition;
use crate::cli::{ExportArgs, LogFormat};
use crate::config::{
    self, FileConfig, RetrySettings, TargetSettings, positive_rate, resolve_target,
};
use crate::error::ConfigError;

#[derive(Debug, Clone)]
pub(crate) struct ExportSettings {
    pub(crate) target: TargetSettings,
    pub(crate) list_rate: f64,
    pub(crate) retry: RetrySettings,
    pub(crate) log_format: LogFormat,
    pub(crate) quiet: bool,
    pub(crate) output: Destination,
    pub(crate) overwrite: bool,
    /// `--raw-values`: no leading-quote protection against spreadsheet formulas.
    pub(crate) raw_values: bool,
    /// `--attributes` (without `username`), or every attribute found.
    pub(crate) attributes: Option<Vec<String>>,
    pub(crate) filter: Option<String>,
    pub(crate) conditions: Vec<Condition>,
    /// `--groups`: the membership and enabled columns.
    pub(crate) groups: bool,
}

impl ExportSettings {
    pub(crate) fn resolve(args: &ExportArgs) -> Result<Self, ConfigError> {
        let t = &args.target;
        let cli = FileConfig {
            list_rate: args.list.list_rate,
            ..FileConfig::from_target(t)
        };
        let cfg = config::layered(t.config.as_deref(), cli)?;
        let target = resolve_target(&cfg)?;
        let filter = match args.filter.as_deref().map(str::trim) {
            Some("") => {
                return Err(ConfigError::Usage(
                    "--filter is empty: give a ListUsers filter such as `email ^= \"a\"`, or leave it out"
                        .into(),
                ));
            }
            other => other.map(str::to_string),
        };
        let attributes = (!args.attributes.is_empty()).then(|| {
            let mut names: Vec<String> = Vec::new();
            for name in args.attributes.iter().map(|n| n.trim()) {
                if !name.is_empty() && name != "username" && !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
            names
        });
        let conditions = args
            .wheres
            .iter()
            .map(|w| Condition::parse(w))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ExportSettings {
            output: Destination::from_flag(args.output.as_deref(), &target.pool_id),
            target,
            list_rate: positive_rate(cfg.list_rate, "list_rate")?,
            retry: RetrySettings::resolve(&cfg)?,
            log_format: cfg.log_format.unwrap_or(LogFormat::Text),
            quiet: cfg.quiet.unwrap_or(false),
            overwrite: args.overwrite,
            raw_values: args.raw_values,
            attributes,
            filter,
            conditions,
            groups: args.groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;
    use crate::cli::{Cli, Command};

    fn settings(args: &[&str]) -> Result<ExportSettings, ConfigError> {
        let mut argv = vec!["cognito-bulk", "export"];
        argv.extend_from_slice(args);
        let Command::Export(args) = Cli::try_parse_from(argv).unwrap().command else {
            unreachable!()
        };
        ExportSettings::resolve(&args)
    }

    #[test]
    fn defaults_come_from_the_built_in_config_and_the_help_says_so() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.list_rate, 20.0);
        assert_eq!(s.target.pool_id, "local_SamplePool1");
        assert!(
            matches!(&s.output, Destination::File(p) if p.to_string_lossy().ends_with(".users.csv"))
        );
        assert!(s.attributes.is_none() && s.filter.is_none() && s.conditions.is_empty());
        let built_in: toml::Table = toml::from_str(config::BUILT_IN).unwrap();
        assert_eq!(built_in["list_rate"].as_float(), Some(s.list_rate));
        let export = Cli::command().find_subcommand("export").unwrap().clone();
        let help = export
            .get_arguments()
            .find(|a| a.get_long() == Some("list-rate"))
            .and_then(|a| a.get_long_help().or(a.get_help()))
            .unwrap()
            .to_string();
        assert!(help.contains("[default: 20]"), "{help}");
    }

    #[test]
    fn flags_are_checked_with_their_names() {
        let s = settings(&[
            "--attributes",
            "username,email, email,custom:tier",
            "--where",
            "email_verified!=true",
            "--output",
            "-",
        ])
        .unwrap();
        assert_eq!(s.attributes.unwrap(), ["email", "custom:tier"]);
        assert_eq!(s.conditions.len(), 1);
        assert_eq!(s.output, Destination::Stdout);
        let err = settings(&["--list-rate", "0"]).unwrap_err().to_string();
        assert!(
            err.contains("--list-rate") && err.contains("COGNITO_BULK_LIST_RATE"),
            "{err}"
        );
        let err = settings(&["--where", "email"]).unwrap_err().to_string();
        assert!(err.contains("--where `email`"), "{err}");
        let err = settings(&["--filter", " "]).unwrap_err().to_string();
        assert!(err.contains("--filter"), "{err}");
    }
}
