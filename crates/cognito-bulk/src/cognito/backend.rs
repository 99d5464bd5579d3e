//! [`CognitoBackend`]: the executor's [`Backend`] for a real (or emulated) user pool. One attempt of a row is:
//!
//! 1. with `--skip-unchanged` or `--undo-file`, AdminGetUser (the row's values before the write, see
//!    [`super::before`]); a row that would change nothing is reported `unchanged` under `--skip-unchanged`;
//!    a row that changes groups and must know the user's current ones (an exact set, `--skip-unchanged`,
//!    `--undo-file`) also reads them (AdminListGroupsForUser, on its own limiter);
//! 2. with `--undo-file`, the undo row (the values read), written and flushed before the first write, so that no
//!    write is applied whose old values are not on disk; a row whose values were all there gets none;
//! 3. AdminUpdateUserAttributes with the values to set, if any (not when the read found them all there);
//! 4. AdminDeleteUserAttributes with the attributes to delete (the `cognito-bulk:delete` column), if any;
//! 5. the membership calls (see [`crate::input::membership`]): one AdminAddUserToGroup or
//!    AdminRemoveUserFromGroup per group, then AdminEnableUser or AdminDisableUser; with the user's state known,
//!    only the calls it still needs.
//!
//! Pacing: the executor paces each attempt. Without a read that pays for the attempt's first write; with a read
//! the executor's limiter is the read limiter (`--read-rate`) and every write waits for [`CognitoBackend::writes`]
//! (`--rate`), so both quotas are kept and unchanged rows never use up write tokens.
//!
//! Read-back: after a write failed ambiguously (it may have been applied, see [`classify`]), the executor calls
//! [`Backend::read_back`]: AdminGetUser through the read limiter ([`CognitoBackend::reads`], `--read-rate`) when an
//! attribute or the enabled state is still open, AdminListGroupsForUser when a group call is, and
//! [`super::readback::holds`] decides whether the row's values are already there. A part that held (the update,
//! the delete, each membership call) is not sent again; a row confirmed entirely still gets its undo row.
//!
//! Every write draws on the UserUpdate limiter (`--rate`), whatever its operation ([`crate::operations`]); the
//! row's `attempts` counts each write request ([`Backend::take_extra_writes`]).
//!
//! Retries: the values read are kept in the row's [`RowState`] and never read again for that row, because a failed
//! write may still have been applied (a timeout) and a second read would record the new values as the old ones. An
//! update that succeeded is not repeated when only the delete after it failed.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::RequestId;
use aws_sdk_cognitoidentityprovider::types::AttributeType;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use tokio::time::Instant;

use super::before::Before;
use super::{classify, readback};
use crate::exec::backend::{Applied, Backend, CallError, Disposition, ReadBack};
use crate::exec::pacer::Pacer;
use crate::input::membership::Call;
use crate::input::row::UpdateRequest;
use crate::operations::{Op, Sent};
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
    /// The UserResourceRead limiter: AdminListGroupsForUser.
    pub(crate) group_reads: Arc<Pacer>,
    /// Read each user before writing: `Some` with `--skip-unchanged` or `--undo-file`.
    pub(crate) read_first: Option<ReadFirst>,
    /// Requests sent, per operation, counted as they leave the client.
    pub(crate) sent: Arc<Sent>,
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
    /// The membership calls of the row, planned once (with what is known of the user then).
    calls: Option<Vec<Call>>,
    /// Membership calls known applied.
    done: BTreeSet<Call>,
    /// The undo row is written (once per row, before its first write).
    undo_recorded: bool,
    /// Write requests sent in the current attempt.
    writes: u32,
    /// Whether any write was sent for the row.
    wrote: bool,
}

impl RowState {
    /// The membership calls still to make; `None` before they are planned.
    fn open_calls(&self) -> Option<Vec<Call>> {
        self.calls.as_ref().map(|calls| {
            calls
                .iter()
                .filter(|c| !self.done.contains(*c))
                .cloned()
                .collect()
        })
    }
}

