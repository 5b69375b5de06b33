//! The hooks page (`GET /hooks`): each configured hook with its forge
//! and its recent deliveries (kept in memory by
//! [`crate::host::serve::delivery_log`]), refused ones with the reason.
//! Delivery ids, repositories and refs came from the request: escaped.

use super::auth::require_view;
use super::layout::{ago, document, respond, shown, Viewer};
use crate::host::serve::delivery_log::Delivery;
use crate::host::serve::State;
use axum::extract::State as Shared;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use maud::{html, Markup};
use std::sync::Arc;

/// One hook as the page shows it.
pub struct HookView<'a> {
    pub name: &'a str,
    pub forge: &'a str,
    pub deliveries: Vec<Delivery>,
}

pub fn render(hooks: &[HookView<'_>], viewer: &Viewer, now: i64) -> Markup {
    document(
        "Hooks",
        viewer,
        html! {
            h1 { "Hooks" }
            @if hooks.is_empty() { p.none { "No [[hook]] is configured." } }
            @for hook in hooks {
                section.hook data-hook=(hook.name) {
                    h2 { (shown(hook.name)) " " span.forge { "(" (hook.forge) ", POST /hooks/" (shown(hook.name)) ")" } }
                    table.deliveries data-hook=(hook.name) {
                        thead { tr { th { "When" } th { "Forge" } th { "Delivery" } th { "Repository" } th { "Ref" } th { "Status" } th { "Outcome" } } }
                        tbody {
                            @for d in &hook.deliveries {
                                tr.delivery.rejected[d.refused()] data-status=(d.status) {
                                    td { (ago(Some(d.at), now)) }
                                    td { (shown(&d.forge)) }
                                    td { code { (shown(d.delivery.as_deref().unwrap_or("-"))) } }
                                    td { (shown(d.repository.as_deref().unwrap_or("-"))) }
                                    td { (shown(d.git_ref.as_deref().unwrap_or("-"))) }
                                    td { (d.status) }
                                    td.outcome { (shown(&d.outcome)) }
                                }
                            }
                        }
                    }
                    @if hook.deliveries.is_empty() { p.none { "No delivery since the server started." } }
                }
            }
        },
    )
}

/// `GET /hooks`.
pub async fn hooks_page(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let viewer = match require_view(&state, &headers, &uri) {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let hooks: Vec<HookView<'_>> = state
        .config
        .hooks
        .iter()
        .enumerate()
        .map(|(i, h)| HookView {
            name: &h.name,
            forge: h.forge.as_str(),
            deliveries: state.recent_deliveries.recent(i),
        })
        .collect();
    respond(
        StatusCode::OK,
        render(&hooks, &viewer, crate::host::serve::now()),
    )
}
