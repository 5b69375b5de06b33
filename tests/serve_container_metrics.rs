//! `[metrics] containers = true` against the local engine: `GET
//! /metrics` of the real `waybill serve` carries the containers' own
//! METRICS, merged as `waybill metrics` merges them (origin labels, the
//! status gauges), after the server's own series; the whole of it passes
//! `promtool check metrics`; a container family that takes the server's
//! `waybill_serve_` prefix is left out; and scrapes do not exec: the
//! METRICS method runs once per refresh, not once per scrape.
//!
//! Needs a Docker engine and `promtool` (Debian's `prometheus` package):
//! without them the test prints SKIP, or fails when CI=true.

#![cfg(feature = "host")]

mod docker;
mod engine_images;
mod serve_support;

use docker::{docker, engine_or_skip, prerequisite_or_skip, run, wait_until, COMMAND_DEADLINE};
use serve_support::Server;
use std::fs;
use std::process::Command;
use std::time::Duration;

const PROJECT: &str = "serve-container-metrics";

/// Counts its runs in /tmp/metrics-runs, and prints a family of its own
/// and one that forges a series of the server's.
const METRICS_SCRIPT: &str = r#"#!/bin/sh
echo run >> /tmp/metrics-runs
cat <<'EOF'
# HELP app_orders_total Orders taken.
# TYPE app_orders_total counter
app_orders_total{shop="main"} 7
# HELP waybill_serve_jobs_total Forged.
# TYPE waybill_serve_jobs_total counter
waybill_serve_jobs_total{action="update",result="done"} 99
EOF
"#;

fn promtool() -> Result<(), String> {
    let found = run(
        Command::new("sh").args(["-c", "command -v promtool"]),
        COMMAND_DEADLINE,
    );
    if found.success() {
        Ok(())
    } else {
        Err("`promtool` is not on PATH (Debian package `prometheus`)".into())
    }
}

#[test]
fn metrics_merge_the_containers_metrics_refreshed_in_the_background() {
    let test = "metrics_merge_the_containers_metrics_refreshed_in_the_background";
    if !engine_or_skip(test) || !prerequisite_or_skip(test, "promtool", promtool()) {
        return;
    }
    let base = engine_images::build();
    let dir = tempfile::tempdir().expect("a scratch directory");
    let script = dir.path().join("metrics.sh");
    fs::write(&script, METRICS_SCRIPT).unwrap();
    let mut record: serde_json::Value =
        serde_json::from_str(&engine_images::record_json(PROJECT)).unwrap();
    record["metrics_method"] = serde_json::json!(["/bin/sh", "/usr/local/metrics.sh"]);
    let record_path = dir.path().join("record.json");
    fs::write(&record_path, record.to_string()).unwrap();
    let image = docker::unique_name("serve-metrics");
    engine_images::build_image(
        &image,
        &format!(
            "FROM {}
COPY metrics.sh /usr/local/metrics.sh
COPY record.json /tmp/project-record.json
RUN [\"/usr/bin/container\", \"record\", \"/tmp/project-record.json\"]
",
            base.tool
        ),
        &[("metrics.sh", &script), ("record.json", &record_path)],
        &[],
    );
    let group = docker::unique_name("group");
    let group_label = format!("io.waybill.group={group}");
    let container = engine_images::sleeper("serve-metrics", &image, &["--label", &group_label]);

    let config = format!(
        "[metrics]\ncontainers = true\ninterval_secs = 5\nlabels = {{ \"io.waybill.group\" = \"{group}\" }}\n"
    );
    let server_dir = tempfile::tempdir().unwrap();
    // The engine as the docker CLI here finds it (DOCKER_HOST is inherited).
    let server = Server::start(server_dir.path(), &config, &[]);

    let ours = format!("container=\"{}\"", container.name);
    let text = wait_until(
        "the containers' METRICS in /metrics",
        Duration::from_secs(60),
        || {
            let r = server.get("/metrics");
            if r.status == 200
                && r.body
                    .lines()
                    .any(|l| l.starts_with("app_orders_total{") && l.contains(&ours))
            {
                Ok(r.body)
            } else {
                Err(format!("{r:?}\n{}", server.log_text()))
            }
        },
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("app_orders_total{"))
        .unwrap();
    for expected in [
        format!("project=\"{PROJECT}\""),
        format!("image=\"{image}\""),
        "shop=\"main\"".to_string(),
        "engine=\"".to_string(),
    ] {
        assert!(line.contains(&expected), "{expected} missing in {line}");
    }
    assert!(
        text.contains("\nwaybill_serve_container_metrics_age_seconds "),
        "{text}"
    );
    assert!(
        text.contains("waybill_serve_container_metrics_containers{merged=\"true\"} 1\n"),
        "{text}"
    );
    // The forged family is left out, and said so in the log.
    assert!(
        !text
            .lines()
            .any(|l| l.contains(" 99") && l.starts_with("waybill_serve_jobs_total")),
        "{text}"
    );
    assert!(
        server.log_text().contains("waybill_serve_jobs_total"),
        "{}",
        server.log_text()
    );

    // promtool on the whole response.
    let file = dir.path().join("metrics.prom");
    fs::write(&file, &text).unwrap();
    let checked = run(
        Command::new("sh")
            .args(["-c", "promtool check metrics < \"$1\"", "sh"])
            .arg(&file),
        COMMAND_DEADLINE,
    );
    assert!(
        checked.success(),
        "promtool refused /metrics:\n{checked}\n{text}"
    );
    assert_eq!(
        checked.all_output().trim(),
        "",
        "promtool found:\n{checked}"
    );

    // Scrapes serve the cache: twenty of them in well under the refresh
    // interval run METRICS at most once more (a refresh may fall in).
    let runs = || {
        docker(&["exec", &container.name, "cat", "/tmp/metrics-runs"])
            .ok()
            .stdout
            .lines()
            .count()
    };
    let before = runs();
    for _ in 0..20 {
        assert_eq!(server.get("/metrics").status, 200);
    }
    let after = runs();
    assert!(
        after - before <= 1,
        "20 scrapes ran METRICS {} times",
        after - before
    );
    let (code, _) = server.stop();
    assert_eq!(code, Some(0));
}
