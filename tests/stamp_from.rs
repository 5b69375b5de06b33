//! `waybill stamp --from IMAGE` against the real Docker engine: the base
//! image's `io.waybill.stack` label starts the derived image's stack.
//!
//! Test images are built `FROM scratch` through the Docker test harness
//! (tests/docker): labelled for the run, named uniquely, removed even
//! when a test fails. Without an engine these tests print SKIP, or fail
//! when CI is set.

// The `waybill` binary needs the `host` feature.
#![cfg(feature = "host")]

mod docker;
mod stamp_support;

use docker::{engine_or_skip, unique_name, ImageGuard};
use serde_json::{json, Value};
use stamp_support::{stamp, Repo, EPOCH};

/// An empty test image carrying `labels`.
fn image_with_labels(labels: &[(&str, &str)]) -> ImageGuard {
    let args: Vec<String> = labels
        .iter()
        .map(|(key, value)| format!("--label={key}={value}"))
        .collect();
    ImageGuard::build("stamp-from", "FROM scratch\n", &args)
}

fn stack_of(labels_output: &str) -> Value {
    let line = labels_output
        .lines()
        .find_map(|l| l.strip_prefix("--label=io.waybill.stack="))
        .unwrap_or_else(|| panic!("no stack label in:\n{labels_output}"));
    serde_json::from_str(line).expect("the stack label is JSON")
}

#[test]
fn derived_stack_is_the_base_stack_followed_by_this_record() {
    if !engine_or_skip("derived_stack_is_the_base_stack_followed_by_this_record") {
        return;
    }
    let base_record = json!({"project": "base", "schema_version": 1, "future_field": "kept"});
    let base_stack = json!([base_record]).to_string();
    let base = image_with_labels(&[("io.waybill.stack", &base_stack)]);
    let repo = Repo::new();

    let args = [
        "--project",
        "web",
        "--format",
        "labels",
        "--from",
        &base.name,
    ];
    let stack = stack_of(&stamp(repo.path(), &args, &[EPOCH]).ok());
    let own = stamp(repo.path(), &["--project", "web"], &[EPOCH]).json();
    assert_eq!(stack, json!([base_record, own]));

    let args = [
        "--project",
        "web",
        "--format",
        "build-args",
        "--from",
        &base.name,
    ];
    let out = stamp(repo.path(), &args, &[EPOCH]).ok();
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("--build-arg=WAYBILL_STACK="))
        .expect("WAYBILL_STACK line");
    let stack: Value = serde_json::from_str(line).unwrap();
    assert_eq!(stack.as_array().map(Vec::len), Some(2));
}

#[test]
fn record_file_follows_the_base_stack_unchanged() {
    if !engine_or_skip("record_file_follows_the_base_stack_unchanged") {
        return;
    }
    let base_record = json!({"project": "base", "schema_version": 1, "future_field": "kept"});
    let base = image_with_labels(&[("io.waybill.stack", &json!([base_record]).to_string())]);
    let repo = Repo::new();
    // No SOURCE_DATE_EPOCH and the file inside the work tree: the labels
    // must still carry the file's clock time and clean tree.
    stamp(
        repo.path(),
        &["--project", "web", "--output", "waybill.json"],
        &[],
    )
    .ok();
    let text = std::fs::read_to_string(repo.path().join("waybill.json")).unwrap();
    let filed: Value = serde_json::from_str(&text).unwrap();
    let args = [
        "--record",
        "waybill.json",
        "--format",
        "labels",
        "--from",
        &base.name,
    ];
    let stack = stack_of(&stamp(repo.path(), &args, &[]).ok());
    assert_eq!(stack, json!([base_record, filed]));
    assert_eq!(stack[1]["git_dirty"], json!(false), "{stack}");
}

#[test]
fn a_base_without_a_stack_label_starts_a_new_stack_with_a_warning() {
    if !engine_or_skip("a_base_without_a_stack_label_starts_a_new_stack_with_a_warning") {
        return;
    }
    let base = image_with_labels(&[]);
    let repo = Repo::new();
    let run = stamp(
        repo.path(),
        &[
            "--project",
            "web",
            "--format",
            "labels",
            "--from",
            &base.name,
        ],
        &[],
    );
    let stack = stack_of(&run.ok());
    assert_eq!(stack.as_array().map(Vec::len), Some(1));
    if !run.stderr().contains("starting a new stack") {
        run.explain("expected a warning about the missing stack label");
    }
}

