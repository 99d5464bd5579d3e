//! What happened to one input row: its [`Status`] and the details written to the report.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OwnedSemaphorePermit;

use crate::input::row::RowId;

/// The final status of a row, as written in the report's `status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Status {
    /// The update was applied.
    Updated,
    /// The user already had these values (`--skip-unchanged`); nothing was sent.
    Unchanged,
    /// The row was sent and did not succeed (see `error_code`).
    Failed,
    /// The row failed a check and was never sent.
    Invalid,
    /// The run stopped before this row was sent.
    NotAttempted,
    /// Journal only, never a final status: the row is about to be sent (written before its first request). A
    /// report whose last record of a line says `sending` was stopped while the row was in flight: `--resume` reads
    /// the user back before sending it again.
    Sending,
}

impl Status {
    /// The final statuses (every status but the journal's `sending`).
    pub(crate) const ALL: [Status; 5] = [
        Status::Updated,
        Status::Unchanged,
        Status::Failed,
        Status::Invalid,
        Status::NotAttempted,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Updated => "updated",
            Status::Unchanged => "unchanged",
            Status::Failed => "failed",
            Status::Invalid => "invalid",
            Status::NotAttempted => "not_attempted",
            Status::Sending => "sending",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .chain([Status::Sending])
            .find(|s| s.as_str() == text)
    }

    /// Whether the row needs no more work (a resumed run skips it).
    pub(crate) fn is_done(self) -> bool {
        matches!(self, Status::Updated | Status::Unchanged)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error code of a row stopped while its request was in flight (abort, or a worker that failed): the outcome
/// is unknown, and such rows never count towards the consecutive-failure threshold.
pub(crate) const INTERRUPTED: &str = "Interrupted";

/// One report row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowOutcome {
    pub(crate) id: RowId,
    pub(crate) username: String,
    pub(crate) status: Status,
    pub(crate) attempts: u32,
    pub(crate) error_code: String,
    pub(crate) message: String,
    pub(crate) request_id: String,
    pub(crate) duration: Duration,
    /// The attribute names sent (or that would have been sent), `;`-separated. Never the values.
    pub(crate) attributes: String,
    /// False for rows carried over from an earlier run's report (counted, not written again).
    pub(crate) fresh: bool,
    /// The concurrency slot the row was sent in, if any: released by the sink once the outcome is in the report.
    pub(crate) slot: Slot,
}

/// A row's concurrency permit travelling with its outcome, so that the next row starts only after this one is
/// recorded: a failure threshold stops the run before another row is sent, and a crash loses at most
/// `--concurrency` rows (those holding a slot). Outcomes compare equal whatever slot they carry.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slot {
    _held: Option<Arc<OwnedSemaphorePermit>>,
}

impl Slot {
    pub(crate) fn holding(permit: OwnedSemaphorePermit) -> Self {
        Slot {
            _held: Some(Arc::new(permit)),
        }
    }
}

impl PartialEq for Slot {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Slot {}

impl RowOutcome {
    pub(crate) fn new(id: RowId, username: &str, status: Status) -> Self {
        RowOutcome {
            id,
            username: username.to_string(),
            status,
            attempts: 0,
            error_code: String::new(),
            message: String::new(),
            request_id: String::new(),
            duration: Duration::ZERO,
            attributes: String::new(),
            fresh: true,
            slot: Slot::default(),
        }
    }

    /// Takes the concurrency slot out of the outcome; dropping it lets the next row start.
    pub(crate) fn take_slot(&mut self) -> Slot {
        std::mem::take(&mut self.slot)
    }

    pub(crate) fn with_error(mut self, code: &str, message: impl Into<String>) -> Self {
        self.error_code = code.to_string();
        self.message = message.into();
        self
    }

    pub(crate) fn with_attributes(mut self, names: String) -> Self {
        self.attributes = names;
        self
    }
}
