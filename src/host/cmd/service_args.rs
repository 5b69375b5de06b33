//! `--service NAME` (repeatable, globs) and `--by node|task` of the
//! action commands: a Swarm service's running tasks as the targets of
//! `waybill update|validate|monitor`, run by the one runner
//! ([`crate::host::actions`]) like any container.
//!
//! The services come from the managers among the engines; each task's
//! container is reached through its node's engine
//! ([`crate::host::fleet::resolve_tasks`]). A task that is not running is
//! a target the runner reports `skipped`; a task whose node's engine
//! cannot be used is an engine error row naming the task, the node and
//! the endpoint tried. With `--batch N`, `--by node` (the default) rolls
//! N nodes at a time, `--by task` N tasks at a time.

use super::select_args::SelectArgs;
use crate::host::actions::{timeouts_of, EngineFailure, RunOptions, Selection, Target};
use crate::host::endpoint::{self, EndpointArgs};
use crate::host::engine::RunState;
use crate::host::env::Env;
use crate::host::fleet::{
    connect_all, find_services, resolve_tasks, EngineTarget, TaskListing, TaskOutcome,
};
use crate::host::HostError;
use clap::{Args, ValueEnum};
use futures_util::stream::{self, StreamExt};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Containers inspected at once while selecting tasks.
const INSPECTS_AT_ONCE: usize = 8;

#[derive(Debug, Clone, Default, Args)]
pub struct ServiceArgs {
    /// A Swarm service (name, id prefix or glob), through the managers
    /// among the engines: its running tasks are the targets (repeatable)
    #[arg(long = "service", value_name = "NAME", conflicts_with = "names")]
    pub services: Vec<String>,
    /// With --service and --batch: roll N nodes at a time (`node`) or N
    /// tasks at a time (`task`)
    #[arg(long, value_enum, default_value_t = By::Node, requires = "services")]
    pub by: By,
}

/// The unit of a Swarm rollout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum By {
    #[default]
    Node,
    Task,
}

impl ServiceArgs {
    pub fn is_given(&self) -> bool {
        !self.services.is_empty()
    }

    pub fn apply(&self, options: &mut RunOptions) {
        options.batch_by_engine = self.is_given() && self.by == By::Node;
    }
}

/// The tasks of the services `args` names (filtered by `select`'s
/// project, label, source and branch), as runner targets.
pub async fn select(
    args: &ServiceArgs,
    select: &SelectArgs,
    engines: &EndpointArgs,
    env: &Env,
) -> Result<Selection, HostError> {
    let mut selector = select.selector();
    selector = {
        let mut named = crate::host::fleet::select::Selector::new(args.services.clone())
            .with_source(select.source.clone());
        named.project = selector.project.take();
        named.labels = std::mem::take(&mut selector.labels);
        named.branch = selector.branch.take();
        named
    };
    let endpoints = endpoint::resolve(engines, env)?;
    let settings = endpoint::swarm_settings(engines, env)?;
    let (reached, unreached) = connect_all(&endpoints).await;
    let found = find_services(&reached, &selector, TaskListing::Current).await;
    let mut selection = Selection {
        targets: Vec::new(),
        engine_errors: unreached
            .into_iter()
            .map(|u| EngineFailure {
                engine: u.name,
                error: u.error.to_string(),
            })
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
        for task in resolve_tasks(swarm, &settings, &reached).await {
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
                    pending.push((
                        shared,
                        container_id,
                        task_name,
                        task.image,
                        project,
                        timeouts,
                    ));
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
    // Each runnable task's container, inspected on its node: its name,
    // state and health check, as for any container target.
    let inspected: Vec<Result<Target, EngineFailure>> = stream::iter(pending)
        .map(
            |(engine, id, task_name, image, project, timeouts)| async move {
                match engine.engine.inspect_container(&id).await {
                    Ok(details) => Ok(Target {
                        engine: Arc::clone(&engine),
                        container: details.name.clone(),
                        id: details.id.clone(),
                        image,
                        project,
                        state: details.state.clone(),
                        has_health_check: details.health.is_some(),
                        timeouts,
                        last: Default::default(),
                    }),
                    Err(e) => Err(EngineFailure {
                        engine: engine.name.clone(),
                        error: format!("task {task_name}: {e}"),
                    }),
                }
            },
        )
        .buffer_unordered(INSPECTS_AT_ONCE)
        .collect()
        .await;
    for outcome in inspected {
        match outcome {
            Ok(target) => selection.targets.push(target),
            Err(failure) => selection.engine_errors.push(failure),
        }
    }
    Ok(selection)
}
