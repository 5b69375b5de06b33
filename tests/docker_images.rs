//! The base image and the blocklist example, built and run for real.
//!
//! Builds the base image and the two-level blocklist service through
//! their build.sh scripts, as a user would, stamped from a git repository
//! each test run creates (so the stamped commit is known), then runs the
//! service on the real engine: `container --examine` and the image labels
//! show the ancestry in order, the HEALTHCHECK turns healthy, `docker
//! stop` reaches the service, UPDATE swaps new data in and refuses bad
//! data, and a bad record fails an image build. The images are built once
//! per test binary and removed when it exits.
//!
//! Needs a Docker engine: without one every test prints SKIP, or fails
//! when CI is set (tests/docker explains the policy).

#![cfg(feature = "host")]

mod docker;

use docker::{
    docker, engine_or_skip, label_args, remember_image, remember_path, run, run_id, run_label,
    unique_name, wait_until, ContainerGuard, ImageGuard, Output, BUILD_DEADLINE, COMMAND_DEADLINE,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Build times stamped through SOURCE_DATE_EPOCH, so that records and
/// labels can be checked exactly.
const BASE_EPOCH: &str = "1700000000"; // 2023-11-14 22:13:20 UTC
const BASE_TIME: &str = "2023-11-14 22:13:20";
const SERVICE_EPOCH: &str = "1700000600"; // 2023-11-14 22:23:20 UTC
const SERVICE_TIME: &str = "2023-11-14 22:23:20";

/// The list the service serves, and its URL inside the container.
const LIST_URL: &str = "http://127.0.0.1:8080/lists/blocklist.txt";

/// How long a container may take to reach a state we wait for.
const SETTLE: Duration = Duration::from_secs(90);

/// A git repository made for stamping, with one commit and a tag.
struct GitRepo {
    path: PathBuf,
    head: String,
}

#[track_caller]
fn git(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
        .args(args)
        .env("GIT_AUTHOR_NAME", "waybill test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "waybill test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid");
    run(&mut cmd, COMMAND_DEADLINE).ok()
}

/// A new repository whose single commit holds `content`, tagged `tag`,
/// with an origin remote so the stamp has a source URL. Removed at exit.
fn git_repo(content: &str, tag: &str) -> GitRepo {
    let path = tempfile::Builder::new()
        .prefix("waybill-test-repo-")
        .tempdir()
        .expect("create a temporary directory for a git repository")
        .keep();
    remember_path(&path);
    git(&path, &["init", "--quiet"]);
    fs::write(path.join("README"), content).expect("write the test repository's file");
    git(&path, &["add", "README"]);
    git(&path, &["commit", "--quiet", "--message", content]);
    git(&path, &["tag", tag]);
    git(
        &path,
        &[
            "remote",
            "add",
            "origin",
            "https://example.invalid/waybill-test/blocklist.git",
        ],
    );
    let head = git(&path, &["rev-parse", "HEAD"]).stdout.trim().to_string();
    GitRepo { path, head }
}

/// Clears the environment of `cmd` but for what cargo, git, docker and
/// the build scripts need, so that the CI system running the tests does
/// not leak its own commit or build number into the records.
fn controlled_env(cmd: &mut Command) -> &mut Command {
    cmd.env_clear();
    for key in [
        "PATH",
        "HOME",
        "USER",
        "TMPDIR",
        "LANG",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
        "WAYBILL_STATIC_TARGET_DIR",
        "DOCKER_HOST",
        "DOCKER_CONFIG",
        "DOCKER_CONTEXT",
        "DOCKER_CERT_PATH",
        "DOCKER_TLS_VERIFY",
    ] {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    cmd
}

/// A build.sh command stamping from `repo` at build time `epoch`, in a
/// controlled environment, labelling what it builds for this run.
fn build_script(script: &str, repo: &GitRepo, epoch: &str) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(Path::new(ROOT).join(script));
    controlled_env(&mut cmd)
        .env("WAYBILL_BIN", env!("CARGO_BIN_EXE_waybill"))
        .env("WAYBILL_REPO", &repo.path)
        .env(
            "WAYBILL_EXTRA_LABELS",
            format!("{} {}", docker::TEST_LABEL, run_label()),
        )
        .env("SOURCE_DATE_EPOCH", epoch);
    cmd
}

/// Builds a base image named `name` through base-image/build.sh.
fn build_base(name: &str, repo: &GitRepo, epoch: &str, container_bin: &str) -> Output {
    let mut cmd = build_script("base-image/build.sh", repo, epoch);
    cmd.env("WAYBILL_BASE_IMAGE", name)
        .env("CONTAINER_BIN", container_bin);
    run(&mut cmd, BUILD_DEADLINE)
}

/// Builds the blocklist service named `name` FROM `base` through
/// examples/blocklist/build.sh.
fn build_service(name: &str, base: &str, repo: &GitRepo, epoch: &str) -> Output {
    let mut cmd = build_script("examples/blocklist/build.sh", repo, epoch);
    cmd.env("WAYBILL_BASE_IMAGE", base)
        .env("WAYBILL_BLOCKLIST_IMAGE", name);
    run(&mut cmd, BUILD_DEADLINE)
}

/// The images every test shares, built once per test binary.
struct Images {
    base: String,
    service: String,
    repo: GitRepo,
    container_bin: String,
}

/// The shared images. A failed build fails every test that needs them,
/// each with the build's output, without building again.
fn images() -> &'static Images {
    static IMAGES: OnceLock<Result<Images, String>> = OnceLock::new();
    let built = IMAGES.get_or_init(|| {
        let static_build = run(
            &mut Command::new(Path::new(ROOT).join("scripts/build-static.sh")),
            BUILD_DEADLINE,
        );
        if !static_build.success() {
            return Err(format!(
                "building the static container binary failed:\n{static_build}"
            ));
        }
        let container_bin = static_build.stdout.trim().to_string();
        let repo = git_repo(&format!("waybill test run {}", run_id()), "v1.2.3");
        let base = unique_name("base");
        let service = unique_name("blocklist");
        remember_image(&service);
        remember_image(&base);
        let out = build_base(&base, &repo, BASE_EPOCH, &container_bin);
        if !out.success() || out.stdout.trim() != base {
            return Err(format!("base-image/build.sh failed:\n{out}"));
        }
        let out = build_service(&service, &base, &repo, SERVICE_EPOCH);
        if !out.success() || out.stdout.trim() != service {
            return Err(format!("examples/blocklist/build.sh failed:\n{out}"));
        }
        Ok(Images {
            base,
            service,
            repo,
            container_bin,
        })
    });
    match built {
        Ok(images) => images,
        Err(why) => panic!("the shared test images could not be built:\n{why}"),
    }
}

/// Starts the service detached, with `source` mounted read-only as its
/// data source when given.
fn start_service(image: &str, source: Option<&Path>) -> ContainerGuard {
    let container = ContainerGuard::new("blocklist");
    let mut args: Vec<String> = vec![
        "run".into(),
        "--detach".into(),
        "--name".into(),
        container.name.clone(),
        "--network".into(),
        "none".into(),
    ];
    args.extend(label_args());
    if let Some(dir) = source {
        args.push("--volume".into());
        args.push(format!("{}:/srv/source:ro", dir.display()));
    }
    args.push(image.into());
    docker(&args.iter().map(String::as_str).collect::<Vec<_>>()).ok();
    container
}

/// `docker run --rm` of `image` with `args` after the image name.
fn run_once(image: &str, entrypoint: Option<&str>, args: &[&str]) -> Output {
    let container = ContainerGuard::new("once");
    let mut full: Vec<String> = vec![
        "run".into(),
        "--rm".into(),
        "--name".into(),
        container.name.clone(),
        "--network".into(),
        "none".into(),
    ];
    full.extend(label_args());
    if let Some(entrypoint) = entrypoint {
        full.push("--entrypoint".into());
        full.push(entrypoint.into());
    }
    full.push(image.into());
    full.extend(args.iter().map(|a| a.to_string()));
    docker(&full.iter().map(String::as_str).collect::<Vec<_>>())
}

/// What the service serves at LIST_URL right now.
fn served(container: &ContainerGuard) -> Output {
    container.exec(&["wget", "-q", "-O", "-", LIST_URL])
}

/// Waits until the service serves exactly `expected`.
#[track_caller]
fn wait_until_served(container: &ContainerGuard, expected: &str) {
    wait_until("the service to serve the expected list", SETTLE, || {
        let out = served(container);
        if out.success() && out.stdout == expected {
            Ok(())
        } else {
            Err(format!(
                "{out}\n---- expected:\n{expected}\n---- container log:\n{}",
                container.logs()
            ))
        }
    })
}

/// Waits until Docker reports the container healthy.
#[track_caller]
fn wait_until_healthy(container: &ContainerGuard) {
    wait_until("the HEALTHCHECK to report healthy", SETTLE, || {
        let status = container.inspect("{{.State.Status}} {{.State.Health.Status}}");
        if status == "running healthy" {
            Ok(())
        } else {
            Err(format!(
                "state: {status}\n---- health log:\n{}\n---- container log:\n{}",
                container.inspect("{{json .State.Health}}"),
                container.logs()
            ))
        }
    })
}

/// `container --metadata --all` in `image`: every record, oldest first.
fn records_of(image: &str) -> Vec<Value> {
    let out = run_once(image, Some("/usr/bin/container"), &["--metadata", "--all"]).ok();
    match serde_json::from_str(&out.stdout) {
        Ok(Value::Array(records)) => records,
        _ => panic!("`container --metadata --all` did not print a JSON array:\n{out}"),
    }
}

/// The labels of `image`.
fn labels_of(image: &str) -> BTreeMap<String, String> {
    let out = docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        image,
    ])
    .ok();
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("image labels are not a JSON object of strings: {e}\n{out}"))
}

