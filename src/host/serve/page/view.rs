//! What the fleet page shows, as data: a [`FleetView`] made from the
//! fleet listing (the same [`crate::host::fleet::discover`] as `waybill
//! ls`) and the job history (each container's last VALIDATE, MONITOR
//! and UPDATE as this server ran them).
//!
//! No HTML here ([`super::fleet_html`] renders it) and no I/O: the view
//! is built from values, so the renderer can be tested and measured on
//! a generated fleet. It serialises to JSON too, which the benchmark
//! uses as its yardstick.

use super::commit_link::commit_url;
use crate::host::fleet::{DiscoveryError, EngineAnswer};
use crate::host::serve::job::Job;
use serde::Serialize;
use std::collections::HashMap;

/// The label Docker puts on a Swarm task's container.
pub const SERVICE_LABEL: &str = "com.docker.swarm.service.name";

#[derive(Debug, Clone, Default, Serialize)]
pub struct FleetView {
    /// Engines in the configured order.
    pub engines: Vec<EngineView>,
    /// Engines that could not be reached or listed, with why.
    pub engine_errors: Vec<EngineFailure>,
    /// Containers listed that carry no records (not shown).
    pub without_records: usize,
}

/// An engine that could not be reached or listed: the runner's own row.
pub use crate::host::actions::EngineFailure;

#[derive(Debug, Clone, Serialize)]
pub struct EngineView {
    pub engine: String,
    pub containers: Vec<ContainerView>,
}

/// One container row. Every text field came from an engine or a record.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerView {
    pub engine: String,
    pub name: String,
    pub id: String,
    pub image: String,
    /// `running`, `exited`, …
    pub state: String,
    /// Docker's HEALTHCHECK status, when the image has one.
    pub health: Option<String>,
    pub project: Option<String>,
    pub gitref: Option<String>,
    /// The commit's page on a known forge.
    pub commit_url: Option<String>,
    pub git_branch: Option<String>,
    /// Epoch seconds.
    pub build_time: Option<i64>,
    /// The Swarm service whose task this container is.
    pub service: Option<String>,
    pub validate: LastResult,
    pub monitor: LastResult,
    pub update: LastResult,
    /// Why its records could not be read.
    pub error: Option<String>,
}

/// How an action last ended on a container, as far as this server knows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LastResult {
    pub status: ResultStatus,
    /// Epoch seconds when its job finished.
    pub at: Option<i64>,
    pub job: Option<u64>,
    /// For UPDATE: the pushed revision that started it, if a push did.
    pub revision: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultStatus {
    Failed,
    #[default]
    Unknown,
    Ok,
}

impl ResultStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResultStatus::Ok => "ok",
            ResultStatus::Failed => "failed",
            ResultStatus::Unknown => "unknown",
        }
    }
}

impl ContainerView {
    /// The row's overall status for the `status` filter: failed when the
    /// last VALIDATE or MONITOR failed, ok when one is ok, else unknown.
    pub fn status(&self) -> ResultStatus {
        let both = [self.validate.status, self.monitor.status];
        if both.contains(&ResultStatus::Failed) {
            ResultStatus::Failed
        } else if both.contains(&ResultStatus::Ok) {
            ResultStatus::Ok
        } else {
            ResultStatus::Unknown
        }
    }

    pub fn unhealthy(&self) -> bool {
        self.health.as_deref() == Some("unhealthy")
    }
}

/// The last results of every container the history has seen, by
/// engine and container name.
#[derive(Debug, Default)]
pub struct LastResults {
    by_container: HashMap<(String, String), Lasts>,
}

#[derive(Debug, Default, Clone)]
pub struct Lasts {
    pub validate: LastResult,
    pub monitor: LastResult,
    pub update: LastResult,
}

