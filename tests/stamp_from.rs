//! `waybill stamp --from IMAGE` against the real Docker engine: the base
//! image's `io.waybill.stack` label starts the derived image's stack.
//!
//! Test images are built `FROM scratch` with the docker CLI, carry the
//! label `io.waybill.test=1`, have names unique to the run and are removed
//! by a guard even when a test fails. Without an engine these tests are
//! skipped loudly, unless CI=true, where they fail.

// The `waybill` binary needs the `host` feature.
#![cfg(feature = "host")]

mod stamp_support;

use serde_json::{json, Value};
use stamp_support::{stamp, Repo, EPOCH};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Whether tests may use the engine; `false` means skip.
fn engine_available(test: &str) -> bool {
    let ok = Command::new("docker")
        .args(["version", "--format", "{{.Server.APIVersion}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: no Docker engine answers, and CI=true requires one"
        );
        eprintln!("\n*** SKIPPED {test}: no Docker engine answers `docker version` ***\n");
    }
    ok
}

/// A test image, removed when dropped.
struct TestImage {
    name: String,
}

impl TestImage {
    /// Builds an empty image with `labels` (plus the test label).
    fn build(labels: &[(&str, &str)]) -> TestImage {
        let args: Vec<String> = labels
            .iter()
            .map(|(key, value)| format!("--label={key}={value}"))
            .collect();
        TestImage::build_with(&args, "FROM scratch\nLABEL io.waybill.test=1\n")
    }

    /// Builds `dockerfile` (no context) with extra `docker build` args.
    fn build_with(args: &[String], dockerfile: &str) -> TestImage {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(
            "waybill-test-stamp-from:{}-{}-{}",
            std::process::id(),
            nanos,
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let image = TestImage { name };
        let mut cmd = Command::new("docker");
        cmd.args([
            "build",
            "-q",
            "-t",
            &image.name,
            "--label",
            "io.waybill.test=1",
        ]);
        cmd.env("DOCKER_BUILDKIT", "0")
            .args(args)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run docker build");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("docker build stdin");
            stdin
                .write_all(dockerfile.as_bytes())
                .expect("write the Dockerfile");
        }
        let out = child.wait_with_output().expect("wait for docker build");
        assert!(
            out.status.success(),
            "docker build of {} failed\nstdout:\n{}\nstderr:\n{}",
            image.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        image
    }
}

impl Drop for TestImage {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["image", "rm", "-f", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
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
    if !engine_available("derived_stack_is_the_base_stack_followed_by_this_record") {
        return;
    }
    let base_record = json!({"project": "base", "schema_version": 1, "future_field": "kept"});
    let base_stack = json!([base_record]).to_string();
    let base = TestImage::build(&[("io.waybill.stack", &base_stack)]);
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
    if !engine_available("record_file_follows_the_base_stack_unchanged") {
        return;
    }
    let base_record = json!({"project": "base", "schema_version": 1, "future_field": "kept"});
    let base = TestImage::build(&[("io.waybill.stack", &json!([base_record]).to_string())]);
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
    if !engine_available("a_base_without_a_stack_label_starts_a_new_stack_with_a_warning") {
        return;
    }
    let base = TestImage::build(&[]);
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
    if !engine_available("a_malformed_base_stack_is_a_data_error_naming_the_image") {
        return;
    }
    let repo = Repo::new();
    for bad in ["not json", r#"[{"project": 5}]"#, r#"{"project": "x"}"#] {
        let base = TestImage::build(&[("io.waybill.stack", bad)]);
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
    if !engine_available("a_missing_base_image_is_unavailable") {
        return;
    }
    let repo = Repo::new();
    let name = format!("waybill-test-no-such-image:{}", std::process::id());
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
    .fails(69, "cannot reach the Docker engine");
}

/// The labels of an image, as `docker inspect` shows them.
fn inspect_labels(image: &str) -> serde_json::Map<String, Value> {
    let out = Command::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{json .Config.Labels}}",
            image,
        ])
        .output()
        .expect("run docker image inspect");
    assert!(
        out.status.success(),
        "docker image inspect {image} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).expect("labels are JSON") {
        Value::Object(map) => map,
        other => panic!("labels of {image} are not an object: {other}"),
    }
}

/// JSON with quotes and backslashes, to check nothing re-quotes it.
const AWKWARD: &str = r#"quote="x" \\ back\\slash $HOME"#;

#[test]
fn labels_and_build_args_reach_docker_build_unchanged() {
    if !engine_available("labels_and_build_args_reach_docker_build_unchanged") {
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
    let image = TestImage::build_with(&labels, "FROM scratch\nLABEL io.waybill.test=1\n");
    let stack: Value = serde_json::from_str(
        inspect_labels(&image.name)["io.waybill.stack"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
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
LABEL io.waybill.test=1 \\
      org.opencontainers.image.created=\"${WAYBILL_CREATED}\" \\
      org.opencontainers.image.revision=\"${WAYBILL_REVISION}\" \\
      org.opencontainers.image.source=\"${WAYBILL_SOURCE}\" \\
      org.opencontainers.image.version=\"${WAYBILL_VERSION}\" \\
      org.opencontainers.image.title=\"${WAYBILL_TITLE}\" \\
      io.waybill.stack=\"${WAYBILL_STACK}\" \\
      io.waybill.record=\"${WAYBILL_RECORD}\"
";
    let image = TestImage::build_with(&args, dockerfile);
    let labels = inspect_labels(&image.name);
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
