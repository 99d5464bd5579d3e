//! [`CognitoBackend`]: the executor's [`Backend`] for a real (or emulated) user pool. One attempt of a row is:
//!
//! 1. with `--skip-unchanged` or `--undo-file`, AdminGetUser (the row's values before the write, see
//!    [`super::before`]); a row that would change nothing is reported `unchanged` under `--skip-unchanged`;
//! 3. AdminUpdateUserAttributes with the values to set, if any;
//! 4. AdminDeleteUserAttributes with the attributes to delete (the `cognito-bulk:delete` column), if any.
//! 2. with `--undo-file`, the undo row (the values read), written and flushed before the first write, so that no
//!    write is applied whose old values are not on disk; a row whose values were all there gets none;
//!
//! Pacing: the executor paces each attempt. Without a read that pays for the attempt's first write; with a read
//! the executor's limiter is the read limiter (`--read-rate`) and every write waits for [`CognitoBackend::writes`]
//! (`--rate`), so both quotas are kept and unchanged rows never use up write tokens.
//!
//! Read-back: after a write failed ambiguously (it may have been applied, see [`classify`]), the executor calls
//! [`Backend::read_back`]: AdminGetUser through the read limiter ([`CognitoBackend::reads`], `--read-rate`), and
//! [`super::readback::holds`] decides whether the row's values are already there. A part that held (the update,
//! the delete) is not sent again; a row confirmed entirely still gets its undo row.
//!
//! Retries: the values read are kept in the row's [`RowState`] and never read again for that row, because a failed
//! write may still have been applied (a timeout) and a second read would record the new values as the old ones. An
//! update that succeeded is not repeated when only the delete after it failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::RequestId;
use aws_sdk_cognitoidentityprovider::types::AttributeType;
use tokio::time::Instant;

use super::before::Before;
use super::{classify, readback};
use crate::exec::backend::{Applied, Backend, CallError, Disposition, ReadBack};
use crate::exec::pacer::Pacer;
use crate::input::row::UpdateRequest;
use crate::report::undo::UndoFile;

#[derive(Clone)]
pub(crate) struct CognitoBackend {
    pub(crate) client: Client,
    pub(crate) pool_id: String,
    /// The write limiter (`--rate`): for every write the executor's token did not pay for.
    pub(crate) writes: Arc<Pacer>,
    /// The read limiter (`--read-rate`) for read-backs after ambiguous failures (and the executor's limiter when
    /// each user is read before the write).
    pub(crate) reads: Arc<Pacer>,
    /// Read each user before writing: `Some` with `--skip-unchanged` or `--undo-file`.
    pub(crate) read_first: Option<ReadFirst>,
    /// Requests sent, per operation, counted as they leave the client.
    pub(crate) sent: Arc<Sent>,
}

/// Requests sent per operation (each counted when it leaves the client, whatever its answer).
#[derive(Debug, Default)]
pub(crate) struct Sent {
    pub(crate) updates: AtomicU64,
    pub(crate) deletes: AtomicU64,
    pub(crate) reads: AtomicU64,
}

impl Sent {
    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// What the read before the write is for.
#[derive(Clone, Default)]
pub(crate) struct ReadFirst {
    pub(crate) skip_unchanged: bool,
    pub(crate) undo: Option<Arc<UndoFile>>,
}

/// What a row keeps between its attempts.
#[derive(Debug, Default)]
pub(crate) struct RowState {
    before: Option<Before>,
    /// The update part is known applied (it succeeded, or a read-back found its values).
    updated: bool,
    /// The delete part is known applied (a read-back found the attributes gone).
    deleted: bool,
    /// The undo row is written (once per row, before its first write).
    undo_recorded: bool,
}

impl CognitoBackend {
    /// A backend that only writes (and reads back after ambiguous failures); the executor's limiter is the
    /// write limiter.
    pub(crate) fn new(
        client: Client,
        pool_id: String,
        writes: Arc<Pacer>,
        reads: Arc<Pacer>,
    ) -> Self {
        CognitoBackend {
            client,
            pool_id,
            writes,
            reads,
            read_first: None,
            sent: Arc::default(),
        }
    }

    /// With `--undo-file`: records the undo row of a row about to be written, once (none when the row would
    /// change nothing). A failure stops the run and the row is not sent.
    fn record_undo(
        &self,
        request: &UpdateRequest,
        state: &mut RowState,
        request_id: &Option<String>,
    ) -> Result<(), CallError> {
        if state.undo_recorded {
            return Ok(());
        }
        if let (
            Some(ReadFirst {
                undo: Some(undo), ..
            }),
            Some(before),
        ) = (&self.read_first, &state.before)
            && !before.unchanged(request)
        {
            undo.record(&before.undo(request)).map_err(|e| CallError {
                disposition: Disposition::StopRun,
                code: "UndoFileError".into(),
                message: format!("the undo row could not be written, so the row was not sent: {e}"),
                request_id: request_id.clone(),
                ambiguous: false,
                outage: None,
            })?;
            state.undo_recorded = true;
        }
        Ok(())
    }

