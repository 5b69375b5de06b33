//! Swarm services as the fleet sees them: found through the managers
//! among the engines a command was given, each with the records of its
//! image (the `io.waybill.stack` label, read the way container discovery
//! reads it) and, when asked, its tasks.
//!
//! Each engine is asked `docker info` first: workers and engines outside
//! a Swarm are noted, not errors, and two managers of one Swarm are
//! asked once (the first named). The image's records are read from the
//! manager's copy of the image; a manager without the image gives that
//! service an error for its records, never a failed listing, until
//! [`super::records_from_nodes`] reads them on a node running a task. Which engine
//! runs a task's container is `nodes.rs`'s business.

use super::discover::stack_from_label;
use super::error::DiscoveryError;
use super::select::{Candidate, Selector};
use super::target::EngineTarget;
use crate::host::engine::{
    Engine, EngineError, NodeSummary, ServiceSummary, SwarmMembership, TaskSummary,
};
use crate::record::stack_label::STACK_LABEL;
use crate::report::{Report, Runtime};
use std::collections::BTreeMap;

/// Which tasks a listing keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskListing {
    /// No tasks.
    None,
    /// The current ones: desired running, or still running.
    Current,
    /// Every task the manager remembers, the history of failed and
    /// replaced ones included (as `docker service ps`).
    All,
}

/// One Swarm, as one of its managers answered.
#[derive(Debug)]
pub struct SwarmView {
    /// The engine (its display name) that answered for this Swarm.
    pub manager: String,
    pub membership: SwarmMembership,
    pub services: Vec<ServiceView>,
    /// Every node of the Swarm, sorted by hostname.
    pub nodes: Vec<NodeSummary>,
}

/// One service and what came of describing it.
#[derive(Debug)]
pub struct ServiceView {
    pub service: ServiceSummary,
    /// The report of its image's records, or why there is none.
    pub records: Result<Report, DiscoveryError>,
    /// Where the records came from when not from the manager's copy of
    /// the image ([`super::records_from_nodes`]); None: the manager's.
    pub records_from: Option<String>,
    /// Its tasks, by slot then node, when asked for.
    pub tasks: Vec<TaskSummary>,
}

