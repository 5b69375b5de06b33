//! Engine events: VALIDATE after a container with records starts.
//!
//! With `[events] validate_on_start = true`, one watcher per configured
//! engine subscribes to its container events
//! ([`Engine::container_events`]). A start of a container whose records
//! the fleet finds waits for the configured grace (or, with a
//! HEALTHCHECK, for its first `healthy` status if that comes sooner) and
//! then files a VALIDATE job on that container alone (trigger
//! `engine event`), which runs through the same scheduler and action
//! runner as every other job.
//!
//! A Swarm task's container is such a container on its node's engine
//! (its labels carry the image's records): when Swarm starts new tasks
//! (a `docker service update`, a rescheduled task), each is validated
//! once it runs, on every node whose engine is configured, and the job's
//! trigger names its service, task and node (the task's labels, and the
//! engine's own hostname).
//!
//! When the connection drops or the engine restarts, the watcher logs
//! the gap, reconnects with exponential backoff (capped at
//! [`MAX_BACKOFF`]), resubscribes from the last event time it saw, and
//! reconciles: running containers that started during the gap are
//! handled as if their start had been seen. Each engine has its own
//! watcher, so one engine's trouble never stops the others.

use super::job::{Selection, Trigger};
use super::scheduler::Request;
use super::State;
use crate::host::actions::select_targets;
use crate::host::endpoint::Endpoint;
use crate::host::engine::{ContainerEvent, Engine, EventKind, Listing};
use crate::host::fleet::select::Selector;
use crate::host::fleet::{EngineTarget, SwarmTaskOf};
use crate::safe_text;
use futures_util::StreamExt;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The first wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
pub const MIN_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Starts remembered per engine, so a replayed event is not handled twice.
const SEEN_STARTS: usize = 4096;

/// Starts one watcher per engine (when `validate_on_start` is on); they
/// run as local tasks until aborted.
pub(crate) fn start(state: &Arc<State>) -> Vec<JoinHandle<()>> {
    if !state.config.events.validate_on_start {
        return Vec::new();
    }
    state
        .config
        .endpoints
        .iter()
        .map(|endpoint| tokio::task::spawn_local(watch(state.clone(), endpoint.clone())))
        .collect()
}

/// What one watcher shares with the waits it starts.
#[derive(Default)]
struct Watch {
    /// Containers waiting for their first `healthy`, by id.
    waiting: HashMap<String, Rc<Notify>>,
    /// Starts handled: (container id, start second).
    seen: HashSet<(String, i64)>,
}