impl CognitoBackend {
    /// A backend that only writes (and reads back after ambiguous failures); the executor's limiter is the
    /// write limiter.
    pub(crate) fn new(
        client: Client,
        pool_id: String,
        writes: Arc<Pacer>,
        reads: Arc<Pacer>,
        group_reads: Arc<Pacer>,
    ) -> Self {
        CognitoBackend {
            client,
            pool_id,
            writes,
            reads,
            group_reads,
            read_first: None,
            sent: Arc::default(),
        }
    }

    /// With `--undo-file`: records the undo row of a row about to be written, once (none when the row would
    /// change nothing), synced to the disk off the runtime's threads. A failure stops the run and the row is not
    /// sent.
    async fn record_undo(
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
            let (file, row) = (undo.clone(), before.undo(request));
            let recorded = tokio::task::spawn_blocking(move || file.record(&row))
                .await
                .unwrap_or_else(|e| {
                    Err(crate::error::ReportError::UndoWrite {
                        path: undo.path().to_path_buf(),
                        message: e.to_string(),
                    })
                });
            recorded.map_err(|e| CallError {
                disposition: Disposition::StopRun,
                code: "UndoFileError".into(),
                message: format!("the undo row could not be written, so the row was not sent: {e}"),
                request_id: request_id.clone(),
                ambiguous: false,
                outage: None,
                paced_elsewhere: false,
            })?;
            state.undo_recorded = true;
        }
        Ok(())
    }

    async fn get_user(&self, key: &str) -> Result<(Before, Option<String>), CallError> {
        self.sent.count(Op::AdminGetUser);
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
            enabled: Some(out.enabled()),
            groups: None,
        };
        Ok((before, out.request_id().map(str::to_string)))
    }

    /// Every group of the user (AdminListGroupsForUser, 60 a page), each page paced by the UserResourceRead
    /// limiter. A read changes nothing: its failure is never ambiguous.
    async fn get_groups(&self, key: &str) -> Result<BTreeSet<String>, CallError> {
        let mut groups = BTreeSet::new();
        let mut token = None;
        loop {
            self.group_reads.acquire().await;
            let sent = Instant::now();
            self.sent.count(Op::AdminListGroupsForUser);
            let out = self
                .client
                .admin_list_groups_for_user()
                .user_pool_id(&self.pool_id)
                .username(key)
                .limit(60)
                .set_next_token(token)
                .send()
                .await
                .map_err(classify::from_sdk);
            let out = match out {
                Ok(out) => {
                    self.group_reads.on_success();
                    out
                }
                Err(e) => {
                    let throttled = e.disposition == Disposition::Throttled;
                    if throttled {
                        self.group_reads.on_throttle(sent);
                    }
                    return Err(CallError {
                        ambiguous: false,
                        paced_elsewhere: throttled,
                        ..e
                    });
                }
            };
            groups.extend(
                out.groups()
                    .iter()
                    .filter_map(|g| g.group_name().map(str::to_string)),
            );
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(groups);
            }
        }
    }

    /// One membership call.
    async fn membership_call(&self, key: &str, call: &Call) -> Result<Option<String>, CallError> {
        let sent = Instant::now();
        let pool = &self.pool_id;
        let result = match call {
            Call::Add(group) => {
                self.sent.count(Op::AdminAddUserToGroup);
                answer(
                    self.client
                        .admin_add_user_to_group()
                        .user_pool_id(pool)
                        .username(key)
                        .group_name(group)
                        .send()
                        .await,
                )
            }
            Call::Remove(group) => {
                self.sent.count(Op::AdminRemoveUserFromGroup);
                answer(
                    self.client
                        .admin_remove_user_from_group()
                        .user_pool_id(pool)
                        .username(key)
                        .group_name(group)
                        .send()
                        .await,
                )
            }
            Call::SetEnabled(true) => {
                self.sent.count(Op::AdminEnableUser);
                answer(
                    self.client
                        .admin_enable_user()
                        .user_pool_id(pool)
                        .username(key)
                        .send()
                        .await,
                )
            }
            Call::SetEnabled(false) => {
                self.sent.count(Op::AdminDisableUser);
                answer(
                    self.client
                        .admin_disable_user()
                        .user_pool_id(pool)
                        .username(key)
                        .send()
                        .await,
                )
            }
        }
        .map_err(|e| group_not_found(call, e));
        self.feed(sent, &result);
        result
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
        self.sent.count(Op::AdminUpdateUserAttributes);
        let result = self
            .client
            .admin_update_user_attributes()
            .user_pool_id(&self.pool_id)
            .username(&request.username)
            .set_user_attributes(Some(attributes))
            .send()
            .await;
        let result = answer(result);
        self.feed(sent, &result);
        result
    }

    async fn delete_attributes(
        &self,
        request: &UpdateRequest,
    ) -> Result<Option<String>, CallError> {
        let sent = Instant::now();
        self.sent.count(Op::AdminDeleteUserAttributes);
        let result = self
            .client
            .admin_delete_user_attributes()
            .user_pool_id(&self.pool_id)
            .username(&request.username)
            .set_user_attribute_names(Some(request.delete.clone()))
            .send()
            .await;
        let result = answer(result);
        self.feed(sent, &result);
        result
    }
}