/// The records in an image's `io.waybill.stack` label.
fn stack_label(labels: &BTreeMap<String, String>) -> Vec<Value> {
    let text = labels
        .get("io.waybill.stack")
        .unwrap_or_else(|| panic!("no io.waybill.stack label in {labels:#?}"));
    match serde_json::from_str(text) {
        Ok(Value::Array(records)) => records,
        _ => panic!("io.waybill.stack is not a JSON array: {text}"),
    }
}

/// The projects of `records`, in order.
fn projects(records: &[Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["project"].as_str().unwrap_or("<no project>"))
        .collect()
}

/// Panics unless `report` names the images in `order`.
#[track_caller]
fn assert_examine_order(report: &str, order: &[&str]) {
    let mut from = 0;
    for project in order {
        let heading = format!("Metadata for image {project}");
        match report[from..].find(&heading) {
            Some(at) => from += at + heading.len(),
            None => panic!("`{heading}` missing or out of order in:\n{report}"),
        }
    }
}

#[test]
fn base_image_runs_a_command_under_the_supervisor_and_examines_itself() {
    if !engine_or_skip("base_image_runs_a_command_under_the_supervisor_and_examines_itself") {
        return;
    }
    let images = images();
    // No image declares START, so `container --start` runs the CMD.
    let out = run_once(&images.base, None, &["sh", "-c", "echo $((40 + 2))"]).ok();
    assert_eq!(out.stdout.trim(), "42", "{out}");

    let out = run_once(&images.base, None, &["container", "--examine"]).ok();
    assert_examine_order(&out.stdout, &["waybill-base"]);
    assert!(
        !out.stdout.contains("Metadata for image blocklist"),
        "{out}"
    );
    assert!(out.stdout.contains(&images.repo.head), "{out}");

    let out = run_once(&images.base, Some("/bin/ls"), &["/etc/waybill/metadata.d"]).ok();
    assert_eq!(out.stdout.trim(), "0001-waybill-base.json", "{out}");
}

