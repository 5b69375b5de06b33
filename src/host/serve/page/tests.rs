//! Hostile text on every page: a record, a container and job output
//! whose project, labels, methods, names and lines hold `<script>`,
//! quotes and control characters render as text, never as markup.

use super::fleet_html::{self, FleetPage};
use super::layout::Viewer;
use super::query::{Filters, FleetQuery};
use super::view::{ContainerView, EngineView, FleetView, LastResult, ResultStatus};
use crate::host::serve::job::{Job, Selection, Status, StepRecord, Trigger};
use crate::record::Record;
use crate::report::{render_html, Report};

const HOSTILE: &str =
    "<script>alert(\"x\")</script>\"><img src=x onerror=\"alert(1)\"> ' onmouseover='alert(2)\u{1b}[2J\u{202e}";

fn viewer() -> Viewer {
    Viewer {
        session: None,
        operator: true,
    }
}

fn container(name: &str, project: &str) -> ContainerView {
    ContainerView {
        engine: format!("eng{HOSTILE}"),
        name: name.to_owned(),
        id: "0123456789abcdef".into(),
        image: format!("img{HOSTILE}"),
        state: "running".into(),
        health: Some(HOSTILE.into()),
        project: Some(project.to_owned()),
        gitref: Some(HOSTILE.into()),
        commit_url: None,
        git_branch: Some(HOSTILE.into()),
        build_time: Some(0),
        service: Some(format!("svc{HOSTILE}")),
        validate: LastResult {
            status: ResultStatus::Ok,
            at: Some(1),
            job: Some(3),
            revision: None,
        },
        monitor: LastResult::default(),
        update: LastResult {
            status: ResultStatus::Failed,
            at: Some(1),
            job: Some(4),
            revision: Some(HOSTILE.into()),
        },
        error: None,
    }
}