/// A write's answer: its request id, or the classified error.
fn answer<O: RequestId, E>(
    result: Result<O, SdkError<E, HttpResponse>>,
) -> Result<Option<String>, CallError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    result
        .map(|out| out.request_id().map(str::to_string))
        .map_err(classify::from_sdk)
}

/// A group that does not exist fails its row (the pool exists: it was read before the first write), where
/// ResourceNotFoundException otherwise means the pool is gone and stops the run.
fn group_not_found(call: &Call, e: CallError) -> CallError {
    if matches!(call, Call::Add(_) | Call::Remove(_))
        && e.code == "ResourceNotFoundException"
        && e.message.to_ascii_lowercase().contains("group")
    {
        CallError {
            disposition: Disposition::FailRow,
            ..e
        }
    } else {
        e
    }
}

impl Backend for CognitoBackend {
    type RowState = RowState;

    async fn update(
        &self,
        request: &UpdateRequest,
        state: &mut RowState,
    ) -> Result<Applied, CallError> {
        state.writes = 0;
        // Without a read, the executor's token pays for the first write.
        let mut executor_paid = self.read_first.is_none();
        let membership = &request.membership;
        if let Some(read) = &self.read_first
            && state.before.is_none()
        {
            // A read changes nothing: its failure is never ambiguous.
            let (mut before, request_id) =
                self.get_user(&request.username)
                    .await
                    .map_err(|e| CallError {
                        ambiguous: false,
                        ..e
                    })?;
            if membership.touches_groups() {
                before.groups = Some(self.get_groups(&request.username).await?);
            }
            if read.skip_unchanged && before.unchanged(request) {
                return Ok(Applied {
                    request_id,
                    unchanged: true,
                });
            }
            if read.skip_unchanged && before.attributes_hold(request) {
                // Only the membership is sent.
                state.updated = true;
                state.deleted = true;
            }
            state.before = Some(before);
        }
        if state.calls.is_none() && !membership.is_empty() {
            let known = match &state.before {
                Some(before) => before.membership_calls(request),
                None => None,
            };
            let calls = match known {
                Some(calls) => calls,
                // An exact set needs the user's groups; adds, removes and the state are sent as they are.
                None if membership.exact.is_some() => {
                    let groups = self.get_groups(&request.username).await?;
                    membership.calls(Some(&groups), None)
                }
                None => membership.calls(None, None),
            };
            state.calls = Some(calls);
        }
        // The old values are on disk before anything is written.
        self.record_undo(request, state, &None).await?;
        let mut request_id = None;
        if !request.attributes.is_empty() && !state.updated {
            self.pace_write(&mut executor_paid).await;
            state.writes += 1;
            state.wrote = true;
            request_id = self.update_attributes(request).await?;
            state.updated = true;
        }
        if !request.delete.is_empty() && !state.deleted {
            self.pace_write(&mut executor_paid).await;
            state.writes += 1;
            state.wrote = true;
            let id = self.delete_attributes(request).await?;
            state.deleted = true;
            request_id = request_id.or(id);
        }
        for call in state.open_calls().unwrap_or_default() {
            self.pace_write(&mut executor_paid).await;
            state.writes += 1;
            state.wrote = true;
            let id = self.membership_call(&request.username, &call).await?;
            state.done.insert(call);
            request_id = request_id.or(id);
        }
        Ok(Applied {
            request_id,
            // A row whose every part already held (the read showed it) sent nothing.
            unchanged: !state.wrote,
        })
    }

