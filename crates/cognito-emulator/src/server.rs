//! The HTTP server: the axum router (`POST /` for the Cognito API, `/_emulator/*` for observability), the request
//! pipeline (quota, faults, operation), and `start`/`RunningEmulator` (address, stats, graceful shutdown).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::clock::RunningClock;
use super::config::EmulatorConfig;
use super::error::EmulatorError;
use super::faults::{FaultDecision, FaultSequence};
use super::latency::{self, Latencies};
use super::listener::{Connection, KillableListener};
use super::live::LiveTraffic;
use super::ops::{self, Ctx};
use super::persist;
use super::protocol::{ApiError, Operation, RequestIds, TARGET_PREFIX, json_response};
use super::quota::{self, Quotas};
use super::stats::{Counters, Stats};
use super::store::{State, epoch_now};
use super::user_view::UserView;

/// State shared by all request handlers.
pub(crate) struct Shared {
    state: Mutex<State>,
    counters: Counters,
    faults: FaultSequence,
    clock: RunningClock,
    ids: RequestIds,
    per_user_write_rate: Option<f64>,
    max_body_bytes: usize,
    region: String,
    latencies: Latencies,
    refuse_sub_filter: bool,
    short_pages: bool,
    /// List pages answered so far, for the short-page pattern.
    list_pages: std::sync::atomic::AtomicU64,
    /// Whether a live caller is configured.
    live: bool,
    moto_schema: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied update (updates are computed on copies and
        // swapped in), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn reset_stats(&self) {
        let mut state = self.lock();
        self.counters.reset();
        state.user_stats.clear();
        for pool in state.pools.values_mut() {
            pool.mau.clear();
        }
        if let Some(live) = &mut state.live {
            live.reset();
        }
    }

    /// The counters; with `detail`, also the per-user maps (built under the state lock).
    fn stats(&self, detail: bool) -> Stats {
        if !detail && !self.live {
            return self.counters.snapshot(None);
        }
        // The lock is held for the per-user maps (detail) or to bring the live caller up to date (cheap: its
        // per-second counts only).
        let mut state = self.lock();
        state.catch_up_live(self.clock.now_secs());
        let mut stats = self.counters.snapshot(detail.then_some(&state.user_stats));
        if let Some(live) = &state.live {
            stats.live = live.stats();
        }
        stats
    }

    /// With short pages, how many users the next page of a listing may hold: 7, every third page 0.
    fn page_cap(&self, op: Operation) -> Option<usize> {
        if !self.short_pages || !matches!(op, Operation::ListUsers | Operation::ListUsersInGroup) {
            return None;
        }
        let n = self
            .list_pages
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(if n % 3 == 2 { 0 } else { 7 })
    }

    /// Brings the live caller up to now.
    fn tick_live(&self) {
        let mut state = self.lock();
        let now = self.clock.now_secs();
        state.catch_up_live(now);
    }
}

/// The router of one emulator.
fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", post(api))
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/reset-stats", post(reset_stats))
        .with_state(shared)
}

/// `GET /_emulator/stats[?detail=users]`.
async fn stats(AxumState(shared): AxumState<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let detail = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|pair| pair == "detail=users"));
    axum::Json(shared.stats(detail)).into_response()
}

