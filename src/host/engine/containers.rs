//! Containers: listing them and inspecting one, as this crate's own
//! types. Nothing here reads records or exec's into a container; that is
//! `exec.rs` and `archive.rs`, and what the labels mean is the fleet's.

use super::deadline::{within, CALL_DEADLINE};
use super::error::{classify, EngineError, ObjectKind};
use super::Engine;
use bollard::query_parameters::{InspectContainerOptions, ListContainersOptions};
use std::collections::BTreeMap;
use std::fmt;

/// Which containers a listing includes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Only running (and paused, restarting) containers, as `docker ps`.
    Running,
    /// Stopped ones too, as `docker ps --all`.
    All,
}

/// What a container is doing, in the engine's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    /// A state this build does not know, kept as the engine spelled it.
    Other(String),
}

impl RunState {
    pub(super) fn parse(text: &str) -> RunState {
        match text {
            "created" => RunState::Created,
            "running" => RunState::Running,
            "paused" => RunState::Paused,
            "restarting" => RunState::Restarting,
            "removing" => RunState::Removing,
            "exited" => RunState::Exited,
            "dead" => RunState::Dead,
            other => RunState::Other(other.to_owned()),
        }
    }

    /// Whether a process runs in it that an exec could join.
    pub fn is_running(&self) -> bool {
        matches!(self, RunState::Running | RunState::Restarting)
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunState::Created => "created",
            RunState::Running => "running",
            RunState::Paused => "paused",
            RunState::Restarting => "restarting",
            RunState::Removing => "removing",
            RunState::Exited => "exited",
            RunState::Dead => "dead",
            RunState::Other(text) => text,
        })
    }
}

/// One container as a listing shows it: what both a listing and an
/// inspect tell, so a listing alone can describe a container.
#[derive(Debug, Clone)]
pub struct ContainerSummary {
    pub id: String,
    /// The first name, without the engine's leading `/`.
    pub name: String,
    /// The image as the container was created from it (a name or an id).
    pub image: String,
    pub image_id: String,
    /// The container's labels, which include its image's.
    pub labels: BTreeMap<String, String>,
    pub state: RunState,
    /// Docker's HEALTHCHECK status (`healthy`, `starting`, …); None when
    /// the image has no health check.
    pub health: Option<String>,
}

/// What an inspect of one container says: its summary, and the times
/// only an inspect tells. It dereferences to the summary, so
/// `details.name` reads as on a [`ContainerSummary`].
#[derive(Debug, Clone)]
pub struct ContainerDetails {
    pub summary: ContainerSummary,
    /// RFC 3339 as the engine wrote it.
    pub created: Option<String>,
    /// None when the container never started.
    pub started_at: Option<String>,
}

impl std::ops::Deref for ContainerDetails {
    type Target = ContainerSummary;

    fn deref(&self) -> &ContainerSummary {
        &self.summary
    }
}

fn strip_slash(name: &str) -> String {
    name.strip_prefix('/').unwrap_or(name).to_owned()
}

/// A health status as the engine spells it, or None for "no health
/// check" (`none`, or nothing).
fn health(status: Option<String>) -> Option<String> {
    status.filter(|s| !s.is_empty() && s != "none")
}

/// The health status in a listing's status text (`Up 5 minutes
/// (healthy)`, `Up 2 seconds (health: starting)`), which engines before
/// API 1.52 give instead of a health field. The texts are those `docker
/// ps` shows.
fn health_in_status(status: &str) -> Option<String> {
    let inner = status.strip_suffix(')')?.rsplit_once('(')?.1;
    match inner.strip_prefix("health: ").unwrap_or(inner) {
        word @ ("healthy" | "unhealthy" | "starting") => Some(word.to_owned()),
        _ => None,
    }
}

impl Engine {
    /// The engine's containers, running ones or all, with their labels.
    pub async fn list_containers(
        &self,
        listing: Listing,
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        let options = ListContainersOptions {
            all: listing == Listing::All,
            ..Default::default()
        };
        let list = within(
            CALL_DEADLINE,
            &self.name,
            "list",
            ObjectKind::Container,
            "*",
            async {
                self.docker
                    .list_containers(Some(options))
                    .await
                    .map_err(|e| classify(e, &self.name, "list", ObjectKind::Container, "*"))
            },
        )
        .await?;
        Ok(list
            .into_iter()
            .map(|c| ContainerSummary {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .and_then(|names| names.into_iter().next())
                    .map(|n| strip_slash(&n))
                    .unwrap_or_default(),
                image: c.image.unwrap_or_default(),
                image_id: c.image_id.unwrap_or_default(),
                labels: c.labels.unwrap_or_default().into_iter().collect(),
                state: RunState::parse(&c.state.map(|s| s.to_string()).unwrap_or_default()),
                health: health(c.health.and_then(|h| h.status).map(|s| s.to_string()))
                    .or_else(|| c.status.as_deref().and_then(health_in_status)),
            })
            .collect())
    }

    /// Inspects one container by name or id (prefix).
    pub async fn inspect_container(&self, name: &str) -> Result<ContainerDetails, EngineError> {
        let c = self.inspect_raw(name).await?;
        let config = c.config.unwrap_or_default();
        let state = c.state.unwrap_or_default();
        let health = health(state.health.and_then(|h| h.status).map(|s| s.to_string()));
        let started_at = state
            .started_at
            .filter(|s| !s.is_empty() && !s.starts_with("0001-01-01"));
        Ok(ContainerDetails {
            summary: ContainerSummary {
                id: c.id.unwrap_or_default(),
                name: strip_slash(&c.name.unwrap_or_default()),
                image: config.image.unwrap_or_default(),
                image_id: c.image.unwrap_or_default(),
                labels: config.labels.unwrap_or_default().into_iter().collect(),
                state: RunState::parse(&state.status.map(|s| s.to_string()).unwrap_or_default()),
                health,
            },
            created: c.created.map(|d| d.to_string()),
            started_at,
        })
    }
}

impl Engine {
    /// The engine's own inspect answer for one container, within the call
    /// deadline and with its errors classified: what `inspect_container`,
    /// `health` and `started_at` each read their part of.
    pub(super) async fn inspect_raw(
        &self,
        name: &str,
    ) -> Result<bollard::models::ContainerInspectResponse, EngineError> {
        within(
            CALL_DEADLINE,
            &self.name,
            "inspect",
            ObjectKind::Container,
            name,
            async {
                self.docker
                    .inspect_container(name, None::<InspectContainerOptions>)
                    .await
                    .map_err(|e| classify(e, &self.name, "inspect", ObjectKind::Container, name))
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_status_gives_the_health_docker_ps_shows() {
        let cases = [
            ("Up 5 minutes (healthy)", Some("healthy")),
            ("Up 5 minutes (unhealthy)", Some("unhealthy")),
            ("Up 2 seconds (health: starting)", Some("starting")),
            ("Up 5 minutes", None),
            ("Up 5 minutes (Paused)", None),
            ("Exited (0) 3 seconds ago", None),
            ("", None),
        ];
        for (status, expected) in cases {
            assert_eq!(health_in_status(status).as_deref(), expected, "{status}");
        }
    }
}
