//! The HTTP surface: routes, and the translation of requests into jobs.
//!
//! Handlers decide only HTTP matters (status, headers, body limit) and
//! hand the rest to verification, payload parsing, dedupe, the rate
//! limit and the scheduler, in that order (docs/serve.md has the
//! response table). One log line per webhook request names the hook,
//! the forge, the delivery id and the outcome; never a secret, a
//! signature or the body.

use super::config::Hook;
use super::delivery_log::{Delivery, DeliveryLog};
use super::forge::{self, ForgeKind};
use super::job::{Selection, Trigger};
use super::metrics::{Metrics, Reject};
use super::payload::{self, Event};
use super::scheduler::Request;
use super::verify;
use super::State;
use crate::safe_text::escape;
use axum::body::Body;
use axum::extract::{Path, Query, State as Shared};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde_json::json;
use std::sync::Arc;

/// The longest delivery id accepted (forges send UUIDs or `msg_…` ids).
const MAX_DELIVERY_ID: usize = 200;
/// How long reading one request body may take.
const BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);
/// The most jobs `GET /jobs` returns at once.
const MAX_PAGE: usize = 100;

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/hooks/{name}", post(hook))
        .route("/jobs", get(list_jobs).post(post_job))
        .route("/jobs/{id}", get(get_job))
        .route("/healthz", get(super::health::healthz))
        .route("/metrics", get(metrics))
        .merge(super::page::routes())
        .with_state(state)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// Reads the body, refusing it with 413 as soon as it passes `limit`:
/// a declared length is checked before reading, and a chunked body is
/// counted as it streams, so an oversized one is never buffered whole.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, Response> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body over {limit} bytes"),
        )
    };
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize).min(limit));
    let read = async {
        while let Some(chunk) = stream.next().await {
            let chunk =
                chunk.map_err(|_| error(StatusCode::BAD_REQUEST, "failed to read the body"))?;
            if bytes.len() + chunk.len() > limit {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(())
    };
    // A sender that trickles its body does not hold a task forever.
    match tokio::time::timeout(BODY_DEADLINE, read).await {
        Ok(Ok(())) => Ok(bytes),
        Ok(Err(response)) => Err(response),
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            format!("the body took over {} s", BODY_DEADLINE.as_secs()),
        )),
    }
}

/// The outcome of one webhook request, for its log line.
struct Logged<'a> {
    hook: &'a str,
    forge: &'static str,
    delivery: Option<&'a str>,
    metrics: &'a Metrics,
    /// Where the hooks page's recent deliveries are kept, and this
    /// hook's place there (none for a hook that is not configured).
    recent: Option<(&'a DeliveryLog, usize)>,
    repository: Option<String>,
    git_ref: Option<String>,
}

impl Logged<'_> {
    /// Logs a refusal and counts it under `reason`.
    fn refused(&self, status: StatusCode, outcome: &str, reason: Reject) {
        self.metrics.rejected(self.forge, reason);
        self.done(status, outcome);
    }

    fn done(&self, status: StatusCode, outcome: &str) {
        tracing::info!(
            hook = %escape(self.hook),
            forge = %self.forge,
            delivery = %escape(self.delivery.unwrap_or("-")),
            status = status.as_u16(),
            outcome = %escape(outcome),
            "webhook"
        );
        if let Some((log, index)) = self.recent {
            log.record(
                index,
                Delivery {
                    at: super::now(),
                    forge: self.forge.to_owned(),
                    delivery: self.delivery.map(str::to_owned),
                    repository: self.repository.clone(),
                    git_ref: self.git_ref.clone(),
                    status: status.as_u16(),
                    outcome: outcome.to_owned(),
                },
            );
        }
    }
}

