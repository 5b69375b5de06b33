//! `waybill serve` and engine events, against the real local engine: a
//! container with records started after the server is validated once its
//! grace has passed (a job with trigger `engine event`), and a
//! `[[schedule]]` validates the containers it selects again and again.
//! Both only touch containers carrying the test's own group label. An
//! engine that cannot be reached is retried while the server goes on
//! serving, and a job narrowed to an engine that is not configured fails.
//!
//! The first two need a Docker engine: without one they print SKIP, or
//! fail when CI=true.

#![cfg(feature = "host")]

mod docker;
mod engine_images;
mod serve_images;
mod serve_support;

use serve_images::images;
use serve_support::*;

/// A unique group and its `docker run` label arguments.
fn group(what: &str) -> (String, [String; 2]) {
    let group = docker::unique_name(what);
    let args = [
        "--label".to_owned(),
        format!("io.waybill.serve-group={group}"),
    ];
    (group, args)
}

/// The jobs of `GET /jobs` whose trigger kind is `kind`.
fn jobs_of(server: &Server, kind: &str) -> Vec<serde_json::Value> {
    let r = server.get("/jobs");
    assert_eq!(r.status, 200, "{r:?}");
    r.json()["jobs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|j| j["trigger"]["kind"] == kind)
        .collect()
}

/// Whether `job` finished with a VALIDATE of `container` that is done.
fn validated(job: &serde_json::Value, container: &str) -> bool {
    job["status"] == "done"
        && job["results"].as_array().is_some_and(|results| {
            results.iter().any(|r| {
                r["container"] == container && r["action"] == "validate" && r["outcome"] == "done"
            })
        })
}

#[test]
fn a_labelled_container_started_after_the_server_is_validated_as_an_engine_event_job() {
    let test = "a_labelled_container_started_after_the_server_is_validated_as_an_engine_event_job";
    if !docker::engine_or_skip(test) {
        return;
    }
    let images = images();
    let (_, other_labels) = group("events-other");
    let (group, labels) = group("events");
    let config = format!(
        r#"
[events]
validate_on_start = true
grace_secs = 1
labels = {{ "io.waybill.serve-group" = "{group}" }}
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config, &[]);
    // A container of another group starts too and is left alone.
    let other_args = [other_labels[0].as_str(), other_labels[1].as_str()];
    let other = engine_images::sleeper("serve-ev-other", &images.shop, &other_args);
    let args = [labels[0].as_str(), labels[1].as_str()];
    let shop = engine_images::sleeper("serve-ev", &images.shop, &args);

    let job = docker::wait_until("a validate job after the start", PATIENCE * 3, || {
        let jobs = jobs_of(&server, "engine event");
        jobs.iter()
            .find(|j| validated(j, &shop.name))
            .cloned()
            .ok_or_else(|| format!("{jobs:#?}\n{}", server.log_text()))
    });
    assert_eq!(job["action"], "validate", "{job:#}");
    assert_eq!(job["selection"]["engine"], "default", "{job:#}");
    assert_eq!(job["results"].as_array().unwrap().len(), 1, "{job:#}");
    let out = shop.exec(&["cat", "/tmp/validated"]);
    assert!(out.success(), "{}", out.all_output());
    assert!(
        jobs_of(&server, "engine event").iter().all(|j| j["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["container"] != other.name)),
        "the other group's container was validated"
    );
    let (code, log) = server.stop();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn a_schedule_validates_its_containers_again_and_again() {
    let test = "a_schedule_validates_its_containers_again_and_again";
    if !docker::engine_or_skip(test) {
        return;
    }
    let images = images();
    let (group, labels) = group("schedule");
    let args = [labels[0].as_str(), labels[1].as_str()];
    let shop = engine_images::sleeper("serve-sched", &images.shop, &args);
    let config = format!(
        r#"
[[schedule]]
action = "validate"
labels = {{ "io.waybill.serve-group" = "{group}" }}
interval_secs = 1
jitter_secs = 1
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config, &[]);
    docker::wait_until("two scheduled validations", PATIENCE * 3, || {
        let jobs = jobs_of(&server, "schedule");
        let done = jobs.iter().filter(|j| validated(j, &shop.name)).count();
        if done >= 2 {
            Ok(())
        } else {
            Err(format!("{jobs:#?}\n{}", server.log_text()))
        }
    });
    for job in jobs_of(&server, "schedule") {
        assert_eq!(job["action"], "validate", "{job:#}");
        if job["status"] == "done" {
            let containers: Vec<&str> = job["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["container"].as_str().unwrap())
                .collect();
            assert_eq!(containers, [shop.name.as_str()], "{job:#}");
        }
    }
    let lines = shop.exec(&["cat", "/tmp/validated"]).stdout;
    assert!(lines.lines().count() >= 2, "{lines}");
    let (code, log) = server.stop();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn an_unreachable_engine_is_retried_and_the_server_keeps_serving() {
    // No Docker needed: the one engine named does not exist.
    let config = r#"
[engines]
hosts = ["unix:///nonexistent/waybill-events-test.sock"]

[operator]
token_env = "OP_TOKEN"

[events]
validate_on_start = true
"#;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), config, &[("OP_TOKEN", "events-token")]);
    docker::wait_until("the watcher to report the engine", PATIENCE, || {
        let log = server.log_text();
        if log.contains("engine events: cannot connect") && log.contains("retry_in_secs") {
            Ok(())
        } else {
            Err(log)
        }
    });
    assert_eq!(server.get("/healthz").status, 503);
    // A job narrowed to an engine that is not configured fails, naming it.
    let r = server.post(
        "/jobs",
        &[
            ("Authorization", "Bearer events-token".to_string()),
            ("Content-Type", "application/json".into()),
        ],
        br#"{"action":"validate","selection":{"all":true,"engine":"nope"}}"#,
    );
    assert_eq!(r.status, 202, "{r:?}");
    let job = server.wait_job(r.json()["job"].as_u64().unwrap());
    assert_eq!(job["status"], "failed", "{job:#}");
    assert!(
        job["error"].as_str().unwrap_or("").contains("`nope`"),
        "{job:#}"
    );
    let (code, log) = server.stop();
    assert_eq!(code, Some(0), "{log}");
}
