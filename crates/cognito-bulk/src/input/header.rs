//! The header row: which column is the user key, which columns are attributes, which are ignored, the reserved
//! [`DELETE_COLUMN`] and the membership columns ([`super::membership`]).

use std::path::Path;

use csv::StringRecord;

use super::membership::{self, Columns};
use crate::error::InputError;

/// The key column names recognised without `--username-column`, in order of preference.
const DEFAULT_KEY_COLUMNS: [&str; 2] = ["username", "cognito:username"];

/// The reserved column naming attributes to delete from the user, `;`-separated (`locale;custom:tenant_id`).
/// Undo files use it for attributes the user did not have before the run. Every `cognito-bulk:` column name but
/// this one and the membership columns is reserved too and rejected.
pub(crate) const DELETE_COLUMN: &str = "cognito-bulk:delete";

/// The prefix of column names reserved for cognito-bulk itself.
const RESERVED_PREFIX: &str = "cognito-bulk:";

/// The parsed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// Column names as written (BOM and surrounding spaces removed).
    pub(crate) columns: Vec<String>,
    /// Index of the key column.
    pub(crate) key: usize,
    /// Attribute columns: (index, name).
    pub(crate) attributes: Vec<(usize, String)>,
    /// Columns of the Cognito user-import CSV that are not attributes (e.g. `cognito:mfa_enabled`): not sent.
    pub(crate) ignored: Vec<String>,
    /// Index of the [`DELETE_COLUMN`], if there is one.
    pub(crate) delete: Option<usize>,
    /// The membership columns there are.
    pub(crate) membership: Columns,
}

/// Why no key column was found, with a hint when the header is one column that another separator would split.
fn no_key_column(columns: &[String]) -> String {
    let mut message = format!(
        "expected a `username` or `cognito:username` column, or name one with --username-column (header: {})",
        columns.join(",")
    );
    // `usernme`: a misspelt key column, the likeliest reason.
    if let Some((column, near)) = columns
        .iter()
        .enumerate()
        .find_map(|(i, c)| super::names::closest(c, DEFAULT_KEY_COLUMNS).map(|near| (i + 1, near)))
    {
        message.push_str(&format!(
            ". Column {column} `{}`: did you mean `{near}`? Rename it, or pass --username-column {}",
            columns[column - 1],
            columns[column - 1]
        ));
    }
    if let [only] = columns {
        for (sep, name, flag) in [(';', "`;`", "';'"), ('\t', "tabs", "tab")] {
            if only.contains(sep) {
                message.push_str(&format!(
                    ". The header is separated by {name}, not commas (a spreadsheet saved with {name}?): pass \
                     --delimiter {flag}"
                ));
            }
        }
    }
    message
}