#[test]
fn a_malformed_base_stack_is_a_data_error_naming_the_image() {
    if !engine_or_skip("a_malformed_base_stack_is_a_data_error_naming_the_image") {
        return;
    }
    let repo = Repo::new();
    for bad in ["not json", r#"[{"project": 5}]"#, r#"{"project": "x"}"#] {
        let base = image_with_labels(&[("io.waybill.stack", bad)]);
        stamp(
            repo.path(),
            &[
                "--project",
                "web",
                "--format",
                "labels",
                "--from",
                &base.name,
            ],
            &[],
        )
        .fails(65, &base.name);
    }
}

#[test]
fn a_missing_base_image_is_unavailable() {
    if !engine_or_skip("a_missing_base_image_is_unavailable") {
        return;
    }
    let repo = Repo::new();
    let name = unique_name("no-such-image");
    stamp(
        repo.path(),
        &["--project", "web", "--format", "labels", "--from", &name],
        &[],
    )
    .fails(69, "no such image");
}

#[test]
fn an_unreachable_engine_is_unavailable() {
    let repo = Repo::new();
    let socket = repo.path().join("no-engine.sock");
    let host = format!("unix://{}", socket.display());
    stamp(
        repo.path(),
        &["--project", "web", "--format", "labels", "--from", "base:1"],
        &[("DOCKER_HOST", &host)],
    )
    // The engine is the one DOCKER_HOST names (read through waybill's
    // own environment snapshot), and the error names it.
    .fails(69, &format!("engine `default` ({host}) is unreachable"));
}

/// JSON with quotes and backslashes, to check nothing re-quotes it.
const AWKWARD: &str = r#"quote="x" \\ back\\slash $HOME"#;

#[test]
fn labels_and_build_args_reach_docker_build_unchanged() {
    if !engine_or_skip("labels_and_build_args_reach_docker_build_unchanged") {
        return;
    }
    let repo = Repo::new();
    let meta = format!("note={AWKWARD}");
    let base = ["--project", "web", "--meta", &meta];
    let own = stamp(repo.path(), &base, &[EPOCH]).json();

    let labels: Vec<String> = stamp(
        repo.path(),
        &[&base[..], &["--format", "labels"]].concat(),
        &[EPOCH],
    )
    .ok()
    .lines()
    .map(str::to_owned)
    .collect();
    let image = ImageGuard::build("stamp-labels", "FROM scratch\n", &labels);
    let stack: Value =
        serde_json::from_str(image.labels()["io.waybill.stack"].as_str().unwrap()).unwrap();
    assert_eq!(stack, json!([own.clone()]));
    assert_eq!(stack[0]["user_metadata"]["note"], json!(AWKWARD));

    let args: Vec<String> = stamp(
        repo.path(),
        &[&base[..], &["--format", "build-args"]].concat(),
        &[EPOCH],
    )
    .ok()
    .lines()
    .map(str::to_owned)
    .collect();
    let dockerfile = "\
FROM scratch
ARG WAYBILL_CREATED
ARG WAYBILL_REVISION
ARG WAYBILL_SOURCE
ARG WAYBILL_VERSION
ARG WAYBILL_TITLE
ARG WAYBILL_STACK
ARG WAYBILL_RECORD
LABEL org.opencontainers.image.created=\"${WAYBILL_CREATED}\" \\
      org.opencontainers.image.revision=\"${WAYBILL_REVISION}\" \\
      org.opencontainers.image.source=\"${WAYBILL_SOURCE}\" \\
      org.opencontainers.image.version=\"${WAYBILL_VERSION}\" \\
      org.opencontainers.image.title=\"${WAYBILL_TITLE}\" \\
      io.waybill.stack=\"${WAYBILL_STACK}\" \\
      io.waybill.record=\"${WAYBILL_RECORD}\"
";
    let image = ImageGuard::build("stamp-build-args", dockerfile, &args);
    let labels = image.labels();
    let stack: Value = serde_json::from_str(labels["io.waybill.stack"].as_str().unwrap()).unwrap();
    assert_eq!(stack, json!([own.clone()]));
    let record: Value =
        serde_json::from_str(labels["io.waybill.record"].as_str().unwrap()).unwrap();
    assert_eq!(record, own);
    assert_eq!(labels["org.opencontainers.image.title"], json!("web"));
    assert_eq!(
        labels["org.opencontainers.image.created"],
        json!("2015-03-30T06:02:10Z")
    );
}
