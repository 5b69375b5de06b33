//! Swarm services, as a manager reports them: name, image, mode and the
//! manager's own count of desired and running tasks.
//!
//! Only a Swarm manager answers; any other engine is
//! [`EngineError::NotSwarmManager`]. What a service's image records say
//! is the fleet's business (`crate::host::fleet::services`), and its
//! tasks are `tasks.rs`.

use super::deadline::{within, CALL_DEADLINE};
use super::error::{classify, EngineError, ObjectKind};
use super::Engine;
use bollard::models::{Service, ServiceSpecMode};
use bollard::query_parameters::{InspectServiceOptions, ListServicesOptions};
use std::collections::BTreeMap;
use std::fmt;

/// How a service places its tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceMode {
    /// A fixed number of replicas, spread over the nodes.
    Replicated { replicas: u64 },
    /// One task on every eligible node.
    Global,
    /// Tasks that run to completion (`replicated-job`, `global-job`).
    Job,
    /// A mode this build does not know.
    Other,
}

impl fmt::Display for ServiceMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceMode::Replicated { .. } => f.write_str("replicated"),
            ServiceMode::Global => f.write_str("global"),
            ServiceMode::Job => f.write_str("job"),
            ServiceMode::Other => f.write_str("other"),
        }
    }
}

/// One Swarm service.
#[derive(Debug, Clone)]
pub struct ServiceSummary {
    pub id: String,
    pub name: String,
    /// The image reference of the task template, as the service was
    /// created (`name:tag`, with `@sha256:…` when the manager resolved it).
    pub image: String,
    /// The service's own labels (not its image's).
    pub labels: BTreeMap<String, String>,
    pub mode: ServiceMode,
    /// The manager's count of tasks that should run; None from an engine
    /// older than API 1.41.
    pub desired_tasks: Option<u64>,
    /// The manager's count of tasks running now.
    pub running_tasks: Option<u64>,
    /// The state of the latest `docker service update` (`updating`,
    /// `completed`, `paused`, `rollback_started`…), if one ran.
    pub update_state: Option<String>,
}

fn mode_of(mode: Option<ServiceSpecMode>) -> ServiceMode {
    let Some(mode) = mode else {
        return ServiceMode::Other;
    };
    if let Some(replicated) = mode.replicated {
        ServiceMode::Replicated {
            replicas: replicated
                .replicas
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(1),
        }
    } else if mode.global.is_some() {
        ServiceMode::Global
    } else if mode.replicated_job.is_some() || mode.global_job.is_some() {
        ServiceMode::Job
    } else {
        ServiceMode::Other
    }
}

fn summary(service: Service) -> ServiceSummary {
    let spec = service.spec.unwrap_or_default();
    let container = spec.task_template.and_then(|t| t.container_spec);
    let status = service.service_status;
    ServiceSummary {
        id: service.id.unwrap_or_default(),
        name: spec.name.unwrap_or_default(),
        image: container.and_then(|c| c.image).unwrap_or_default(),
        labels: spec.labels.unwrap_or_default().into_iter().collect(),
        mode: mode_of(spec.mode),
        desired_tasks: status.as_ref().and_then(|s| s.desired_tasks),
        running_tasks: status.as_ref().and_then(|s| s.running_tasks),
        update_state: service
            .update_status
            .and_then(|u| u.state)
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty()),
    }
}

impl Engine {
    /// Every service of the Swarm this engine manages, with the task
    /// counts, sorted by name.
    pub async fn list_services(&self) -> Result<Vec<ServiceSummary>, EngineError> {
        let options = ListServicesOptions {
            status: Some(true),
            ..Default::default()
        };
        let list = within(
            CALL_DEADLINE,
            &self.name,
            "list",
            ObjectKind::Service,
            "*",
            async {
                self.docker
                    .list_services(Some(options))
                    .await
                    .map_err(|e| classify(e, &self.name, "list", ObjectKind::Service, "*"))
            },
        )
        .await?;
        let mut services: Vec<ServiceSummary> = list.into_iter().map(summary).collect();
        services.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(services)
    }

    /// One service by name or id. The engine's inspect carries no task
    /// counts; [`Engine::list_services`] does.
    pub async fn inspect_service(&self, name: &str) -> Result<ServiceSummary, EngineError> {
        let service = within(
            CALL_DEADLINE,
            &self.name,
            "inspect",
            ObjectKind::Service,
            name,
            async {
                self.docker
                    .inspect_service(name, None::<InspectServiceOptions>)
                    .await
                    .map_err(|e| classify(e, &self.name, "inspect", ObjectKind::Service, name))
            },
        )
        .await?;
        Ok(summary(service))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ServiceSpecModeReplicated, ServiceSpecModeReplicatedJob};
    use std::collections::HashMap;

    #[test]
    fn a_service_mode_is_read_from_whichever_part_of_the_spec_is_set() {
        let replicated = ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated { replicas: Some(6) }),
            ..Default::default()
        };
        assert_eq!(
            mode_of(Some(replicated)),
            ServiceMode::Replicated { replicas: 6 }
        );
        let global = ServiceSpecMode {
            global: Some(HashMap::new()),
            ..Default::default()
        };
        assert_eq!(mode_of(Some(global)), ServiceMode::Global);
        let job = ServiceSpecMode {
            replicated_job: Some(ServiceSpecModeReplicatedJob::default()),
            ..Default::default()
        };
        assert_eq!(mode_of(Some(job)), ServiceMode::Job);
        assert_eq!(mode_of(None), ServiceMode::Other);
    }
}
