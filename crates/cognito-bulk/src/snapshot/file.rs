//! `--snapshot FILE`: an earlier `export` (update's input format: the `username` column and one column per
//! attribute, an empty cell for an attribute the user does not have) loaded into the snapshot index, streaming.
//! Values `export` writes under `cognito:<name>` (`cognito:sub`, values `update` would refuse) are the user's
//! attribute `<name>` here: the snapshot is what the user holds, not what a row may send. The leading-quote
//! convention of exports (`crate::input::cells`) is undone.

use std::path::Path;
use std::time::{Duration, SystemTime};

use super::index::IndexBuilder;
use crate::error::SnapshotError;
use crate::input::cells::unprotect;
use crate::input::header::Header;

/// Adds every user of the export at `path` to `builder`; returns the file's age (from its modification time).
/// With `membership` (rows change groups or the enabled state), an export made with `--groups` gives the
/// snapshot every user's groups and enabled state; one without those columns gives none (such rows are sent).
pub(crate) fn load(
    path: &Path,
    membership: bool,
    builder: &mut IndexBuilder,
) -> Result<Option<Duration>, SnapshotError> {
    let err = |line: u64, message: String| SnapshotError::File {
        path: path.to_path_buf(),
        line,
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| err(0, e.to_string()))?;
    let age = file
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok());
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(std::io::BufReader::new(file));
    let mut record = csv::StringRecord::new();
    let line_of = |record: &csv::StringRecord| record.position().map_or(0, |p| p.line());
    if !reader
        .read_record(&mut record)
        .map_err(|e| err(1, e.to_string()))?
    {
        return Err(err(
            1,
            "the file is empty; expected an export's header".into(),
        ));
    }
    let header = Header::parse(path, &record, None, &[]).map_err(|e| err(1, e.to_string()))?;
    if membership {
        let columns = header.membership;
        // The export's groups column is each user's whole set: every group is known.
        let groups = match columns.exact {
            Some(_) => None,
            None => Some(Default::default()),
        };
        builder.take_membership(columns.enabled.is_some(), groups);
    }
    let columns: Vec<(usize, String)> = header
        .columns
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != header.key && Some(*i) != header.delete)
        .map(|(i, c)| (i, c.strip_prefix("cognito:").unwrap_or(c).to_string()))
        .filter(|(_, name)| name != "username")
        .collect();
    let mut attributes: Vec<(String, String)> = Vec::with_capacity(columns.len());
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(err(line, e.to_string()));
            }
        }
        let username = unprotect(record.get(header.key).unwrap_or_default()).0;
        if username.is_empty() {
            return Err(err(line_of(&record), "empty username".into()));
        }
        attributes.clear();
        for (index, name) in &columns {
            let value = unprotect(record.get(*index).unwrap_or_default()).0;
            if !value.is_empty() {
                attributes.push((name.clone(), value.to_string()));
            }
        }
        builder.add(username, &attributes);
    }
    Ok(age)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::row::{Attribute, UpdateRequest};
    use crate::schema::PoolSchema;
    use crate::snapshot::index::{Compared, KeyRules};
    use crate::snapshot::shape::FileShape;

    #[test]
    fn an_export_loads_with_empty_cells_as_absent_attributes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pool.users.csv");
        std::fs::write(&path, "username,given_name,locale\nada,Ada,\nbob,Bob,en\n").unwrap();
        let request = |key: &str, delete: &[&str]| UpdateRequest {
            username: key.into(),
            attributes: vec![Attribute {
                name: "given_name".into(),
                value: "Ada".into(),
            }],
            delete: delete.iter().map(|d| d.to_string()).collect(),
            membership: Default::default(),
        };
        let mut shape = FileShape::default();
        shape.observe(&request("ada", &["locale"]));
        shape.finish();
        let mut builder = IndexBuilder::new(
            KeyRules::for_pool(&PoolSchema::default(), false, false),
            shape.patterns,
            None,
        );
        let age = load(&path, false, &mut builder).unwrap();
        assert!(age.is_some());
        let index = builder.finish();
        assert_eq!(index.users(), 2);
        assert_eq!(
            index.compare(&request("ada", &["locale"])),
            Compared::Unchanged
        );
        assert!(matches!(
            index.compare(&request("bob", &["locale"])),
            Compared::Changed(_)
        ));
        // `cognito:sub` is the user's `sub`: with `sub` keys indexed, it resolves.
        const SUB: &str = "0b6c5f7e-1f0a-4c7e-9d53-2f9a4b1e8c11";
        let mut shape = FileShape::default();
        shape.observe(&request(SUB, &[]));
        shape.finish();
        assert!(shape.sub_keys);
        let path = dir.path().join("subs.csv");
        std::fs::write(
            &path,
            format!("username,given_name,cognito:sub\nada,Ada,{SUB}\n"),
        )
        .unwrap();
        let rules = KeyRules::for_pool(&PoolSchema::default(), true, false);
        let mut builder = IndexBuilder::new(rules, shape.patterns, None);
        load(&path, false, &mut builder).unwrap();
        assert_eq!(
            builder.finish().compare(&request(SUB, &[])),
            Compared::Unchanged
        );
    }

    #[test]
    fn a_broken_file_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, "username,given_name\nada,Ada\nbob\n").unwrap();
        let mut builder = IndexBuilder::new(KeyRules::default(), vec![], None);
        let e = load(&path, false, &mut builder).unwrap_err().to_string();
        assert!(e.contains("bad.csv:3"), "{e}");
    }
}
