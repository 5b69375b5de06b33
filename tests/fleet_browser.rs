//! The fleet page of the real `waybill serve` in a real browser (issue
//! 12 §3), Debian's headless Chromium driven over WebDriver
//! (tests/browser/mod.rs), against two real engines: this machine's and
//! one node of the namespace testbed.
//!
//! - the fleet page lists the containers of both engines, grouped by
//!   engine; the engine and project filters narrow it and stay in the URL;
//! - after logging in with the operator token, Validate on a container's
//!   page starts a job whose page shows the output streaming while the
//!   method runs, until the job is done;
//! - without the token (no session, a wrong token, a session lost after
//!   the page loaded, a bad CSRF token) nothing runs;
//! - a record whose project, label, metadata and VALIDATE method carry
//!   `<script>` and quote characters renders them as text: no dialog
//!   opens, no element is injected, the text is shown literally, also in
//!   the job's output;
//! - with JavaScript off, login, filters and an action by form post work;
//!   the job page shows the state at load time.
//!
//! Each page is saved as a PNG under `target/screenshots/`.
//!
//! Needs a Docker engine, root for the testbed, and chromium with
//! chromium-driver: without them every test prints SKIP, or fails when
//! CI=true. The tests take turns (one browser and one server at a time):
//! on two cores several Chromiums at once only make each slower.

#![cfg(feature = "host")]

#[path = "browser/mod.rs"]
mod browser;
mod docker;
mod engine_images;
mod serve_support;
#[path = "testbed/mod.rs"]
mod testbed;

use browser::{browser_or_skip, Browser, Js, WAIT};
use docker::{label_args, unique_name, ContainerGuard};
use serde_json::json;
use serve_support::Server;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use testbed::{testbed_or_skip, Via};

const TOKEN: &str = "browser-operator-token";
const HOOK_SECRET: &str = "browser-hook-secret";
/// The project of the gated image's record.
const SHOP: &str = "waybill-browser-shop";
/// What an attacker would put in every field a record or a container
/// supplies: a script, both quote characters, an element with an id and
/// an event handler.
const PAYLOAD: &str =
    r#"<script>alert(1)</script>"'><b id="injected">x</b><img src=x onerror=alert(2)>"#;

/// VALIDATE prints a first line and, while /tmp/gate exists, waits for
/// /tmp/release (at most 60 s) before its last line: a test holds the
/// method running without a clock, to see its output stream.
const GATED_METHOD: &str = r#"#!/bin/sh
echo "validate: first line on $(hostname)"
if [ -e /tmp/gate ]; then
  i=0
  while [ ! -e /tmp/release ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
fi
echo "validate: released"
"#;

/// The hostile VALIDATE prints its argument (the payload) and markup.
const HOSTILE_METHOD: &str = r#"#!/bin/sh
printf '%s\n' "$1"
echo '<img src=x onerror=alert(3)>'
"#;

/// The two engines, the containers on them and the hosts file naming
/// them `main` and `bed`.
struct Fleet {
    /// On the main engine: the gated image.
    shop_main: ContainerGuard,
    /// On the main engine: the hostile record.
    hostile: ContainerGuard,
    /// On the testbed node: the gated image, and the tool image (another
    /// project, [`engine_images::PROJECT`]).
    shop_bed: String,
    other_bed: String,
    hosts_file: PathBuf,
    _dir: tempfile::TempDir,
}

/// The tests take turns: see the module documentation.
fn turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

fn main_engine_url() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string())
}

