//! `POST /actions`: the page's buttons. A form with the session's CSRF
//! token, an `action` (validate, monitor, update) and either `target`
//! values (`ENGINE/ID`, one or more) or a `service` with a `batch`.
//!
//! It files the job through the same function as `POST /jobs`
//! ([`crate::host::serve::http::submit_operator_job`]): the selection is
//! the containers' ids (with the engine when they share one) or the
//! service, so the job selects and runs exactly as an API job would.
//! Without a session: 401; a wrong CSRF token: 403; never anything run
//! for a GET.

use super::auth::viewer;
use super::layout::{document, message, respond, Viewer};
use crate::host::serve::http::submit_operator_job;
use crate::host::serve::job::Selection;
use crate::host::serve::State;
use axum::body::Body;
use axum::extract::State as Shared;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;
use std::sync::Arc;

/// The most containers one form may name.
pub const MAX_TARGETS: usize = 1_000;

/// What the form asks for, checked.
#[derive(Debug, PartialEq, Eq)]
pub struct Asked {
    pub action: String,
    pub selection: Selection,
    pub batch: Option<usize>,
}

/// Reads the action's fields; the message says what is wrong.
pub fn asked(form: &super::form::Form) -> Result<Asked, String> {
    let action = form.first("action").unwrap_or("").to_owned();
    let mut selection = Selection::default();
    let mut engines: Vec<&str> = Vec::new();
    for target in form.all("target") {
        let Some((engine, id)) = target.rsplit_once('/') else {
            return Err(format!(
                "target `{}` is not ENGINE/ID",
                target.escape_debug()
            ));
        };
        if engine.is_empty() || id.is_empty() {
            return Err(format!(
                "target `{}` is not ENGINE/ID",
                target.escape_debug()
            ));
        }
        if !engines.contains(&engine) {
            engines.push(engine);
        }
        selection.names.push(id.to_owned());
    }
    if selection.names.len() > MAX_TARGETS {
        return Err(format!("more than {MAX_TARGETS} targets"));
    }
    // Ids are unique across engines; one engine narrows the job to it.
    if let [only] = engines.as_slice() {
        selection.engine = Some((*only).to_owned());
    }
    if let Some(service) = form.first("service").filter(|s| !s.is_empty()) {
        selection.services.push(service.to_owned());
    }
    let batch = match form.first("batch").map(str::trim).filter(|b| !b.is_empty()) {
        None => None,
        Some(b) => match b.parse::<usize>() {
            Ok(n) if n >= 1 => Some(n),
            _ => return Err("`batch` must be a whole number of at least 1".into()),
        },
    };
    if selection.is_empty() {
        return Err("select at least one container or a service".into());
    }
    Ok(Asked {
        action,
        selection,
        batch,
    })
}

pub async fn post_actions(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let viewer: Viewer = viewer(&state, &headers);
    if !viewer.operator {
        return message(
            StatusCode::NOT_FOUND,
            &viewer,
            "Acting is off",
            "No [operator] token is configured, so nothing can be run from this page.",
        );
    }
    let Some(session) = viewer.session.clone() else {
        tracing::info!(status = 401, "page action refused: no session");
        return respond(
            StatusCode::UNAUTHORIZED,
            document(
                "Log in first",
                &viewer,
                html! {
                    h1 { "Log in first" }
                    p #message {
                        "Acting needs the operator token: "
                        a href="/login" { "log in" }
                        ", then try again."
                    }
                },
            ),
        );
    };
    let form = match super::form::read(&state, &headers, body).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    if !session.csrf_ok(form.first("csrf").unwrap_or("")) {
        tracing::info!(status = 403, "page action refused: bad CSRF token");
        return message(
            StatusCode::FORBIDDEN,
            &viewer,
            "Refused",
            "The form's CSRF token does not match this session. Reload the page and try again.",
        );
    }
    let asked = match asked(&form) {
        Ok(a) => a,
        Err(why) => return message(StatusCode::BAD_REQUEST, &viewer, "Nothing to run", &why),
    };
    match submit_operator_job(&state, &asked.action, asked.selection, asked.batch) {
        Ok(id) => {
            state.page.fleet.clear().await;
            super::auth::see_other(&format!("/jobs/{id}"))
        }
        Err(not) => message(not.status, &viewer, "Not run", &not.message),
    }
}

#[cfg(test)]
mod tests {
    use super::super::form::Form;
    use super::*;

    #[test]
    fn targets_on_one_engine_narrow_the_job_to_it() {
        let form = Form::parse(b"action=validate&target=unix%3A%2F%2F%2Fa.sock%2Fabc&target=unix%3A%2F%2F%2Fa.sock%2Fdef");
        let a = asked(&form).unwrap();
        assert_eq!(a.selection.names, ["abc", "def"]);
        assert_eq!(a.selection.engine.as_deref(), Some("unix:///a.sock"));
    }

    #[test]
    fn targets_on_two_engines_select_by_id_alone() {
        let form = Form::parse(b"action=update&target=a%2F1&target=b%2F2");
        let a = asked(&form).unwrap();
        assert_eq!(a.selection.engine, None);
    }

    #[test]
    fn a_service_takes_its_batch_and_nothing_selected_is_refused() {
        let form = Form::parse(b"action=update&service=web&batch=2");
        let a = asked(&form).unwrap();
        assert_eq!(
            (a.selection.services.as_slice(), a.batch),
            (&["web".to_owned()][..], Some(2))
        );
        assert!(asked(&Form::parse(b"action=update")).is_err());
        assert!(asked(&Form::parse(b"action=update&service=web&batch=0")).is_err());
        assert!(asked(&Form::parse(b"action=update&target=nodash")).is_err());
    }
}
