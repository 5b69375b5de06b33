//! `waybill metrics` run for real against the local engine: containers
//! of two projects whose METRICS methods print expositions that clash
//! (the same family, an `engine` label of their own, a TYPE conflict),
//! one whose output does not parse, one whose output is too large, and a
//! stopped one. The merged exposition must pass `promtool check metrics`
//! and carry the origin labels; the status gauges must show the MONITOR
//! and VALIDATE runs made before, the stopped container's too.
//!
//! Needs a Docker engine and `promtool` (Debian's `prometheus` package):
//! without them every test prints SKIP, or fails when CI=true.

#![cfg(feature = "host")]

mod docker;
mod engine_images;

use docker::{docker, engine_or_skip, run, ContainerGuard, Output, COMMAND_DEADLINE};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

const SHOP: &str = "metrics-shop";
const BILLING: &str = "metrics-billing";

/// The METRICS method of both images: the exposition is chosen by the
/// container's METRICS_KIND.
///
/// - `shop`: a counter with an `engine` label of its own, a gauge;
/// - `billing`: the same counter, the gauge's name as a counter (a TYPE
///   conflict: the shop containers sort first and keep it), a histogram;
/// - `broken`: the same series twice, which `container --metrics` lets
///   through today but a reader refuses (if `container` comes to refuse
///   it too, the method fails instead: left out and reported all the
///   same);
/// - `huge`: a valid exposition of about 7 MiB, over what `waybill
///   metrics` keeps of one container (4 MiB).
const METRICS_SCRIPT: &str = r#"#!/bin/sh
case "$METRICS_KIND" in
shop) cat <<'EOF'
# HELP app_requests_total Requests served.
# TYPE app_requests_total counter
app_requests_total{code="200",engine="nginx"} 5
# HELP app_queue_depth Items waiting.
# TYPE app_queue_depth gauge
app_queue_depth 3
EOF
;;
billing) cat <<'EOF'
# HELP app_requests_total Requests served.
# TYPE app_requests_total counter
app_requests_total{code="500"} 2 1700000000000
# HELP app_queue_depth Items waiting.
# TYPE app_queue_depth counter
app_queue_depth 9
# HELP app_latency_seconds Request latency.
# TYPE app_latency_seconds histogram
app_latency_seconds_bucket{le="0.1"} 1
app_latency_seconds_bucket{le="+Inf"} 2
app_latency_seconds_sum 0.25
app_latency_seconds_count 2
EOF
;;
broken) printf 'app_broken_total 1\napp_broken_total 2\n' ;;
huge) awk 'BEGIN { for (i = 0; i < 300000; i++) printf "app_huge_total{i=\"%d\"} 1\n", i }' ;;
esac
"#;

struct Images {
    shop: String,
    billing: String,
}

/// An image FROM the test `tool` image with one more record, of
/// `project`, declaring METRICS, MONITOR and VALIDATE methods.
fn project_image(project: &str, script: &Path) -> String {
    let base = engine_images::build();
    let mut record: serde_json::Value =
        serde_json::from_str(&engine_images::record_json(project)).expect("a record");
    record["metrics_method"] = serde_json::json!(["/bin/sh", "/usr/local/metrics.sh"]);
    record["monitor_method"] = serde_json::json!(["/bin/sh", "-c", "exit ${MONITOR_CODE:-0}"]);
    record["validate_method"] = serde_json::json!(["/bin/sh", "-c", "exit ${VALIDATE_CODE:-0}"]);
    let dir = tempfile::tempdir().expect("a build directory");
    let record_path = dir.path().join("record.json");
    fs::write(&record_path, record.to_string()).expect("write the record");
    let name = docker::unique_name(project);
    engine_images::build_image(
        &name,
        &format!(
            "FROM {}
COPY metrics.sh /usr/local/metrics.sh
COPY record.json /tmp/project-record.json
RUN [\"/usr/bin/container\", \"record\", \"/tmp/project-record.json\"]
",
            base.tool
        ),
        &[("metrics.sh", script), ("record.json", &record_path)],
        &[],
    );
    name
}

fn images() -> &'static Images {
    static IMAGES: OnceLock<Images> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a directory for the script");
        let script = dir.path().join("metrics.sh");
        fs::write(&script, METRICS_SCRIPT).expect("write the script");
        Images {
            shop: project_image(SHOP, &script),
            billing: project_image(BILLING, &script),
        }
    })
}

