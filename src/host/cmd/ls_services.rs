//! `waybill ls --services [--tasks]`: the Swarm services the managers
//! among the engines know, with their images' records and replica
//! counts, and with `--tasks` each task's node, state and container; a
//! table, or JSON (schema in docs/swarm.md).
//!
//! Arguments are `waybill ls`'s (`cmd/ls.rs` hands over here); finding
//! the services is [`crate::host::fleet::find_services`]. Every text that
//! comes from the engine or a record passes through [`escape`].

use super::record_facts::{warnings_of, RecordFacts};
use crate::exit;
use crate::host::endpoint::SwarmSettings;
use crate::host::engine::{ServiceMode, TaskSummary};
use crate::host::fleet::select::Selector;
use crate::host::fleet::{
    find_services, records_from_nodes, resolve_tasks, EngineTarget, ResolvedTask, Route,
    ServiceView, SwarmView, TaskListing, TaskOutcome, Unreached,
};
use crate::host::HostError;
use crate::report::Report;
use crate::safe_text::escape;
use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;
use std::collections::BTreeMap;

/// Bumped when the JSON shape changes incompatibly (docs/swarm.md).
pub const SERVICES_VERSION: u32 = 1;

/// What `waybill ls` asked of the service listing.
#[derive(Debug, Clone, Copy)]
pub struct ServiceListing {
    /// Show each service's tasks.
    pub tasks: bool,
    /// With tasks: the history too (failed, replaced, shut down).
    pub all: bool,
    pub json: bool,
}

#[derive(Debug, Default, Serialize)]
struct ServiceRow {
    /// The engine (a Swarm manager) that answered for this service.
    manager: String,
    service: String,
    id: String,
    image: String,
    mode: String,
    replicas_desired: Option<u64>,
    replicas_running: Option<u64>,
    update_state: Option<String>,
    /// project, gitref, git_branch, source_url, build_time, actions.
    #[serde(flatten)]
    facts: RecordFacts,
    warnings: Vec<String>,
    error: Option<String>,
    /// Where the records were read when the manager lacks the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    records_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tasks: Option<Vec<TaskRow>>,
}

