//! The fleet page (`/`) as HTML: the filter form, one table of every
//! container grouped by engine and, within an engine, by Swarm service,
//! and the forms that act on a selection or on a service.
//!
//! A pure function of a [`FleetView`]: no I/O, so it is tested on views
//! with hostile text and measured on a generated fleet
//! (scripts/bench-page.sh). Every text from a container or record is
//! escaped by maud and sits in element content or a quoted attribute.

use super::layout::{age, container_href, document, shown, Viewer};
use super::query::{Filters, SortKey, StatusFilter};
use super::view::{ContainerView, EngineView, FleetView, LastResult};
use maud::{html, Markup};
use std::collections::BTreeMap;

/// Everything the fleet page needs besides the view itself.
pub struct FleetPage<'a> {
    /// The view, already filtered and sorted.
    pub view: &'a FleetView,
    pub filters: &'a Filters,
    /// Every engine and project of the unfiltered fleet (the choices).
    pub engines: &'a [String],
    pub projects: &'a [String],
    pub viewer: &'a Viewer,
    /// Epoch seconds, for ages.
    pub now: i64,
}

/// Columns of the table, for the group headers' colspan.
const COLUMNS: u32 = 10;

pub fn render(page: &FleetPage<'_>) -> Markup {
    let FleetPage {
        view,
        filters,
        viewer,
        ..
    } = page;
    let body = html! {
        h1 { "Fleet" }
        (filter_form(page))
        @for failure in &view.engine_errors {
            p.error.engine-error data-engine=(failure.engine) {
                "Engine " code { (shown(&failure.engine)) } ": " (shown(&failure.error))
            }
        }
        p.summary {
            (view.container_count()) " containers with records"
            @if view.without_records > 0 { " (" (view.without_records) " without records not shown)" }
        }
        form #act method="post" action="/actions" {
            input type="hidden" name="csrf" value=(viewer.csrf());
            div.actions {
                "Selected: "
                button type="submit" name="action" value="validate" .act-validate { "Validate" }
                button type="submit" name="action" value="monitor" .act-monitor { "Monitor" }
                button type="submit" name="action" value="update" .act-update { "Update" }
                @if viewer.session.is_none() {
                    span.hint { " (acting needs " a href="/login" { "the operator token" } ")" }
                }
            }
            table #fleet {
                thead { (header_row(filters)) }
                @for engine in &view.engines {
                    (engine_groups(engine, page.now))
                }
            }
        }
        (service_forms(view, viewer))
    };
    document("Fleet", viewer, body)
}

fn filter_form(page: &FleetPage<'_>) -> Markup {
    let f = page.filters;
    html! {
        form #filters method="get" action="/" {
            label { "Engine "
                select name="engine" {
                    option value="" { "all" }
                    @for e in page.engines {
                        option value=(e) selected[f.engine.as_deref() == Some(e.as_str())] { (shown(e)) }
                    }
                }
            }
            label { " Project "
                select name="project" {
                    option value="" { "all" }
                    @for p in page.projects {
                        option value=(p) selected[f.project.as_deref() == Some(p.as_str())] { (shown(p)) }
                    }
                }
            }
            label { " Status "
                select name="status" {
                    option value="" { "any" }
                    @for s in StatusFilter::ALL {
                        option value=(s.as_str()) selected[f.status == Some(s)] { (s.as_str()) }
                    }
                }
            }
            input type="hidden" name="sort" value=(f.sort.as_str());
            input type="hidden" name="order" value=(if f.descending { "desc" } else { "asc" });
            " "
            button type="submit" #apply-filters { "Apply" }
            " "
            a href="/" { "Clear" }
        }
    }
}

fn header_row(filters: &Filters) -> Markup {
    let th = |key: SortKey, label: &str| {
        let sorted = filters.sort == key;
        let mark = match (sorted, filters.descending) {
            (false, _) => "",
            (true, false) => " ▲",
            (true, true) => " ▼",
        };
        html! {
            th data-sort=(key.as_str()) {
                a href=(filters.sort_link(key)) { (label) (mark) }
            }
        }
    };
    html! {
        tr {
            th { span.visually-hidden { "Select" } }
            (th(SortKey::Name, "Container"))
            (th(SortKey::Project, "Project"))
            (th(SortKey::Image, "Image"))
            th { "Ref" }
            (th(SortKey::Built, "Built"))
            (th(SortKey::Health, "Health"))
            (th(SortKey::Validate, "Validate"))
            (th(SortKey::Monitor, "Monitor"))
            (th(SortKey::Update, "Update"))
        }
    }
}