impl LastResults {
    /// Folds jobs in, newest first: the first result seen of each action
    /// on each container is its last. Steps that never ran (skipped, not
    /// reached) say nothing.
    pub fn add(&mut self, job: &Job) {
        for step in &job.results {
            let status = match step.outcome.as_str() {
                "done" => ResultStatus::Ok,
                "skipped" | "not_reached" => continue,
                _ => ResultStatus::Failed,
            };
            let lasts = self
                .by_container
                .entry((step.engine.clone(), step.container.clone()))
                .or_default();
            let slot = match step.action.as_str() {
                "validate" => &mut lasts.validate,
                "monitor" => &mut lasts.monitor,
                "update" => &mut lasts.update,
                _ => continue,
            };
            if slot.job.is_none() {
                *slot = LastResult {
                    status,
                    at: job.finished.or(job.started),
                    job: Some(job.id),
                    revision: if step.action == "update" {
                        job.trigger.revision.clone()
                    } else {
                        None
                    },
                };
            }
        }
    }

    pub fn of(&self, engine: &str, container: &str) -> Lasts {
        self.by_container
            .get(&(engine.to_owned(), container.to_owned()))
            .cloned()
            .unwrap_or_default()
    }
}

impl FleetView {
    /// The view of a fleet listing: engines in the order given, each
    /// container with records (or with records that could not be read)
    /// as a row; containers without any records are only counted.
    pub fn build(
        answers: &[EngineAnswer],
        unreached: &[EngineFailure],
        lasts: &LastResults,
    ) -> FleetView {
        let mut view = FleetView {
            engine_errors: unreached.to_vec(),
            ..FleetView::default()
        };
        for answer in answers {
            let listed = match &answer.outcome {
                Ok(listed) => listed,
                Err(e) => {
                    view.engine_errors.push(EngineFailure {
                        engine: answer.engine.clone(),
                        error: e.to_string(),
                    });
                    continue;
                }
            };
            let mut engine = EngineView {
                engine: answer.engine.clone(),
                containers: Vec::new(),
            };
            for d in listed {
                let s = &d.summary;
                let own = d
                    .outcome
                    .as_ref()
                    .ok()
                    .and_then(|f| f.report.images.last())
                    .map(|i| &i.record);
                let error = match &d.outcome {
                    Ok(_) => None,
                    Err(DiscoveryError::NoRecords { .. } | DiscoveryError::NoTool { .. }) => {
                        view.without_records += 1;
                        continue;
                    }
                    Err(e) => Some(e.to_string()),
                };
                let gitref = own.and_then(|r| r.gitref.clone());
                let commit = match (own.and_then(|r| r.source_url.as_deref()), &gitref) {
                    (Some(url), Some(g)) => commit_url(url, g),
                    _ => None,
                };
                let lasts = lasts.of(&answer.engine, &s.name);
                engine.containers.push(ContainerView {
                    engine: answer.engine.clone(),
                    name: s.name.clone(),
                    id: s.id.clone(),
                    image: s.image.clone(),
                    state: s.state.to_string(),
                    health: s.health.clone(),
                    project: own.map(|r| r.project.clone()),
                    gitref,
                    commit_url: commit,
                    git_branch: own.and_then(|r| r.git_branch.clone()),
                    build_time: own
                        .and_then(|r| r.build_time.map(|t| t.epoch()).or(r.build_time_stamp)),
                    service: s.labels.get(SERVICE_LABEL).cloned(),
                    validate: lasts.validate,
                    monitor: lasts.monitor,
                    update: lasts.update,
                    error,
                });
            }
            view.engines.push(engine);
        }
        view
    }

    /// Every project named by a row, sorted, once each (for the filter).
    pub fn projects(&self) -> Vec<&str> {
        let mut projects: Vec<&str> = self
            .engines
            .iter()
            .flat_map(|e| e.containers.iter())
            .filter_map(|c| c.project.as_deref())
            .collect();
        projects.sort_unstable();
        projects.dedup();
        projects
    }

    pub fn container_count(&self) -> usize {
        self.engines.iter().map(|e| e.containers.len()).sum()
    }
}
