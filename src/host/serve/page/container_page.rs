//! The container page (`GET /containers/{engine}/{id}`): the shared
//! examine report as HTML ([`crate::report::render_html`]: runtime
//! facts, the effective methods and where each came from, the ancestry
//! from base to leaf), the buttons that act on this one container, and
//! the recent jobs that touched it.
//!
//! The container is described as `waybill examine` describes it
//! ([`crate::host::fleet::discover_one`], runtime state included), on
//! the configured engine of that name only.

use super::auth::require_view;
use super::jobs_html::{recent_for, recent_table};
use super::layout::{document, message, respond, shown, Viewer};
use crate::host::engine::{ContainerDetails, EngineError, ObjectKind};
use crate::host::fleet::{connect_all, discover_one, DiscoveryError, Found};
use crate::host::serve::job::Job;
use crate::host::serve::State;
use crate::record::stack_label::STACK_LABEL;
use crate::report::render_html;
use axum::extract::{Path, State as Shared};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use maud::{html, Markup};
use std::sync::Arc;

/// Recent jobs shown on the page.
const RECENT: usize = 20;

pub async fn container_page(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    uri: Uri,
    Path((engine, id)): Path<(String, String)>,
) -> Response {
    let viewer = match require_view(&state, &headers, &uri) {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let Some(endpoint) = state.config.endpoints.iter().find(|e| e.name == engine) else {
        return message(
            StatusCode::NOT_FOUND,
            &viewer,
            "No such engine",
            &format!("No configured engine is named `{engine}`."),
        );
    };
    let (reached, unreached) = connect_all(std::slice::from_ref(endpoint)).await;
    let Some(target) = reached.first() else {
        let why = unreached
            .first()
            .map_or_else(|| "unreachable".to_owned(), |u| u.error.to_string());
        return message(StatusCode::BAD_GATEWAY, &viewer, "Engine unreachable", &why);
    };
    match discover_one(target, &id, true).await {
        Ok((details, outcome)) => {
            let recent = recent_for(&state, &engine, &details.name, RECENT);
            respond(
                StatusCode::OK,
                render(
                    &engine,
                    &details,
                    &outcome,
                    &recent,
                    &viewer,
                    crate::host::serve::now(),
                ),
            )
        }
        Err(EngineError::NotFound {
            kind: ObjectKind::Container,
            ..
        }) => message(
            StatusCode::NOT_FOUND,
            &viewer,
            "No such container",
            &format!("Engine `{engine}` has no container `{id}`."),
        ),
        Err(e) => message(
            StatusCode::BAD_GATEWAY,
            &viewer,
            "Engine error",
            &e.to_string(),
        ),
    }
}

/// The page of one described container.
pub fn render(
    engine: &str,
    details: &ContainerDetails,
    outcome: &Result<Found, DiscoveryError>,
    recent: &[Job],
    viewer: &Viewer,
    now: i64,
) -> Markup {
    let target = format!("{engine}/{}", details.id);
    document(
        &details.name,
        viewer,
        html! {
            h1 { "Container " (shown(&details.name)) }
            dl #container data-engine=(engine) data-id=(details.id) {
                dt { "Engine" } dd { (shown(engine)) }
                dt { "Id" } dd { code { (shown(&details.id)) } }
                dt { "Image" } dd { (shown(&details.image)) }
                dt { "State" } dd { (shown(&details.state.to_string())) }
                dt { "Health" } dd { (shown(details.health.as_deref().unwrap_or("no health check"))) }
                @if let Ok(found) = outcome { dt { "Records from" } dd { (found.source.to_string()) } }
            }
            form.act-one method="post" action="/actions" {
                input type="hidden" name="csrf" value=(viewer.csrf());
                input type="hidden" name="target" value=(target);
                button type="submit" name="action" value="validate" #validate-this { "Validate" }
                button type="submit" name="action" value="monitor" #monitor-this { "Monitor" }
                button type="submit" name="action" value="update" #update-this { "Update" }
            }
            section #examine {
                @match outcome {
                    Ok(found) => (render_html(&found.report)),
                    Err(e) => p.error { (shown(&e.to_string())) },
                }
            }
            section #labels {
                h2 { "Labels" }
                @if details.labels.is_empty() {
                    p { "No labels." }
                } @else {
                    table #label-table {
                        thead { tr { th { "Key" } th { "Value" } } }
                        tbody {
                            @for (key, value) in &details.labels {
                                tr {
                                    td { code { (shown(key)) } }
                                    @if key == STACK_LABEL {
                                        td { "the image's records (above)" }
                                    } @else {
                                        td { (shown(value)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section #recent {
                h2 { "Recent jobs" }
                (recent_table(recent, engine, &details.name, now))
            }
        },
    )
}
