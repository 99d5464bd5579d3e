//! The pre-flight: one streaming look at the whole file before the first call. It finds every file-level
//! problem (so the job stops before sending anything), checks every row, counts the rows to send and the
//! verification messages they would cause, and checks a report being resumed against the input.
//!
//! [`RowPlanner`] decides what happens to each row; the pre-flight and the execution pass both use it, so they
//! always agree. With a pool snapshot (`--skip-unchanged`), the planner also compares each row with its user's
//! values, so every count (the guard, the banner, the dry run) is taken on the rows that will really be sent.

use std::collections::BTreeSet;
use std::sync::Arc;

pub(crate) use crate::config::ResumeMode;
use crate::error::InputError;
use crate::exec::outcome::Status;
use crate::input::duplicates::{CandidateFilter, DuplicateTracker};
use crate::input::header::Header;
use crate::input::problem::RowProblem;
use crate::input::reader::{CsvInput, Record};
use crate::input::row::{Attribute, RowId, UpdateRequest};
use crate::input::text::check_text;
use crate::input::validate::check_row;
use crate::operations::Op;
use crate::report::journal::Journal;
use crate::schema::PoolSchema;
use crate::snapshot::{Compared, FileShape, SnapshotIndex};

/// Problems listed in full on the terminal; the rest are counted (all are in the report).
const MAX_LISTED_PROBLEMS: usize = 50;

/// What happens to one row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RowPlan {
    Send(UpdateRequest),
    /// Send, but the earlier run's journal says it was being sent when that run stopped: the user is read back
    /// before the first request (counted as a row to send).
    Resend(UpdateRequest),
    Invalid(RowProblem),
    /// An outcome from the earlier report, kept as it is.
    Carry(Status),
    /// The pool snapshot shows the user already holds these values: reported `unchanged`, nothing sent.
    Unchanged(UpdateRequest),
}

/// Decides each row's plan; one per pass.
pub(crate) struct RowPlanner<'a> {
    pub(crate) header: Header,
    pub(crate) set: &'a [Attribute],
    pub(crate) duplicates: DuplicateTracker,
    pub(crate) journal: Option<&'a Journal>,
    pub(crate) mode: ResumeMode,
    pub(crate) schema: Option<&'a PoolSchema>,
    /// The pool's groups (ListGroups), when the file names groups.
    pub(crate) groups: Option<&'a BTreeSet<String>>,
    pub(crate) snapshot: Option<&'a SnapshotIndex>,
    pub(crate) input: &'a CsvInput,
}

impl RowPlanner<'_> {
    pub(crate) fn plan(
        &mut self,
        row: &Record<'_>,
    ) -> Result<(RowId, String, RowPlan), InputError> {
        let (line, record) = (row.line, row.cells);
        let id = RowId {
            line,
            hash: RowId::hash_fields(record.iter()),
        };
        let username = record.get(self.header.key).unwrap_or_default().to_string();
        if let Some(entry) = self.journal.and_then(|j| j.get(line)) {
            if entry.hash != id.hash {
                return Err(InputError::Changed {
                    path: self.input.display().to_path_buf(),
                    message: format!(
                        "line {line} differs from the row the report recorded: the input changed since the report \
                         was written, so it cannot be resumed safely (start a new run with another --report)"
                    ),
                });
            }
            let carry = match self.mode {
                ResumeMode::Fresh => false,
                ResumeMode::Resume => entry.status.is_done(),
                ResumeMode::RetryFailed => {
                    !matches!(entry.status, Status::Failed | Status::Sending)
                }
            };
            if carry {
                // Keep the duplicate tracker in step with a full pass.
                let _ = self.repeats(record, line);
                return Ok((id, username, RowPlan::Carry(entry.status)));
            }
        }
        let maybe_sent = self
            .journal
            .and_then(|j| j.get(line))
            .is_some_and(|entry| entry.maybe_applied);
        let repeated = self.repeats(record, line);
        let checked = check_text(
            &self.header,
            record,
            line,
            self.input.allows_multiline_values() || row.marked_breaks,
        )
        .and_then(|()| check_row(&self.header, record, self.set));
        let plan = match checked {
            Err(problem) => RowPlan::Invalid(problem),
            Ok(request) => match repeated {
                Some(problem) => RowPlan::Invalid(problem),
                None => match self.check_pool(&request) {
                    Some(problem) => RowPlan::Invalid(problem),
                    None => match self.snapshot.map(|s| s.compare(&request)) {
                        Some(Compared::Unchanged) => RowPlan::Unchanged(request),
                        _ if maybe_sent => RowPlan::Resend(request),
                        // Only what the snapshot shows the user lacks is sent.
                        Some(Compared::Changed(_)) if !request.membership.is_empty() => {
                            RowPlan::Send(
                                self.snapshot
                                    .and_then(|s| s.still_needed(&request))
                                    .unwrap_or(request),
                            )
                        }
                        _ => RowPlan::Send(request),
                    },
                },
            },
        };
        Ok((id, username, plan))
    }

    /// The row's problems with the pool: its schema, and the groups it names.
    fn check_pool(&self, request: &UpdateRequest) -> Option<RowProblem> {
        let schema = self.schema.and_then(|s| s.check(request).err());
        let groups = self
            .groups
            .and_then(|pool| request.membership.unknown_groups(pool));
        RowProblem::all(schema.into_iter().chain(groups).collect())
    }

    /// Records the row's keys and reports the first repeat: the same user as an earlier row, or the same email or
    /// phone number where it is (or may be) an alias. Verifying one address on two users silently moves the
    /// alias to the last one (or fails, where it is the username), so such rows are flagged. Offline, the pool's
    /// alias settings are unknown and every repeat is flagged.
    fn repeats(&mut self, record: &csv::StringRecord, line: u64) -> Option<RowProblem> {
        let mut problem = None;
        for key in row_keys(&self.header, record) {
            let Some(first) = self.duplicates.check(&key.key, line) else {
                continue;
            };
            if problem.is_some() || !key.applies(self.schema) {
                continue;
            }
            problem = Some(match key.column {
                None => RowProblem::new(
                    Some(self.header.key_name()),
                    format!("the same user as line {first}: one row per user"),
                ),
                Some(attr) => RowProblem::new(
                    Some(attr),
                    format!(
                        "the same {attr} as line {first}: an alias can belong to one user only"
                    ),
                ),
            });
        }
        problem
    }
}

