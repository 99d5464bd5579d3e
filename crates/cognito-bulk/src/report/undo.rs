//! The undo file (`--undo-file`): for every row the run really changed, the user's previous values of the
//! attributes the row touched, as a CSV in the input format, so that `cognito-bulk update <undo file>` puts them
//! back.
//!
//! Format: `username,<attribute columns...>,cognito-bulk:delete`. The columns are fixed before the first call
//! ([`undo_columns`]): every attribute the input can change, plus the verification flag of `email` and
//! `phone_number`. A row fills the cells of the attributes it restores and leaves the others empty (an empty cell
//! leaves the attribute as it is); attributes the user did not have before the run are listed in the
//! [`DELETE_COLUMN`] cell, `;`-separated, so the undo run deletes them. When the input changes group membership or
//! the enabled state, three more columns follow: `cognito-bulk:add-groups` (groups the row removed the user
//! from), `cognito-bulk:remove-groups` (groups it added the user to) and `cognito-bulk:enabled` (the previous state,
//! when the row changed it).
//!
//! Like the report, the file is created before the first call and flushed after every row. This module owns the
//! file only; which values go in a row is decided in [`crate::cognito::before`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::writer::OpenMode;
use crate::error::ReportError;
use crate::input::header::DELETE_COLUMN;
use crate::input::membership::{ADD_GROUPS, ENABLED, REMOVE_GROUPS};
use crate::input::row::Attribute;
use crate::private_file::{self, How};
use crate::report::writer::{Guarded, cut_torn_tail};

/// The key column of an undo file.
pub(crate) const KEY_COLUMN: &str = "username";

/// One row of the undo file: the user key, the previous values to set again, the attributes to delete, and the
/// membership to restore.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UndoRow {
    pub(crate) key: String,
    pub(crate) set: Vec<Attribute>,
    pub(crate) delete: Vec<String>,
    /// Groups the row removed the user from.
    pub(crate) add_groups: Vec<String>,
    /// Groups the row added the user to.
    pub(crate) remove_groups: Vec<String>,
    /// The enabled state before the row changed it.
    pub(crate) enabled: Option<bool>,
}

impl UndoRow {
    fn restores_membership(&self) -> bool {
        !self.add_groups.is_empty() || !self.remove_groups.is_empty() || self.enabled.is_some()
    }
}

/// The attribute columns of an undo file, in a stable order: the input's attribute columns, the `--set` names,
/// the names the input's delete column mentions, then `email_verified` / `phone_number_verified` when `email` /
/// `phone_number` can change (a changed address also changes its flag, see [`crate::cognito::before`]).
pub(crate) fn undo_columns<'a>(
    header: impl IntoIterator<Item = &'a str>,
    set: impl IntoIterator<Item = &'a str>,
    deleted: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for name in header.into_iter().chain(set).chain(deleted) {
        if !columns.iter().any(|c| c == name) {
            columns.push(name.to_string());
        }
    }
    for (address, flag) in [
        ("email", "email_verified"),
        ("phone_number", "phone_number_verified"),
    ] {
        if columns.iter().any(|c| c == address) && !columns.iter().any(|c| c == flag) {
            columns.push(flag.to_string());
        }
    }
    columns
}

/// The keys of the rows of an existing undo file.
fn recorded_keys(path: &Path) -> std::io::Result<std::collections::HashSet<String>> {
    let mut reader = csv::Reader::from_path(path).map_err(std::io::Error::other)?;
    let mut keys = std::collections::HashSet::new();
    for record in reader.records() {
        let record = record.map_err(std::io::Error::other)?;
        keys.insert(record.get(0).unwrap_or_default().to_string());
    }
    Ok(keys)
}

/// The open undo file.
pub(crate) struct UndoFile {
    path: PathBuf,
    columns: Vec<String>,
    /// Whether the membership columns are there.
    membership: bool,
    /// Keys of the rows an earlier run wrote (when resuming): each holds its user's values from before that run's
    /// first write, so a resumed row that reads the user again adds no second row.
    earlier: std::collections::HashSet<String>,
    inner: Mutex<Inner>,
}