    fn take_extra_writes(&self, state: &mut RowState) -> u32 {
        std::mem::take(&mut state.writes).saturating_sub(1)
    }

    async fn read_back(&self, request: &UpdateRequest, state: &mut RowState) -> ReadBack {
        let membership = &request.membership;
        let open = state.open_calls();
        // The calls not planned yet (a row an earlier run was sending): planned from this read.
        let unplanned = open.is_none() && !membership.is_empty();
        let groups_open = (unplanned && membership.touches_groups())
            || open
                .iter()
                .flatten()
                .any(|c| matches!(c, Call::Add(_) | Call::Remove(_)));
        let attributes_open = (!request.attributes.is_empty() && !state.updated)
            || (!request.delete.is_empty() && !state.deleted);
        let enabled_open = (unplanned && membership.enabled.is_some())
            || open
                .iter()
                .flatten()
                .any(|c| matches!(c, Call::SetEnabled(_)));
        let mut read: Option<Before> = None;
        let mut request_id = None;
        if attributes_open || enabled_open {
            self.reads.acquire().await;
            let sent = Instant::now();
            match self.get_user(&request.username).await {
                Ok((user, id)) => {
                    self.reads.on_success();
                    read = Some(user);
                    request_id = id;
                }
                Err(e) => {
                    if e.disposition == Disposition::Throttled {
                        self.reads.on_throttle(sent);
                    }
                    return ReadBack::Failed(e);
                }
            }
        }
        let read_groups = if groups_open {
            match self.get_groups(&request.username).await {
                Ok(groups) => Some(groups),
                Err(e) => return ReadBack::Failed(e),
            }
        } else {
            None
        };
        if let Some(user) = &read {
            let holds = readback::holds(request, user, state.before.as_ref());
            state.updated |= holds.update && !request.attributes.is_empty();
            state.deleted |= holds.delete && !request.delete.is_empty();
        }
        let enabled = read.as_ref().and_then(|u| u.enabled);
        if unplanned {
            // Planned from what was just read (the groups were, when the row changes them).
            state.calls = Some(membership.calls(read_groups.as_ref(), enabled));
        } else if let Some(open) = open {
            for call in open {
                let held = match &call {
                    Call::Add(g) => read_groups.as_ref().is_some_and(|set| set.contains(g)),
                    Call::Remove(g) => read_groups.as_ref().is_some_and(|set| !set.contains(g)),
                    Call::SetEnabled(want) => enabled == Some(*want),
                };
                if held {
                    state.done.insert(call);
                }
            }
        }
        let attributes_done = (request.attributes.is_empty() || state.updated)
            && (request.delete.is_empty() || state.deleted);
        let membership_done = state.open_calls().is_some_and(|c| c.is_empty())
            || (membership.is_empty() && state.calls.is_none());
        if !(attributes_done && membership_done) {
            return ReadBack::NotApplied;
        }
        match self.record_undo(request, state, &request_id).await {
            Ok(()) => ReadBack::Confirmed { request_id },
            Err(e) => ReadBack::Stop(e),
        }
    }
}
