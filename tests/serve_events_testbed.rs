//! `waybill serve` engine events over two engines of the namespace
//! testbed: while engine `a` is stopped, a container started on `b` is
//! still validated; after `a` is started again the server reconnects on
//! its own, and a container started on `a` then is validated too.
//!
//! A binary of its own: it stops a node, which no other test's testbed
//! may see. Needs root, `ip netns` and a Docker engine: without them the
//! test prints SKIP, or fails when CI=true.

#![cfg(feature = "host")]

mod docker;
mod engine_images;
mod serve_images;
mod serve_support;
#[path = "testbed/mod.rs"]
mod testbed;

use serve_images::images;
use serve_support::*;
use testbed::{testbed_or_skip, Node, Testbed, Via};

/// Runs `image` sleeping on `node`, labelled with the test label and
/// `group`; returns its name.
fn run_on(bed: &Testbed, node: &Node, what: &str, image: &str, group: &str) -> String {
    let name = docker::unique_name(what);
    let group_label = format!("io.waybill.serve-group={group}");
    bed.docker(
        node,
        Via::Unix,
        &[
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            &name,
            "--label",
            docker::TEST_LABEL,
            "--label",
            &group_label,
            "--entrypoint",
            "/bin/sleep",
            image,
            "600",
        ],
    )
    .ok();
    name
}

/// Waits for a finished `engine event` job that validated `container`.
fn wait_validated(server: &Server, container: &str) -> serde_json::Value {
    docker::wait_until(
        &format!("an engine event validation of {container}"),
        PATIENCE * 6,
        || {
            let r = server.get("/jobs");
            let jobs = r.json()["jobs"].as_array().cloned().unwrap_or_default();
            jobs.iter()
                .find(|j| {
                    j["trigger"]["kind"] == "engine event"
                        && j["status"] == "done"
                        && j["results"].as_array().is_some_and(|rs| {
                            rs.iter().any(|r| {
                                r["container"] == container
                                    && r["action"] == "validate"
                                    && r["outcome"] == "done"
                            })
                        })
                })
                .cloned()
                .ok_or_else(|| format!("{jobs:#?}\n{}", server.log_text()))
        },
    )
}

#[test]
fn after_an_engine_restarts_the_server_reconnects_and_validates_its_new_containers() {
    let test = "after_an_engine_restarts_the_server_reconnects_and_validates_its_new_containers";
    if !docker::engine_or_skip(test) {
        return;
    }
    let Some(bed) = testbed_or_skip(test, &["a", "b"]) else {
        return;
    };
    let images = images();
    bed.load(&[&images.shop]);
    let group = docker::unique_name("serve-ev-bed");
    let (a, b) = (bed.node("a"), bed.node("b"));
    let config = format!(
        r#"
[engines]
hosts = ["{}", "{}"]

[events]
validate_on_start = true
grace_secs = 1
labels = {{ "io.waybill.serve-group" = "{group}" }}
"#,
        a.unix, b.unix
    );
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config, &[]);
    // Both subscriptions are up before anything starts.
    docker::wait_until("both engines subscribed", PATIENCE * 3, || {
        let log = server.log_text();
        if log.matches("engine events: subscribed").count() >= 2 {
            Ok(())
        } else {
            Err(log)
        }
    });

    bed.stop_node("a");
    let on_b = run_on(bed, b, "serve-ev-b", &images.shop, &group);
    let job_b = wait_validated(&server, &on_b);
    assert_eq!(job_b["selection"]["engine"], b.unix, "{job_b:#}");

    bed.start_node("a");
    docker::wait_until("the server to reconnect to a", PATIENCE * 6, || {
        let log = server.log_text();
        if log.contains("reconciled") {
            Ok(())
        } else {
            Err(log)
        }
    });
    let on_a = run_on(bed, a, "serve-ev-a", &images.shop, &group);
    let job_a = wait_validated(&server, &on_a);
    assert_eq!(job_a["selection"]["engine"], a.unix, "{job_a:#}");
    let log = server.log_text();
    assert!(
        log.contains("connection lost") || log.contains("ended the stream"),
        "{log}"
    );
    assert!(log.contains("gap_from"), "{log}");

    let (code, log) = server.stop();
    assert_eq!(code, Some(0), "{log}");
    bed.docker(a, Via::Unix, &["rm", "-f", &on_a]).ok();
    bed.docker(b, Via::Unix, &["rm", "-f", &on_b]).ok();
}