#[derive(Debug, Serialize)]
struct TaskRow {
    id: String,
    /// `SERVICE.SLOT`, or `SERVICE.NODE_ID` for a global service, as
    /// `docker service ps` names tasks.
    name: String,
    slot: Option<i64>,
    node_id: Option<String>,
    node: Option<String>,
    node_addr: Option<String>,
    desired_state: String,
    state: String,
    /// Whether an action would run in it (desired and current state
    /// both `running`).
    runnable: bool,
    container_id: Option<String>,
    /// The engine its container is reached through (runnable tasks only).
    engine: Option<String>,
    /// Which rule found that engine: `hosts_file`, `template`, `node_id`.
    route: Option<Route>,
    /// Why its node's engine cannot be used (runnable tasks only).
    engine_error: Option<String>,
    since: Option<String>,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct NodeRow {
    manager: String,
    id: String,
    hostname: String,
    addr: Option<String>,
    role: String,
    availability: String,
    state: String,
}

#[derive(Debug, Serialize)]
struct EngineNote {
    engine: String,
    error: String,
}

#[derive(Serialize)]
struct ServicesOutput {
    services_version: u32,
    services: Vec<ServiceRow>,
    nodes: Vec<NodeRow>,
    not_managers: Vec<EngineNote>,
    engine_errors: Vec<EngineNote>,
}

/// Lists the services of every Swarm `targets` manage.
pub async fn run(
    listing: ServiceListing,
    selector: &Selector,
    settings: &SwarmSettings,
    targets: &[EngineTarget],
    unreached: Vec<Unreached>,
) -> Result<u8, HostError> {
    let tasks = match (listing.tasks, listing.all) {
        (false, _) => TaskListing::None,
        (true, false) => TaskListing::Current,
        (true, true) => TaskListing::All,
    };
    let mut found = find_services(targets, selector, tasks).await;
    records_from_nodes(&mut found, settings, targets).await;
    let mut output = ServicesOutput {
        services_version: SERVICES_VERSION,
        services: Vec::new(),
        nodes: Vec::new(),
        not_managers: found
            .not_managers
            .into_iter()
            .map(|(engine, error)| EngineNote { engine, error })
            .collect(),
        engine_errors: unreached
            .into_iter()
            .map(|u| EngineNote {
                engine: u.name,
                error: u.error.to_string(),
            })
            .collect(),
    };
    output
        .engine_errors
        .extend(found.errors.into_iter().map(|(engine, e)| EngineNote {
            engine,
            error: e.to_string(),
        }));
    for swarm in &found.swarms {
        let reached: BTreeMap<String, ResolvedTask> = if listing.tasks {
            resolve_tasks(swarm, settings, targets)
                .await
                .into_iter()
                .map(|r| (r.task.id.clone(), r))
                .collect()
        } else {
            BTreeMap::new()
        };
        for view in &swarm.services {
            output
                .services
                .push(service_row(swarm, view, listing.tasks, &reached));
        }
        output.nodes.extend(swarm.nodes.iter().map(|n| NodeRow {
            manager: swarm.manager.clone(),
            id: n.id.clone(),
            hostname: n.hostname.clone(),
            addr: n.addr.clone(),
            role: n.role.clone(),
            availability: n.availability.clone(),
            state: n.state.clone(),
        }));
    }
    if listing.json {
        let mut text = serde_json::to_string_pretty(&output)
            .map_err(|e| HostError::Stdout(std::io::Error::other(e)))?;
        text.push('\n');
        crate::output::stdout(text.as_bytes()).map_err(HostError::Stdout)?;
    } else if !output.services.is_empty() {
        let mut text = service_table(&output.services);
        if listing.tasks {
            text.push('\n');
            text.push_str(&task_table(&output.services));
        }
        crate::output::stdout(text.as_bytes()).map_err(HostError::Stdout)?;
    }
    for e in &output.engine_errors {
        if e.error.starts_with("engine `") {
            crate::output::stderr_line(format_args!("waybill: error: {}", escape(&e.error)));
        } else {
            crate::output::stderr_line(format_args!(
                "waybill: error: engine {}: {}",
                escape(&e.engine),
                escape(&e.error)
            ));
        }
    }
    if !listing.json {
        for row in &output.services {
            for t in row.tasks.iter().flatten() {
                if let Some(error) = &t.engine_error {
                    crate::output::stderr_line(format_args!(
                        "waybill: {}/{}: {}",
                        escape(&row.manager),
                        escape(&t.name),
                        escape(error)
                    ));
                }
            }
            if let Some(from) = &row.records_from {
                crate::output::stderr_line(format_args!(
                    "waybill: {}/{}: records read from {}",
                    escape(&row.manager),
                    escape(&row.service),
                    escape(from)
                ));
            }
            if let Some(error) = &row.error {
                crate::output::stderr_line(format_args!(
                    "waybill: {}/{}: {}",
                    escape(&row.manager),
                    escape(&row.service),
                    escape(error)
                ));
            }
        }
    }
    if !output.engine_errors.is_empty() {
        return Ok(exit::UNAVAILABLE);
    }
    if found.swarms.is_empty() {
        let notes: Vec<String> = output
            .not_managers
            .iter()
            .map(|n| format!("{} is {}", escape(&n.engine), n.error))
            .collect();
        crate::output::stderr_line(format_args!(
            "waybill: no engine given is a Swarm manager ({}); name a manager with -H or \
             --context",
            notes.join("; ")
        ));
        return Ok(exit::UNAVAILABLE);
    }
    if output.services.is_empty() && selector.is_filtering() {
        crate::output::stderr_line(format_args!(
            "waybill: no service matches the given names and filters"
        ));
        return Ok(exit::NOINPUT);
    }
    Ok(exit::OK)
}

fn service_row(
    swarm: &SwarmView,
    view: &ServiceView,
    with_tasks: bool,
    reached: &BTreeMap<String, ResolvedTask>,
) -> ServiceRow {
    let s = &view.service;
    let mut row = ServiceRow {
        manager: swarm.manager.clone(),
        service: s.name.clone(),
        id: s.id.clone(),
        image: s.image.clone(),
        mode: s.mode.to_string(),
        replicas_desired: s.desired_tasks.or(match s.mode {
            ServiceMode::Replicated { replicas } => Some(replicas),
            _ => None,
        }),
        replicas_running: s.running_tasks,
        update_state: s.update_state.clone(),
        ..ServiceRow::default()
    };
    match &view.records {
        Ok(report) => fill_from_report(&mut row, report),
        Err(e) => row.error = Some(e.to_string()),
    }
    row.records_from = view.records_from.clone();
    if with_tasks {
        row.tasks = Some(
            view.tasks
                .iter()
                .map(|t| task_row(swarm, &s.name, t, reached.get(&t.id)))
                .collect(),
        );
    }
    row
}

fn task_row(
    swarm: &SwarmView,
    service: &str,
    t: &TaskSummary,
    reached: Option<&ResolvedTask>,
) -> TaskRow {
    let node = t.node_id.as_deref().and_then(|id| swarm.node(id));
    let name = match (t.slot, &t.node_id) {
        (Some(slot), _) if slot > 0 => format!("{service}.{slot}"),
        (_, Some(node)) => format!("{service}.{node}"),
        _ => format!("{service}.{}", t.id),
    };
    TaskRow {
        id: t.id.clone(),
        name,
        slot: t.slot.filter(|s| *s > 0),
        node_id: t.node_id.clone(),
        node: node.map(|n| n.hostname.clone()),
        node_addr: node.and_then(|n| n.addr.clone()),
        desired_state: t.desired_state.clone(),
        state: t.state.clone(),
        runnable: t.is_running(),
        container_id: t.container_id.clone(),
        engine: reached.and_then(|r| r.engine()).map(|e| e.name.clone()),
        route: reached.and_then(|r| match &r.outcome {
            TaskOutcome::Runnable { route, .. } => Some(*route),
            _ => None,
        }),
        engine_error: reached.and_then(|r| match &r.outcome {
            TaskOutcome::NodeError { reason } => Some(reason.clone()),
            _ => None,
        }),
        since: t.since.clone(),
        message: t.message.clone(),
        error: t.error.clone(),
    }
}

/// The facts of the service image's own record (the newest).
fn fill_from_report(row: &mut ServiceRow, report: &Report) {
    row.facts = RecordFacts::of(report);
    row.warnings = warnings_of(report);
}

fn new_table(header: Vec<&str>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    table
}

fn text(s: Option<&str>) -> String {
    escape(s.unwrap_or("-")).into_owned()
}

fn service_table(rows: &[ServiceRow]) -> String {
    let mut table = new_table(vec![
        "ENGINE", "SERVICE", "IMAGE", "PROJECT", "REF", "BRANCH", "ACTIONS", "MODE", "REPLICAS",
    ]);
    for row in rows {
        let project = match &row.error {
            Some(error) => format!("error: {}", escape(error)),
            None => text(row.facts.project.as_deref()),
        };
        let replicas = match (row.replicas_running, row.replicas_desired) {
            (Some(running), Some(desired)) => format!("{running}/{desired}"),
            (None, Some(desired)) => format!("?/{desired}"),
            _ => "-".to_owned(),
        };
        table.add_row(vec![
            text(Some(&row.manager)),
            text(Some(&row.service)),
            text(Some(&row.image)),
            project,
            text(
                row.facts
                    .gitref
                    .as_deref()
                    .map(|r| r.get(..12).unwrap_or(r)),
            ),
            text(row.facts.git_branch.as_deref()),
            if row.facts.actions.is_empty() {
                "-".into()
            } else {
                row.facts.actions.join(",")
            },
            row.mode.clone(),
            replicas,
        ]);
    }
    let mut out = table.to_string();
    out.push('\n');
    out
}

fn task_table(rows: &[ServiceRow]) -> String {
    let mut table = new_table(vec![
        "TASK",
        "NODE",
        "DESIRED",
        "STATE",
        "CONTAINER",
        "NODE ENGINE",
        "ERROR",
    ]);
    for row in rows {
        for t in row.tasks.iter().flatten() {
            let container = t.container_id.as_deref().map(|c| c.get(..12).unwrap_or(c));
            table.add_row(vec![
                text(Some(&t.name)),
                text(t.node.as_deref().or(t.node_id.as_deref())),
                text(Some(&t.desired_state)),
                text(Some(&t.state)),
                text(container),
                text(t.engine.as_deref()),
                text(t.engine_error.as_deref().or(t.error.as_deref())),
            ]);
        }
    }
    let mut out = table.to_string();
    out.push('\n');
    out
}
