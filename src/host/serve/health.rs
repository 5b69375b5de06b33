//! `GET /healthz`: can every configured engine be reached right now.
//!
//! Each engine is connected afresh (one version negotiation), all at
//! once, each within the engine layer's connect deadline: 200 when all
//! answer, 503 naming the ones that did not.

use super::State;
use crate::host::fleet::connect_all;
use axum::extract::State as Shared;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::sync::Arc;

pub(crate) async fn healthz(Shared(state): Shared<Arc<State>>) -> Response {
    let (up, down) = connect_all(&state.config.endpoints).await;
    let now = super::now();
    for t in &up {
        state.metrics.engine(&t.name, true, now);
    }
    for u in &down {
        state.metrics.engine(&u.name, false, now);
    }
    let engines: Vec<_> = up
        .iter()
        .map(|t| json!({ "engine": t.name, "up": true }))
        .chain(
            down.iter()
                .map(|u| json!({ "engine": u.name, "up": false, "error": u.error.to_string() })),
        )
        .collect();
    let status = if down.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let down_names: Vec<&str> = down.iter().map(|u| u.name.as_str()).collect();
    (
        status,
        Json(json!({ "ok": down.is_empty(), "engines": engines, "down": down_names })),
    )
        .into_response()
}
