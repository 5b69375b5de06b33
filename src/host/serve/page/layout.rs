//! The frame every page shares, and how a page is sent: the document
//! head (the stylesheet and the one script, both from `/static/`), the
//! navigation, and the response headers, above all the Content
//! Security Policy that forbids inline scripts and styles outright.
//!
//! Also the small formatting helpers the pages share (ages, times,
//! untrusted text made visible). Text from containers, records, forges
//! and jobs only ever reaches the page through maud's escaping.

use super::session::Session;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};
use std::borrow::Cow;

/// Sent with every HTML page (docs/serve.md).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Who is looking at a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The operator's session, when logged in.
    pub session: Option<Session>,
    /// Whether an `[operator]` token is configured at all.
    pub operator: bool,
}

impl Viewer {
    /// The CSRF token the page's forms carry (empty without a session:
    /// such a form is refused).
    pub fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.csrf.as_str())
    }
}

/// Untrusted text made visible: control, C1 and bidi characters shown
/// escaped ([`crate::safe_text`]); maud escapes it for HTML after.
pub fn shown(text: &str) -> Cow<'_, str> {
    crate::safe_text::escape(text)
}

pub use crate::host::age::age;

/// `ago` text of an epoch second, with the full time as a tooltip.
pub fn ago(at: Option<i64>, now: i64) -> Markup {
    html! {
        @match at {
            Some(at) => time datetime=(crate::report::time_text(at)) title=(crate::report::time_text(at)) { (age(now - at)) " ago" }
            None => "-",
        }
    }
}

/// The whole document around `body`.
pub fn document(title: &str, viewer: &Viewer, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (shown(title)) " · waybill" }
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                header {
                    nav {
                        a href="/" { "Fleet" }
                        a href="/jobs" { "Jobs" }
                        a href="/hooks" { "Hooks" }
                        span.spacer {}
                        @if let Some(session) = &viewer.session {
                            form #logout method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(session.csrf);
                                button type="submit" { "Log out" }
                            }
                        } @else if viewer.operator {
                            a #login-link href="/login" { "Log in" }
                        }
                    }
                    @if !viewer.operator {
                        p.notice #no-operator {
                            "No [operator] token is configured: acting from this page is impossible."
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// An HTML response with the page's security headers.
pub fn respond(status: StatusCode, page: Markup) -> Response {
    let mut response = (status, page.into_string()).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A page that only says what went wrong.
pub fn message(status: StatusCode, viewer: &Viewer, title: &str, text: &str) -> Response {
    respond(
        status,
        document(
            title,
            viewer,
            html! {
                h1 { (shown(title)) }
                p #message { (shown(text)) }
            },
        ),
    )
}

/// The path of a container's page: the engine's name is one path
/// segment, so its slashes (`unix:///…`) are percent-encoded.
pub fn container_href(engine: &str, id: &str) -> String {
    format!("/containers/{}/{}", segment(engine), segment(id))
}

/// What a path segment may not hold as it is: controls, space, the
/// delimiters of a URL (`/`, `?`, `#`, `%`) and what HTML or a browser
/// would change. `default`, `node-1` or `10.0.0.1:2375` stay readable.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'[')
    .add(b']');

/// `text` as one percent-encoded path segment.
pub fn segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_name_is_one_path_segment_and_stays_readable() {
        assert_eq!(container_href("default", "abc"), "/containers/default/abc");
        assert_eq!(
            container_href("unix:///var/run/docker.sock", "abc"),
            "/containers/unix:%2F%2F%2Fvar%2Frun%2Fdocker.sock/abc"
        );
        assert_eq!(
            container_href("tcp://10.0.0.1:2375", "a b"),
            "/containers/tcp:%2F%2F10.0.0.1:2375/a%20b"
        );
    }
}