/// The text a browser shows: everything outside tags, entities left
/// as they are.
fn text_content(html: &str) -> String {
    let mut text = String::new();
    let (mut in_tag, mut quote) = (false, None);
    for c in html.chars() {
        match (in_tag, quote, c) {
            (false, _, '<') => in_tag = true,
            (false, _, c) => text.push(c),
            (true, None, '>') => in_tag = false,
            (true, None, '"' | '\'') => quote = Some(c),
            (true, Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    text
}

/// No markup from the hostile text survives: no element or attribute
/// of its own, and (in the text shown) no raw control character.
fn assert_inert(html: &str) {
    assert!(!html.contains("<script>"), "raw <script> in:\n{html}");
    assert!(!html.contains("<img"), "raw <img> in:\n{html}");
    assert!(
        !html.contains("onerror=\""),
        "an attribute broke out in:\n{html}"
    );
    assert!(
        html.contains("&lt;script&gt;"),
        "escaped text missing:\n{html}"
    );
    // The only script is the page's own file.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(html.contains(r#"<script src="/static/app.js" defer></script>"#));
    // Values in quoted attributes stay exact (a form sends them back);
    // what is shown has its control characters made visible.
    let text = text_content(html);
    assert!(!text.contains('\u{1b}'), "raw ESC shown in:\n{text}");
    assert!(
        !text.contains('\u{202e}'),
        "raw bidi override shown in:\n{text}"
    );
    assert!(
        text.contains("\\x1b") || text.contains("\\u{1b}"),
        "ESC not shown escaped:\n{text}"
    );
}

#[test]
fn the_fleet_page_shows_hostile_names_projects_and_refs_as_text() {
    let view = FleetView {
        engines: vec![EngineView {
            engine: format!("eng{HOSTILE}"),
            containers: vec![container(HOSTILE, HOSTILE), container("plain", "shop")],
        }],
        engine_errors: Vec::new(),
        without_records: 0,
    };
    let filters = Filters::from_query(&FleetQuery {
        project: Some(HOSTILE.into()),
        ..FleetQuery::default()
    });
    let engines = vec![format!("eng{HOSTILE}")];
    let projects = vec![HOSTILE.to_owned()];
    let html = fleet_html::render(&FleetPage {
        view: &view,
        filters: &filters,
        engines: &engines,
        projects: &projects,
        viewer: &viewer(),
        now: 100,
    })
    .into_string();
    assert_inert(&html);
    // Attribute values are quoted, with their quotes escaped.
    assert!(
        html.contains("data-name=\"&lt;script&gt;alert(&quot;x&quot;)"),
        "{html}"
    );
    assert!(html.contains(r#"<table id="fleet">"#));
    assert_eq!(html.matches(r#"<tr class="container""#).count(), 2);
}

#[test]
fn filters_narrow_and_sort_the_rows() {
    let mut a = container("a", "shop");
    a.validate.status = ResultStatus::Failed;
    let b = container("b", "blog");
    let view = FleetView {
        engines: vec![EngineView {
            engine: "e".into(),
            containers: vec![a, b],
        }],
        ..FleetView::default()
    };
    let q = |project: &str, status: &str, order: &str| {
        Filters::from_query(&FleetQuery {
            project: Some(project.into()),
            status: Some(status.into()),
            sort: Some("name".into()),
            order: Some(order.into()),
            ..FleetQuery::default()
        })
    };
    let names = |v: &FleetView| -> Vec<String> {
        v.engines[0]
            .containers
            .iter()
            .map(|c| c.name.clone())
            .collect()
    };
    assert_eq!(names(&q("", "", "desc").apply(view.clone())), ["b", "a"]);
    assert_eq!(names(&q("shop", "", "").apply(view.clone())), ["a"]);
    assert_eq!(names(&q("", "failed", "").apply(view.clone())), ["a"]);
    assert_eq!(names(&q("", "bogus", "").apply(view)), ["a", "b"]);
}

#[test]
fn the_examine_report_shows_hostile_records_as_text() {
    let record = Record::from_slice(
        serde_json::json!({
            "project": HOSTILE,
            "image_name": HOSTILE,
            "validate_method": ["/bin/check", HOSTILE],
            "source_url": "javascript:alert(1)",
            "user_metadata": {"label": HOSTILE, HOSTILE: "key"},
            "x_unknown": HOSTILE,
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    let stack = crate::stack::Stack::from_records("/m", [record]).unwrap();
    let report = Report::from_stack(&stack, Default::default(), vec![HOSTILE.into()]);
    let html = super::layout::document("c", &viewer(), render_html(&report)).into_string();
    assert_inert(&html);
    assert!(html.contains(r#"<ol id="ancestry">"#) && html.contains(r#"<li class="layer">"#));
    assert!(html.contains(r#"<table id="methods">"#));
    // A source URL is shown, never made a link.
    assert!(!html.contains("href=\"javascript:"), "{html}");
}

#[test]
fn job_output_and_triggers_show_hostile_text_as_text() {
    let job = Job {
        id: 7,
        status: Status::Failed,
        action: "validate".into(),
        trigger: Trigger {
            kind: "hook".into(),
            hook: Some(HOSTILE.into()),
            repository: Some(HOSTILE.into()),
            git_ref: Some(HOSTILE.into()),
            delivery: Some(HOSTILE.into()),
            ..Trigger::default()
        },
        selection: Selection {
            project: Some(HOSTILE.into()),
            ..Selection::default()
        },
        created: 0,
        started: Some(1),
        finished: Some(2),
        results: vec![StepRecord {
            engine: "e".into(),
            container: HOSTILE.into(),
            action: "validate".into(),
            outcome: "failed".into(),
            exit_code: Some(1),
            reason: Some(HOSTILE.into()),
            duration_ms: 5,
            stdout_tail: format!("{HOSTILE}\nsecond line"),
            stderr_tail: HOSTILE.into(),
        }],
        engine_errors: Vec::new(),
        error: Some(HOSTILE.into()),
        batch: None,
    };
    let page = super::jobs_html::render_job(&job, None, &viewer(), 10).into_string();
    assert_inert(&page);
    assert!(
        page.contains(r#"<dd id="job-status" data-status="failed">failed</dd>"#),
        "{page}"
    );
    assert!(page.contains(r#"data-live="false""#));
    let list = super::jobs_html::render_list(&[job], None, 20, &viewer(), 10).into_string();
    assert_inert(&list);
    assert!(list.contains(r#"<tr class="job" data-id="7""#));
}