/// An image with the `container` tool and a record of `record` whose
/// VALIDATE runs `script` from /srv/method.sh.
fn method_image(
    what: &str,
    record: serde_json::Value,
    script: &str,
    container_bin: &str,
) -> String {
    let dir = tempfile::tempdir().expect("a build directory");
    let record_path = dir.path().join("record.json");
    std::fs::write(&record_path, record.to_string()).expect("write the record");
    let script_path = dir.path().join("method.sh");
    std::fs::write(&script_path, script).expect("write the method");
    let name = unique_name(what);
    let dockerfile = format!(
        "{}COPY container /usr/bin/container\nCOPY record.json /tmp/record.json\n\
         COPY method.sh /srv/method.sh\nRUN [\"/usr/bin/container\", \"record\", \"/tmp/record.json\"]\n",
        engine_images::BUSYBOX_STEPS
    );
    engine_images::build_image(
        &name,
        &dockerfile,
        &[
            ("busybox", engine_images::busybox()),
            ("container", Path::new(container_bin)),
            ("record.json", &record_path),
            ("method.sh", &script_path),
        ],
        &[],
    );
    name
}

/// `docker run` arguments of a sleeping, labelled container.
fn run_args<'a>(
    name: &'a str,
    image: &'a str,
    labels: &'a [String],
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec!["run", "--detach", "--network", "none", "--name", name];
    args.extend(labels.iter().map(String::as_str));
    args.extend_from_slice(extra);
    args.extend(["--entrypoint", "/bin/sleep", image, "600"]);
    args
}

fn fleet(test: &str) -> Option<&'static Fleet> {
    static FLEET: OnceLock<Fleet> = OnceLock::new();
    if !docker::engine_or_skip(test) {
        return None;
    }
    browser::find_tools().ok().or_else(|| {
        // The skip (or, in CI, the failure) names what is missing.
        browser_or_skip(test, Js::On);
        None
    })?;
    let bed = testbed_or_skip(test, &["a"])?;
    Some(FLEET.get_or_init(|| {
        let tools = engine_images::build();
        let gated = method_image(
            "browser-gated",
            json!({
                "project": SHOP,
                "git_branch": "main",
                "gitref": "0123456789abcdef0123456789abcdef01234567",
                "source_url": "https://github.com/example/waybill-browser-shop.git",
                "validate_method": ["/bin/sh", "/srv/method.sh"],
                "validate_timeout": 90,
            }),
            GATED_METHOD,
            &tools.container_bin,
        );
        let hostile = method_image(
            "browser-hostile",
            json!({
                "project": PAYLOAD,
                "git_branch": PAYLOAD,
                "description": PAYLOAD,
                "source_url": format!("https://github.com/example/x\"><script>alert(4)</script>.git"),
                "validate_method": ["/bin/sh", "/srv/method.sh", PAYLOAD],
                "validate_timeout": 60,
                "user_metadata": { PAYLOAD: PAYLOAD },
            }),
            HOSTILE_METHOD,
            &tools.container_bin,
        );
        bed.load(&[&gated, &tools.tool]);
        let labels = label_args();
        let shop_main = ContainerGuard::new("browser-shop-main");
        docker::docker(&run_args(&shop_main.name, &gated, &labels, &[])).ok();
        let hostile_container = ContainerGuard::new("browser-hostile");
        let note = format!("io.waybill.browser-note={PAYLOAD}");
        docker::docker(&run_args(&hostile_container.name, &hostile, &labels, &["--label", &note]))
            .ok();
        let node = bed.node("a");
        let shop_bed = unique_name("browser-shop-bed");
        let other_bed = unique_name("browser-other-bed");
        for (name, image) in [(&shop_bed, &gated), (&other_bed, &tools.tool)] {
            bed.docker(node, Via::Unix, &run_args(name, image, &labels, &[])).ok();
        }
        let dir = tempfile::tempdir().expect("a directory for the hosts file");
        let hosts_file = dir.path().join("hosts.toml");
        std::fs::write(
            &hosts_file,
            format!(
                "[[engine]]\nname = \"main\"\nhost = \"{}\"\n\n[[engine]]\nname = \"bed\"\nhost = \"{}\"\n",
                main_engine_url(),
                node.unix
            ),
        )
        .expect("write the hosts file");
        Fleet {
            shop_main,
            hostile: hostile_container,
            shop_bed,
            other_bed,
            hosts_file,
            _dir: dir,
        }
    }))
}