impl Header {
    pub(crate) fn parse(
        path: &Path,
        record: &StringRecord,
        username_column: Option<&str>,
        set_names: &[&str],
    ) -> Result<Header, InputError> {
        let columns: Vec<String> = record
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    c.trim_start_matches('\u{feff}')
                } else {
                    c
                }
                .trim()
                .to_string()
            })
            .collect();
        if columns.is_empty() || (columns.len() == 1 && columns[0].is_empty()) {
            return Err(InputError::NoHeader {
                path: path.to_path_buf(),
            });
        }
        for (i, name) in columns.iter().enumerate() {
            if name.is_empty() {
                return Err(InputError::Header {
                    path: path.to_path_buf(),
                    message: format!("column {} has no name in the header", i + 1),
                });
            }
            if let Some(first) = columns[..i].iter().position(|c| c == name) {
                let _ = first;
                return Err(InputError::DuplicateColumn {
                    path: path.to_path_buf(),
                    column: i + 1,
                    name: name.clone(),
                });
            }
        }
        let key =
            match username_column {
                Some(wanted) => columns.iter().position(|c| c == wanted).ok_or_else(|| {
                    InputError::NoKeyColumn {
                        path: path.to_path_buf(),
                        message: format!(
                            "--username-column `{wanted}` is not in the header ({}){}",
                            columns.join(","),
                            super::names::closest(wanted, columns.iter().map(String::as_str))
                                .map_or(String::new(), |c| format!(": did you mean `{c}`?"))
                        ),
                    }
                })?,
                None => DEFAULT_KEY_COLUMNS
                    .iter()
                    .find_map(|k| columns.iter().position(|c| c.eq_ignore_ascii_case(k)))
                    .ok_or_else(|| InputError::NoKeyColumn {
                        path: path.to_path_buf(),
                        message: no_key_column(&columns),
                    })?,
            };
        let mut attributes = Vec::new();
        let mut ignored = Vec::new();
        let mut delete = None;
        let mut membership = Columns::default();
        let mut unknown = Vec::new();
        for (i, name) in columns.iter().enumerate() {
            if i == key {
                continue;
            }
            if name == DELETE_COLUMN {
                delete = Some(i);
            } else if membership.take(name, i) {
            } else if name.starts_with(RESERVED_PREFIX) {
                let known: Vec<&str> = std::iter::once(DELETE_COLUMN)
                    .chain(membership::COLUMNS)
                    .collect();
                let hint = super::names::closest(name, known.iter().copied())
                    .map_or(String::new(), |near| format!("; did you mean `{near}`?"));
                return Err(InputError::Header {
                    path: path.to_path_buf(),
                    message: format!(
                        "unknown column `{name}`: the `{RESERVED_PREFIX}` prefix is reserved (its columns are \
                         `{}`){hint}",
                        known.join("`, `")
                    ),
                });
            } else if name.starts_with("cognito:") || DEFAULT_KEY_COLUMNS.contains(&name.as_str()) {
                ignored.push(name.clone());
            } else if let Some(why) = super::names::unknown_column(name) {
                unknown.push((i + 1, format!("column {} `{name}`: {why}", i + 1)));
            } else {
                attributes.push((i, name.clone()));
            }
        }
        if !unknown.is_empty() {
            return Err(InputError::UnknownColumns {
                path: path.to_path_buf(),
                problems: unknown,
                attributes: attributes.iter().map(|(i, n)| (i + 1, n.clone())).collect(),
            });
        }
        if let Some(name) = set_names
            .iter()
            .find(|n| attributes.iter().any(|(_, a)| a == *n))
        {
            return Err(InputError::Header {
                path: path.to_path_buf(),
                message: format!(
                    "--set {name}=... would replace the `{name}` column; drop one of the two"
                ),
            });
        }
        if attributes.is_empty() && set_names.is_empty() && delete.is_none() && !membership.any() {
            return Err(InputError::Header {
                path: path.to_path_buf(),
                message: "no attribute columns (and no --set): nothing to update".into(),
            });
        }
        Ok(Header {
            columns,
            key,
            attributes,
            ignored,
            delete,
            membership,
        })
    }

    pub(crate) fn key_name(&self) -> &str {
        &self.columns[self.key]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(cols: &[&str], key: Option<&str>) -> Result<Header, InputError> {
        Header::parse(
            Path::new("in.csv"),
            &StringRecord::from(cols.to_vec()),
            key,
            &[],
        )
    }

    #[test]
    fn finds_the_key_and_the_attributes() {
        let h = parse(&["\u{feff}username", "email", " custom:tier "], None).unwrap();
        assert_eq!(h.key, 0);
        assert_eq!(
            h.attributes,
            vec![(1, "email".into()), (2, "custom:tier".into())]
        );
    }

    #[test]
    fn recognises_the_import_csv_header_and_ignores_its_non_attributes() {
        let h = parse(
            &["name", "email", "cognito:mfa_enabled", "cognito:username"],
            None,
        )
        .unwrap();
        assert_eq!(h.key_name(), "cognito:username");
        assert_eq!(h.ignored, vec!["cognito:mfa_enabled".to_string()]);
        assert_eq!(h.attributes.len(), 2);
    }

    #[test]
    fn header_errors_name_the_file_and_line() {
        let e = parse(&["email", "name"], None).unwrap_err().to_string();
        assert!(e.starts_with("in.csv:1: no key column"), "{e}");
        let e = parse(&["username", "email", "email"], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("column 3 `email` appears twice"), "{e}");
        let e = parse(&["id", "email"], Some("user"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--username-column `user`"), "{e}");
        let e = parse(&["usernme", "email"], None).unwrap_err().to_string();
        assert!(
            e.contains("Column 1 `usernme`: did you mean `username`? Rename it, or pass --username-column usernme"),
            "{e}"
        );
        let e = parse(&["id", "email"], Some("emial"))
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("did you mean `email`?"), "{e}");
        let e = parse(&["username"], None).unwrap_err().to_string();
        assert!(e.contains("nothing to update"), "{e}");
        let e = parse(&[""], None).unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn finds_the_delete_column_and_rejects_other_reserved_names() {
        let h = parse(&["username", "given_name", "cognito-bulk:delete"], None).unwrap();
        assert_eq!(h.delete, Some(2));
        assert_eq!(h.attributes, vec![(1, "given_name".into())]);
        let h = parse(&["username", "cognito-bulk:delete"], None).unwrap();
        assert!(h.attributes.is_empty(), "a delete-only file is valid");
        let e = parse(&["username", "cognito-bulk:remove"], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`cognito-bulk:` prefix is reserved"), "{e}");
        let e = parse(&["username", "cognito-bulk:add-group"], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `cognito-bulk:add-groups`?"), "{e}");
        let h = parse(
            &["username", "cognito-bulk:enabled", "cognito-bulk:groups"],
            None,
        )
        .unwrap();
        assert_eq!(
            (h.membership.enabled, h.membership.exact),
            (Some(1), Some(2))
        );
        assert!(h.attributes.is_empty(), "a membership-only file is valid");
    }

    #[test]
    fn set_may_not_shadow_a_column() {
        let rec = StringRecord::from(vec!["username", "email_verified"]);
        let e = Header::parse(Path::new("in.csv"), &rec, None, &["email_verified"]).unwrap_err();
        assert!(e.to_string().contains("--set email_verified"));
    }
}