impl SwarmView {
    /// The node `id`, if the Swarm has it.
    pub fn node(&self, id: &str) -> Option<&NodeSummary> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// What the managers among the engines said.
#[derive(Debug, Default)]
pub struct SwarmsFound {
    pub swarms: Vec<SwarmView>,
    /// Engines that answered but manage no Swarm: (engine, its state,
    /// e.g. `worker of a Swarm` or `not in a Swarm`).
    pub not_managers: Vec<(String, String)>,
    /// Engines that failed while asked: (engine, error).
    pub errors: Vec<(String, EngineError)>,
}

/// The Swarms that `targets` manage, with the services `selector`
/// accepts (service names, ids and globs; service labels; the image
/// record's project, branch and source).
pub async fn find_services(
    targets: &[EngineTarget],
    selector: &Selector,
    tasks: TaskListing,
) -> SwarmsFound {
    let memberships = futures_util::future::join_all(
        targets
            .iter()
            .map(|t| async move { t.engine.swarm_membership().await }),
    )
    .await;
    let mut found = SwarmsFound::default();
    let mut managers = Vec::new();
    for (target, membership) in targets.iter().zip(memberships) {
        match membership {
            Ok(m) if m.is_manager => {
                let seen = managers.iter().any(|(_, other): &(_, SwarmMembership)| {
                    other.cluster_id.is_some() && other.cluster_id == m.cluster_id
                });
                if !seen {
                    managers.push((target, m));
                }
            }
            Ok(m) => found
                .not_managers
                .push((target.name.clone(), role_note(&m))),
            Err(e) => found.errors.push((target.name.clone(), e)),
        }
    }
    let views = futures_util::future::join_all(
        managers
            .into_iter()
            .map(|(target, m)| swarm_view(target, m, selector, tasks)),
    )
    .await;
    for view in views {
        match view {
            Ok(view) => found.swarms.push(view),
            Err((engine, e)) => found.errors.push((engine, e)),
        }
    }
    found
}

/// How an engine that manages no Swarm stands.
fn role_note(m: &SwarmMembership) -> String {
    match m.state.as_str() {
        "inactive" => "not in a Swarm".to_owned(),
        "active" => "a worker of a Swarm, not a manager".to_owned(),
        other => format!("Swarm state `{other}`, not a manager"),
    }
}

async fn swarm_view(
    target: &EngineTarget,
    membership: SwarmMembership,
    selector: &Selector,
    tasks: TaskListing,
) -> Result<SwarmView, (String, EngineError)> {
    let fail = |e| (target.name.clone(), e);
    let engine = &target.engine;
    let services = engine.list_services().await.map_err(fail)?;
    let nodes = engine.list_nodes().await.map_err(fail)?;
    let mut all_tasks = if tasks == TaskListing::None {
        Vec::new()
    } else {
        engine.list_tasks(None).await.map_err(fail)?
    };
    // Services sharing an image read its label once; a failure is asked
    // again for each, so each row has its own typed error.
    let mut images: BTreeMap<String, Report> = BTreeMap::new();
    let mut views = Vec::new();
    for service in services {
        if !selector.matches_listing(&service.name, &service.id, &service.labels) {
            continue;
        }
        let records = match images.get(&service.image) {
            Some(report) => Ok(report.clone()),
            None => match image_records(engine, &service.image).await {
                Ok(report) => {
                    images.insert(service.image.clone(), report.clone());
                    Ok(report)
                }
                Err(source) => Err(DiscoveryError::ServiceImage {
                    image: service.image.clone(),
                    source: Box::new(source),
                }),
            },
        };
        let candidate = Candidate {
            name: &service.name,
            id: &service.id,
            labels: &service.labels,
            record: records
                .as_ref()
                .ok()
                .and_then(|r| r.images.last())
                .map(|i| &i.record),
        };
        if !selector.matches(&candidate) {
            continue;
        }
        let mut own: Vec<TaskSummary> = Vec::new();
        all_tasks.retain(|t| {
            if t.service_id == service.id {
                own.push(t.clone());
                false
            } else {
                true
            }
        });
        own.retain(|t| match tasks {
            TaskListing::None => false,
            TaskListing::Current => t.desired_state == "running" || t.state == "running",
            TaskListing::All => true,
        });
        own.sort_by(|a, b| {
            let host = |t: &TaskSummary| {
                t.node_id
                    .as_deref()
                    .and_then(|id| nodes.iter().find(|n| n.id == id))
                    .map(|n| n.hostname.clone())
                    .unwrap_or_default()
            };
            (a.slot, host(a), &a.id).cmp(&(b.slot, host(b), &b.id))
        });
        views.push(ServiceView {
            service,
            records,
            records_from: None,
            tasks: own,
        });
    }
    Ok(SwarmView {
        manager: target.name.clone(),
        membership,
        services: views,
        nodes,
    })
}

/// The report of the records in `image`'s `io.waybill.stack` label, as
/// the manager's copy of the image has it.
async fn image_records(engine: &Engine, image: &str) -> Result<Report, DiscoveryError> {
    let labels = match engine.inspect_image(image).await.map(|i| i.labels) {
        // A reference pinned by digest (`name:tag@sha256:…`) is found
        // under the digest only when the image was pulled; an image
        // loaded or built there is found under its name.
        Err(EngineError::NotFound { .. }) if image.contains('@') => {
            let name = image.split('@').next().unwrap_or(image);
            engine.inspect_image(name).await?.labels
        }
        other => other?,
    };
    let label = labels.get(STACK_LABEL).ok_or(DiscoveryError::NoLabel)?;
    let stack = stack_from_label(label, image)?;
    Ok(Report::from_stack(&stack, Runtime::default(), Vec::new()))
}