/// `waybill serve` over both engines, with the operator token, one hook
/// (which matches none of the containers) and `extra` config lines.
fn serve(fleet: &Fleet, dir: &Path, extra: &str) -> Server {
    let config = format!(
        r#"
[engines]
hosts_file = {:?}

[operator]
token_env = "OP_TOKEN"

[[hook]]
name = "shop"
forge = "github"
secret_env = "HOOK_SECRET"
project = "waybill-browser-no-such-project"
{extra}
"#,
        fleet.hosts_file.display().to_string()
    );
    let server = Server::start(
        dir,
        &config,
        &[("OP_TOKEN", TOKEN), ("HOOK_SECRET", HOOK_SECRET)],
    );
    assert_eq!(server.get("/healthz").status, 200, "{}", server.log_text());
    server
}

fn base(server: &Server) -> String {
    format!("http://{}", server.addr)
}

/// The jobs the server knows, through the JSON API.
fn job_count(server: &Server) -> usize {
    let r = server.get("/jobs");
    assert_eq!(r.status, 200, "{r:?}");
    r.json()["jobs"].as_array().map_or(0, Vec::len)
}

/// Logs in through the login form and waits for the fleet page.
#[track_caller]
fn log_in(b: &Browser, server: &Server) {
    b.goto(&format!("{}/login", base(server)));
    b.type_into("#login input[name=token]", TOKEN);
    b.click("#login-submit");
    b.wait_for("the fleet page after logging in", WAIT, |b| {
        let path = b.path();
        if path == "/" && b.exists("table#fleet") {
            Ok(())
        } else {
            Err(path)
        }
    });
}

/// The row of container `name` on the page now, if any, and its engine.
fn row_engine(b: &Browser, name: &str) -> Option<String> {
    let rows = b.find_all(&format!("#fleet tr.container[data-name=\"{name}\"]"));
    match rows.as_slice() {
        [] => None,
        [row] => Some(b.attr(row, "data-engine").unwrap_or_default()),
        more => panic!("{} rows for container {name}", more.len()),
    }
}

/// The job page's status now.
fn job_status(b: &Browser) -> String {
    b.text("#job-status").trim().to_string()
}

/// The id in a `/jobs/ID` path.
fn job_id(path: &str) -> Option<u64> {
    path.strip_prefix("/jobs/")?
        .split(['?', '#'])
        .next()?
        .parse()
        .ok()
}

/// Nothing a record supplied became markup or ran: no dialog is open, the
/// only scripts are the page's own file, and no injected element exists.
#[track_caller]
fn assert_nothing_injected(b: &Browser, page: &str) {
    if let Some(text) = b.open_alert() {
        panic!("{page}: a dialog is open: {text:?}");
    }
    for css in [
        "script:not([src='/static/app.js'])",
        "#injected",
        "[onerror]",
        "img[src='x']",
        "b#injected",
    ] {
        let found = b.find_all(css);
        assert!(
            found.is_empty(),
            "{page}: {} element(s) `{css}` were injected\n---- source:\n{}",
            found.len(),
            b.source()
        );
    }
}

#[test]
fn the_fleet_page_lists_the_containers_of_both_engines_by_engine() {
    let test = "the_fleet_page_lists_the_containers_of_both_engines_by_engine";
    let Some(fleet) = fleet(test) else { return };
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(fleet, dir.path(), "");
    let Some(b) = browser_or_skip(test, Js::On) else {
        return;
    };
    log_in(&b, &server);
    for (name, engine) in [
        (fleet.shop_main.name.as_str(), "main"),
        (fleet.hostile.name.as_str(), "main"),
        (fleet.shop_bed.as_str(), "bed"),
        (fleet.other_bed.as_str(), "bed"),
    ] {
        assert_eq!(
            row_engine(&b, name).as_deref(),
            Some(engine),
            "container {name}\n{}",
            b.source()
        );
        // Under its engine's header group.
        let grouped = b.find_all(&format!(
            "#fleet tbody.engine[data-engine=\"{engine}\"] tr.container[data-name=\"{name}\"]"
        ));
        assert_eq!(
            grouped.len(),
            1,
            "{name} is not grouped under engine {engine}"
        );
    }
    let row = b.find(&format!(
        "#fleet tr.container[data-name=\"{}\"]",
        fleet.shop_bed
    ));
    let project = b.find_in(&row, "td.project");
    assert_eq!(b.text_of(&project).trim(), SHOP);
    let link = b.find_in(&row, "a.container-link");
    let href = b.attr(&link, "href").unwrap_or_default();
    assert!(href.starts_with("/containers/bed/"), "{href}");
    let other = b.find(&format!(
        "#fleet tr.container[data-name=\"{}\"]",
        fleet.other_bed
    ));
    assert_eq!(
        b.text_of(&b.find_in(&other, "td.project")).trim(),
        engine_images::PROJECT
    );
    assert_nothing_injected(&b, "fleet page");
    b.screenshot("fleet");
}