#[test]
fn examine_in_the_running_service_lists_base_then_blocklist_with_the_stamped_gitref() {
    if !engine_or_skip(
        "examine_in_the_running_service_lists_base_then_blocklist_with_the_stamped_gitref",
    ) {
        return;
    }
    let images = images();
    let service = start_service(&images.service, None);

    let out = service.exec(&["container", "--examine"]).ok();
    assert_examine_order(&out.stdout, &["waybill-base", "blocklist"]);
    let (base_part, service_part) = out
        .stdout
        .split_once("Metadata for image blocklist")
        .expect("checked above");
    assert!(
        base_part.contains(&images.repo.head) && service_part.contains(&images.repo.head),
        "each image's section should show the stamped commit:\n{out}"
    );

    let out = service.exec(&["container", "--metadata", "--all"]).ok();
    let records: Vec<Value> = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("--metadata --all is not JSON: {e}\n{out}"));
    assert_eq!(projects(&records), ["waybill-base", "blocklist"], "{out}");
    for record in &records {
        assert_eq!(record["gitref"], images.repo.head.as_str(), "{out}");
    }
    assert_eq!(records[0]["build_time"], BASE_TIME, "{out}");
    assert_eq!(records[1]["build_time"], SERVICE_TIME, "{out}");
    assert_eq!(
        records[1]["start_method"], "/srv/support/bin/start.sh",
        "{out}"
    );
    assert_eq!(records[1]["validate"], true, "{out}");
}

