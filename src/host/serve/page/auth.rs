//! Who may view and who may act: the login form, logout, and the checks
//! every page and action makes.
//!
//! The operator types the `[operator]` token once (`POST /login`,
//! compared in constant time); the answer is a session cookie
//! ([`super::session`]). Viewing needs that session unless `[page]
//! public = true`; acting always does, plus the session's CSRF token in
//! the form. The cookie is `Secure` when `[page] secure_cookie = true`
//! or the request came through a TLS proxy that says so with
//! `X-Forwarded-Proto: https`.

use super::layout::{document, message, respond, shown, Viewer};
use super::session::{self, Session};
use crate::host::serve::{verify, State};
use axum::body::Body;
use axum::extract::{Query, State as Shared};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::html;
use std::sync::Arc;
use std::time::Instant;

/// The viewer of this request: its session, if its cookie names one.
pub fn viewer(state: &State, headers: &HeaderMap) -> Viewer {
    let session = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(session::cookie_value)
        .and_then(|id| state.page.sessions.find(id, Instant::now()));
    Viewer {
        session,
        operator: state.config.operator_token.is_some(),
    }
}

/// The viewer, or the redirect to the login form when viewing needs a
/// session and there is none.
#[allow(clippy::result_large_err)]
pub fn require_view(state: &State, headers: &HeaderMap, uri: &Uri) -> Result<Viewer, Response> {
    let viewer = viewer(state, headers);
    if viewer.session.is_some() || state.config.page.public {
        return Ok(viewer);
    }
    let next = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("next", next);
    Err(see_other(&format!("/login?{}", q.finish())))
}

/// A 303 to `location` (a path of this server).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Whether cookies are set `Secure` for this request.
fn secure(state: &State, headers: &HeaderMap) -> bool {
    state.config.page.secure_cookie
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// Only a path on this server is a place to go after login: never
/// another host (`//host`, `/\host`) or a scheme.
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p
        }
        _ => "/",
    }
}

#[derive(serde::Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

fn login_page(viewer: &Viewer, next: &str, error: Option<&str>) -> maud::Markup {
    document(
        "Log in",
        viewer,
        html! {
            h1 { "Log in" }
            @if viewer.operator {
                p { "Paste the operator token of this server's config (" code { "[operator]" } ")." }
                @if let Some(error) = error {
                    p #login-error .error { (shown(error)) }
                }
                form #login method="post" action="/login" {
                    input type="hidden" name="next" value=(next);
                    label { "Token " input type="password" name="token" autocomplete="current-password" required; }
                    button type="submit" #login-submit { "Log in" }
                }
            } @else {
                p #login-error .error { "No [operator] token is configured, so nobody can log in." }
            }
        },
    )
}

/// `GET /login`.
pub async fn login_form(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let viewer = viewer(&state, &headers);
    let next = local_path(q.next.as_deref());
    respond(StatusCode::OK, login_page(&viewer, next, None))
}

/// `POST /login`: the token for a session cookie.
pub async fn login(Shared(state): Shared<Arc<State>>, headers: HeaderMap, body: Body) -> Response {
    let viewer = viewer(&state, &headers);
    let body = match super::form::read(&state, &headers, body).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    let next = local_path(body.first("next")).to_owned();
    let Some(token) = &state.config.operator_token else {
        return respond(StatusCode::FORBIDDEN, login_page(&viewer, &next, None));
    };
    let sent = body.first("token").unwrap_or("");
    if verify::token_eq(token, sent).is_err() {
        tracing::info!(status = 401, "page login refused: wrong token");
        return respond(
            StatusCode::UNAUTHORIZED,
            login_page(&viewer, &next, Some("That is not the operator token.")),
        );
    }
    let session: Session = match state.page.sessions.create(Instant::now()) {
        Ok(s) => s,
        Err(e) => {
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                &viewer,
                "Cannot log in",
                &e.to_string(),
            )
        }
    };
    tracing::info!(status = 303, "page login");
    let mut response = see_other(&next);
    if let Ok(cookie) =
        HeaderValue::from_str(&session::set_cookie(&session.id, secure(&state, &headers)))
    {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /logout`: ends the session (its CSRF token required).
pub async fn logout(Shared(state): Shared<Arc<State>>, headers: HeaderMap, body: Body) -> Response {
    let viewer = viewer(&state, &headers);
    let form = match super::form::read(&state, &headers, body).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    if let Some(session) = &viewer.session {
        if !session.csrf_ok(form.first("csrf").unwrap_or("")) {
            return message(
                StatusCode::FORBIDDEN,
                &viewer,
                "Refused",
                "The form's CSRF token does not match this session.",
            );
        }
        state.page.sessions.remove(&session.id);
    }
    let mut response = see_other("/login");
    if let Ok(cookie) = HeaderValue::from_str(&session::clear_cookie(secure(&state, &headers))) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(local_path(Some("/jobs/3")), "/jobs/3");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(None), "/");
    }
}