#[test]
fn the_engine_and_project_filters_narrow_the_fleet_and_stay_in_the_url() {
    let test = "the_engine_and_project_filters_narrow_the_fleet_and_stay_in_the_url";
    let Some(fleet) = fleet(test) else { return };
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(fleet, dir.path(), "");
    let Some(b) = browser_or_skip(test, Js::On) else {
        return;
    };
    log_in(&b, &server);
    b.select("#filters select[name=engine]", "bed");
    b.click("#apply-filters");
    b.wait_for("the engine filter in the URL", WAIT, |b| {
        let url = b.url();
        let engine = url
            .query_pairs()
            .find(|(k, _)| k == "engine")
            .map(|(_, v)| v.into_owned());
        if engine.as_deref() == Some("bed") && b.exists("table#fleet") {
            Ok(())
        } else {
            Err(url.to_string())
        }
    });
    assert_eq!(row_engine(&b, &fleet.shop_bed).as_deref(), Some("bed"));
    assert_eq!(row_engine(&b, &fleet.other_bed).as_deref(), Some("bed"));
    assert_eq!(
        row_engine(&b, &fleet.shop_main.name),
        None,
        "engine=bed shows main's container"
    );
    assert!(
        b.find_all("#fleet tr.container:not([data-engine='bed'])")
            .is_empty(),
        "engine=bed shows other engines' rows"
    );
    b.screenshot("fleet-engine-bed");

    // The URL is the view: loaded afresh, a project filter narrows too.
    let project_url = format!("{}/?project={}", base(&server), engine_images::PROJECT);
    b.goto(&project_url);
    assert_eq!(row_engine(&b, &fleet.other_bed).as_deref(), Some("bed"));
    for name in [&fleet.shop_bed, &fleet.shop_main.name, &fleet.hostile.name] {
        assert_eq!(row_engine(&b, name), None, "project filter shows {name}");
    }
    // The form shows the filter in force.
    let select = b.find("#filters select[name=project]");
    assert_eq!(
        b.block("read the selected project", select.prop("value"))
            .as_deref(),
        Some(engine_images::PROJECT)
    );
    // Both filters at once: the shop project on the main engine.
    b.select("#filters select[name=project]", SHOP);
    b.select("#filters select[name=engine]", "main");
    b.click("#apply-filters");
    b.wait_for("both filters in the URL", WAIT, |b| {
        let url = b.url();
        let q: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let has = |k: &str, v: &str| q.iter().any(|(a, b)| a == k && b == v);
        if has("engine", "main") && has("project", SHOP) {
            Ok(())
        } else {
            Err(url.to_string())
        }
    });
    assert_eq!(
        row_engine(&b, &fleet.shop_main.name).as_deref(),
        Some("main")
    );
    for name in [&fleet.shop_bed, &fleet.other_bed, &fleet.hostile.name] {
        assert_eq!(
            row_engine(&b, name),
            None,
            "engine=main&project={SHOP} shows {name}"
        );
    }
}