/// A key that must not repeat across rows.
struct RowKey {
    key: String,
    /// `None` for the user key, else the alias attribute.
    column: Option<&'static str>,
}

impl RowKey {
    fn applies(&self, schema: Option<&PoolSchema>) -> bool {
        match (self.column, schema) {
            (None, _) | (Some(_), None) => true,
            (Some(attr), Some(s)) => s
                .alias_attributes
                .iter()
                .chain(&s.username_attributes)
                .any(|a| a == attr),
        }
    }
}

/// The keys of a row: the user key, and its email (case-insensitive) and phone number if set.
fn row_keys(header: &Header, record: &csv::StringRecord) -> Vec<RowKey> {
    let mut keys = vec![RowKey {
        key: format!("u\0{}", record.get(header.key).unwrap_or_default()),
        column: None,
    }];
    for (index, name) in &header.attributes {
        let value = record.get(*index).unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "email" => keys.push(RowKey {
                key: format!("e\0{}", value.to_lowercase()),
                column: Some("email"),
            }),
            "phone_number" => keys.push(RowKey {
                key: format!("p\0{value}"),
                column: Some("phone_number"),
            }),
            _ => {}
        }
    }
    keys
}

/// A row problem found by the pre-flight.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub(crate) line: u64,
    pub(crate) username: String,
    pub(crate) problem: RowProblem,
}

/// What the pre-flight found.
#[derive(Debug, Default)]
pub(crate) struct Preflight {
    pub(crate) total: u64,
    pub(crate) to_send: u64,
    pub(crate) carried: u64,
    pub(crate) invalid: u64,
    /// Rows the pool snapshot found unchanged (never sent).
    pub(crate) unchanged: u64,
    pub(crate) problems: Vec<Problem>,
    /// Rows to send that change `email` without `email_verified=true` in the same row (with a snapshot: to a
    /// value other than the user's current one, or for a user the snapshot does not know).
    pub(crate) email_messages: u64,
    /// Rows that change `phone_number` without `phone_number_verified=true` in the same row.
    pub(crate) sms_messages: u64,
    pub(crate) ignored_columns: Vec<String>,
    /// The header's attribute columns, in order (the columns of an undo file).
    pub(crate) attribute_columns: Vec<String>,
    /// Every attribute name the delete column of a row to send lists (more columns of an undo file).
    pub(crate) deleted: BTreeSet<String>,
    /// Whether the header has group columns (the pool's groups are then read, to check the names).
    pub(crate) names_groups: bool,
    /// Whether the header has membership columns (more columns of an undo file).
    pub(crate) membership_columns: bool,
    /// The write calls the rows to send will make, per operation (at most: a call whose state is not known yet
    /// is counted).
    pub(crate) calls: CallCounts,
}