async fn watch(state: Arc<State>, endpoint: Endpoint) {
    let name = endpoint.name.clone();
    let shared = Rc::new(RefCell::new(Watch::default()));
    let mut since: Option<i64> = None;
    let mut lost_at: Option<i64> = None;
    let mut backoff = MIN_BACKOFF;
    loop {
        let engine = match Engine::connect(&endpoint).await {
            Ok(engine) => engine,
            Err(e) => {
                tracing::warn!(engine = %name, error = %e, retry_in_secs = backoff.as_secs(), "engine events: cannot connect");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        // Subscribe before reconciling, so nothing falls between the two.
        let subscribed_at = super::now();
        // The first subscription starts now: containers already running
        // when the server started are not "starting".
        let mut stream = Box::pin(engine.container_events(since));
        if let Some(lost) = lost_at.take() {
            tracing::warn!(
                engine = %name,
                gap_from = lost,
                gap_to = subscribed_at,
                "engine events: reconnected after a gap; reconciling"
            );
            reconcile(&state, &engine, &name, &shared, lost).await;
        } else {
            tracing::info!(engine = %name, "engine events: subscribed");
        }
        since = Some(since.unwrap_or(subscribed_at));
        let up = std::time::Instant::now();
        loop {
            match stream.next().await {
                Some(Ok(event)) => {
                    since = Some(since.map_or(event.time, |s| s.max(event.time)));
                    handle(&state, &engine, &name, &shared, event);
                }
                Some(Err(e)) => {
                    tracing::warn!(engine = %name, error = %e, "engine events: connection lost");
                    break;
                }
                None => {
                    tracing::warn!(engine = %name, "engine events: the engine ended the stream");
                    break;
                }
            }
        }
        lost_at = since;
        // A connection that held for a while starts the backoff afresh;
        // one that drops at once keeps doubling it.
        if up.elapsed() >= MAX_BACKOFF {
            backoff = MIN_BACKOFF;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn handle(
    state: &Arc<State>,
    engine: &Engine,
    name: &str,
    shared: &Rc<RefCell<Watch>>,
    event: ContainerEvent,
) {
    match event.kind {
        EventKind::Start => started(state, engine, name, shared, event.id, event.time),
        EventKind::Health(status) if status == "healthy" => {
            if let Some(n) = shared.borrow().waiting.get(&event.id) {
                n.notify_one();
            }
        }
        EventKind::Destroy => {
            let mut w = shared.borrow_mut();
            w.seen.retain(|(id, _)| id != &event.id);
            w.waiting.remove(&event.id);
        }
        EventKind::Die | EventKind::Health(_) => {}
    }
}

/// Handles a start once: waits, then files the VALIDATE job.
fn started(
    state: &Arc<State>,
    engine: &Engine,
    name: &str,
    shared: &Rc<RefCell<Watch>>,
    id: String,
    time: i64,
) {
    {
        let mut w = shared.borrow_mut();
        if w.seen.len() >= SEEN_STARTS {
            w.seen.clear();
        }
        if !w.seen.insert((id.clone(), time)) {
            return;
        }
    }
    // Registered now, so a `healthy` that follows at once is not missed.
    let notify = Rc::new(Notify::new());
    shared
        .borrow_mut()
        .waiting
        .insert(id.clone(), notify.clone());
    tokio::task::spawn_local(validate_after_start(
        state.clone(),
        engine.clone(),
        name.to_owned(),
        shared.clone(),
        id,
        notify,
    ));
}

async fn validate_after_start(
    state: Arc<State>,
    engine: Engine,
    name: String,
    shared: Rc<RefCell<Watch>>,
    id: String,
    notify: Rc<Notify>,
) {
    // Whether it has records (and a HEALTHCHECK), as the runner will see it.
    let target = EngineTarget {
        name: name.clone(),
        engine: engine.clone(),
    };
    let mut selector = Selector::new(vec![id.clone()]);
    selector.project = state.config.events.select.project.clone();
    selector.labels = state.config.events.select.labels.clone();
    let selection = select_targets(vec![target], Vec::new(), &selector).await;
    let found = selection
        .targets
        .into_iter()
        .find(|t| t.id == id && t.project.is_some());
    let Some(found) = found else {
        shared.borrow_mut().waiting.remove(&id);
        return;
    };
    let grace = tokio::time::sleep(state.config.events.grace);
    if found.has_health_check {
        tokio::select! {
            () = grace => {}
            () = notify.notified() => {}
        }
    } else {
        grace.await;
    }
    shared.borrow_mut().waiting.remove(&id);
    let mut trigger = Trigger {
        kind: "engine event".into(),
        ..Trigger::default()
    };
    if let Some(task) = swarm_task(&engine, &id).await {
        trigger.service = Some(task.service);
        trigger.task = task.task;
        trigger.node = task.node;
    }
    let request = Request {
        lane: format!("event\0{name}\0{id}"),
        action: "validate",
        trigger,
        selection: Selection {
            names: vec![id.clone()],
            engine: Some(name.clone()),
            ..Selection::default()
        },
        batch: None,
    };
    match state.scheduler.submit(&state, request) {
        Ok(job) => tracing::info!(
            engine = %name,
            container = %safe_text::escape(&found.container),
            job = job.id,
            "validate after start"
        ),
        Err(why) => tracing::warn!(
            engine = %name,
            container = %safe_text::escape(&found.container),
            "validate after start not filed: {}",
            why.as_str()
        ),
    }
}

/// A Swarm task's service, task id and node, when the container is one.
struct TaskOnNode {
    service: String,
    task: Option<String>,
    /// The node's hostname when its engine is in the Swarm as that node;
    /// else the node id from the label.
    node: Option<String>,
}

/// Whether container `id` is a Swarm task (its labels), and on which
/// node (the engine's own `docker info`). An engine error only loses the
/// naming: the VALIDATE is filed all the same.
async fn swarm_task(engine: &Engine, id: &str) -> Option<TaskOnNode> {
    let details = match engine.inspect_container(id).await {
        Ok(details) => details,
        Err(e) => {
            tracing::warn!(engine = %engine.name(), error = %e, "engine events: cannot inspect");
            return None;
        }
    };
    let task = SwarmTaskOf::from_labels(&details.labels)?;
    let hostname = match engine.swarm_membership().await {
        Ok(m) if m.node_id.is_some() && m.node_id == task.node_id => m.hostname,
        _ => None,
    };
    Some(TaskOnNode {
        service: task.service,
        task: task.task,
        node: hostname.or(task.node_id),
    })
}

/// Handles the running containers that started at or after `lost` (the
/// last event seen before the gap) as starts.
async fn reconcile(
    state: &Arc<State>,
    engine: &Engine,
    name: &str,
    shared: &Rc<RefCell<Watch>>,
    lost: i64,
) {
    let running = match engine.list_containers(Listing::Running).await {
        Ok(list) => list,
        Err(e) => {
            tracing::warn!(engine = %name, error = %e, "engine events: cannot reconcile");
            return;
        }
    };
    let mut count = 0;
    for c in running {
        match engine.started_at(&c.id).await {
            Ok(Some(at)) if at >= lost => {
                count += 1;
                started(state, engine, name, shared, c.id, at);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(engine = %name, error = %e, "engine events: cannot inspect"),
        }
    }
    tracing::info!(engine = %name, started_in_gap = count, "engine events: reconciled");
}
