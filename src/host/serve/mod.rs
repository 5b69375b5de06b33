//! `waybill serve`: webhooks and operator requests drive fleet actions.
//!
//! One process serves `POST /hooks/{name}` (forge-signed pushes),
//! `POST /jobs` and `GET /jobs[/{id}]` (jobs by hand and their history),
//! `GET /healthz`, `GET /metrics`, and the fleet page for people
//! ([`page`]: `/`, containers, jobs, hooks, acting with a session). Handlers only translate HTTP into jobs; a job runs
//! through the same fleet action runner as `waybill update` and
//! `waybill validate` ([`execute`]), never a second way of selecting or
//! running. The server is a function of a listener, a checked
//! [`Config`] and a shutdown future, so tests bind `127.0.0.1:0`.
//!
//! It subscribes to every engine's container events and validates a
//! container with records after it starts ([`events`]), and runs the
//! `[[schedule]]` entries ([`periodic`]); both file ordinary jobs. With
//! `[metrics] containers`, a background task merges the containers' own
//! METRICS for `/metrics` ([`container_metrics`]); that is not a job.

pub mod config;
mod container_metrics;
mod dedupe;
mod delivery_log;
mod events;
mod execute;
pub mod forge;
mod health;
mod history;
mod http;
pub mod job;
mod live;
mod metrics;
pub mod page;
pub mod payload;
mod periodic;
mod ratelimit;
mod scheduler;
mod secret;
pub mod verify;

pub use config::{Config, ConfigError};

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("failed to use state directory `{}`: {source}", path.display())]
    StateDir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("the HTTP server failed: {0}")]
    Http(#[source] std::io::Error),
}

/// Everything the handlers share.
pub(crate) struct State {
    pub config: Config,
    pub history: history::History,
    pub deliveries: dedupe::Deliveries,
    /// One per hook, in the config's order; `None` without a rate limit.
    pub buckets: Vec<Mutex<Option<ratelimit::Bucket>>>,
    pub scheduler: scheduler::Scheduler,
    pub metrics: metrics::Metrics,
    /// The containers' merged METRICS, when `[metrics] containers`.
    pub container_metrics: container_metrics::ContainerMetrics,
    /// Running jobs' output as it arrives, for the job page.
    pub live: live::Live,
    /// Each hook's recent deliveries, for the hooks page.
    pub recent_deliveries: delivery_log::DeliveryLog,
    /// The fleet page's sessions and fleet listing.
    pub page: page::PageState,
}

/// The wall clock, in epoch seconds.
pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Serves until `shutdown` resolves, then stops accepting, lets running
/// jobs finish for up to the configured grace, and records the rest as
/// interrupted.
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let state_dir = config.state_dir.clone();
    if let Some(dir) = &state_dir {
        std::fs::create_dir_all(dir).map_err(|source| ServeError::StateDir {
            path: dir.clone(),
            source,
        })?;
    }
    let dir_error = |source| ServeError::StateDir {
        path: state_dir.clone().unwrap_or_default(),
        source,
    };
    let history =
        history::History::open(state_dir.as_deref(), config.history, now()).map_err(dir_error)?;
    let deliveries = dedupe::Deliveries::open(state_dir.as_deref(), config.dedupe_capacity)
        .map_err(dir_error)?;
    let start = std::time::Instant::now();
    let buckets = config
        .hooks
        .iter()
        .map(|h| Mutex::new(h.rate_limit.map(|l| ratelimit::Bucket::new(l, start))))
        .collect();
    let grace = config.shutdown_grace;
    let hook_count = config.hooks.len();
    let state = Arc::new(State {
        config,
        history,
        deliveries,
        buckets,
        scheduler: scheduler::Scheduler::default(),
        metrics: metrics::Metrics::default(),
        container_metrics: container_metrics::ContainerMetrics::default(),
        live: live::Live::default(),
        recent_deliveries: delivery_log::DeliveryLog::new(hook_count),
        page: page::PageState::default(),
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    state.scheduler.set_starter(tx);
    let app = http::router(state.clone());
    // The action runner's futures are not `Send`: lanes run as local
    // tasks, started by one dispatcher that the handlers talk to.
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let tasks = Rc::new(RefCell::new(JoinSet::new()));
            let dispatcher = tokio::task::spawn_local({
                let tasks = tasks.clone();
                let state = state.clone();
                async move {
                    while let Some((lane, id)) = rx.recv().await {
                        let mut tasks = tasks.borrow_mut();
                        // Reap finished lanes so the set stays as small as the work.
                        while tasks.try_join_next().is_some() {}
                        tasks.spawn_local(scheduler::run_lane(state.clone(), lane, id));
                    }
                }
            });
            let mut watchers = events::start(&state);
            watchers.extend(periodic::start(&state));
            watchers.extend(container_metrics::start(&state));
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(ServeError::Http);
            tracing::info!(
                "stopped accepting; waiting up to {} s for running jobs",
                grace.as_secs()
            );
            state.scheduler.close();
            for watcher in &watchers {
                watcher.abort();
            }
            let _ = tokio::time::timeout(grace, state.scheduler.wait_idle()).await;
            state.scheduler.drop_starter();
            dispatcher.abort();
            tasks.borrow_mut().abort_all();
            record_interrupted(&state);
            served
        })
        .await
}

/// Records every job still queued or running as interrupted.
fn record_interrupted(state: &State) {
    let now = now();
    for id in state.history.unfinished() {
        let job = state.history.update(id, |job| {
            job.status = job::Status::Interrupted;
            job.finished = Some(now);
            job.error = Some("the server shut down before the job finished".into());
        });
        if let Some(job) = job {
            state
                .metrics
                .job(&job.action, job::Status::Interrupted, &job.results, now);
        }
        tracing::warn!(job = id, "job interrupted by shutdown");
    }
}

/// A value unique within this process, for lanes of their own.
pub(crate) fn unique_number() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    u128::from(COUNTER.fetch_add(1, Ordering::Relaxed))
}