async fn hook(
    Shared(state): Shared<Arc<State>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some((index, hook)) = state
        .config
        .hooks
        .iter()
        .enumerate()
        .find(|(_, h)| h.name == name)
    else {
        state.metrics.received("none");
        let log = Logged {
            hook: &name,
            forge: "none",
            delivery: None,
            metrics: &state.metrics,
            recent: None,
            repository: None,
            git_ref: None,
        };
        log.refused(StatusCode::NOT_FOUND, "no such hook", Reject::UnknownHook);
        return error(StatusCode::NOT_FOUND, "no such hook");
    };
    let detected = match hook.forge {
        ForgeKind::Generic => ForgeKind::Generic,
        kind => forge::detect(&headers).unwrap_or(kind),
    };
    let delivery = forge::delivery_id(detected, &headers);
    state.metrics.received(detected.as_str());
    let mut log = Logged {
        hook: &hook.name,
        forge: detected.as_str(),
        delivery: delivery.as_deref(),
        metrics: &state.metrics,
        recent: Some((&state.recent_deliveries, index)),
        repository: None,
        git_ref: None,
    };
    let body = match read_body(&headers, body, state.config.body_limit).await {
        Ok(body) => body,
        Err(response) => {
            log.refused(response.status(), "body refused", Reject::BodyRefused);
            return response;
        }
    };
    if let Err(why) = verify::verify(hook, &headers, &body, super::now()) {
        log.refused(
            StatusCode::UNAUTHORIZED,
            why.as_str(),
            Reject::InvalidSignature,
        );
        return error(StatusCode::UNAUTHORIZED, "invalid signature");
    }
    if let Some(id) = &delivery {
        if id.len() > MAX_DELIVERY_ID || id.chars().any(|c| c.is_control()) {
            log.refused(
                StatusCode::BAD_REQUEST,
                "delivery id refused",
                Reject::BadDeliveryId,
            );
            return error(
                StatusCode::BAD_REQUEST,
                format!("the delivery id is longer than {MAX_DELIVERY_ID} characters"),
            );
        }
    }
    let dedupe_key = delivery.as_ref().map(|id| format!("{}\t{id}", hook.name));
    if let Some(key) = &dedupe_key {
        if state.deliveries.contains(key) {
            log.done(StatusCode::OK, "duplicate");
            return duplicate();
        }
    }
    if let Err(wait) = take_token(&state, index) {
        log.refused(
            StatusCode::TOO_MANY_REQUESTS,
            "rate limited",
            Reject::RateLimited,
        );
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "over the hook's rate limit");
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        return response;
    }
    let event = forge::event(detected, &headers);
    let parsed = match payload::parse(hook.forge, event.as_deref(), &body) {
        Ok(parsed) => parsed,
        Err(e) => {
            log.refused(StatusCode::BAD_REQUEST, &e.to_string(), Reject::BadPayload);
            return error(StatusCode::BAD_REQUEST, e.to_string());
        }
    };
    if let Some(key) = &dedupe_key {
        if !state.deliveries.insert(key) {
            log.done(StatusCode::OK, "duplicate");
            return duplicate();
        }
    }
    let push = match parsed {
        Event::Ignored(reason) => {
            log.done(StatusCode::OK, &format!("ignored: {reason}"));
            return (StatusCode::OK, Json(json!({ "ignored": reason }))).into_response();
        }
        Event::Push(push) => push,
    };
    log.repository = Some(push.repository().to_owned());
    log.git_ref = Some(push.git_ref.clone());
    let request = push_request(hook, detected, delivery.clone(), &push);
    match state.scheduler.submit(&state, request) {
        Ok(submitted) => {
            let outcome = if submitted.coalesced {
                format!("coalesced into job {}", submitted.id)
            } else {
                format!("job {}", submitted.id)
            };
            log.done(StatusCode::ACCEPTED, &outcome);
            accepted(submitted.id, submitted.coalesced)
        }
        Err(refused) => {
            log.refused(
                StatusCode::SERVICE_UNAVAILABLE,
                refused.as_str(),
                Reject::Unavailable,
            );
            error(StatusCode::SERVICE_UNAVAILABLE, refused.as_str())
        }
    }
}