#[test]
fn validate_from_a_container_page_streams_its_output_until_the_job_is_done() {
    let test = "validate_from_a_container_page_streams_its_output_until_the_job_is_done";
    let Some(fleet) = fleet(test) else { return };
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(fleet, dir.path(), "");
    // One delivery accepted and one refused, for the hooks page.
    let body = serve_support::github_push(
        "https://github.com/example/other",
        "main",
        serve_support::SHA_A,
    );
    let signature = format!(
        "sha256={}",
        serve_support::hex(&serve_support::hmac_sha256(
            HOOK_SECRET.as_bytes(),
            &[&body]
        ))
    );
    for (delivery, signature) in [
        ("browser-1", signature),
        ("browser-2", "sha256=00".to_string()),
    ] {
        server.post(
            "/hooks/shop",
            &[
                ("X-GitHub-Event", "push".to_string()),
                ("X-GitHub-Delivery", delivery.to_string()),
                ("X-Hub-Signature-256", signature),
            ],
            &body,
        );
    }
    let Some(b) = browser_or_skip(test, Js::On) else {
        return;
    };
    log_in(&b, &server);
    let jobs_before = job_count(&server);

    // Hold VALIDATE after its first line.
    fleet
        .shop_main
        .exec(&["sh", "-c", "rm -f /tmp/release && touch /tmp/gate"])
        .ok();
    let row = b.find(&format!(
        "#fleet tr.container[data-name=\"{}\"]",
        fleet.shop_main.name
    ));
    let link = b.find_in(&row, "a.container-link");
    b.click_element(&link);
    b.wait_for_element("section#examine");
    assert!(b.path().starts_with("/containers/main/"), "{}", b.path());
    for css in ["ol#ancestry li.layer", "table#methods", "table#recent-jobs"] {
        assert!(b.exists(css), "the container page has no `{css}`");
    }
    b.screenshot("container");

    b.click("#validate-this");
    let id = b.wait_for("the job page", WAIT, |b| {
        let path = b.path();
        job_id(&path)
            .filter(|_| b.exists("#job-status"))
            .ok_or(path)
    });
    // The first line arrives while the method still runs.
    b.wait_for("the first line while the job runs", WAIT, |b| {
        let status = job_status(b);
        let output = b.text("#output");
        if status == "running" && output.contains("validate: first line") {
            Ok(())
        } else {
            Err(format!("status {status:?}, output {output:?}"))
        }
    });
    assert!(!b.text("#output").contains("validate: released"));
    b.screenshot("job-running");
    fleet.shop_main.exec(&["touch", "/tmp/release"]).ok();
    // The rest streams in, and the status follows, without a reload.
    b.wait_for(
        "the job to be done with all its output",
        Duration::from_secs(60),
        |b| {
            let status = job_status(b);
            let output = b.text("#output");
            if status == "done" && output.contains("validate: released") {
                Ok(())
            } else {
                Err(format!("status {status:?}, output {output:?}"))
            }
        },
    );
    assert_eq!(job_id(&b.path()), Some(id), "the page navigated away");
    fleet
        .shop_main
        .exec(&["rm", "-f", "/tmp/gate", "/tmp/release"])
        .ok();
    b.screenshot("job");
    // The same job through the JSON API: one new job, done.
    assert_eq!(job_count(&server), jobs_before + 1);
    assert_eq!(server.wait_job(id)["status"], "done");

    // The fleet page shows the result.
    b.goto(&format!("{}/", base(&server)));
    let row = b.find(&format!(
        "#fleet tr.container[data-name=\"{}\"]",
        fleet.shop_main.name
    ));
    let validate = b.find_in(&row, "td.validate");
    assert_eq!(b.attr(&validate, "data-status").as_deref(), Some("ok"));
    // Only a failed result links to its job (the page stays light for
    // large fleets); the job itself is on /jobs, below.
    b.screenshot("fleet-validated");

    b.goto(&format!("{}/jobs", base(&server)));
    assert!(
        b.exists(&format!("table#jobs tr.job[data-id=\"{id}\"]")),
        "the jobs page does not list job {id}"
    );
    b.screenshot("jobs");
    b.goto(&format!("{}/hooks", base(&server)));
    let deliveries = b.find("table.deliveries[data-hook=\"shop\"]");
    let text = b.text_of(&deliveries);
    assert!(
        text.contains("browser-1") && text.contains("browser-2"),
        "{text}"
    );
    b.screenshot("hooks");
}

