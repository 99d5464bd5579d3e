//! Records on the disk before the requests they announce leave: a `sending` record is written and flushed to the
//! operating system at once, and its row's first request waits until an `fdatasync` of the report has covered it.
//! Syncs are shared (group commit): the first waiter syncs every record written so far, the others wait for that
//! sync or the next, so a run makes at most one sync per request and usually far fewer (at 25 requests/s, at most
//! 25 a second; with no quota, one sync covers every intent written while the previous one ran).
//!
//! A failed sync is reported to every waiter: the run stops as for a failed write (nothing unrecorded is sent).

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// The syncing side of one file.
pub(crate) struct Durability {
    /// A second handle on the file: a sync through it covers every write to the file.
    file: Arc<File>,
    /// Records written (and flushed) so far, by sequence number.
    written: AtomicU64,
    /// Records a finished sync covered.
    synced: AtomicU64,
    /// A sync is under way.
    syncing: AtomicBool,
    done: Notify,
    /// The first failed sync: every later wait fails with it.
    failed: Mutex<Option<String>>,
    /// Syncs made (the tests count them).
    syncs: AtomicU64,
}

impl Durability {
    pub(crate) fn new(file: &File) -> std::io::Result<Self> {
        Ok(Durability {
            file: Arc::new(file.try_clone()?),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            syncing: AtomicBool::new(false),
            done: Notify::new(),
            failed: Mutex::new(None),
            syncs: AtomicU64::new(0),
        })
    }

    /// A record was written and flushed (call under the writer's lock, so that numbers follow the file's order):
    /// its number, to wait for.
    pub(crate) fn wrote(&self) -> u64 {
        self.written.fetch_add(1, Ordering::AcqRel) + 1
    }

    fn failure(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Returns once record `seq` is on the disk.
    pub(crate) async fn on_disk(&self, seq: u64) -> Result<(), String> {
        loop {
            let notified = self.done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(e) = self.failure() {
                return Err(e);
            }
            if self.synced.load(Ordering::Acquire) >= seq {
                return Ok(());
            }
            if self.syncing.swap(true, Ordering::AcqRel) {
                // Another waiter syncs; its sync (or the next) covers this record.
                notified.await;
                continue;
            }
            // Whatever happens to this waiter (even a task aborted mid-sync), the next one may sync.
            let _turn = Turn(self);
            let covers = self.written.load(Ordering::Acquire);
            let file = self.file.clone();
            let result = tokio::task::spawn_blocking(move || file.sync_data())
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
            self.syncs.fetch_add(1, Ordering::Relaxed);
            match result {
                Ok(()) => {
                    self.synced.fetch_max(covers, Ordering::AcqRel);
                }
                Err(e) => {
                    self.failed
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(format!("the report could not be synced to disk: {e}"));
                }
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }
}

/// The syncing waiter's turn: when it ends, another waiter may sync, and every waiter looks again.
struct Turn<'a>(&'a Durability);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.syncing.store(false, Ordering::Release);
        self.0.done.notify_waiters();
    }
}

/// Syncs the directory holding `path`, so that a file just created there survives a power cut with its name.
pub(crate) fn sync_dir_of(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_sync_covers_every_record_written_before_it() {
        let file = tempfile::tempfile().unwrap();
        let d = Arc::new(Durability::new(&file).unwrap());
        let seqs: Vec<u64> = (0..50).map(|_| d.wrote()).collect();
        let waits: Vec<_> = seqs
            .iter()
            .map(|&s| {
                let d = d.clone();
                tokio::spawn(async move { d.on_disk(s).await })
            })
            .collect();
        for w in waits {
            w.await.unwrap().unwrap();
        }
        assert!(d.syncs() >= 1);
        assert!(
            d.syncs() <= 2,
            "{} syncs for 50 records written at once",
            d.syncs()
        );
        // Already covered: no new sync.
        let before = d.syncs();
        d.on_disk(seqs[10]).await.unwrap();
        assert_eq!(d.syncs(), before);
        // A record written later needs a sync of its own.
        let late = d.wrote();
        d.on_disk(late).await.unwrap();
        assert_eq!(d.syncs(), before + 1);
    }
}