/// A sleeping container of `image` in this test's `group`, with `env`.
fn sleeper(what: &str, image: &str, group: &str, env: &[&str]) -> ContainerGuard {
    let group = format!("io.waybill.group={group}");
    let mut args = vec!["--label", group.as_str()];
    for e in env {
        args.extend(["--env", e]);
    }
    engine_images::sleeper(what, image, &args)
}

fn waybill(args: &[&str]) -> Output {
    run(
        Command::new(env!("CARGO_BIN_EXE_waybill")).args(args),
        COMMAND_DEADLINE,
    )
}

/// `promtool check metrics` on `text`, or None (after a loud SKIP, or a
/// failure in CI) when promtool is missing.
fn promtool_check(test: &str, text: &str) -> Option<Output> {
    let found = run(
        Command::new("sh").args(["-c", "command -v promtool"]),
        COMMAND_DEADLINE,
    );
    let ready = docker::prerequisite_or_skip(
        test,
        "promtool (Debian's `prometheus` package)",
        if found.success() {
            Ok(())
        } else {
            Err("`promtool` is not on PATH".into())
        },
    );
    if !ready {
        return None;
    }
    let dir = tempfile::tempdir().expect("a directory for the exposition");
    let file = dir.path().join("merged.prom");
    fs::write(&file, text).expect("write the exposition");
    Some(run(
        Command::new("sh")
            .args(["-c", "promtool check metrics < \"$1\"", "sh"])
            .arg(&file),
        COMMAND_DEADLINE,
    ))
}

/// The sample lines of family-or-series `name` from `container`.
fn samples<'a>(out: &'a str, name: &str, container: &str) -> Vec<&'a str> {
    let start = format!("{name}{{");
    let from = format!("container=\"{container}\"");
    out.lines()
        .filter(|l| l.starts_with(&start) && l.contains(&from))
        .collect()
}

