//! Whether a file a run will write can be written, checked before anything is read from the pool or sent: a
//! missing directory, a directory in the file's place or a directory the process may not write into is a usage
//! error naming the flag (exit 2), so that a scheduled run is refused at once instead of failing after its work.
//!
//! Nothing is created here: the lock, the report and the undo file are created later, as before; this only
//! moves the failure of a path that can never be written to the start.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::ConfigError;

/// Checks that `path` (named by `flag`, e.g. `--summary-json`) can be created or written.
pub(crate) fn check(path: &Path, flag: &str) -> Result<(), ConfigError> {
    reason(path).map_or(Ok(()), |why| {
        Err(ConfigError::Usage(format!(
            "{flag} {}: {why}; nothing was read or written",
            path.display()
        )))
    })
}

/// Why `path` can't be written, or `None` when it can.
fn reason(path: &Path) -> Option<String> {
    if path.as_os_str().is_empty() {
        return Some("the path is empty".into());
    }
    if path.is_dir() {
        return Some("it is a directory: name a file in it".into());
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.exists() {
        return Some(format!(
            "the directory {} does not exist: create it first, or choose another path",
            parent.display()
        ));
    }
    if !parent.is_dir() {
        return Some(format!("{} is not a directory", parent.display()));
    }
    // A file that exists must be writable itself; a new one needs a directory we may write into. A link is left
    // to the file's opening, which refuses links with its own sentence.
    let (probe, mode) = match path.symlink_metadata() {
        Ok(m) if m.file_type().is_symlink() => return None,
        Ok(_) => (path, libc::W_OK),
        Err(_) => (parent, libc::W_OK | libc::X_OK),
    };
    (!accessible(probe, mode)).then(|| {
        if probe == path {
            "this process may not write to it (permission denied)".to_string()
        } else {
            format!(
                "this process may not create files in {} (permission denied)",
                parent.display()
            )
        }
    })
}

/// `access(2)`: whether the real user may reach `path` in `mode`.
fn accessible(path: &Path, mode: libc::c_int) -> bool {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::access(c.as_ptr(), mode) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_directories_and_directories_are_refused_with_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let ok = dir.path().join("summary.json");
        assert!(check(&ok, "--summary-json").is_ok());
        std::fs::write(&ok, "{}").unwrap();
        assert!(check(&ok, "--summary-json").is_ok(), "an existing file");
        let missing = dir.path().join("no/such/summary.json");
        let e = check(&missing, "--summary-json").unwrap_err().to_string();
        assert!(
            e.starts_with("--summary-json ") && e.contains("does not exist"),
            "{e}"
        );
        let e = check(dir.path(), "--report").unwrap_err().to_string();
        assert!(e.contains("it is a directory"), "{e}");
        let under_file = ok.join("x.csv");
        let e = check(&under_file, "--output").unwrap_err().to_string();
        assert!(e.contains("is not a directory"), "{e}");
        assert!(check(Path::new("relative.csv"), "--report").is_ok());
    }
}
