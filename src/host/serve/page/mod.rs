//! The fleet page of `waybill serve`: HTML for people, rendered on the
//! server with maud, a small stylesheet and one small script for live
//! updates; everything but live updates works without JavaScript.
//!
//! Routes (docs/serve.md, "The fleet page"): `/` (the fleet, filters in
//! the URL), `/containers/{engine}/{id}`, `/jobs` and `/jobs/{id}` when
//! a browser asks for HTML ([`crate::host::serve::http`] negotiates),
//! `/jobs/{id}/events` (server-sent events), `/hooks`, `/login`,
//! `/logout`, `/actions` and `/static/…`.
//!
//! Pages only show and translate: the fleet is listed by the same
//! discovery as `waybill ls`, and a button files a job through the same
//! function as `POST /jobs`. Text from containers, images, records,
//! forges and job output is untrusted: maud escapes it, control
//! characters are shown escaped, and none of it goes into a script, a
//! style or an unquoted attribute; the Content Security Policy forbids
//! inline scripts and styles besides.

mod actions;
mod assets;
mod auth;
mod commit_link;
mod container_page;
pub mod fleet_html;
mod fleet_source;
mod form;
mod hooks_html;
mod job_events;
mod jobs_html;
pub mod layout;
pub mod query;
mod session;
pub mod view;

pub(crate) use jobs_html::{job_page, jobs_page};

use super::State;
use axum::extract::{Query, State as Shared};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

/// What the pages keep between requests.
#[derive(Default)]
pub struct PageState {
    pub(crate) sessions: session::Sessions,
    pub(crate) fleet: fleet_source::FleetCache,
    /// Event streams open now (bounded by [`job_events::MAX_STREAMS`]).
    pub(crate) streams: AtomicUsize,
}

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/", get(fleet_page))
        .route(
            "/containers/{engine}/{id}",
            get(container_page::container_page),
        )
        .route("/jobs/{id}/events", get(job_events::job_events))
        .route("/hooks", get(hooks_html::hooks_page))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/actions", post(actions::post_actions))
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
}

/// `GET /`.
async fn fleet_page(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<query::FleetQuery>,
) -> Response {
    let viewer = match auth::require_view(&state, &headers, &uri) {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let whole = fleet_source::fleet_view(&state).await;
    let engines: Vec<String> = state
        .config
        .endpoints
        .iter()
        .map(|e| e.name.clone())
        .collect();
    let projects: Vec<String> = whole.projects().into_iter().map(str::to_owned).collect();
    let filters = query::Filters::from_query(&q);
    let view = filters.apply(whole);
    let page = fleet_html::FleetPage {
        view: &view,
        filters: &filters,
        engines: &engines,
        projects: &projects,
        viewer: &viewer,
        now: super::now(),
    };
    layout::respond(StatusCode::OK, fleet_html::render(&page))
}

#[cfg(test)]
mod tests;