#[test]
fn merged_metrics_pass_promtool_and_carry_origin_labels_and_status() {
    let test = "merged_metrics_pass_promtool_and_carry_origin_labels_and_status";
    if !engine_or_skip(test) {
        return;
    }
    let group = format!("merge-{}", docker::run_id());
    let images = images();
    // Named so that engine-then-name order is m1, m2, m3, m4.
    let shop_1 = sleeper("m1-shop", &images.shop, &group, &["METRICS_KIND=shop"]);
    let shop_2 = sleeper(
        "m2-shop",
        &images.shop,
        &group,
        &["METRICS_KIND=shop", "MONITOR_CODE=1"],
    );
    let billing = sleeper(
        "m3-billing",
        &images.billing,
        &group,
        &["METRICS_KIND=billing", "VALIDATE_CODE=1"],
    );
    let broken = sleeper(
        "m4-broken",
        &images.billing,
        &group,
        &["METRICS_KIND=broken"],
    );
    let huge = sleeper("m5-huge", &images.billing, &group, &["METRICS_KIND=huge"]);
    let stopped = sleeper("m6-stopped", &images.shop, &group, &["METRICS_KIND=shop"]);

    // Runtime state for the status gauges: MONITOR in m2 (WARNING),
    // VALIDATE in m1 (ok) and m3 (failed); nothing ran in m4.
    let monitor = docker(&["exec", &shop_2.name, "container", "--monitor"]);
    assert_eq!(monitor.code(), Some(1), "{monitor}");
    docker(&["exec", &shop_1.name, "container", "--validate"]).ok();
    let failed = docker(&["exec", &billing.name, "container", "--validate"]);
    assert_eq!(failed.code(), Some(1), "{failed}");
    // A stopped container: skipped, but its state file still read.
    docker(&["exec", &stopped.name, "container", "--validate"]).ok();
    docker(&["stop", "--time", "1", &stopped.name]).ok();

    let filter = format!("io.waybill.group={group}");
    let out = waybill(&["metrics", "--label", &filter]);
    // The broken container's output was left out: a failure.
    assert_eq!(out.code(), Some(1), "{out}");
    let text = &out.stdout;

    // Every sample carries the origin labels; the container's own
    // `engine` label is kept as `exported_engine`.
    let requests = samples(text, "app_requests_total", &shop_1.name);
    assert_eq!(requests.len(), 1, "{out}");
    let line = requests[0];
    for expected in [
        "engine=\"".to_string(),
        format!("project=\"{SHOP}\""),
        format!("image=\"{}\"", images.shop),
        "code=\"200\"".to_string(),
        "exported_engine=\"nginx\"".to_string(),
    ] {
        assert!(
            line.contains(&expected),
            "{expected} missing in {line}\n{out}"
        );
    }
    assert!(!line.contains(",engine=\"nginx\""), "{line}");
    // The other project's samples of the same family, timestamp kept.
    let theirs = samples(text, "app_requests_total", &billing.name);
    assert_eq!(theirs.len(), 1, "{out}");
    assert!(
        theirs[0].contains(&format!("project=\"{BILLING}\"")),
        "{out}"
    );
    assert!(theirs[0].ends_with(" 2 1700000000000"), "{out}");

    // HELP and TYPE once per family.
    for family in [
        "app_requests_total",
        "app_queue_depth",
        "app_latency_seconds",
    ] {
        for what in ["HELP", "TYPE"] {
            let head = format!("# {what} {family} ");
            let count = text.lines().filter(|l| l.starts_with(&head)).count();
            assert_eq!(count, 1, "{head}\n{out}");
        }
    }

    // The TYPE conflict: the first container in order (m1, a gauge)
    // keeps the family; m3's counter samples are left out and reported.
    assert!(text.contains("# TYPE app_queue_depth gauge\n"), "{out}");
    assert_eq!(
        samples(text, "app_queue_depth", &shop_1.name).len(),
        1,
        "{out}"
    );
    assert!(
        samples(text, "app_queue_depth", &billing.name).is_empty(),
        "{out}"
    );
    assert!(
        out.stderr.contains(&billing.name) && out.stderr.contains("`app_queue_depth`"),
        "{out}"
    );

    // The histogram's series stay under its family.
    assert!(
        text.contains("# TYPE app_latency_seconds histogram\n"),
        "{out}"
    );
    assert_eq!(
        samples(text, "app_latency_seconds_bucket", &billing.name).len(),
        2,
        "{out}"
    );

    // The broken exposition: none of it, and said so.
    assert!(!text.contains(&broken.name), "{out}");
    assert!(out.stderr.contains(&broken.name), "{out}");
    // Nor any of the one too large to keep whole.
    assert!(!text.contains(&huge.name), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "{}: METRICS output left out: it is over 4194304 bytes",
            huge.name
        )),
        "{}",
        out.stderr
    );

    // Status gauges from the runs above; none for what never ran.
    let status = samples(text, "waybill_monitor_status", &shop_2.name);
    assert_eq!(status.len(), 1, "{out}");
    assert!(status[0].ends_with(" 1"), "{out}");
    assert_eq!(
        samples(
            text,
            "waybill_monitor_last_run_timestamp_seconds",
            &shop_2.name
        )
        .len(),
        1,
        "{out}"
    );
    assert!(
        samples(text, "waybill_monitor_status", &shop_1.name).is_empty(),
        "{out}"
    );
    let ok = samples(text, "waybill_validate_ok", &shop_1.name);
    assert!(ok.len() == 1 && ok[0].ends_with(" 1"), "{out}");
    let not_ok = samples(text, "waybill_validate_ok", &billing.name);
    assert!(not_ok.len() == 1 && not_ok[0].ends_with(" 0"), "{out}");
    assert_eq!(
        samples(
            text,
            "waybill_validate_last_run_timestamp_seconds",
            &billing.name
        )
        .len(),
        1,
        "{out}"
    );
    assert!(
        samples(text, "waybill_validate_ok", &broken.name).is_empty(),
        "{out}"
    );

    if let Some(check) = promtool_check(test, text) {
        assert!(
            check.success(),
            "promtool refused the merged output:\n{check}\n{out}"
        );
    }

    // A selector picks one project only.
    let out = waybill(&["metrics", "--label", &filter, "--project", SHOP]);
    assert_eq!(out.code(), Some(0), "{out}");
    assert!(!out.stdout.contains(BILLING), "{out}");
    assert_eq!(
        samples(&out.stdout, "app_queue_depth", &shop_2.name).len(),
        1,
        "{out}"
    );
    if let Some(check) = promtool_check(test, &out.stdout) {
        assert!(
            check.success(),
            "promtool refused the merged output:\n{check}\n{out}"
        );
    }
}

#[test]
fn metrics_without_targets_or_all_is_a_usage_error() {
    let out = waybill(&["metrics"]);
    assert_eq!(out.code(), Some(64), "{out}");
}

#[test]
fn metrics_with_nothing_matching_exits_noinput() {
    if !engine_or_skip("metrics_with_nothing_matching_exits_noinput") {
        return;
    }
    let filter = format!("io.waybill.group=none-{}", docker::run_id());
    let out = waybill(&["metrics", "--label", &filter]);
    assert_eq!(out.code(), Some(66), "{out}");
    assert_eq!(out.stdout, "", "{out}");
}