    async fn get_user(&self, key: &str) -> Result<(Before, Option<String>), CallError> {
        Sent::count(&self.sent.reads);
        let out = self
            .client
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(key)
            .send()
            .await
            .map_err(classify::from_sdk)?;
        let attributes = out
            .user_attributes()
            .iter()
            .map(|a| {
                (
                    a.name().to_string(),
                    a.value().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let before = Before {
            username: out.username().to_string(),
            attributes,
        };
        Ok((before, out.request_id().map(str::to_string)))
    }

    /// Waits for a write token unless the executor's token still covers this call.
    async fn pace_write(&self, executor_paid: &mut bool) {
        if !std::mem::take(executor_paid) {
            self.writes.acquire().await;
        }
    }

    /// Feeds a write's outcome to the write limiter when it is not the executor's (which the worker feeds).
    fn feed<T>(&self, sent: Instant, result: &Result<T, CallError>) {
        if self.read_first.is_none() {
            return;
        }
        match result {
            Ok(_) => self.writes.on_success(),
            Err(e) if e.disposition == Disposition::Throttled => self.writes.on_throttle(sent),
            Err(_) => {}
        }
    }

    async fn update_attributes(
        &self,
        request: &UpdateRequest,
    ) -> Result<Option<String>, CallError> {
        let attributes = request
            .attributes
            .iter()
            .map(|a| {
                AttributeType::builder()
                    .name(&a.name)
                    .value(&a.value)
                    .build()
                    .expect("name is set")
            })
            .collect();
        let sent = Instant::now();
        Sent::count(&self.sent.updates);
        let result = self
            .client
            .admin_update_user_attributes()
            .user_pool_id(&self.pool_id)
            .username(&request.username)
            .set_user_attributes(Some(attributes))
            .send()
            .await
            .map(|out| out.request_id().map(str::to_string))
            .map_err(classify::from_sdk);
        self.feed(sent, &result);
        result
    }

    async fn delete_attributes(
        &self,
        request: &UpdateRequest,
    ) -> Result<Option<String>, CallError> {
        let sent = Instant::now();
        Sent::count(&self.sent.deletes);
        let result = self
            .client
            .admin_delete_user_attributes()
            .user_pool_id(&self.pool_id)
            .username(&request.username)
            .set_user_attribute_names(Some(request.delete.clone()))
            .send()
            .await
            .map(|out| out.request_id().map(str::to_string))
            .map_err(classify::from_sdk);
        self.feed(sent, &result);
        result
    }
}

impl Backend for CognitoBackend {
    type RowState = RowState;

    async fn update(
        &self,
        request: &UpdateRequest,
        state: &mut RowState,
    ) -> Result<Applied, CallError> {
        // Without a read, the executor's token pays for the first write.
        let mut executor_paid = self.read_first.is_none();
        if let Some(read) = &self.read_first
            && state.before.is_none()
        {
            // A read changes nothing: its failure is never ambiguous.
            let (before, request_id) =
                self.get_user(&request.username)
                    .await
                    .map_err(|e| CallError {
                        ambiguous: false,
                        ..e
                    })?;
            if read.skip_unchanged && before.unchanged(request) {
                return Ok(Applied {
                    request_id,
                    unchanged: true,
                });
            }
            state.before = Some(before);
        }
        // The old values are on disk before anything is written.
        self.record_undo(request, state, &None)?;
        let mut request_id = None;
        if !request.attributes.is_empty() && !state.updated {
            self.pace_write(&mut executor_paid).await;
            request_id = self.update_attributes(request).await?;
            state.updated = true;
        }
        if !request.delete.is_empty() && !state.deleted {
            self.pace_write(&mut executor_paid).await;
            let id = self.delete_attributes(request).await?;
            request_id = request_id.or(id);
        }
        Ok(Applied {
            request_id,
            unchanged: false,
        })
    }

    async fn read_back(&self, request: &UpdateRequest, state: &mut RowState) -> ReadBack {
        self.reads.acquire().await;
        let sent = Instant::now();
        let (read, request_id) = match self.get_user(&request.username).await {
            Ok(read) => {
                self.reads.on_success();
                read
            }
            Err(e) => {
                if e.disposition == Disposition::Throttled {
                    self.reads.on_throttle(sent);
                }
                return ReadBack::Failed(e);
            }
        };
        let holds = readback::holds(request, &read, state.before.as_ref());
        state.updated |= holds.update && !request.attributes.is_empty();
        state.deleted |= holds.delete && !request.delete.is_empty();
        if !holds.all() {
            return ReadBack::NotApplied;
        }
        match self.record_undo(request, state, &request_id) {
            Ok(()) => ReadBack::Confirmed { request_id },
            Err(e) => ReadBack::Stop(e),
        }
    }
}
