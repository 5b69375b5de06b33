//! Swarm services as run targets: the one way a service selector becomes
//! [`Target`]s, used by the action commands (`--service`), by
//! `waybill metrics --service` and by `waybill serve`'s jobs alike.
//!
//! The services come from the managers among the engines
//! ([`fleet::find_services`]); each task's container is reached through
//! its node's engine ([`fleet::resolve_tasks`]). A task that is not
//! running is a target the runner reports `skipped`, never exec'd; a
//! task whose node's engine cannot be used is an engine error row naming
//! the task, the node and the endpoint tried. How a rollout walks the
//! targets (`--by node|task`) is [`super::RunOptions::batch_by_engine`];
//! this module only selects.

use super::plan::{timeouts_of, Target};
use super::report::EngineFailure;
use super::select::Selection;
use crate::host::endpoint::SwarmSettings;
use crate::host::engine::RunState;
use crate::host::fleet::select::Selector;
use crate::host::fleet::{
    self, find_services, records_from_nodes, resolve_tasks, EngineTarget, TaskListing, TaskOutcome,
    Unreached,
};
use futures_util::stream::{self, StreamExt};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Containers inspected at once while selecting tasks.
const INSPECTS_AT_ONCE: usize = 8;

/// The tasks of the services `selector` names (its names are service
/// names, id prefixes or globs; its project, labels, source and branch
/// narrow by service labels and image records), found through the
/// managers among `reached`; `unreached` engines become engine errors,
/// first, in the order given. With `state`, each runnable target's
/// runtime state is read too ([`Target::last`], as `waybill metrics`
/// needs it).
pub async fn select_service_tasks(
    reached: Vec<EngineTarget>,
    unreached: Vec<Unreached>,
    selector: &Selector,
    settings: &SwarmSettings,
    state: bool,
) -> Selection {
    let mut found = find_services(&reached, selector, TaskListing::Current).await;
    records_from_nodes(&mut found, settings, &reached).await;
    let mut selection = Selection {
        targets: Vec::new(),
        engine_errors: unreached
            .into_iter()
            .map(EngineFailure::from)
            .chain(found.errors.iter().map(|(engine, e)| EngineFailure {
                engine: engine.clone(),
                error: e.to_string(),
            }))
            .collect(),
    };
    if found.swarms.is_empty() && selection.engine_errors.is_empty() {
        selection.engine_errors.push(EngineFailure {
            engine: "-".to_owned(),
            error: "no engine given is a Swarm manager; name a manager with -H or --context"
                .to_owned(),
        });
    }
    // Each engine once, shared by all its tasks.
    let mut engines: BTreeMap<String, Arc<EngineTarget>> = BTreeMap::new();
    let mut pending = Vec::new();
    for swarm in &found.swarms {
        // The manager names the tasks that are not running (never asked).
        let Some(manager) = reached.iter().find(|t| t.name == swarm.manager) else {
            continue;
        };
        let records: BTreeMap<&str, _> = swarm
            .services
            .iter()
            .map(|v| (v.service.name.as_str(), v.records.as_ref().ok()))
            .collect();
        for task in resolve_tasks(swarm, settings, &reached).await {
            let report = records.get(task.service.as_str()).copied().flatten();
            let project = report
                .and_then(|r| r.images.last())
                .map(|i| i.record.project.clone());
            let timeouts = timeouts_of(report);
            let task_name = match task.task.slot {
                Some(slot) if slot > 0 => format!("{}.{slot}", task.service),
                _ => format!(
                    "{}.{}",
                    task.service,
                    task.task.node_id.as_deref().unwrap_or(&task.task.id)
                ),
            };
            match task.outcome {
                TaskOutcome::Runnable {
                    engine,
                    container_id,
                    ..
                } => {
                    let shared = engines
                        .entry(engine.name.clone())
                        .or_insert_with(|| Arc::new(engine))
                        .clone();
                    pending.push(Pending {
                        engine: shared,
                        id: container_id,
                        task_name,
                        image: task.image,
                        project,
                        timeouts,
                    });
                }
                TaskOutcome::NotRunning { reason } => {
                    // The runner reports it skipped, with this state; it
                    // is never exec'd. Its engine is the manager's, which
                    // is only named, never asked.
                    let manager = engines
                        .entry(manager.name.clone())
                        .or_insert_with(|| {
                            Arc::new(EngineTarget {
                                name: manager.name.clone(),
                                engine: manager.engine.clone(),
                            })
                        })
                        .clone();
                    selection.targets.push(Target {
                        engine: manager,
                        container: task_name,
                        id: task.task.container_id.clone().unwrap_or_default(),
                        image: task.image,
                        project,
                        state: RunState::Other(format!("a Swarm task: {reason}")),
                        has_health_check: false,
                        timeouts,
                        last: Default::default(),
                    });
                }
                TaskOutcome::NodeError { reason } => {
                    selection.engine_errors.push(EngineFailure {
                        engine: task.node.unwrap_or_else(|| "-".to_owned()),
                        error: format!("task {task_name}: {reason}"),
                    });
                }
            }
        }
    }
    let inspected: Vec<Result<Target, EngineFailure>> = stream::iter(pending)
        .map(|p| inspect(p, state))
        .buffer_unordered(INSPECTS_AT_ONCE)
        .collect()
        .await;
    for outcome in inspected {
        match outcome {
            Ok(target) => selection.targets.push(target),
            Err(failure) => selection.engine_errors.push(failure),
        }
    }
    selection
}

/// A runnable task whose container is still to be inspected.
struct Pending {
    engine: Arc<EngineTarget>,
    id: String,
    task_name: String,
    image: String,
    project: Option<String>,
    timeouts: BTreeMap<crate::record::Action, u64>,
}

/// Each runnable task's container, inspected on its node: its name,
/// state and health check, as for any container target; with `state`,
/// its runtime state through the fleet's discovery of that container.
async fn inspect(p: Pending, state: bool) -> Result<Target, EngineFailure> {
    let details = p
        .engine
        .engine
        .inspect_container(&p.id)
        .await
        .map_err(|e| EngineFailure {
            engine: p.engine.name.clone(),
            error: format!("task {}: {e}", p.task_name),
        })?;
    let last = if state && details.state.is_running() {
        let options = fleet::Options {
            listing: crate::host::engine::Listing::Running,
            state: true,
        };
        let one = Selector::new(vec![details.id.clone()]);
        fleet::discover(std::slice::from_ref(&*p.engine), options, &one)
            .await
            .into_iter()
            .filter_map(|answer| answer.outcome.ok())
            .flatten()
            .find(|d| d.summary.id == details.id)
            .and_then(|d| d.outcome.ok())
            .map(|f| f.report.runtime.last)
            .unwrap_or_default()
    } else {
        Default::default()
    };
    Ok(Target {
        engine: Arc::clone(&p.engine),
        container: details.name.clone(),
        id: details.id.clone(),
        image: p.image,
        project: p.project,
        state: details.state.clone(),
        has_health_check: details.health.is_some(),
        timeouts: p.timeouts,
        last,
    })
}