/// `GET /metrics`: the registry in Prometheus text, version 0.0.4.
async fn metrics(Shared(state): Shared<Arc<State>>) -> Response {
    let now = super::now();
    let mut text = state.metrics.render(now);
    text.push_str(&state.container_metrics.render(now));
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

fn duplicate() -> Response {
    (StatusCode::OK, Json(json!({ "duplicate": true }))).into_response()
}

fn accepted(id: u64, coalesced: bool) -> Response {
    let mut response = (
        StatusCode::ACCEPTED,
        Json(json!({ "job": id, "coalesced": coalesced })),
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/jobs/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn take_token(state: &State, index: usize) -> Result<(), std::time::Duration> {
    let mut bucket = state.buckets[index]
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    match bucket.as_mut() {
        Some(bucket) => bucket.take(std::time::Instant::now()),
        None => Ok(()),
    }
}

/// The job a push asks for: an UPDATE of what the hook selects, in the
/// lane of this hook, repository and branch.
fn push_request(
    hook: &Hook,
    forge: ForgeKind,
    delivery: Option<String>,
    push: &payload::Push,
) -> Request {
    let repository = crate::host::fleet::select::normalise_url(push.repository());
    let mut selection = Selection {
        project: hook.select.project.clone(),
        labels: hook.select.labels.clone(),
        services: hook.select.services.clone(),
        ..Selection::default()
    };
    if hook.select.match_push {
        selection.source = Some(repository.clone());
        selection.branch = Some(push.branch.clone());
    }
    Request {
        lane: format!("hook\0{}\0{repository}\0{}", hook.name, push.branch),
        action: "update",
        trigger: Trigger {
            kind: "hook".into(),
            hook: Some(hook.name.clone()),
            forge: Some(forge.as_str().into()),
            delivery,
            repository: Some(push.repository().to_owned()),
            git_ref: Some(push.git_ref.clone()),
            revision: Some(push.revision.clone()),
            ..Trigger::default()
        },
        selection,
        batch: None,
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct PageQuery {
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

/// Whether the client is a browser asking for a page: its `Accept`
/// names `text/html`. API clients (no such `Accept`) get the JSON,
/// unchanged.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/html"))
}

async fn list_jobs(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<PageQuery>,
) -> Response {
    let limit = q.limit.unwrap_or(20).clamp(1, MAX_PAGE);
    if wants_html(&headers) {
        return super::page::jobs_page(&state, &headers, &uri, q.before, limit);
    }
    let (jobs, next) = state.history.page(q.before, limit);
    Json(json!({ "jobs": jobs, "next_before": next })).into_response()
}

async fn get_job(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let job = id.parse::<u64>().ok().and_then(|id| state.history.get(id));
    if wants_html(&headers) {
        return super::page::job_page(&state, &headers, &uri, job);
    }
    match job {
        Some(job) => Json(job).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such job"),
    }
}

/// `POST /jobs`: an action on a selection, by hand.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JobRequest {
    action: String,
    #[serde(default)]
    selection: Selection,
    /// Containers at a time (a rolling run); all at once when absent.
    #[serde(default)]
    batch: Option<usize>,
}

/// Why an operator's job was not filed: the status and the message.
pub(crate) struct NotFiled {
    pub status: StatusCode,
    pub message: String,
}

/// Files an operator's job: the one path `POST /jobs` and the fleet
/// page's `POST /actions` share (the caller has checked who asks).
pub(crate) fn submit_operator_job(
    state: &Arc<State>,
    action: &str,
    selection: Selection,
    batch: Option<usize>,
) -> Result<u64, NotFiled> {
    let refuse = |status, message: &str| NotFiled {
        status,
        message: message.to_owned(),
    };
    let action: &'static str = match action {
        "update" => "update",
        "validate" => "validate",
        "monitor" => "monitor",
        _ => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "`action` must be one of update, validate, monitor",
            ))
        }
    };
    if selection.is_empty() != selection.all {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "`selection` must name containers or filters, or be {\"all\": true} alone",
        ));
    }
    if !selection.services.is_empty() && !selection.names.is_empty() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "`selection` names either containers (`names`) or Swarm services (`services`), not both",
        ));
    }
    if batch == Some(0) {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "`batch` must be at least 1",
        ));
    }
    let lane = format!("operator\0{}", super::unique_number());
    let submitted = state.scheduler.submit(
        state,
        Request {
            lane,
            action,
            trigger: Trigger {
                kind: "operator".into(),
                ..Trigger::default()
            },
            selection,
            batch,
        },
    );
    match submitted {
        Ok(s) => {
            tracing::info!(status = 202, job = s.id, action, "operator job");
            Ok(s.id)
        }
        Err(refused) => Err(refuse(StatusCode::SERVICE_UNAVAILABLE, refused.as_str())),
    }
}

async fn post_job(Shared(state): Shared<Arc<State>>, headers: HeaderMap, body: Body) -> Response {
    let Some(token) = &state.config.operator_token else {
        return error(StatusCode::NOT_FOUND, "no operator token is configured");
    };
    let sent = forge::header_text(&headers, "authorization");
    let authorised = sent
        .as_deref()
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| verify::token_eq(token, t.trim()).is_ok());
    if !authorised {
        tracing::info!(status = 401, "operator job refused: bad or missing token");
        return error(StatusCode::UNAUTHORIZED, "invalid token");
    }
    let body = match read_body(&headers, body, state.config.body_limit).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let request: JobRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("the body is not a job request: {e}"),
            )
        }
    };
    match submit_operator_job(&state, &request.action, request.selection, request.batch) {
        Ok(id) => accepted(id, false),
        Err(not) => error(not.status, not.message),
    }
}
