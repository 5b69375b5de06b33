//! Container events: a stream of starts, deaths, removals and health
//! changes from one engine, as this crate's own types.
//!
//! The stream has no deadline (events arrive when they happen), but a
//! lost connection is never silent: it ends the stream after one
//! [`EngineError`] item, so a subscriber knows to reconnect and resubscribe
//! from the last event time it saw (`since`).

use super::error::{classify, EngineError, ObjectKind};
use super::Engine;
use bollard::query_parameters::EventsOptions;
use futures_util::{Stream, StreamExt};
use std::collections::{BTreeMap, HashMap};

/// What happened to a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Start,
    Die,
    Destroy,
    /// `healthy`, `unhealthy` or `starting`, as the engine spelled it.
    Health(String),
}

/// One container event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerEvent {
    pub kind: EventKind,
    /// The container's id.
    pub id: String,
    /// Its name, when the engine gave one.
    pub name: Option<String>,
    /// The container's labels as the event carries them.
    pub labels: BTreeMap<String, String>,
    /// When it happened, epoch seconds, by the engine's clock.
    pub time: i64,
}

impl Engine {
    /// Container start, die, destroy and health_status events since the
    /// epoch second `since` (or from now). Ends after the first error
    /// item: connection loss surfaces as [`EngineError::Unreachable`].
    pub fn container_events(
        &self,
        since: Option<i64>,
    ) -> impl Stream<Item = Result<ContainerEvent, EngineError>> + 'static {
        let filters: HashMap<String, Vec<String>> = [
            ("type".to_owned(), vec!["container".to_owned()]),
            (
                "event".to_owned(),
                ["start", "die", "destroy", "health_status"]
                    .map(str::to_owned)
                    .to_vec(),
            ),
        ]
        .into_iter()
        .collect();
        let options = EventsOptions {
            since: since.map(|s| s.to_string()),
            until: None,
            filters: Some(filters),
        };
        let name = self.name.clone();
        let raw = self.docker.events(Some(options));
        let mut failed = false;
        raw.map(move |item| {
            item.map_err(|e| classify(e, &name, "events", ObjectKind::Container, "events"))
        })
        .take_while(move |item| {
            let go = !failed;
            failed |= item.is_err();
            std::future::ready(go)
        })
        .filter_map(|item| std::future::ready(item.map(convert).transpose()))
    }

    /// When the container last started, epoch seconds; `None` when it has
    /// not, or the engine's time does not parse.
    pub async fn started_at(&self, container: &str) -> Result<Option<i64>, EngineError> {
        let c = self.inspect_raw(container).await?;
        Ok(c.state
            .and_then(|s| s.started_at)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.timestamp())
            .filter(|t| *t > 0))
    }
}

/// Our event, or `None` for one we do not follow.
fn convert(message: bollard::models::EventMessage) -> Option<ContainerEvent> {
    let action = message.action?;
    let kind = match action.as_str() {
        "start" => EventKind::Start,
        "die" => EventKind::Die,
        "destroy" => EventKind::Destroy,
        other => EventKind::Health(other.strip_prefix("health_status:")?.trim().to_owned()),
    };
    let actor = message.actor?;
    let id = actor.id?;
    let mut labels: BTreeMap<String, String> =
        actor.attributes.unwrap_or_default().into_iter().collect();
    let name = labels.remove("name");
    labels.remove("image");
    Some(ContainerEvent {
        kind,
        id,
        name,
        labels,
        time: message.time.unwrap_or_default(),
    })
}