/// Write calls per operation, and whether exact sets leave some removals unknown.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CallCounts {
    by_operation: std::collections::BTreeMap<&'static str, u64>,
    exact_sets: bool,
}

impl CallCounts {
    fn add(&mut self, op: Op, n: usize) {
        if n > 0 {
            *self.by_operation.entry(op.name()).or_default() += n as u64;
        }
    }

    /// Counts the calls of one row to send, as the backend makes them without knowing its user: every call the
    /// row names; an exact set adds every group it lists (the extra groups the user is in are removed too, unknown
    /// until its groups are read).
    fn row(&mut self, request: &UpdateRequest) {
        let m = &request.membership;
        self.add(
            Op::AdminUpdateUserAttributes,
            usize::from(!request.attributes.is_empty()),
        );
        self.add(
            Op::AdminDeleteUserAttributes,
            usize::from(!request.delete.is_empty()),
        );
        self.add(
            Op::AdminAddUserToGroup,
            m.add.len() + m.exact.as_ref().map_or(0, Vec::len),
        );
        self.add(Op::AdminRemoveUserFromGroup, m.remove.len());
        self.add(Op::AdminEnableUser, usize::from(m.enabled == Some(true)));
        self.add(Op::AdminDisableUser, usize::from(m.enabled == Some(false)));
        self.exact_sets |= m.exact.is_some();
    }

    /// `3 AdminUpdateUserAttributes, 50000 AdminAddUserToGroup`; `none` when there are none.
    /// Every write call counted (all of them on the UserUpdate quota).
    pub(crate) fn total(&self) -> u64 {
        self.by_operation.values().sum()
    }

    pub(crate) fn describe(&self) -> String {
        if self.by_operation.is_empty() && !self.exact_sets {
            return "none".into();
        }
        let counts = self
            .by_operation
            .iter()
            .map(|(op, n)| format!("{n} {op}"))
            .collect::<Vec<_>>()
            .join(", ");
        match self.exact_sets {
            true => format!(
                "{counts}, and one AdminRemoveUserFromGroup for each group outside a row's exact set (known once \
                 the user's groups are read)"
            ),
            false => counts,
        }
    }
}

/// Whether a request makes Cognito send a verification message: email or phone changes without the matching
/// `*_verified=true` in the same call (the AdminUpdateUserAttributes API reference, and the Amazon Cognito
/// developer guide, "Configuring email or phone verification").
fn verification_messages(request: &UpdateRequest) -> (bool, bool) {
    let unverified = |attr: &str, flag: &str| {
        request.get(attr).is_some_and(|v| !v.is_empty()) && request.get(flag) != Some("true")
    };
    (
        unverified("email", "email_verified"),
        unverified("phone_number", "phone_number_verified"),
    )
}

/// The owned inputs of every pass over the file, built once by the plan (`app/plan.rs`): each pass borrows them as a
/// [`PassSpec`], and the execution pass moves them into its reader task, so the rows sent are planned from exactly
/// what the pre-flight checked.
pub(crate) struct PassSources {
    pub(crate) input: Arc<CsvInput>,
    pub(crate) username_column: Option<String>,
    pub(crate) set: Vec<Attribute>,
    pub(crate) journal: Option<Arc<Journal>>,
    pub(crate) mode: ResumeMode,
    pub(crate) schema: Option<Arc<PoolSchema>>,
    /// The pool's groups (ListGroups), when the file names groups.
    pub(crate) groups: Option<Arc<BTreeSet<String>>>,
    /// The pool snapshot rows are compared with (`--skip-unchanged` by snapshot).
    pub(crate) snapshot: Option<Arc<SnapshotIndex>>,
}

impl PassSources {
    pub(crate) fn spec(&self) -> PassSpec<'_> {
        PassSpec {
            input: &self.input,
            username_column: self.username_column.as_deref(),
            set: &self.set,
            journal: self.journal.as_deref(),
            mode: self.mode,
            schema: self.schema.as_deref(),
            groups: self.groups.as_deref(),
            snapshot: self.snapshot.as_deref(),
        }
    }
}

/// Everything a pass needs besides the file, borrowed from [`PassSources`] (tests build one directly).
pub(crate) struct PassSpec<'a> {
    pub(crate) input: &'a CsvInput,
    pub(crate) username_column: Option<&'a str>,
    pub(crate) set: &'a [Attribute],
    pub(crate) journal: Option<&'a Journal>,
    pub(crate) mode: ResumeMode,
    pub(crate) schema: Option<&'a PoolSchema>,
    /// The pool's groups (ListGroups), when the file names groups.
    pub(crate) groups: Option<&'a BTreeSet<String>>,
    /// The pool snapshot rows are compared with (`--skip-unchanged` by snapshot).
    pub(crate) snapshot: Option<&'a SnapshotIndex>,
}