#[test]
fn without_the_operator_token_nothing_runs() {
    let test = "without_the_operator_token_nothing_runs";
    let Some(fleet) = fleet(test) else { return };
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(fleet, dir.path(), "");
    let Some(b) = browser_or_skip(test, Js::On) else {
        return;
    };

    // Viewing needs the session by default: the fleet page sends to login.
    b.goto(&format!("{}/?engine=bed", base(&server)));
    b.wait_for_element("#login input[name=token]");
    let url = b.url();
    assert_eq!(url.path(), "/login", "{url}");
    let next: Option<String> = url
        .query_pairs()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned());
    assert_eq!(next.as_deref(), Some("/?engine=bed"), "{url}");
    b.screenshot("login");

    // A wrong token: refused, with a message, and no cookie.
    b.type_into("#login input[name=token]", "not-the-token");
    b.click("#login-submit");
    let error = b.wait_for_element("#login-error");
    assert!(!b.text_of(&error).trim().is_empty());
    let cookies = b.block("read cookies", b.client().get_all_cookies());
    assert!(
        cookies.iter().all(|c| c.name() != "waybill_session"),
        "a wrong token got a session: {cookies:?}"
    );
    b.screenshot("login-refused");

    // Logged in, then the session is lost before the button is pressed:
    // the form's post is refused and nothing runs.
    b.goto(&format!("{}/login", base(&server)));
    b.type_into("#login input[name=token]", TOKEN);
    b.click("#login-submit");
    b.wait_for("the fleet page after logging in", WAIT, |b| {
        let path = b.path();
        if path == "/?engine=bed" || path == "/" {
            Ok(())
        } else {
            Err(path)
        }
    });
    b.wait_for_element("table#fleet");
    let cookies = b.block("read cookies", b.client().get_all_cookies());
    let session = cookies
        .iter()
        .find(|c| c.name() == "waybill_session")
        .unwrap_or_else(|| panic!("no session cookie after logging in: {cookies:?}"));
    assert_eq!(session.http_only(), Some(true), "{session:?}");
    // fantoccini does not re-export the cookie crate's SameSite.
    assert_eq!(
        format!("{:?}", session.same_site()),
        "Some(Strict)",
        "{session:?}"
    );
    let session_value = session.value().to_string();
    let jobs_before = job_count(&server);
    b.click("input[name=target][value^=\"bed/\"]");
    b.block("forget the session cookie", b.client().delete_all_cookies());
    b.click("#act button.act-validate");
    b.wait_for("the refusal", WAIT, |b| {
        let path = b.path();
        if path.starts_with("/jobs/") {
            panic!("the action ran without a session: {path}");
        }
        if path.starts_with("/login") || path == "/actions" {
            Ok(())
        } else {
            Err(path)
        }
    });
    b.screenshot("action-refused");
    assert_eq!(
        job_count(&server),
        jobs_before,
        "a job was created without a session"
    );

    // Outside the browser: no session, and a session without the form's
    // CSRF token, are both refused; GET never acts.
    let target = format!("bed/{}", fleet.shop_bed);
    let form = format!("action=validate&target={}", target.replace('/', "%2F"));
    let urlencoded = (
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    );
    let r = server.post(
        "/actions",
        std::slice::from_ref(&urlencoded),
        form.as_bytes(),
    );
    assert!(matches!(r.status, 401 | 303), "{r:?}");
    let r = server.post(
        "/actions",
        &[
            urlencoded,
            ("Cookie", format!("waybill_session={session_value}")),
        ],
        format!("csrf=wrong&{form}").as_bytes(),
    );
    assert_eq!(r.status, 403, "{r:?}");
    let r = server.get(&format!("/actions?{form}"));
    assert!(r.status >= 400, "GET /actions: {r:?}");
    assert_eq!(
        job_count(&server),
        jobs_before,
        "a job was created without the token"
    );
}

