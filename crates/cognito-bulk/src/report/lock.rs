//! One run per output file: an exclusive advisory lock held for the whole run on every file a run writes (the
//! report, the undo file), so that two runs never write, truncate or resume the same file at once.
//!
//! The lock is an OS file lock (`flock` through [`File::try_lock`]) on a small sidecar file, `<file>.lock`, next to
//! the file it protects. The sidecar holds the pid of the process that holds the lock, so a refused run can say
//! who has it. The operating system releases the lock when the holder exits in any way, `kill -9` included: a
//! sidecar left behind by a killed run is stale, and the next run simply locks it again. A run that ends normally
//! removes its sidecar.
//!
//! Take the lock before reading, truncating or writing the protected file, and keep the [`OutputLock`] alive until
//! the file is closed.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::ReportError;
use crate::private_file::{self, How};

/// An exclusive lock on an output file; released (and its sidecar removed) when dropped.
#[derive(Debug)]
pub(crate) struct OutputLock {
    /// The sidecar file actually locked.
    lock_path: PathBuf,
    file: File,
}

/// The sidecar lock file of `path`: `report.csv` → `report.csv.lock`.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".lock");
    path.with_file_name(name)
}

/// Locks `path` for this process, or refuses at once with [`ReportError::Locked`] naming the holder's pid.
pub(crate) fn lock(path: &Path) -> Result<OutputLock, ReportError> {
    take(path, None)
}

/// Locks `path` for this process, waiting while another process holds it; `waiting` is called once, with the
/// holder's pid, when it has to wait.
pub(crate) fn lock_waiting(
    path: &Path,
    waiting: &mut dyn FnMut(Option<u32>),
) -> Result<OutputLock, ReportError> {
    take(path, Some(waiting))
}

fn take(
    path: &Path,
    mut waiting: Option<&mut dyn FnMut(Option<u32>)>,
) -> Result<OutputLock, ReportError> {
    let lock_path = lock_path(path);
    let io = |source| ReportError::Lock {
        path: path.to_path_buf(),
        lock: lock_path.clone(),
        source,
    };
    // A holder that ends removes the sidecar while it still holds the lock; a run that opened the old sidecar just
    // before then locks a file no longer in the directory. Such a lock protects nothing: open the path again.
    for _ in 0..16 {
        let mut file = private_file::open(&lock_path, How::ReadWrite).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            // A waiter waits each time the sidecar it opened is held (the holder may have replaced it), and says
            // so through `waiting` each time (the caller prints it once).
            Err(TryLockError::WouldBlock) => match waiting.as_deref_mut() {
                None => {
                    return Err(ReportError::Locked {
                        path: path.to_path_buf(),
                        lock: lock_path.clone(),
                        holder: read_holder(&mut file),
                    });
                }
                Some(waiting) => {
                    waiting(read_holder(&mut file));
                    file.lock().map_err(io)?;
                }
            },
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        if !same_file(&file, &lock_path) {
            continue;
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        return Ok(OutputLock { lock_path, file });
    }
    Err(io(std::io::Error::other(
        "the lock file keeps being replaced by other runs",
    )))
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Remove the sidecar while still holding the lock (see [`lock`]), then release it.
        let _ = std::fs::remove_file(&self.lock_path);
        let _ = self.file.unlock();
    }
}

/// The pid written in a sidecar, if it is there yet.
fn read_holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Whether the open `file` is still the one at `path`.
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(test)]
impl OutputLock {
    /// The sidecar file holding the lock.
    fn lock_path(&self) -> &Path {
        &self.lock_path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holders_pid_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("r.csv");
        let held = lock(&report).unwrap();
        assert_eq!(held.lock_path(), dir.path().join("r.csv.lock"));
        match lock(&report) {
            Err(ReportError::Locked { holder, lock, .. }) => {
                assert_eq!(holder, Some(std::process::id()));
                assert_eq!(lock, dir.path().join("r.csv.lock"));
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        drop(held);
        assert!(!dir.path().join("r.csv.lock").exists(), "sidecar removed");
        let again = lock(&report).expect("free again");
        drop(again);
    }

    #[test]
    fn a_stale_sidecar_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("r.csv");
        std::fs::write(lock_path(&report), "999999\n").unwrap();
        let held = lock(&report).expect("an unlocked sidecar is stale");
        let pid = std::fs::read_to_string(held.lock_path()).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
    }

    #[test]
    fn message_names_the_file_the_pid_and_the_sidecar() {
        let err = ReportError::Locked {
            path: "r.csv".into(),
            lock: "r.csv.lock".into(),
            holder: Some(42),
        };
        let msg = err.to_string();
        assert!(
            msg.contains("r.csv is in use by another cognito-bulk run (pid 42")
                && msg.contains("r.csv.lock"),
            "{msg}"
        );
    }
}
