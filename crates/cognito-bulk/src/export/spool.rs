//! The spool: listed users are kept in an anonymous temporary file while the pool is read, so that the header can
//! name every attribute found before the first row is written, in flat memory. Pass 2 writes the CSV from it.
//!
//! A spool record is `username, name, value, name, value, …` (CSV, variable length); only the wanted attributes
//! are kept.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, SeekFrom, Write};
use std::sync::Arc;

use super::columns::{ColumnSet, column_name, placement};
use crate::cognito::list_users::ListedUser;
use crate::input::cells::protect;
use crate::schema::PoolSchema;

pub(crate) struct Spool {
    writer: csv::Writer<BufWriter<File>>,
    columns: ColumnSet,
    only: Option<Vec<String>>,
    schema: Option<Arc<PoolSchema>>,
    users: u64,
    /// Values `update` would refuse in their own column, by attribute name (written under `cognito:<name>`).
    moved: HashMap<String, u64>,
}

impl Spool {
    /// A spool for every attribute, or only `only` (attribute names as ListUsers returns them).
    pub(crate) fn new(
        only: Option<Vec<String>>,
        schema: Option<Arc<PoolSchema>>,
    ) -> std::io::Result<Self> {
        let file = tempfile::tempfile()?;
        let writer = csv::WriterBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_writer(BufWriter::with_capacity(1 << 16, file));
        Ok(Spool {
            writer,
            columns: ColumnSet::new(only.as_deref(), schema.as_deref()),
            only,
            schema,
            users: 0,
            moved: HashMap::new(),
        })
    }

    fn wanted(&self, name: &str) -> bool {
        crate::input::membership::COLUMNS.contains(&name)
            || self
                .only
                .as_ref()
                .is_none_or(|o| o.iter().any(|n| n == name))
    }

    pub(crate) fn push(&mut self, user: &ListedUser) -> std::io::Result<()> {
        let mut record: Vec<&str> = Vec::with_capacity(1 + 2 * user.attributes.len());
        record.push(&user.username);
        for (name, value) in &user.attributes {
            if !self.wanted(name) {
                continue;
            }
            let column = placement(name, value, self.schema.as_deref());
            if column != column_name(name, self.schema.as_deref()) {
                *self.moved.entry(name.clone()).or_default() += 1;
            }
            self.columns.note(&column);
            record.push(name);
            record.push(value);
        }
        self.writer.write_record(&record).map_err(into_io)?;
        self.users += 1;
        Ok(())
    }

    pub(crate) fn users(&self) -> u64 {
        self.users
    }

    /// Values moved to their `cognito:` column because `update` would refuse them, by attribute name.
    pub(crate) fn moved(&self) -> &HashMap<String, u64> {
        &self.moved
    }

    /// Pass 2: writes the CSV (header, then one row per spooled user) to `out`; returns the rows written.
    /// Writes the CSV: the header naming every column found, then the users; values protected by the
    /// leading-quote convention ([`crate::input::cells`]) unless `raw`.
    pub(crate) fn write_csv<W: Write>(self, out: W, raw: bool) -> std::io::Result<u64> {
        let header = self.columns.header(self.only.is_some());
        let index: HashMap<&str, usize> = header
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let mut file = self
            .writer
            .into_inner()
            .map_err(|e| e.into_error())?
            .into_inner()
            .map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(BufReader::with_capacity(1 << 16, file));
        let mut out = csv::Writer::from_writer(out);
        out.write_record(&header).map_err(into_io)?;
        let mut row: Vec<String> = vec![String::new(); header.len()];
        let mut record = csv::StringRecord::new();
        let mut written = 0;
        while reader.read_record(&mut record).map_err(into_io)? {
            row.iter_mut().for_each(String::clear);
            row[0].push_str(&cell(&record[0], raw));
            let mut fields = record.iter().skip(1);
            while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
                let column = placement(name, value, self.schema.as_deref());
                if let Some(i) = index.get(column.as_str()) {
                    row[*i].push_str(&cell(value, raw));
                }
            }
            out.write_record(&row).map_err(into_io)?;
            written += 1;
        }
        out.flush()?;
        Ok(written)
    }
}

fn into_io(e: csv::Error) -> std::io::Error {
    let text = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        _ => std::io::Error::other(text),
    }
}

/// A value as the export writes it.
fn cell(value: &str, raw: bool) -> std::borrow::Cow<'_, str> {
    if raw { value.into() } else { protect(value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, attrs: &[(&str, &str)]) -> ListedUser {
        ListedUser {
            username: name.into(),
            attributes: attrs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            enabled: true,
        }
    }

    #[test]
    fn the_header_names_every_attribute_found_and_rows_follow_it() {
        let mut spool = Spool::new(None, None).unwrap();
        spool
            .push(&user("ada", &[("sub", "0a"), ("email", "ada@x.example")]))
            .unwrap();
        spool
            .push(&user(
                "bob",
                &[
                    ("sub", "1b"),
                    ("given_name", "Bob, \"the\"\nbuilder"),
                    ("email", "bob@localhost"),
                ],
            ))
            .unwrap();
        let mut out = Vec::new();
        assert_eq!(spool.write_csv(&mut out, false).unwrap(), 2);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "username,email,given_name,cognito:sub,cognito:email\n\
             ada,ada@x.example,,0a,\n\
             bob,,\"'Bob, \"\"the\"\"\nbuilder\",1b,bob@localhost\n",
            "a value holding a line break carries the mark that tells update it is deliberate"
        );
    }

    #[test]
    fn only_the_wanted_attributes_are_kept() {
        let mut spool = Spool::new(Some(vec!["email".into()]), None).unwrap();
        spool
            .push(&user("ada", &[("sub", "0a"), ("email", "ada@x.example")]))
            .unwrap();
        let mut out = Vec::new();
        spool.write_csv(&mut out, false).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "username,email\nada,ada@x.example\n"
        );
        let mut spool = Spool::new(Some(vec![]), None).unwrap();
        spool
            .push(&user("ada", &[("email", "ada@x.example")]))
            .unwrap();
        let mut out = Vec::new();
        spool.write_csv(&mut out, false).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "username\nada\n");
    }
}
