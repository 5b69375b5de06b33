//! The fleet page of the real `waybill serve`, over real HTTP on
//! 127.0.0.1 (no browser; tests/serve_browser*.rs drive Chromium):
//! login and its cookie, pages that need the session unless `[page]
//! public = true`, actions refused without a session or with a wrong
//! CSRF token, `/jobs` as HTML only for a browser, the hooks page, and,
//! against the real local engine, a labelled container listed with its
//! page and an UPDATE whose output streams live over server-sent events
//! until the job ends.
//!
//! The engine tests need Docker: without one they print SKIP, or fail
//! when CI=true. Every container carries the test label and is removed.

#![cfg(feature = "host")]

mod docker;
mod engine_images;
mod serve_images;
mod serve_support;

use serve_support::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const TOKEN: &str = "page-operator-token";
const SECRET: &str = "page-hook-secret";
const ENVS: [(&str, &str); 2] = [("OP_TOKEN", TOKEN), ("HOOK_SECRET", SECRET)];

/// A server whose only engine cannot be reached: pages work, jobs fail
/// fast with an engine error.
fn offline_config(extra: &str) -> String {
    format!(
        r#"
[engines]
hosts = ["unix:///nonexistent/waybill-page-test.sock"]

[operator]
token_env = "OP_TOKEN"

[[hook]]
name = "gh"
forge = "github"
secret_env = "HOOK_SECRET"
match_push = true
{extra}
"#
    )
}

fn get_with(server: &Server, path: &str, headers: &[(&str, String)]) -> Response {
    request(server.addr, "GET", path, headers, None)
}

fn form(server: &Server, path: &str, cookie: Option<&str>, body: &str) -> Response {
    let mut headers = vec![(
        "Content-Type",
        "application/x-www-form-urlencoded".to_owned(),
    )];
    if let Some(c) = cookie {
        headers.push(("Cookie", c.to_owned()));
    }
    server.post(path, &headers, body.as_bytes())
}

/// Logs in with the operator token; the `Cookie` header value.
fn login(server: &Server) -> String {
    let r = form(server, "/login", None, &format!("token={TOKEN}&next=%2F"));
    assert_eq!(r.status, 303, "{r:?}");
    let set = r.header("set-cookie").expect("a session cookie");
    set.split(';').next().unwrap().trim().to_owned()
}

/// The page, fetched as a browser with the session.
fn page(server: &Server, path: &str, cookie: &str) -> Response {
    get_with(
        server,
        path,
        &[
            ("Cookie", cookie.to_owned()),
            ("Accept", "text/html,application/xhtml+xml".to_owned()),
        ],
    )
}