#[test]
fn image_labels_carry_the_oci_keys_and_a_two_entry_stack_base_first() {
    if !engine_or_skip("image_labels_carry_the_oci_keys_and_a_two_entry_stack_base_first") {
        return;
    }
    let images = images();
    let labels = labels_of(&images.service);
    let label = |key: &str| -> &str {
        labels
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no {key} label in {labels:#?}"))
    };
    assert_eq!(
        label("org.opencontainers.image.revision"),
        images.repo.head,
        "{labels:#?}"
    );
    assert_eq!(
        label("org.opencontainers.image.title"),
        "blocklist",
        "{labels:#?}"
    );
    assert_eq!(
        label("org.opencontainers.image.version"),
        "v1.2.3",
        "{labels:#?}"
    );
    assert!(
        label("org.opencontainers.image.created").starts_with("2023-11-14T22:23:20"),
        "{labels:#?}"
    );
    assert!(
        label("org.opencontainers.image.source").contains("example.invalid/waybill-test/blocklist"),
        "{labels:#?}"
    );
    assert_eq!(label("io.waybill.test"), "1", "{labels:#?}");

    let stack = stack_label(&labels);
    assert_eq!(
        projects(&stack),
        ["waybill-base", "blocklist"],
        "{labels:#?}"
    );
    assert_eq!(stack[0]["build_time"], BASE_TIME, "{labels:#?}");
    assert_eq!(stack[1]["build_time"], SERVICE_TIME, "{labels:#?}");
    // The labels and the files in the image tell the same story.
    let records = records_of(&images.service);
    assert_eq!(stack, records, "label: {stack:#?}\nfiles: {records:#?}");

    let base_stack = stack_label(&labels_of(&images.base));
    assert_eq!(projects(&base_stack), ["waybill-base"], "{base_stack:#?}");
}

#[test]
fn rebuilt_base_stamped_after_the_service_still_comes_first() {
    if !engine_or_skip("rebuilt_base_stamped_after_the_service_still_comes_first") {
        return;
    }
    let images = images();
    // A new commit, and build times in the wrong order: the base claims
    // 2030, the service on top of it 2001. The stack follows ancestry,
    // never build times.
    let repo = git_repo(&format!("waybill test rebuild {}", run_id()), "v2.0.0");
    let base = ImageGuard::new("base-rebuilt");
    let service = ImageGuard::new("blocklist-rebuilt");
    build_base(&base.name, &repo, "1893456000", &images.container_bin).ok();
    build_service(&service.name, &base.name, &repo, "1000000000").ok();

    let records = records_of(&service.name);
    assert_eq!(
        projects(&records),
        ["waybill-base", "blocklist"],
        "{records:#?}"
    );
    assert_eq!(
        records[0]["build_time"], "2030-01-01 00:00:00",
        "{records:#?}"
    );
    assert_eq!(
        records[1]["build_time"], "2001-09-09 01:46:40",
        "{records:#?}"
    );
    for record in &records {
        assert_eq!(record["gitref"], repo.head.as_str(), "{records:#?}");
    }
    assert_ne!(repo.head, images.repo.head);

    let out = run_once(&service.name, Some("/usr/bin/container"), &["--examine"]).ok();
    assert_examine_order(&out.stdout, &["waybill-base", "blocklist"]);

    let stack = stack_label(&labels_of(&service.name));
    assert_eq!(
        projects(&stack),
        ["waybill-base", "blocklist"],
        "{stack:#?}"
    );
    assert_eq!(stack[0]["gitref"], repo.head.as_str(), "{stack:#?}");
}

#[test]
fn healthcheck_reports_the_service_healthy() {
    if !engine_or_skip("healthcheck_reports_the_service_healthy") {
        return;
    }
    let service = start_service(&images().service, None);
    wait_until_healthy(&service);
}

#[test]
fn docker_stop_reaches_the_service_through_the_supervisor_and_exits_143() {
    if !engine_or_skip("docker_stop_reaches_the_service_through_the_supervisor_and_exits_143") {
        return;
    }
    let service = start_service(&images().service, None);
    // Healthy means START has exec'd httpd: the steady state to stop.
    wait_until_healthy(&service);

    let started = Instant::now();
    docker(&["stop", "--time", "10", &service.name]).ok();
    let took = started.elapsed();
    eprintln!("docker stop of the blocklist service took {took:?} (the issue's bound: 2 s)");

    // The real check is the exit code, not the time (machines are noisy):
    // 143 = 128 + SIGTERM means the supervisor forwarded docker's TERM and
    // httpd died of it. Had TERM been lost, docker would have waited the
    // 10 s and sent KILL: exit 137.
    let state = service.inspect("{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}");
    assert_eq!(
        state,
        "exited 143 false",
        "stop took {took:?}\n---- container log:\n{}",
        service.logs()
    );
}

#[test]
fn update_serves_new_data_and_a_rejected_update_leaves_the_old_data_live() {
    if !engine_or_skip("update_serves_new_data_and_a_rejected_update_leaves_the_old_data_live") {
        return;
    }
    // Declared before the container, so it outlives the mount.
    let source = tempfile::Builder::new()
        .prefix("waybill-test-source-")
        .tempdir()
        .expect("create the source directory");
    let list = source.path().join("blocklist.txt");
    let first = "# first\n192.0.2.1\n198.51.100.0/24\n";
    fs::write(&list, first).expect("write the first list");

    let service = start_service(&images().service, Some(source.path()));
    wait_until_served(&service, first);

    let second = "# second\n192.0.2.1\n192.0.2.2 # new\n203.0.113.0/24\n";
    fs::write(&list, second).expect("write the second list");
    let out = service.exec(&["container", "--update"]).ok();
    assert!(out.stdout.contains("Switching to release"), "{out}");
    // UPDATE switched before it returned: no waiting.
    assert_eq!(served(&service).ok().stdout, second);

    let bad = "# third, broken\n192.0.2.3\n192.0.2.300\nnot-an-address\n";
    fs::write(&list, bad).expect("write the bad list");
    let out = service.exec(&["container", "--update"]).failed();
    let text = out.all_output();
    assert!(
        text.contains("blocklist.txt:3: not an IPv4 address or CIDR network: 192.0.2.300"),
        "{out}"
    );
    assert!(text.contains("failed validation"), "{out}");
    assert_eq!(
        served(&service).ok().stdout,
        second,
        "a rejected update must leave the old data live"
    );
    service.exec(&["container", "--validate"]).ok();
}

#[test]
fn monitor_and_metrics_report_on_the_live_data() {
    if !engine_or_skip("monitor_and_metrics_report_on_the_live_data") {
        return;
    }
    let service = start_service(&images().service, None);
    wait_until_healthy(&service);

    let out = service.exec(&["container", "--monitor"]).ok();
    // The sample data: 4 entries in blocklist.txt, 1 in allowlist.txt.
    assert!(out.stdout.starts_with("OK: serving 5 entries"), "{out}");
    // Any data is too old when the limit is below zero: WARNING, code 1.
    let out = docker(&[
        "exec",
        "--env",
        "BLOCKLIST_WARN_AGE=-1",
        &service.name,
        "container",
        "--monitor",
    ]);
    assert_eq!(out.code(), Some(1), "{out}");
    assert!(out.stdout.starts_with("WARNING:"), "{out}");

    let out = service.exec(&["container", "--metrics"]).ok();
    for line in [
        "# TYPE blocklist_entries gauge",
        "blocklist_entries{list=\"blocklist.txt\"} 4",
        "blocklist_entries{list=\"allowlist.txt\"} 1",
        "blocklist_releases 1",
        "blocklist_http_up 1",
    ] {
        assert!(
            out.stdout.lines().any(|l| l == line),
            "no `{line}` in:\n{out}"
        );
    }
    assert!(
        out.stdout.lines().any(
            |l| l.starts_with("blocklist_last_update_timestamp_seconds ") && !l.ends_with(" 0")
        ),
        "{out}"
    );
}

#[test]
fn an_invalid_record_fails_the_image_build_with_the_reason() {
    if !engine_or_skip("an_invalid_record_fails_the_image_build_with_the_reason") {
        return;
    }
    let images = images();
    let cases = [
        (
            r#"{"project": "broken", "build_time": "yesterday"}"#,
            &["build_time", "yesterday"][..],
        ),
        (
            r#"{"project": "broken",}"#,
            &["not valid JSON", "line 1"][..],
        ),
        (r#"{"image_name": "nameless"}"#, &["`project`"][..]),
    ];
    for (record, reasons) in cases {
        let context = tempfile::tempdir().expect("create a build context");
        fs::write(context.path().join("waybill.json"), record).expect("write the record");
        // The LABEL comes first so that the layers a failed build leaves
        // carry this run's label, and the exit-time cleanup finds them.
        let dockerfile = format!(
            "FROM {}\nLABEL {} {}\nCOPY waybill.json /tmp/waybill.json\n\
             RUN [\"/usr/bin/container\", \"record\", \"/tmp/waybill.json\"]\n",
            images.base,
            docker::TEST_LABEL,
            run_label()
        );
        fs::write(context.path().join("Dockerfile"), dockerfile).expect("write the Dockerfile");
        let image = ImageGuard::new("bad-record");
        let out = run(
            Command::new("docker")
                .env("DOCKER_BUILDKIT", "0")
                .args(["build", "--network", "none", "--force-rm", "--tag"])
                .arg(&image.name)
                .arg(context.path()),
            BUILD_DEADLINE,
        )
        .failed();
        let text = out.all_output();
        for reason in reasons {
            assert!(
                text.contains(reason),
                "no `{reason}` in the build output:\n{out}"
            );
        }
    }
}

#[test]
fn the_no_docker_example_metadata_declares_what_the_image_declares() {
    if !engine_or_skip("the_no_docker_example_metadata_declares_what_the_image_declares") {
        return;
    }
    // examples/blocklist/metadata/ is hand-written for trying `container`
    // without Docker; it must not drift from what build.sh stamps.
    let dir = Path::new(ROOT).join("examples/blocklist/metadata");
    let example: Vec<Value> = ["0001-base.json", "0002-blocklist.json"]
        .iter()
        .map(|name| {
            let text = fs::read_to_string(dir.join(name))
                .unwrap_or_else(|e| panic!("read {}: {e}", dir.join(name).display()));
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
        })
        .collect();
    let built = records_of(&images().service);
    assert_eq!(projects(&example), projects(&built), "{built:#?}");
    for field in [
        "start_method",
        "update_method",
        "validate_method",
        "monitor_method",
        "metrics_method",
        "update_timeout",
        "validate_timeout",
        "monitor_timeout",
        "metrics_timeout",
        "validate",
        "user_metadata",
    ] {
        assert_eq!(
            example[1][field], built[1][field],
            "`{field}` differs between examples/blocklist/metadata and the built image"
        );
    }
}

#[test]
fn copy_in_pattern_gives_another_image_the_tool_and_only_its_own_record() {
    if !engine_or_skip("copy_in_pattern_gives_another_image_the_tool_and_only_its_own_record") {
        return;
    }
    let images = images();
    // The "distro" is a stand-in, busybox without the tool, since nothing
    // can be pulled; the last stage is the pattern docs/building-images.md
    // shows for Debian, Alpine and the like.
    let context = tempfile::tempdir().expect("create a build context");
    let dockerfile = format!(
        "ARG WAYBILL_BASE=waybill/base:latest\n\
         FROM ${{WAYBILL_BASE}} AS waybill\n\
         FROM scratch AS distro\n\
         LABEL {test} {run}\n\
         COPY --from=waybill /bin/busybox /bin/busybox\n\
         RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n\
         FROM distro\n\
         COPY --from=waybill /usr/bin/container /usr/bin/container\n\
         COPY waybill.json /tmp/waybill.json\n\
         RUN [\"/usr/bin/container\", \"record\", \"/tmp/waybill.json\"]\n",
        test = docker::TEST_LABEL,
        run = run_label()
    );
    fs::write(context.path().join("Dockerfile"), dockerfile).expect("write the Dockerfile");
    let stamp = run(
        controlled_env(&mut Command::new(env!("CARGO_BIN_EXE_waybill")))
            .args(["stamp", "--project", "distro-app", "--repo"])
            .arg(&images.repo.path)
            .arg("--output")
            .arg(context.path().join("waybill.json")),
        COMMAND_DEADLINE,
    )
    .ok();
    let image = ImageGuard::new("copy-in");
    let build = run(
        Command::new("docker")
            .env("DOCKER_BUILDKIT", "0")
            .args(["build", "--network", "none", "--force-rm", "--tag"])
            .arg(&image.name)
            .arg("--build-arg")
            .arg(format!("WAYBILL_BASE={}", images.base))
            .args(label_args())
            .arg(context.path()),
        BUILD_DEADLINE,
    )
    .ok();

    // The base's record describes the base image, which is not an
    // ancestor here: only the image's own record is in the stack.
    let records = records_of(&image.name);
    assert_eq!(projects(&records), ["distro-app"], "{stamp}\n{build}");
    assert_eq!(
        records[0]["gitref"],
        images.repo.head.as_str(),
        "{records:#?}"
    );
    let out = run_once(&image.name, None, &["/usr/bin/container", "--examine"]).ok();
    assert_examine_order(&out.stdout, &["distro-app"]);
}
