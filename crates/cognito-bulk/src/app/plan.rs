//! The pre-flight of `update`, `validate` and the dry run, in one place: the plan is built once from resolved
//! settings (no raw flag is read here). Offline first ([`Plan::offline`]: the whole file read and checked, nothing
//! sent), then against the pool ([`Plan::against_pool`]: the schema from DescribeUserPool, the pool's groups from
//! ListGroups when the file names groups, the `--skip-unchanged` comparison, each followed by a new count of the rows
//! really sent). The execution pass plans its rows from the
//! same [`PassSources`].

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::Client;

use super::compare::{self, Comparison};
pub(crate) use super::plan_settings::PlanSettings;
use crate::config::ResumeMode;
use crate::error::{ConfigError, InputError, RunError};
use crate::input::duplicates::DuplicateTracker;
use crate::input::reader::CsvInput;
use crate::input::row::Attribute;
use crate::preflight::{self, PassSources, Preflight};
use crate::report::journal::Journal;
use crate::schema::{PoolSchema, unknown_attribute};
use crate::snapshot::FileShape;
use crate::target;

/// What the pre-flight found, and what the execution needs of it.
pub(crate) struct Plan {
    pub(crate) sources: PassSources,
    pub(crate) duplicates: DuplicateTracker,
    /// The file's shape, learned in pass 1 when `--skip-unchanged` is on.
    shape: Option<FileShape>,
    /// How `--skip-unchanged` compares (after [`Plan::against_pool`]).
    pub(crate) comparison: Option<Comparison>,
    /// The counts of the last pass: every refusal, banner and dry-run figure is taken from these.
    pub(crate) pre: Preflight,
}

impl Plan {
    /// Passes 1 and 2 over the file, offline.
    pub(crate) fn offline(s: &PlanSettings<'_>) -> Result<Self, RunError> {
        let common = s.common;
        let input = CsvInput::open(&common.input)?
            .with_multiline_values(common.allow_multiline_values)
            .with_raw_values(common.raw_values)
            .with_delimiter(common.delimiter);
        let journal = match s.mode {
            ResumeMode::Fresh => None,
            _ => Some(Arc::new(Journal::load(&common.report)?)),
        };
        let sources = PassSources {
            input: Arc::new(input),
            username_column: common.username_column.clone(),
            set: common.set.clone(),
            journal,
            mode: s.mode,
            schema: None,
            groups: None,
            snapshot: None,
        };
        let (duplicates, shape) =
            preflight::scan_keys_and_shape(&sources.spec(), s.compare.skip_unchanged)?;
        let pre = preflight::scan_rows(&sources.spec(), &duplicates)?;
        Ok(Plan {
            sources,
            duplicates,
            shape,
            comparison: None,
            pre,
        })
    }

    /// The checks that need the pool: its schema, then the `--skip-unchanged` comparison (a snapshot, or the
    /// decision to read each user before its write); the rows are counted again after each.
    pub(crate) async fn against_pool(
        &mut self,
        s: &PlanSettings<'_>,
        client: &Client,
    ) -> Result<(), RunError> {
        self.sources.schema = target::describe_pool(client, &s.common.target, s.outage)
            .await?
            .map(Arc::new);
        if let Some(schema) = &self.sources.schema {
            check_set_names(&s.common.set, schema)?;
        }
        if self.pre.names_groups {
            self.sources.groups = target::pool_groups(client, &s.common.target, s.outage)
                .await?
                .map(Arc::new);
        }
        if self.sources.schema.is_some() || self.sources.groups.is_some() {
            self.count()?;
        }
        if let Some(shape) = &self.shape {
            let comparison = compare::prepare(
                s,
                client,
                self.sources.schema.as_deref(),
                self.sources.groups.as_deref(),
                shape,
                self.pre.to_send,
            )
            .await?;
            if let Some(index) = &comparison.index {
                self.sources.snapshot = Some(index.clone());
                self.count()?;
            }
            self.comparison = Some(comparison);
        }
        Ok(())
    }

    /// Whether rows are compared by AdminGetUser right before their write (`--skip-unchanged` by reads).
    pub(crate) fn by_reads(&self) -> bool {
        self.comparison.as_ref().is_some_and(Comparison::by_reads)
    }

    /// Pass 2 again, with what is now known of the pool.
    fn count(&mut self) -> Result<(), InputError> {
        self.pre = preflight::scan_rows(&self.sources.spec(), &self.duplicates)?;
        Ok(())
    }
}

/// The header's problems with the pool's own names added: offline `problems` (if any) and every attribute column
/// the schema does not have (with the closest name it has), in column order, as one error.
fn header_against_schema(
    input: &std::path::Path,
    mut problems: Vec<(usize, String)>,
    attributes: &[(usize, String)],
    schema: &PoolSchema,
) -> Result<(), InputError> {
    for (column, name) in attributes {
        if let Some(why) = unknown_attribute(Some(schema), name) {
            problems.push((*column, format!("column {column} `{name}`: {why}")));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort_by_key(|(column, _)| *column);
    Err(InputError::UnknownColumns {
        path: input.to_path_buf(),
        problems,
        attributes: attributes.to_vec(),
    })
}

impl Plan {
    /// [`Plan::offline`], except that a header with unknown columns, when a pool is to be read (`signing`), is
    /// checked against the pool's schema too before the error is returned: every problem of the header at once.
    pub(crate) async fn offline_with_header(
        s: &PlanSettings<'_>,
        signing: Option<&target::Signing>,
    ) -> Result<Self, RunError> {
        match (Plan::offline(s), signing) {
            (Err(e @ RunError::Input(InputError::UnknownColumns { .. })), Some(signing)) => {
                let connected =
                    target::connect(&s.common.target, signing, s.attempt_timeout).await?;
                let e = header_error_with_pool(e, s, &connected.client).await;
                connected.close().await;
                Err(e)
            }
            (result, _) => result,
        }
    }
}

/// An offline pre-flight that stopped at the header's unknown columns: the pool's schema is read, so that the one
/// error lists the columns only the pool can tell wrong too (`custom:teir` where the pool has `custom:tier`).
/// Any other error is returned as it is.
async fn header_error_with_pool(err: RunError, s: &PlanSettings<'_>, client: &Client) -> RunError {
    let RunError::Input(InputError::UnknownColumns {
        path,
        problems,
        attributes,
    }) = &err
    else {
        return err;
    };
    match target::describe_pool(client, &s.common.target, s.outage).await {
        Ok(Some(schema)) => {
            match header_against_schema(path, problems.clone(), attributes, &schema) {
                Err(with_pool) => with_pool.into(),
                Ok(()) => err,
            }
        }
        Ok(None) => err,
        // The header's known problems are not lost to the pool's: they are the error, the pool's a warning.
        Err(e) => {
            tracing::warn!("the header could be checked offline only: {e}");
            err
        }
    }
}

/// `--set` names against the pool's schema, before anything else is read: a name the pool does not have (or may
/// not change) would make every row invalid; it is the flag that is wrong, so it is a usage error naming it.
fn check_set_names(set: &[Attribute], schema: &PoolSchema) -> Result<(), ConfigError> {
    let problems: Vec<String> = set
        .iter()
        .filter_map(|a| {
            let why = match schema.attributes.get(&a.name) {
                None => unknown_attribute(Some(schema), &a.name)?,
                Some(rules) if !rules.mutable => {
                    format!("the pool's schema makes `{}` immutable", a.name)
                }
                Some(_) => return None,
            };
            Some(format!("--set `{}`: {why}", a.name))
        })
        .collect();
    ConfigError::all(&problems, "Nothing was written")
}
