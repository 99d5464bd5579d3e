//! Opening the files that hold personal data or control a run (the report, the undo file, lock files): created
//! with mode 0600 whatever the umask, and never through a symbolic link (`O_NOFOLLOW`), so that nobody who can
//! write the directory can make the job destroy or disclose another file. Temporary files (the input's copy, the
//! export being written, a compaction) come from `tempfile`, which creates them 0600 with `O_EXCL`.

use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// How to open the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    /// A new file; an existing one (or a link) is an `AlreadyExists` error.
    CreateNew,
    /// A new file, or an existing regular file emptied.
    Truncate,
    /// Append to a file, created if missing.
    Append,
    /// Read and write, created if missing, never emptied (lock files).
    ReadWrite,
}

/// Opens `path` as `how` says, mode 0600, refusing a symbolic link.
pub(crate) fn open(path: &Path, how: How) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    match how {
        How::CreateNew => options.write(true).create_new(true),
        How::Truncate => options.write(true).create(true).truncate(true),
        How::Append => options.read(true).append(true).create(true),
        How::ReadWrite => options.read(true).write(true).create(true).truncate(false),
    };
    let file = options.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            io::Error::other(
                "it is a symbolic link: files of a run are never written through a link (remove the link or \
                 name the file it points to)",
            )
        } else {
            e
        }
    })?;
    // An existing file keeps its mode when opened: make it private too (a regular file only: `/dev/stdout` or a
    // terminal named as a path keeps its own).
    if file.metadata()?.is_file() {
        file.set_permissions(Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_private_and_links_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep me").unwrap();
        std::fs::set_permissions(&target, Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("report.csv");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for how in [How::CreateNew, How::Truncate, How::Append, How::ReadWrite] {
            let err = open(&link, how).unwrap_err();
            if how == How::CreateNew {
                assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
            } else {
                assert!(err.to_string().contains("symbolic link"), "{how:?}: {err}");
            }
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");

        let new = dir.path().join("new.csv");
        open(&new, How::CreateNew).unwrap();
        let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        open(&target, How::Append).unwrap();
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "an existing file is made private");
    }
}