async fn reset_stats(AxumState(shared): AxumState<Arc<Shared>>) -> Response {
    shared.reset_stats();
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /`: one Cognito API call.
async fn api(
    AxumState(shared): AxumState<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request_id = shared.ids.next();
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let name = target.strip_prefix(TARGET_PREFIX).unwrap_or(target);
    let Some(op) = Operation::from_name(name) else {
        shared
            .counters
            .unknown_request(if name.is_empty() { "<none>" } else { name });
        let message = if target.is_empty() {
            "Missing X-Amz-Target header.".to_string()
        } else {
            format!("Unknown operation {target}.")
        };
        return ApiError::new("UnknownOperationException", message).into_response(&request_id);
    };
    shared.counters.request(op, shared.clock.now_secs());
    let late = shared.faults.late_apply();
    let result = if !late.is_zero() && shared.faults.applies_to(op) {
        // Held, then applied in a task of its own: a client that gives up meanwhile does not cancel it.
        let (shared, connection) = (shared.clone(), connection.clone());
        tokio::spawn(async move {
            tokio::time::sleep(late).await;
            handle(&shared, op, &connection, body).await
        })
        .await
        .unwrap_or_else(|_| Err(ApiError::internal()))
    } else {
        handle(&shared, op, &connection, body).await
    };
    match result {
        Ok(body) => json_response(StatusCode::OK, body, &request_id),
        Err(e) => e.into_response(&request_id),
    }
}

async fn handle(
    shared: &Shared,
    op: Operation,
    connection: &Connection,
    body: Body,
) -> Result<Vec<u8>, ApiError> {
    let body = axum::body::to_bytes(body, shared.max_body_bytes)
        .await
        .map_err(|_| {
            ApiError::serialization(format!(
                "Request body is larger than {} bytes or could not be read.",
                shared.max_body_bytes
            ))
        })?;
    let faulty = shared.faults.applies_to(op);
    let fault_delay = if faulty {
        shared.faults.latency()
    } else {
        None
    };
    // Slept before the state lock is taken: a slow operation never holds up the others.
    let delay = fault_delay.unwrap_or_default() + shared.latencies.of(op);
    if !delay.is_zero() {
        Counters::bump(&shared.counters.delayed);
        tokio::time::sleep(delay).await;
    }
    if shared.faults.denies(op) {
        return Err(ApiError::new(
            "AccessDeniedException",
            format!(
                "User is not authorized to perform: cognito-idp:{} because no identity-based policy allows it",
                op.name()
            ),
        ));
    }
    let request = ops::parse(op, &body)?;
    let now = epoch_now();
    let mut state = shared.lock();
    let clock = shared.clock.now_secs();
    state.catch_up_live(clock);
    if let Some(category) = quota::category_of(op)
        && !state.quotas.try_take(category, clock)
    {
        shared.counters.throttled(op);
        return Err(ApiError::throttled());
    }
    let decision = if faulty {
        shared.faults.draw()
    } else {
        FaultDecision::None
    };
    match decision {
        FaultDecision::None | FaultDecision::DropAfterApply => {}
        FaultDecision::InternalError => {
            Counters::bump(&shared.counters.internal_errors);
            return Err(ApiError::internal());
        }
        FaultDecision::DropBeforeApply => {
            Counters::bump(&shared.counters.dropped_before_apply);
            connection.kill();
            return Err(ApiError::internal());
        }
    }
    let ctx = Ctx {
        now,
        clock,
        per_user_write_rate: shared.per_user_write_rate,
        faults: &shared.faults,
        counters: &shared.counters,
        region: &shared.region,
        refuse_sub_filter: shared.refuse_sub_filter,
        moto_schema: shared.moto_schema,
        page_cap: shared.page_cap(op),
    };
    let result = ops::execute(&mut state, request, &ctx);
    if let Err(e) = &result
        && e.code == "TooManyRequestsException"
    {
        shared.counters.throttled(op);
    }
    if decision == FaultDecision::DropAfterApply {
        // Only a request that was really applied counts as "dropped after apply"; a rejected one is simply lost.
        if result.is_ok() {
            Counters::bump(&shared.counters.dropped_after_apply);
        } else {
            Counters::bump(&shared.counters.dropped_before_apply);
        }
        connection.kill();
    }
    result
}

/// How often, under real time, the live caller is brought up to date when no request does it.
const LIVE_TICK: Duration = Duration::from_millis(100);

/// Keeps the live caller's counts current under real time (requests catch it up anyway before taking tokens).
fn spawn_live_ticker(shared: Arc<Shared>, cancel: CancellationToken) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(LIVE_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tick.tick() => shared.tick_live(),
            }
        }
    });
}

/// A running emulator. Dropping it stops the server without writing the state file; prefer [`Self::shutdown`].
pub struct RunningEmulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    cancel: CancellationToken,
    task: Option<JoinHandle<Result<(), std::io::Error>>>,
    state_file: Option<std::path::PathBuf>,
}

/// Binds, loads the seed or state file, and serves in a background tokio task.
pub async fn start(config: EmulatorConfig) -> Result<RunningEmulator, EmulatorError> {
    for setting in &config.op_latency {
        latency::check_operation(&setting.operation).map_err(EmulatorError::UnknownOperation)?;
    }
    let faults =
        FaultSequence::new(config.faults.clone()).map_err(EmulatorError::UnknownOperation)?;
    let clock = RunningClock::start(config.clock.clone());
    let mut state = State::new(Quotas::new(&config.quotas, clock.now_secs()));
    state.live = config.live_traffic.as_ref().map(LiveTraffic::new);
    match (&config.state_file, &config.seed) {
        (Some(path), _) if path.exists() => persist::load(path, &mut state)?,
        (_, Some(seed)) => persist::load(seed, &mut state)?,
        _ => {}
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| EmulatorError::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind {
            addr: config.bind,
            source,
        })?;
    let shared = Arc::new(Shared {
        state: Mutex::new(state),
        counters: Counters::default(),
        faults,
        clock,
        ids: RequestIds::new(),
        per_user_write_rate: config.per_user_write_rate,
        max_body_bytes: config.max_body_bytes,
        region: config.region.clone(),
        latencies: Latencies::new(&config.op_latency),
        refuse_sub_filter: config.refuse_sub_filter,
        short_pages: config.short_pages,
        list_pages: Default::default(),
        live: config.live_traffic.is_some(),
        moto_schema: config.moto_schema,
    });
    let cancel = CancellationToken::new();
    if shared.live && matches!(config.clock, Clock::Tokio) {
        spawn_live_ticker(shared.clone(), cancel.clone());
    }
    let app = router(shared.clone()).into_make_service_with_connect_info::<Connection>();
    let signal = cancel.clone();
    let task = tokio::spawn(async move {
        axum::serve(KillableListener(listener), app)
            .with_graceful_shutdown(async move { signal.cancelled().await })
            .await
    });
    Ok(RunningEmulator {
        addr,
        shared,
        cancel,
        task: Some(task),
        state_file: config.state_file,
    })
}

/// How long `shutdown` waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl RunningEmulator {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, for `endpoint_url`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The same data as `GET /_emulator/stats?detail=users` (the per-user maps included).
    pub fn stats(&self) -> Stats {
        self.shared.stats(true)
    }

    /// Zeroes all counters, as `POST /_emulator/reset-stats`.
    pub fn reset_stats(&self) {
        self.shared.reset_stats();
    }

    /// A user's current record, found as `AdminGetUser` finds it (username, verified alias or sub).
    pub fn user(&self, pool_id: &str, username: &str) -> Option<UserView> {
        let state = self.shared.lock();
        let pool = state.pools.get(pool_id)?;
        let seq = pool.resolve(username)?;
        pool.users.get(&seq).map(UserView::from)
    }

    /// Ids of all pools.
    pub fn pool_ids(&self) -> Vec<String> {
        self.shared.lock().pools.keys().cloned().collect()
    }

    /// Writes the state file now (if configured), without stopping.
    pub fn save_state(&self) -> Result<(), EmulatorError> {
        if let Some(path) = &self.state_file {
            let snapshot = persist::snapshot(&self.shared.lock());
            persist::save(path, &snapshot)?;
        }
        Ok(())
    }

    /// Stops accepting connections, waits (up to 5 s) for open ones, then writes the state file if configured.
    /// Returns the counters as they were at the end (with the per-user maps).
    pub async fn shutdown(mut self) -> Stats {
        self.stop().await;
        let stats = self.stats();
        if let Err(e) = self.save_state() {
            tracing::error!("emulator shutdown: {}", super::error::display_chain(&e));
        }
        stats
    }

    /// Like [`Self::shutdown`] but reports a failure to write the state file.
    pub async fn try_shutdown(mut self) -> Result<Stats, EmulatorError> {
        self.stop().await;
        let stats = self.stats();
        self.save_state().map(|()| stats)
    }

    async fn stop(&mut self) {
        self.cancel.cancel();
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