#[test]
fn untrusted_record_text_renders_as_text_and_runs_nothing() {
    let test = "untrusted_record_text_renders_as_text_and_runs_nothing";
    let Some(fleet) = fleet(test) else { return };
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(fleet, dir.path(), "");
    let Some(b) = browser_or_skip(test, Js::On) else {
        return;
    };
    log_in(&b, &server);

    let row_css = format!("#fleet tr.container[data-name=\"{}\"]", fleet.hostile.name);
    let row = b.find(&row_css);
    assert_nothing_injected(&b, "fleet page");
    let project = b.find_in(&row, "td.project");
    assert_eq!(
        b.text_content(&project).trim(),
        PAYLOAD,
        "the project is not shown literally"
    );
    // The project filter offers it as a value, quotes and all.
    let option = b
        .find_all("#filters select[name=project] option")
        .into_iter()
        .find(|o| b.attr(o, "value").as_deref() == Some(PAYLOAD));
    let Some(option) = option else {
        panic!("the project filter does not offer the payload as a value");
    };
    b.screenshot("fleet-hostile");

    // Filtering by it is a URL like any other. (Clicking the option:
    // fantoccini's select_by_value puts the value in a CSS selector
    // unescaped.)
    b.click_element(&option);
    b.click("#apply-filters");
    b.wait_for("the hostile project filter", WAIT, |b| {
        let url = b.url();
        let project = url
            .query_pairs()
            .find(|(k, _)| k == "project")
            .map(|(_, v)| v.into_owned());
        if project.as_deref() == Some(PAYLOAD) && b.exists("table#fleet") {
            Ok(())
        } else {
            Err(url.to_string())
        }
    });
    assert_nothing_injected(&b, "fleet page filtered by the payload");
    assert!(b.exists(&row_css));

    let link = b.find_in(&b.find(&row_css), "a.container-link");
    b.click_element(&link);
    b.wait_for_element("section#examine");
    assert_nothing_injected(&b, "container page");
    let page = b.text("body");
    assert!(
        page.contains(PAYLOAD),
        "the container page does not show the payload literally:\n{page}"
    );
    // The method is shown as a command line, its arguments shell-quoted.
    let validate = b
        .find_all("table#methods tr")
        .into_iter()
        .map(|row| b.text_of(&row))
        .find(|text| text.starts_with("VALIDATE"))
        .unwrap_or_else(|| panic!("no VALIDATE row in table#methods"));
    for part in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(2)>",
        "'",
    ] {
        assert!(
            validate.contains(part),
            "the VALIDATE method does not show {part:?} literally:\n{validate}"
        );
    }
    // The container's own label, hostile too, is shown as text.
    let note = b
        .find_all("table#label-table tr")
        .into_iter()
        .map(|row| b.text_of(&row))
        .find(|text| text.starts_with("io.waybill.browser-note"))
        .unwrap_or_else(|| panic!("no io.waybill.browser-note row in table#label-table"));
    assert!(
        note.contains(PAYLOAD),
        "the label does not show the payload literally:\n{note}"
    );
    b.screenshot("container-hostile");

    b.click("#validate-this");
    b.wait_for("the hostile job to end", Duration::from_secs(60), |b| {
        let status = if b.exists("#job-status") {
            job_status(b)
        } else {
            String::new()
        };
        if ["done", "failed"].contains(&status.as_str()) && b.text("#output").contains("alert(3)") {
            Ok(())
        } else {
            Err(format!("{} status {status:?}", b.path()))
        }
    });
    assert_nothing_injected(&b, "job page");
    let output = b.text("#output");
    assert!(
        output.contains(PAYLOAD),
        "the output is not shown literally:\n{output}"
    );
    assert!(output.contains("<img src=x onerror=alert(3)>"), "{output}");
    b.screenshot("job-hostile");
    b.goto(&format!("{}/jobs", base(&server)));
    assert_nothing_injected(&b, "jobs page");
}