/// An engine's containers outside any service, then one group per
/// service.
fn engine_groups(engine: &EngineView, now: i64) -> Markup {
    let mut services: BTreeMap<&str, Vec<&ContainerView>> = BTreeMap::new();
    let mut alone = Vec::new();
    for c in &engine.containers {
        match &c.service {
            Some(s) => services.entry(s.as_str()).or_default().push(c),
            None => alone.push(c),
        }
    }
    html! {
        tbody.engine data-engine=(engine.engine) {
            tr.group { th colspan=(COLUMNS) { "Engine " (shown(&engine.engine)) } }
            @for c in alone { (row(c, now)) }
        }
        @for (service, tasks) in &services {
            tbody.service data-service=(service) data-engine=(engine.engine) {
                tr.group { th colspan=(COLUMNS) { "Service " (shown(service)) } }
                @for c in tasks { (row(c, now)) }
            }
        }
    }
}

fn row(c: &ContainerView, now: i64) -> Markup {
    // Lean on purpose: 500 rows must stay under 300 KB (benches/fleet_page.rs).
    html! {
        tr.container data-engine=(c.engine) data-name=(c.name) data-id=(c.id) {
            td { input type="checkbox" name="target" value={ (c.engine) "/" (c.id) }; }
            td {
                a.container-link href=(container_href(&c.engine, &c.id)) { (shown(&c.name)) }
                @if c.state != "running" { " " span.state { (shown(&c.state)) } }
            }
            td.project {
                @if let Some(error) = &c.error { span.error { (shown(error)) } }
                @else { (shown(c.project.as_deref().unwrap_or("-"))) }
            }
            td { (shown(&c.image)) }
            td.ref {
                @match (&c.gitref, &c.commit_url) {
                    (Some(g), Some(url)) => a href=(url) { (shown(short(g))) },
                    (Some(g), None) => (shown(short(g))),
                    _ => "-",
                }
            }
            td { @if let Some(at) = c.build_time { (age(now - at)) } @else { "-" } }
            @match c.health.as_deref() {
                Some("unhealthy") => td.bad { "unhealthy" },
                Some(h) => td { (shown(h)) },
                None => td { "-" },
            }
            (result_cell("validate", &c.validate, now))
            (result_cell("monitor", &c.monitor, now))
            (result_cell("update", &c.update, now))
        }
    }
}

fn result_cell(class: &str, last: &LastResult, now: i64) -> Markup {
    html! {
        td class=(class) data-status=(last.status.as_str()) {
            @match last.job {
                Some(job) => { a href={ "/jobs/" (job) } { (last.status.as_str()) } @if let Some(at) = last.at { " " (age(now - at)) } },
                None => (last.status.as_str()),
            }
            @if let Some(rev) = &last.revision { " @" (shown(rev.get(..7).unwrap_or(rev))) }
        }
    }
}

/// A ref shortened as `docker` shortens ids.
fn short(gitref: &str) -> &str {
    match gitref.char_indices().nth(12) {
        Some((i, _)) => &gitref[..i],
        None => gitref,
    }
}

/// One form per Swarm service: a rolling action with a batch size.
fn service_forms(view: &FleetView, viewer: &Viewer) -> Markup {
    let mut services: Vec<&str> = view
        .engines
        .iter()
        .flat_map(|e| e.containers.iter())
        .filter_map(|c| c.service.as_deref())
        .collect();
    services.sort_unstable();
    services.dedup();
    html! {
        @if !services.is_empty() {
            section #services {
                h2 { "Services" }
                @for service in services {
                    form.act-service method="post" action="/actions" data-service=(service) {
                        input type="hidden" name="csrf" value=(viewer.csrf());
                        input type="hidden" name="service" value=(service);
                        strong { (shown(service)) }
                        label { " batch " input type="number" name="batch" min="1" value="1"; }
                        " "
                        button type="submit" name="action" value="validate" .act-validate { "Validate" }
                        button type="submit" name="action" value="monitor" .act-monitor { "Monitor" }
                        button type="submit" name="action" value="update" .act-update { "Rolling update" }
                    }
                }
            }
        }
    }
}
