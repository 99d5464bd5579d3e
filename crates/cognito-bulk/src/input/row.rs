//! The row types: [`RowId`] (where a row is and what it held), [`Attribute`] and [`UpdateRequest`] (a checked
//! row, ready to send).

use sha2::{Digest, Sha256};

use super::membership::Membership;

/// Identifies an input row across runs: its line number and a hash of its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RowId {
    /// 1-based line where the record starts (the header is line 1).
    pub(crate) line: u64,
    /// First 64 bits of the SHA-256 of the record's fields; see [`RowId::hash_fields`].
    pub(crate) hash: u64,
}

impl RowId {
    /// Hashes the fields of a record, unambiguously (each field is length-prefixed).
    pub(crate) fn hash_fields<'a>(fields: impl IntoIterator<Item = &'a str>) -> u64 {
        let mut hasher = Sha256::new();
        for field in fields {
            hasher.update((field.len() as u64).to_le_bytes());
            hasher.update(field.as_bytes());
        }
        let digest = hasher.finalize();
        u64::from_be_bytes(digest[..8].try_into().expect("sha-256 has 32 bytes"))
    }

    /// The hash as written in the report.
    pub(crate) fn hash_hex(&self) -> String {
        format!("{:016x}", self.hash)
    }
}

/// One attribute to set. The value is personal data: it is sent, never logged nor written to the report.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Attribute {
    pub(crate) name: String,
    pub(crate) value: String,
}

impl std::fmt::Debug for Attribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}=<{} chars>", self.name, self.value.chars().count())
    }
}

/// A checked row: what one AdminUpdateUserAttributes call sends, the attributes one AdminDeleteUserAttributes
/// call after it removes (the `cognito-bulk:delete` column), and the group and enabled-state changes after those.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UpdateRequest {
    /// The user key as written: a username, a verified alias or a `sub`.
    pub(crate) username: String,
    pub(crate) attributes: Vec<Attribute>,
    /// Attribute names to delete; never also in `attributes`.
    pub(crate) delete: Vec<String>,
    pub(crate) membership: Membership,
}

impl UpdateRequest {
    /// A request from literal names and values, for the unit tests of the modules that compare rows with users.
    #[cfg(test)]
    pub(crate) fn from_pairs(key: &str, set: &[(&str, &str)], delete: &[&str]) -> Self {
        UpdateRequest {
            username: key.into(),
            attributes: set
                .iter()
                .map(|(n, v)| Attribute {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            delete: delete.iter().map(|n| n.to_string()).collect(),
            membership: Membership::default(),
        }
    }

    /// The attribute names, `;`-separated, as written in the report; deleted ones are prefixed with `-`, and the
    /// membership changes follow (`+group:premium;-group:trial;enabled=false`).
    pub(crate) fn attribute_names(&self) -> String {
        self.attributes
            .iter()
            .map(|a| a.name.clone())
            .chain(self.delete.iter().map(|n| format!("-{n}")))
            .chain(self.membership.names())
            .collect::<Vec<_>>()
            .join(";")
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_separates_fields() {
        assert_ne!(
            RowId::hash_fields(["ab", "c"]),
            RowId::hash_fields(["a", "bc"])
        );
        assert_eq!(
            RowId::hash_fields(["a", "b"]),
            RowId::hash_fields(["a", "b"])
        );
    }

    #[test]
    fn debug_never_shows_values() {
        let a = Attribute {
            name: "email".into(),
            value: "secret@example.com".into(),
        };
        assert!(!format!("{a:?}").contains("secret"));
    }
}