/// The CSRF token the page's forms carry.
fn csrf_of(html: &str) -> String {
    let at = html
        .find(r#"name="csrf" value=""#)
        .unwrap_or_else(|| panic!("no csrf field in:\n{html}"));
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn login_sets_a_strict_http_only_session_cookie_and_pages_need_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &offline_config(""), &ENVS);

    let r = server.get("/");
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.header("location"), Some("/login?next=%2F"));
    let r = get_with(&server, "/hooks", &[]);
    assert_eq!(r.status, 303, "{r:?}");

    let r = server.get("/login?next=%2Fhooks");
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        r.body
            .contains(r#"<form id="login" method="post" action="/login">"#),
        "{}",
        r.body
    );
    assert!(r.body.contains(r#"<input type="password" name="token""#));
    assert!(r.body.contains(r#"id="login-submit""#));
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));

    let wrong = form(&server, "/login", None, "token=nope");
    assert_eq!(wrong.status, 401, "{wrong:?}");
    assert!(wrong.body.contains(r#"id="login-error""#), "{}", wrong.body);
    assert!(wrong.header("set-cookie").is_none());

    let r = form(
        &server,
        "/login",
        None,
        &format!("token={TOKEN}&next=%2Fhooks"),
    );
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.header("location"), Some("/hooks"));
    let cookie = r.header("set-cookie").unwrap();
    for flag in ["waybill_session=", "HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    // Only a local path is followed after login.
    let r = form(
        &server,
        "/login",
        None,
        &format!("token={TOKEN}&next=%2F%2Fevil.example%2F"),
    );
    assert_eq!(r.header("location"), Some("/"));
    // Behind a TLS proxy the cookie is Secure.
    let r = server.post(
        "/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded".into()),
            ("X-Forwarded-Proto", "https".into()),
        ],
        format!("token={TOKEN}").as_bytes(),
    );
    assert!(
        r.header("set-cookie").unwrap().contains("; Secure"),
        "{r:?}"
    );

    let cookie = login(&server);
    let r = page(&server, "/", &cookie);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        r.header("content-security-policy"),
        Some("default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
    );
    assert!(r.body.contains(r#"<table id="fleet">"#), "{}", r.body);
    assert!(r
        .body
        .contains(r#"<form id="filters" method="get" action="/">"#));
    assert!(
        r.body.contains("waybill-page-test.sock"),
        "the engine error is shown"
    );
    for asset in ["/static/app.css", "/static/app.js"] {
        let r = server.get(asset);
        assert_eq!(r.status, 200, "{asset}: {r:?}");
        assert!(!r.body.is_empty());
    }
    assert!(!server.log_text().contains(TOKEN), "{}", server.log_text());

    // After logout the cookie is worth nothing.
    let csrf = csrf_of(&r.body);
    let out = form(&server, "/logout", Some(&cookie), &format!("csrf={csrf}"));
    assert_eq!(out.status, 303, "{out:?}");
    assert_eq!(page(&server, "/", &cookie).status, 303);
}

#[test]
fn actions_need_a_session_and_its_csrf_token_and_go_through_post_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &offline_config(""), &ENVS);
    let engine = "unix:///nonexistent/waybill-page-test.sock";
    let target = encode(&format!("{engine}/0123456789ab"));

    let anonymous = form(
        &server,
        "/actions",
        None,
        &format!("action=validate&target={target}"),
    );
    assert_eq!(anonymous.status, 401, "{anonymous:?}");
    // A GET never runs anything.
    let r = get_with(&server, "/actions", &[]);
    assert_eq!(r.status, 405, "{r:?}");

    let cookie = login(&server);
    let bad = form(
        &server,
        "/actions",
        Some(&cookie),
        &format!("csrf=forged&action=validate&target={target}"),
    );
    assert_eq!(bad.status, 403, "{bad:?}");
    let missing = form(
        &server,
        "/actions",
        Some(&cookie),
        &format!("action=validate&target={target}"),
    );
    assert_eq!(missing.status, 403, "{missing:?}");
    let (jobs, _) = (server.get("/jobs").json(), ());
    assert_eq!(
        jobs["jobs"].as_array().unwrap().len(),
        0,
        "nothing ran: {jobs:#}"
    );

    let csrf = csrf_of(&page(&server, "/", &cookie).body);
    let ok = form(
        &server,
        "/actions",
        Some(&cookie),
        &format!("csrf={csrf}&action=validate&target={target}"),
    );
    assert_eq!(ok.status, 303, "{ok:?}");
    let location = ok.header("location").unwrap().to_owned();
    let id: u64 = location.strip_prefix("/jobs/").unwrap().parse().unwrap();
    let job = server.wait_job(id);
    assert_eq!(job["action"], "validate", "{job:#}");
    assert_eq!(job["trigger"]["kind"], "operator", "{job:#}");
    assert_eq!(
        job["selection"]["names"],
        serde_json::json!(["0123456789ab"])
    );
    assert_eq!(job["selection"]["engine"], engine);

    // A service with a batch: the same job path, the batch kept.
    let svc = form(
        &server,
        "/actions",
        Some(&cookie),
        &format!("csrf={csrf}&action=update&service=web&batch=2"),
    );
    assert_eq!(svc.status, 303, "{svc:?}");
    let id: u64 = svc.header("location").unwrap()[6..].parse().unwrap();
    let job = server.wait_job(id);
    assert_eq!(
        job["selection"]["services"],
        serde_json::json!(["web"]),
        "{job:#}"
    );
    assert_eq!(job["batch"], 2, "{job:#}");

    let nothing = form(
        &server,
        "/actions",
        Some(&cookie),
        &format!("csrf={csrf}&action=validate"),
    );
    assert_eq!(nothing.status, 400, "{nothing:?}");
    let reboot = form(
        &server,
        "/actions",
        Some(&cookie),
        &format!("csrf={csrf}&action=reboot&target={target}"),
    );
    assert_eq!(reboot.status, 400, "{reboot:?}");
}

#[test]
fn jobs_answer_html_to_a_browser_and_the_same_json_to_api_clients() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &offline_config(""), &ENVS);
    let r = server.post(
        "/jobs",
        &[
            ("Authorization", format!("Bearer {TOKEN}")),
            ("Content-Type", "application/json".into()),
        ],
        br#"{"action":"validate","selection":{"all":true}}"#,
    );
    assert_eq!(r.status, 202, "{r:?}");
    let id = r.json()["job"].as_u64().unwrap();
    let job = server.wait_job(id);
    assert!(
        job.get("batch").is_none(),
        "no batch key unless given: {job:#}"
    );

    let api = server.get("/jobs");
    assert_eq!(api.header("content-type"), Some("application/json"));
    let json_accept = get_with(&server, "/jobs", &[("Accept", "application/json".into())]);
    assert_eq!(
        json_accept.body, api.body,
        "the JSON is the same whatever else is asked"
    );
    assert_eq!(api.json()["jobs"][0]["id"], id);

    // A browser without a session is sent to log in; with one, a page.
    let r = get_with(&server, "/jobs", &[("Accept", "text/html".into())]);
    assert_eq!(r.status, 303, "{r:?}");
    let cookie = login(&server);
    let list = page(&server, "/jobs", &cookie);
    assert_eq!(list.status, 200, "{list:?}");
    assert!(list.body.contains(r#"<table id="jobs">"#), "{}", list.body);
    assert!(
        list.body
            .contains(&format!(r#"<tr class="job" data-id="{id}""#)),
        "{}",
        list.body
    );
    let one = page(&server, &format!("/jobs/{id}"), &cookie);
    assert_eq!(one.status, 200, "{one:?}");
    assert!(one.body.contains(r#"<dl id="job">"#), "{}", one.body);
    assert!(
        one.body
            .contains(r#"<dd id="job-status" data-status="failed">failed</dd>"#),
        "{}",
        one.body
    );
    assert!(one.body.contains(r#"<pre id="output""#));
    assert_eq!(page(&server, "/jobs/999", &cookie).status, 404);
    assert_eq!(server.get("/jobs/999").json()["error"], "no such job");

    // The event stream of a finished job says so and ends at once.
    let events = read_events(&server, id, &cookie, &["event: end"]);
    assert!(events.contains("data: failed"), "{events}");
}

#[test]
fn public_pages_are_viewable_without_a_session_but_acting_still_needs_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &offline_config("[page]\npublic = true\n"),
        &ENVS,
    );
    let r = get_with(&server, "/", &[("Accept", "text/html".into())]);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        r.body
            .contains(r#"<form id="act" method="post" action="/actions">"#),
        "{}",
        r.body
    );
    let csrf = csrf_of(&r.body);
    assert_eq!(csrf, "", "no session, no token");
    let refused = form(
        &server,
        "/actions",
        None,
        "csrf=&action=validate&target=a%2F1",
    );
    assert_eq!(refused.status, 401, "{refused:?}");
    assert_eq!(server.get("/hooks").status, 200);
}

#[test]
fn the_hooks_page_lists_recent_deliveries_with_the_reason_of_a_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &offline_config(""), &ENVS);
    let body = github_push("https://git.example/o/r", "main", SHA_A);
    let signed = |delivery: &str, key: &[u8]| {
        [
            ("X-GitHub-Event", "push".to_string()),
            ("X-GitHub-Delivery", delivery.to_string()),
            (
                "X-Hub-Signature-256",
                format!("sha256={}", hex(&hmac_sha256(key, &[&body]))),
            ),
        ]
    };
    assert_eq!(
        server
            .post(
                "/hooks/gh",
                &signed("good-<b>1</b>", SECRET.as_bytes()),
                &body
            )
            .status,
        202
    );
    assert_eq!(
        server
            .post("/hooks/gh", &signed("forged-2", b"wrong"), &body)
            .status,
        401
    );
    let cookie = login(&server);
    let r = page(&server, "/hooks", &cookie);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(
        r.body
            .contains(r#"<table class="deliveries" data-hook="gh">"#),
        "{}",
        r.body
    );
    assert!(r.body.contains("good-&lt;b&gt;1&lt;/b&gt;"), "{}", r.body);
    assert!(r.body.contains("https://git.example/o/r"), "{}", r.body);
    assert!(
        r.body
            .contains(r#"<tr class="delivery rejected" data-status="401">"#),
        "{}",
        r.body
    );
    assert!(r.body.contains("forged-2"));
}

/// Reads `GET /jobs/{id}/events` until every needle has been seen, in
/// order, and the stream closes; the text read.
fn read_events(server: &Server, id: u64, cookie: &str, needles: &[&str]) -> String {
    read_events_while(server, id, cookie, needles, |_| {})
}

/// As [`read_events`], calling `on_text` with the text so far after
/// every read (to act while the stream is open).
fn read_events_while(
    server: &Server,
    id: u64,
    cookie: &str,
    needles: &[&str],
    mut on_text: impl FnMut(&str),
) -> String {
    let mut stream = TcpStream::connect_timeout(&server.addr, PATIENCE).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let head = format!(
        "GET /jobs/{id}/events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n",
        server.addr
    );
    stream.write_all(head.as_bytes()).unwrap();
    let deadline = Instant::now() + PATIENCE * 3;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("reading the event stream: {e}"),
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        on_text(&text);
        assert!(
            Instant::now() < deadline,
            "the event stream did not end; read:\n{text}\n{}",
            server.log_text()
        );
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{text}"
    );
    let mut at = 0;
    for needle in needles {
        match text[at..].find(needle) {
            Some(i) => at += i + needle.len(),
            None => panic!("`{needle}` not found (in order) in:\n{text}"),
        }
    }
    text
}

#[test]
fn a_labelled_container_is_listed_and_an_update_streams_its_output_live_until_it_ends() {
    let test = "a_labelled_container_is_listed_and_an_update_streams_its_output_live_until_it_ends";
    if !docker::engine_or_skip(test) {
        return;
    }
    let images = serve_images::images();
    let shop = engine_images::sleeper("serve-page", &images.shop, &["-e", "UPDATE_HOLD=1"]);
    let id = shop.inspect("{{.Id}}");
    let config = "[operator]\ntoken_env = \"OP_TOKEN\"\n";
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), config, &ENVS);
    let cookie = login(&server);

    let fleet = page(&server, "/", &cookie);
    assert_eq!(fleet.status, 200, "{fleet:?}");
    let row = format!(
        r#"<tr class="container" data-engine="default" data-name="{}" data-id="{id}""#,
        shop.name
    );
    assert!(fleet.body.contains(&row), "{row} missing:\n{}", fleet.body);
    assert!(fleet
        .body
        .contains(&format!(r#"href="/containers/default/{id}""#)));
    assert!(
        fleet
            .body
            .contains(r#"<td class="project">waybill-serve-test</td>"#),
        "{}",
        fleet.body
    );
    let narrowed = page(&server, "/?project=nothing-like-it", &cookie);
    assert!(!narrowed.body.contains(&row), "the filter left it in");

    let one = page(&server, &format!("/containers/default/{id}"), &cookie);
    assert_eq!(one.status, 200, "{one:?}");
    for part in [
        r#"<section id="examine">"#,
        r#"<ol id="ancestry">"#,
        r#"<li class="layer">"#,
        r#"<table id="methods">"#,
        r#"<table id="recent-jobs">"#,
        r#"id="validate-this""#,
    ] {
        assert!(one.body.contains(part), "{part} missing:\n{}", one.body);
    }
    assert_eq!(
        page(&server, "/containers/default/nosuchcontainer000", &cookie).status,
        404
    );

    let csrf = csrf_of(&one.body);
    let acted = form(
        &server,
        "/actions",
        Some(&cookie),
        &format!(
            "csrf={csrf}&action=update&target={}",
            encode(&format!("default/{id}"))
        ),
    );
    assert_eq!(acted.status, 303, "{acted:?}");
    let job: u64 = acted.header("location").unwrap()[6..].parse().unwrap();

    // The update holds until released: its start is streamed while it
    // runs, then its output, then the end.
    let mut released = false;
    let events = read_events_while(
        &server,
        job,
        &cookie,
        &[
            "event: status",
            "data: ==> update on default/",
            "updated to",
            "event: end",
            "data: done",
        ],
        |text| {
            if !released && text.contains("==> update on") {
                shop.exec(&["touch", "/tmp/release"]).ok();
                released = true;
            }
        },
    );
    assert!(released, "{events}");
    let finished = server.wait_job(job);
    assert_eq!(finished["status"], "done", "{finished:#}");

    let page_after = page(&server, &format!("/jobs/{job}"), &cookie);
    assert!(
        page_after.body.contains("updated to"),
        "{}",
        page_after.body
    );
    let fleet = page(&server, "/", &cookie);
    assert!(
        fleet.body.contains(&format!(
            r#"<td class="update" data-status="ok"><a href="/jobs/{job}">"#
        )),
        "{}",
        fleet.body
    );
    let (code, log) = server.stop();
    assert_eq!(code, Some(0), "{log}");
}