#[test]
fn without_javascript_login_filters_and_an_action_work_by_form_posts() {
    let test = "without_javascript_login_filters_and_an_action_work_by_form_posts";
    let Some(fleet) = fleet(test) else { return };
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(fleet, dir.path(), "");
    let Some(b) = browser_or_skip(test, Js::Off) else {
        return;
    };
    assert!(
        !b.javascript_runs(),
        "JavaScript is on in the Js::Off browser"
    );
    log_in(&b, &server);
    b.screenshot("fleet-nojs");

    b.select("#filters select[name=engine]", "bed");
    b.click("#apply-filters");
    b.wait_for("the engine filter in the URL", WAIT, |b| {
        let path = b.path();
        if path.contains("engine=bed") && b.exists("table#fleet") {
            Ok(())
        } else {
            Err(path)
        }
    });
    assert_eq!(row_engine(&b, &fleet.shop_bed).as_deref(), Some("bed"));
    assert_eq!(row_engine(&b, &fleet.shop_main.name), None);

    // Select the testbed's shop container and press Validate.
    let jobs_before = job_count(&server);
    let row = b.find(&format!(
        "#fleet tr.container[data-name=\"{}\"]",
        fleet.shop_bed
    ));
    let in_row = b.find_in(&row, "input[name=target]");
    let value = b.attr(&in_row, "value").unwrap_or_default();
    assert!(value.starts_with("bed/"), "{value}");
    let checkbox = b.find(&format!("input[name=target][value=\"{value}\"]"));
    b.click_element(&checkbox);
    b.click("#act button.act-validate");
    let id = b.wait_for("the job page", WAIT, |b| {
        let path = b.path();
        job_id(&path)
            .filter(|_| b.exists("#job-status"))
            .ok_or(path)
    });
    assert_eq!(job_count(&server), jobs_before + 1);
    // No live updates: reloading shows the state at load time.
    let url = format!("{}/jobs/{id}", base(&server));
    b.wait_for(
        "the job to be done after reloads",
        Duration::from_secs(60),
        |b| {
            b.goto(&url);
            let status = job_status(b);
            let output = b.text("#output");
            if status == "done" && output.contains("validate: released") {
                Ok(())
            } else {
                Err(format!("status {status:?}, output {output:?}"))
            }
        },
    );
    b.screenshot("job-nojs");
}

#[test]
fn a_public_fleet_page_still_refuses_actions_without_the_token() {
    let test = "a_public_fleet_page_still_refuses_actions_without_the_token";
    let Some(fleet) = fleet(test) else { return };
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(fleet, dir.path(), "[page]\npublic = true\n");
    let Some(b) = browser_or_skip(test, Js::On) else {
        return;
    };
    // Viewing needs no session here: the fleet page itself, not login.
    b.goto(&format!("{}/", base(&server)));
    b.wait_for_element("table#fleet");
    assert_eq!(b.path(), "/");
    assert_eq!(row_engine(&b, &fleet.shop_bed).as_deref(), Some("bed"));
    let cookies = b.block("read cookies", b.client().get_all_cookies());
    assert!(
        cookies.iter().all(|c| c.name() != "waybill_session"),
        "{cookies:?}"
    );
    b.screenshot("fleet-public");
    let jobs_before = job_count(&server);
    let checkbox = b.find(&format!(
        "#fleet tr.container[data-name=\"{}\"] input[name=target]",
        fleet.shop_bed
    ));
    b.click_element(&checkbox);
    b.click("#act button.act-validate");
    b.wait_for("the refusal", WAIT, |b| {
        let path = b.path();
        assert!(
            !path.starts_with("/jobs/"),
            "the action ran without a session: {path}"
        );
        if path.starts_with("/login") || path == "/actions" {
            Ok(())
        } else {
            Err(path)
        }
    });
    assert_eq!(
        job_count(&server),
        jobs_before,
        "a job was created without the token"
    );
}