impl<'a> PassSpec<'a> {
    fn set_names(&self) -> Vec<&'a str> {
        self.set.iter().map(|a| a.name.as_str()).collect()
    }

    /// Opens a pass with its planner (duplicates already known from [`scan`]).
    pub(crate) fn open(
        &self,
        duplicates: DuplicateTracker,
    ) -> Result<(RowPlanner<'a>, crate::input::reader::Rows), InputError> {
        let (header, rows) = self.input.rows(self.username_column, &self.set_names())?;
        let planner = RowPlanner {
            header,
            set: self.set,
            duplicates,
            journal: self.journal,
            mode: self.mode,
            schema: self.schema,
            groups: self.groups,
            snapshot: self.snapshot,
            input: self.input,
        };
        Ok((planner, rows))
    }
}

/// Pass 1: reads every record once, finding every file-level problem (nothing has been sent yet) and the keys
/// that may repeat, and learning the file's [`FileShape`] when `shape` is asked for (for the pool snapshot).
/// Returns the duplicate tracker for the later passes.
pub(crate) fn scan_keys_and_shape(
    spec: &PassSpec<'_>,
    shape: bool,
) -> Result<(DuplicateTracker, Option<FileShape>), InputError> {
    let (header, mut rows) = spec.input.rows(spec.username_column, &spec.set_names())?;
    let mut filter = CandidateFilter::default();
    let mut file_shape = shape.then(FileShape::default);
    while let Some(Record { cells: record, .. }) = rows.next_record()? {
        for key in row_keys(&header, record) {
            filter.observe(&key.key);
        }
        if let Some(file_shape) = &mut file_shape
            && let Ok(request) = check_row(&header, record, spec.set)
        {
            file_shape.observe(&request);
        }
    }
    if let Some(file_shape) = &mut file_shape {
        file_shape.finish();
    }
    Ok((filter.into_tracker(), file_shape))
}

/// Pass 2: plans every row as the execution pass will, and counts what it found.
pub(crate) fn scan_rows(
    spec: &PassSpec<'_>,
    duplicates: &DuplicateTracker,
) -> Result<Preflight, InputError> {
    let (mut planner, mut rows) = spec.open(duplicates.restart())?;
    let mut pre = Preflight {
        names_groups: planner.header.membership.names_groups(),
        membership_columns: planner.header.membership.any(),
        ignored_columns: planner.header.ignored.clone(),
        attribute_columns: planner
            .header
            .attributes
            .iter()
            .map(|(_, name)| name.clone())
            .collect(),
        ..Preflight::default()
    };
    let mut seen_lines = 0usize;
    while let Some(record) = rows.next_record()? {
        let line = record.line;
        pre.total += 1;
        if spec.journal.is_some_and(|j| j.get(line).is_some()) {
            seen_lines += 1;
        }
        let (_, username, plan) = planner.plan(&record)?;
        match plan {
            RowPlan::Send(request) | RowPlan::Resend(request) => {
                pre.to_send += 1;
                let (mut email, mut sms) = verification_messages(&request);
                // The planner compared the row already; only a row that would count a message is looked at again.
                if (email || sms)
                    && let Some(index) = spec.snapshot
                    && let Compared::Changed(user) = index.compare(&request)
                {
                    email = email && index.changes(user, &request, "email");
                    sms = sms && index.changes(user, &request, "phone_number");
                }
                pre.email_messages += u64::from(email);
                pre.sms_messages += u64::from(sms);
                pre.calls.row(&request);
                pre.deleted.extend(request.delete);
            }
            RowPlan::Invalid(problem) => {
                pre.invalid += 1;
                if pre.problems.len() < MAX_LISTED_PROBLEMS {
                    pre.problems.push(Problem {
                        line,
                        username,
                        problem,
                    });
                }
            }
            RowPlan::Carry(_) => pre.carried += 1,
            RowPlan::Unchanged(_) => pre.unchanged += 1,
        }
    }
    if let Some(journal) = spec.journal
        && seen_lines != journal.len()
    {
        return Err(InputError::Changed {
            path: spec.input.display().to_path_buf(),
            message: format!(
                "the report records {} lines that are not rows of this input: the input changed since the report \
                 was written, so it cannot be resumed safely",
                journal.len() - seen_lines
            ),
        });
    }
    Ok(pre)
}
