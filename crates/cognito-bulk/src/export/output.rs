//! The `--output` file: never replaces an existing file without `--overwrite`, and a run that does not finish never
//! leaves a file that looks complete: the CSV is written to a hidden temporary file beside the output
//! (`.<name>.<random>.partial`, deleted if the run stops) and renamed to its name only once complete.
//! `-` writes to standard output.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::ExportError;
use crate::report::lock::{self, OutputLock};

/// Where the CSV goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    /// `-` is standard output; no value is `<pool id>-<UTC time>.users.csv` in the current directory.
    pub(crate) fn from_flag(flag: Option<&Path>, pool_id: &str) -> Self {
        match flag {
            Some(p) if p == Path::new("-") => Destination::Stdout,
            Some(p) => Destination::File(p.to_path_buf()),
            None => Destination::File(default_path(pool_id)),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Destination::Stdout => "standard output".into(),
            Destination::File(p) => p.display().to_string(),
        }
    }

    /// Refuses an existing file unless `overwrite` (checked before any call, and again at the rename).
    pub(crate) fn check(&self, overwrite: bool) -> Result<(), ExportError> {
        match self {
            Destination::File(path) if !overwrite && path.exists() => {
                Err(ExportError::Exists { path: path.clone() })
            }
            _ => Ok(()),
        }
    }
}

/// `<pool id>-<UTC time>.users.csv`.
fn default_path(pool_id: &str) -> PathBuf {
    let stamp: String = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    PathBuf::from(format!("{pool_id}-{stamp}.users.csv"))
}

/// Locks `--output` for the whole run (the same lock as the report's, see [`crate::report::lock`]), taken before the
/// first call: a second export naming the same path refuses at once, naming the process that holds it.
pub(crate) fn lock_output(path: &Path) -> Result<OutputLock, ExportError> {
    Ok(lock::lock(path)?)
}

/// An output file being written beside its final path.
pub(crate) struct Pending {
    temp: NamedTempFile,
    path: PathBuf,
}

impl Pending {
    pub(crate) fn create(path: &Path) -> Result<Self, ExportError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export".into());
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(&dir)
            .map_err(|source| ExportError::Create {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Pending {
            temp,
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn writer(&mut self) -> impl Write + '_ {
        std::io::BufWriter::with_capacity(1 << 16, self.temp.as_file_mut())
    }

    #[cfg(test)]
    fn temp_path(&self) -> &Path {
        self.temp.path()
    }

    /// Syncs the file and gives it its name (refusing to replace a file that appeared meanwhile, unless
    /// `overwrite`). Dropping a `Pending` instead deletes the temporary file.
    pub(crate) fn commit(self, overwrite: bool) -> Result<(), ExportError> {
        let write_err = |source| ExportError::Write {
            path: self.path.clone(),
            source,
        };
        self.temp.as_file().sync_all().map_err(write_err)?;
        let path = self.path.clone();
        let result = if overwrite {
            self.temp.persist(&path)
        } else {
            self.temp.persist_noclobber(&path)
        };
        result.map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                ExportError::Exists { path: path.clone() }
            } else {
                ExportError::Write {
                    path: path.clone(),
                    source: e.error,
                }
            }
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_appears_only_when_committed_and_is_never_replaced_without_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let mut pending = Pending::create(&path).unwrap();
        pending.writer().write_all(b"username\n").unwrap();
        let temp = pending.temp_path().to_path_buf();
        assert!(
            temp.file_name()
                .unwrap()
                .to_string_lossy()
                .ends_with(".partial")
        );
        assert!(!path.exists());
        drop(pending);
        assert!(
            !temp.exists() && !path.exists(),
            "a dropped export leaves nothing"
        );

        let mut pending = Pending::create(&path).unwrap();
        pending.writer().write_all(b"username\nada\n").unwrap();
        pending.commit(false).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "username\nada\n");

        let dest = Destination::File(path.clone());
        assert!(matches!(dest.check(false), Err(ExportError::Exists { .. })));
        assert!(dest.check(true).is_ok());
        let pending = Pending::create(&path).unwrap();
        assert!(matches!(
            pending.commit(false),
            Err(ExportError::Exists { .. })
        ));
        let mut pending = Pending::create(&path).unwrap();
        pending.writer().write_all(b"username\n").unwrap();
        pending.commit(true).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "username\n");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn destinations() {
        assert_eq!(
            Destination::from_flag(Some(Path::new("-")), "p"),
            Destination::Stdout
        );
        let Destination::File(p) = Destination::from_flag(None, "local_Pool1") else {
            panic!()
        };
        let name = p.to_string_lossy();
        assert!(
            name.starts_with("local_Pool1-") && name.ends_with("Z.users.csv"),
            "{name}"
        );
    }
}
