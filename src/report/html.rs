//! The examine report as HTML, for the container page of `waybill
//! serve`: the same [`Report`] model the text renderer ([`super::render`])
//! shows, so both programs keep one report.
//!
//! Host side only (feature `host`): the lean `container` binary never
//! renders HTML. Every text in a report came from an image's authors or
//! the runtime: it goes through maud, which escapes it for HTML, after
//! [`safe_text`] has made control, C1 and bidi characters visible.
//! Nothing here builds markup with `format!`, and no report text lands
//! in a script, a style or an unquoted attribute.
//!
//! The parts carry the ids the page's tests and stylesheet rely on:
//! `#runtime`, `#methods` (each effective method and the image it came
//! from) and `#ancestry` (every image, base first, one `li.layer` each).

use super::{ImageReport, Report, DEPLOY_VARS};
use crate::record::Action;
use crate::safe_text;
use maud::{html, Markup};
use std::borrow::Cow;

/// Untrusted text made visible: control characters shown escaped.
fn shown(text: &str) -> Cow<'_, str> {
    safe_text::escape(text)
}

/// Several lines of untrusted text, each escaped, newlines kept.
pub fn shown_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&safe_text::escape(line));
    }
    out
}

/// Epoch seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn time_text(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0).map_or_else(
        || at.to_string(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// The whole report: runtime facts, effective methods, ancestry,
/// problems and warnings.
pub fn render_html(report: &Report) -> Markup {
    html! {
        (runtime(report))
        (methods(report))
        h3 { "Ancestry" }
        @if report.images.is_empty() {
            p.none { "No image record could be read." }
        }
        ol #ancestry {
            @for image in &report.images {
                (layer(image))
            }
        }
        @if !report.problems.is_empty() {
            h3 { "Malformed records" }
            ul #problems {
                @for p in &report.problems {
                    li { code { (shown(&p.file)) } ": " (shown(&p.error)) }
                }
            }
        }
        @if !report.warnings.is_empty() {
            h3 { "Warnings" }
            ul #warnings {
                @for w in &report.warnings {
                    li { (shown(w)) }
                }
            }
        }
    }
}

fn runtime(report: &Report) -> Markup {
    let r = &report.runtime;
    html! {
        h3 { "Runtime" }
        dl #runtime {
            dt { "First started" }
            dd { (r.first_started_at.map_or("never with `container --start`".into(), time_text)) }
            @if let Some(at) = r.last_started_at {
                dt { "Last started" } dd { (time_text(at)) }
            }
            dt { "Start count" } dd { (r.start_count) }
            @for action in [Action::Update, Action::Validate, Action::Monitor, Action::Metrics] {
                @if let Some(result) = r.last.get(action.key()) {
                    dt { "Last " (action.label()) }
                    dd data-status=(result.outcome.as_str()) {
                        (result.outcome.as_str()) " (exit " (result.exit_code) ") at " (time_text(result.at))
                    }
                }
            }
            dt { "Hostname" } dd { (shown(r.hostname.as_deref().unwrap_or("not set"))) }
            @for (var, label) in DEPLOY_VARS {
                @if let Some(value) = r.deploy.get(var) {
                    dt { (label) } dd { (shown(value)) }
                }
            }
        }
    }
}

fn methods(report: &Report) -> Markup {
    html! {
        h3 { "Methods" }
        table #methods {
            thead { tr { th { "Action" } th { "Method" } th { "Timeout" } th { "From image" } } }
            tbody {
                @for action in Action::ALL {
                    @let effective = report.methods.get(action.key()).and_then(Option::as_ref);
                    tr data-action=(action.key()) {
                        th { (action.label()) }
                        @match effective {
                            Some(m) => {
                                td { code.method { (shown(&m.method.to_string())) } }
                                td { @if let Some(t) = m.timeout_seconds { (t) " s" } @else { "-" } }
                                td {
                                    (shown(&m.source.project))
                                    @if let Some(p) = m.source.position { " (#" (p) ")" }
                                }
                            }
                            None => { td.none colspan="3" { "not set" } }
                        }
                    }
                }
            }
        }
    }
}

fn layer(image: &ImageReport) -> Markup {
    let r = &image.record;
    let build_time = r
        .build_time
        .map(|t| t.epoch())
        .or(r.build_time_stamp)
        .map(time_text);
    html! {
        li.layer {
            h4 { (shown(&r.project)) }
            dl {
                @if let Some(name) = &r.image_name { dt { "Image" } dd { (shown(name)) } }
                dt { "Record file" } dd { code { (shown(&image.file)) } }
                @if let Some(d) = &r.description { dt { "Description" } dd { (shown(d)) } }
                @if let Some(t) = build_time { dt { "Built" } dd { (t) } }
                @if let Some(g) = &r.gitref { dt { "Git hash" } dd { code { (shown(g)) } } }
                @if let Some(b) = &r.git_branch { dt { "Git branch" } dd { (shown(b)) } }
                @if let Some(d) = &r.git_describe { dt { "Git describe" } dd { (shown(d)) } }
                @if let Some(u) = &r.source_url { dt { "Source URL" } dd { (shown(u)) } }
                @if let Some(u) = &r.build_url { dt { "Build URL" } dd { (shown(u)) } }
                @if let Some(c) = &r.build_cause { dt { "Build cause" } dd { (shown(c)) } }
                @for action in Action::ALL {
                    @if let Some(m) = r.method(action) {
                        dt { (action.label()) }
                        dd { code.method { (shown(&m.to_string())) } }
                    }
                }
            }
            @if let Some(user) = &r.user_metadata {
                details {
                    summary { "User metadata" }
                    pre.metadata {
                        (shown_lines(&serde_json::to_string_pretty(user).unwrap_or_default()))
                    }
                }
            }
            @if !r.unknown.is_empty() {
                details {
                    summary { "Other fields" }
                    pre.metadata {
                        (shown_lines(&serde_json::to_string_pretty(&r.unknown).unwrap_or_default()))
                    }
                }
            }
        }
    }
}