struct Inner {
    writer: csv::Writer<Guarded>,
    rows: u64,
}

impl UndoFile {
    /// Creates the file and writes its header (appends to an existing one when resuming a run); `membership`
    /// adds the membership columns. A failure here stops the job before anything is sent.
    pub(crate) fn open(
        path: &Path,
        columns: Vec<String>,
        membership: bool,
        mode: OpenMode,
    ) -> Result<Self, ReportError> {
        let create = |source| ReportError::UndoCreate {
            path: path.to_path_buf(),
            source,
        };
        let exists = path.exists();
        let how = match mode {
            OpenMode::CreateNew => How::CreateNew,
            OpenMode::Overwrite => How::Truncate,
            OpenMode::Append => How::Append,
        };
        let mut file = private_file::open(path, how).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => ReportError::UndoExists {
                path: path.to_path_buf(),
                hint: "choose another path with --undo-file".into(),
            },
            _ => create(e),
        })?;
        let mut earlier = std::collections::HashSet::new();
        if mode == OpenMode::Append && exists {
            cut_torn_tail(&mut file, path).map_err(create)?;
            earlier = recorded_keys(path).map_err(create)?;
        }
        let file = UndoFile {
            path: path.to_path_buf(),
            columns,
            membership,
            earlier,
            inner: Mutex::new(Inner {
                writer: csv::Writer::from_writer(Guarded::new(file)),
                rows: 0,
            }),
        };
        if mode != OpenMode::Append || !exists {
            let header: Vec<&str> = std::iter::once(KEY_COLUMN)
                .chain(file.columns.iter().map(String::as_str))
                .chain(std::iter::once(DELETE_COLUMN))
                .chain(
                    [ADD_GROUPS, REMOVE_GROUPS, ENABLED]
                        .into_iter()
                        .filter(|_| membership),
                )
                .collect();
            let mut inner = file.inner.lock().expect("not poisoned");
            file.write(&mut inner, &header)
                .map_err(|e| create(std::io::Error::other(e.to_string())))?;
            drop(inner);
            // A new file survives a power cut with its name.
            super::durable::sync_dir_of(path).map_err(create)?;
        }
        Ok(file)
    }

    /// Appends one row and syncs it to the disk; called before the write it undoes is sent.
    pub(crate) fn record(&self, row: &UndoRow) -> Result<(), ReportError> {
        if self.earlier.contains(&row.key) {
            return Ok(());
        }
        let mut cells = vec![String::new(); self.columns.len()];
        for attr in &row.set {
            let Some(i) = self.columns.iter().position(|c| *c == attr.name) else {
                return Err(self.error(format!(
                    "attribute `{}` has no column in the undo file",
                    attr.name
                )));
            };
            cells[i] = attr.value.clone();
        }
        let delete = row.delete.join(";");
        if row.restores_membership() && !self.membership {
            return Err(self.error("the undo file has no membership columns".into()));
        }
        let membership = [
            row.add_groups.join(";"),
            row.remove_groups.join(";"),
            row.enabled.map(|e| e.to_string()).unwrap_or_default(),
        ];
        let record: Vec<&str> = std::iter::once(row.key.as_str())
            .chain(cells.iter().map(String::as_str))
            .chain(std::iter::once(delete.as_str()))
            .chain(
                membership
                    .iter()
                    .map(String::as_str)
                    .filter(|_| self.membership),
            )
            .collect();
        let mut inner = self.inner.lock().expect("not poisoned");
        self.write(&mut inner, &record)?;
        inner.rows += 1;
        Ok(())
    }

    fn write(&self, inner: &mut Inner, record: &[&str]) -> Result<(), ReportError> {
        inner
            .writer
            .write_record(record)
            .map_err(|e| self.error(e.to_string()))?;
        inner
            .writer
            .flush()
            .map_err(|e| self.error(e.to_string()))?;
        inner
            .writer
            .get_ref()
            .sync()
            .map_err(|e| self.error(e.to_string()))
    }

    fn error(&self, message: String) -> ReportError {
        ReportError::UndoWrite {
            path: self.path.clone(),
            message,
        }
    }

    /// Rows written by this run.
    pub(crate) fn rows(&self) -> u64 {
        self.inner.lock().expect("not poisoned").rows
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_deduplicated_and_gain_the_verification_flags() {
        let columns = undo_columns(
            ["given_name", "email"],
            ["custom:tier", "given_name"],
            ["locale"],
        );
        assert_eq!(
            columns,
            [
                "given_name",
                "email",
                "custom:tier",
                "locale",
                "email_verified"
            ]
        );
        let columns = undo_columns(["phone_number", "phone_number_verified"], [], []);
        assert_eq!(columns, ["phone_number", "phone_number_verified"]);
    }

    #[test]
    fn rows_fill_their_columns_and_list_deletions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("undo.csv");
        let file = UndoFile::open(
            &path,
            vec!["given_name".into(), "locale".into(), "custom:tier".into()],
            false,
            OpenMode::CreateNew,
        )
        .unwrap();
        file.record(&UndoRow {
            key: "user0001".into(),
            set: vec![Attribute {
                name: "custom:tier".into(),
                value: "free".into(),
            }],
            delete: vec!["locale".into(), "given_name".into()],
            ..UndoRow::default()
        })
        .unwrap();
        let bad = UndoRow {
            key: "x".into(),
            set: vec![Attribute {
                name: "nickname".into(),
                value: "n".into(),
            }],
            ..UndoRow::default()
        };
        assert!(file.record(&bad).is_err());
        assert_eq!(file.rows(), 1);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "username,given_name,locale,custom:tier,cognito-bulk:delete\n\
             user0001,,,free,locale;given_name\n"
        );
        assert!(matches!(
            UndoFile::open(&path, vec![], false, OpenMode::CreateNew),
            Err(ReportError::UndoExists { .. })
        ));
    }

    #[test]
    fn a_resumed_run_adds_no_second_row_for_a_key_the_file_has() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("undo.csv");
        let row = |key: &str, value: &str| UndoRow {
            key: key.into(),
            set: vec![Attribute {
                name: "given_name".into(),
                value: value.into(),
            }],
            ..UndoRow::default()
        };
        let file =
            UndoFile::open(&path, vec!["given_name".into()], false, OpenMode::CreateNew).unwrap();
        file.record(&row("ann", "Ann")).unwrap();
        drop(file);
        let file =
            UndoFile::open(&path, vec!["given_name".into()], false, OpenMode::Append).unwrap();
        // The earlier run recorded ann's values before its write; a re-read now would see the new ones.
        file.record(&row("ann", "Changed")).unwrap();
        file.record(&row("bob", "Bob")).unwrap();
        assert_eq!(file.rows(), 1);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "username,given_name,cognito-bulk:delete\nann,Ann,\nbob,Bob,\n"
        );
    }

    #[test]
    fn membership_columns_restore_groups_and_the_enabled_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("undo.csv");
        let file = UndoFile::open(&path, vec![], true, OpenMode::CreateNew).unwrap();
        file.record(&UndoRow {
            key: "user0001".into(),
            add_groups: vec!["trial".into()],
            remove_groups: vec!["premium".into(), "beta".into()],
            enabled: Some(true),
            ..UndoRow::default()
        })
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "username,cognito-bulk:delete,cognito-bulk:add-groups,cognito-bulk:remove-groups,cognito-bulk:enabled\n\
             user0001,,trial,premium;beta,true\n"
        );
        let plain = dir.path().join("plain.csv");
        let file = UndoFile::open(&plain, vec![], false, OpenMode::CreateNew).unwrap();
        assert!(
            file.record(&UndoRow {
                key: "x".into(),
                enabled: Some(false),
                ..UndoRow::default()
            })
            .is_err()
        );
    }
}
