//! examples/compose, brought up for real with Debian's `docker-compose`:
//! the three images built by examples/compose/build.sh, the blocklist
//! service and `waybill serve` started from docker-compose.yml as
//! written, a GitHub-signed push sent over HTTP to the published hook,
//! the job followed through `GET /jobs/{id}` to its end, and the
//! service's own state checked: UPDATE ran, recorded in the container's
//! runtime state, and the live release carries the pushed revision. The
//! same delivery again is a duplicate. Then `docker-compose down -v`.
//!
//! The only changes to the example for the test are environment
//! variables the compose file documents (image names, a free port, the
//! secret file) and an override file that adds the test labels to every
//! container, the volume and the network, so the exit-time sweep finds
//! them. A guard runs `docker-compose down -v` even when the test fails.
//!
//! Needs a Docker engine and docker-compose: without them the test
//! prints SKIP, or fails when CI is set.

#![cfg(feature = "host")]

mod docker;
mod serve_support;

use docker::{
    engine_or_skip, prerequisite_or_skip, remember_image, remember_path, run, run_label,
    run_with_deadline, unique_name, wait_until, watch_test, Output, COMMAND_DEADLINE, TEST_LABEL,
};
use serde_json::Value;
use serve_support::{github_push, hex, hmac_sha256, request, Response};
use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const COMPOSE_FILE: &str = "examples/compose/docker-compose.yml";
const SECRET: &str = "compose-example-secret-7f3a";
const REPO: &str = "https://git.example/waybill-compose-test/blocklist";
const REVISION: &str = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";

/// A cold release build of the static `waybill` (LTO) on two busy cores.
const STATIC_BUILD_DEADLINE: Duration = Duration::from_secs(30 * 60);
/// How long the services may take to report healthy.
const SETTLE: Duration = Duration::from_secs(120);

/// `docker-compose` with this test's project, files and environment.
struct Compose {
    project: String,
    override_file: PathBuf,
    env: Vec<(String, String)>,
}

impl Compose {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("docker-compose");
        cmd.current_dir(ROOT)
            .arg("--project-name")
            .arg(&self.project)
            .args(["--file", COMPOSE_FILE, "--file"])
            .arg(&self.override_file)
            .args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    #[track_caller]
    fn run(&self, args: &[&str]) -> Output {
        run(&mut self.command(args), COMMAND_DEADLINE).ok()
    }

    /// The id of the one container of `service`.
    #[track_caller]
    fn container(&self, service: &str) -> String {
        let id = self.run(&["ps", "-q", service]).stdout.trim().to_string();
        assert!(!id.is_empty(), "no container for service {service}");
        id
    }
}

/// Brings the project down, with its volumes, when dropped: after the
/// test, or when it panics half way.
struct Down<'a>(&'a Compose);

impl Drop for Down<'_> {
    fn drop(&mut self) {
        let _ = run_with_deadline(
            &mut self
                .0
                .command(&["down", "--volumes", "--remove-orphans", "--timeout", "10"]),
            COMMAND_DEADLINE,
        );
    }
}

/// Adds the test labels to everything the compose file makes.
fn override_yaml() -> String {
    let labels = [TEST_LABEL.to_string(), run_label()]
        .iter()
        .map(|l| format!("      - \"{l}\"\n"))
        .collect::<String>();
    format!(
        "version: \"3.8\"\nservices:\n  blocklist:\n    labels:\n{labels}  waybill:\n    labels:\n{labels}\
         volumes:\n  state:\n    labels:\n{labels}networks:\n  default:\n    labels:\n{labels}"
    )
}

fn docker_compose_answers() -> Result<(), String> {
    let mut cmd = Command::new("docker-compose");
    cmd.arg("version");
    match run_with_deadline(&mut cmd, Duration::from_secs(60)) {
        Ok(out) if out.success() => Ok(()),
        Ok(out) => Err(out.to_string()),
        Err(e) => Err(format!(
            "{e}\n(Debian package `docker-compose`; .ci/run installs it)"
        )),
    }
}

#[track_caller]
fn built(script: &Path, envs: &[(&str, &str)], deadline: Duration) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(script);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    run(&mut cmd, deadline).ok()
}

/// Polls `GET /jobs/{id}` until the job's status is final.
fn wait_job(addr: SocketAddr, id: u64) -> Value {
    wait_until(&format!("job {id} to finish"), SETTLE, || {
        let r = request(addr, "GET", &format!("/jobs/{id}"), &[], None);
        if r.status != 200 {
            return Err(format!("{r:?}"));
        }
        let job = r.json();
        match job["status"].as_str() {
            Some("done" | "failed" | "interrupted") => Ok(job),
            _ => Err(format!("{job:#}")),
        }
    })
}

fn health(container: &str) -> Result<(), String> {
    let out = docker::docker(&[
        "inspect",
        "--format",
        "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
        container,
    ]);
    match out.stdout.trim() {
        "running healthy" => Ok(()),
        other => Err(format!("{container}: {other}\n{out}")),
    }
}

fn signed_push(addr: SocketAddr, delivery: &str, body: &[u8]) -> Response {
    let headers = [
        ("X-GitHub-Event", "push".to_string()),
        ("X-GitHub-Delivery", delivery.to_string()),
        (
            "X-Hub-Signature-256",
            format!("sha256={}", hex(&hmac_sha256(SECRET.as_bytes(), &[body]))),
        ),
        ("Content-Type", "application/json".to_string()),
    ];
    request(addr, "POST", "/hooks/blocklist", &headers, Some(body))
}

#[test]
fn a_signed_push_to_the_compose_example_updates_the_blocklist_service() {
    let test = "a_signed_push_to_the_compose_example_updates_the_blocklist_service";
    if !engine_or_skip(test)
        || !prerequisite_or_skip(test, "docker-compose", docker_compose_answers())
    {
        return;
    }
    // The static builds are release builds (`waybill`'s without LTO):
    // give them their own deadline, then watch the rest as any Docker test.
    watch_test(test, STATIC_BUILD_DEADLINE + docker::TEST_DEADLINE);
    let build_static = Path::new(ROOT).join("scripts/build-static.sh");
    let container_bin = built(&build_static, &[], STATIC_BUILD_DEADLINE)
        .stdout
        .trim()
        .to_string();
    let waybill_bin = run(
        // The release profile without LTO: the image only has to work.
        Command::new(&build_static)
            .arg("waybill")
            .env("WAYBILL_STATIC_PROFILE", "static-test"),
        STATIC_BUILD_DEADLINE,
    )
    .ok()
    .stdout
    .trim()
    .to_string();
    watch_test(test, docker::TEST_DEADLINE);

    let base = unique_name("compose-base");
    let blocklist = unique_name("compose-blocklist");
    let serve = unique_name("compose-serve");
    for image in [&base, &blocklist, &serve] {
        remember_image(image);
    }
    let extra_labels = format!("{TEST_LABEL} {}", run_label());
    let out = built(
        &Path::new(ROOT).join("examples/compose/build.sh"),
        &[
            ("WAYBILL_BASE_IMAGE", &base),
            ("WAYBILL_BLOCKLIST_IMAGE", &blocklist),
            ("WAYBILL_SERVE_IMAGE", &serve),
            ("WAYBILL_STATIC_BIN", &waybill_bin),
            ("CONTAINER_BIN", &container_bin),
            ("WAYBILL_EXTRA_LABELS", &extra_labels),
        ],
        docker::BUILD_DEADLINE,
    );
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        [&base, &blocklist, &serve],
        "build.sh prints the three image names:\n{out}"
    );
    // The serve image is the static binary and busybox, nothing else.
    let size: u64 = docker::docker(&["image", "inspect", "--format", "{{.Size}}", &serve])
        .ok()
        .stdout
        .trim()
        .parse()
        .expect("an image size");
    let parts =
        fs::metadata(&waybill_bin).unwrap().len() + fs::metadata(docker_busybox()).unwrap().len();
    assert!(
        size <= parts + 64 * 1024,
        "{serve} is {size} bytes, its two files {parts}"
    );

    let dir = tempfile::Builder::new()
        .prefix("waybill-compose-test-")
        .tempdir()
        .expect("a scratch directory")
        .keep();
    remember_path(&dir);
    let secret_file = dir.join("hook-secret");
    fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    // Root without capabilities reads it in the container, whoever owns
    // it here; the directory is ours alone.
    fs::set_permissions(&secret_file, fs::Permissions::from_mode(0o444)).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    let override_file = dir.join("docker-compose.test.yml");
    fs::write(&override_file, override_yaml()).unwrap();

    let compose = Compose {
        project: unique_name("compose"),
        override_file,
        env: vec![
            ("WAYBILL_SERVE_IMAGE".into(), serve.clone()),
            ("WAYBILL_BLOCKLIST_IMAGE".into(), blocklist.clone()),
            ("WAYBILL_SERVE_PUBLISH".into(), "127.0.0.1:0".into()),
            (
                "WAYBILL_HOOK_SECRET_FILE".into(),
                secret_file.display().to_string(),
            ),
        ],
    };
    let _down = Down(&compose);
    compose.run(&["up", "--detach", "--no-build"]);

    let service = compose.container("blocklist");
    let server = compose.container("waybill");
    for id in [&service, &server] {
        let labels = docker::docker(&["inspect", "--format", "{{json .Config.Labels}}", id])
            .ok()
            .stdout;
        assert!(labels.contains("\"io.waybill.test\":\"1\""), "{labels}");
    }
    wait_until("both services to be healthy", SETTLE, || {
        health(&service)?;
        health(&server)
    });
    let port = compose.run(&["port", "waybill", "9300"]).stdout;
    let addr: SocketAddr = port
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("`docker-compose port` said {port:?}: {e}"));

    let pushed_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let body = github_push(REPO, "main", REVISION);
    let delivery = format!("compose-{}", docker::run_id());
    let accepted = signed_push(addr, &delivery, &body);
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let id = accepted.json()["job"]
        .as_u64()
        .unwrap_or_else(|| panic!("no job id: {accepted:?}"));
    assert_eq!(
        accepted.header("Location"),
        Some(format!("/jobs/{id}").as_str())
    );

    let job = wait_job(addr, id);
    let logs = || compose.run(&["logs", "--no-color", "waybill"]).all_output();
    assert_eq!(job["status"], "done", "{job:#}\n{}", logs());
    assert_eq!(job["trigger"]["revision"], REVISION, "{job:#}");
    let name = docker::docker(&["inspect", "--format", "{{.Name}}", &service])
        .ok()
        .stdout
        .trim()
        .trim_start_matches('/')
        .to_string();
    let steps: Vec<(String, String)> = job["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            assert_eq!(
                r["container"],
                name.as_str(),
                "only the example's service: {job:#}"
            );
            (
                r["action"].as_str().unwrap_or("").to_string(),
                r["outcome"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("update".into(), "done".into()),
            ("validate".into(), "done".into())
        ],
        "{job:#}"
    );

    // The container's runtime state: UPDATE ran, after the push, and ok.
    let examine = docker::docker(&["exec", &service, "container", "--examine", "--json"]).ok();
    let report: Value = serde_json::from_str(&examine.stdout)
        .unwrap_or_else(|e| panic!("examine is not JSON ({e}):\n{examine}"));
    let update = &report["runtime"]["last"]["update"];
    assert_eq!(update["outcome"], "ok", "{report:#}");
    assert!(
        update["at"].as_i64().is_some_and(|at| at >= pushed_at),
        "the last UPDATE is older than the push:\n{report:#}"
    );
    if let Some(recorded) = update.get("revision") {
        assert_eq!(recorded, REVISION, "{report:#}");
    }
    // The service's live release says which revision it is.
    let live = docker::docker(&["exec", &service, "cat", "/srv/blocklist/current/.revision"]).ok();
    assert_eq!(live.stdout.trim(), REVISION);

    // GitHub's "Redeliver" sends the same delivery id: nothing runs again.
    let again = signed_push(addr, &delivery, &body);
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.json()["duplicate"], true, "{again:?}");
    // A wrong signature is refused without a word about the secret.
    let forged = request(
        addr,
        "POST",
        "/hooks/blocklist",
        &[
            ("X-GitHub-Event", "push".to_string()),
            ("X-GitHub-Delivery", format!("{delivery}-forged")),
            ("X-Hub-Signature-256", format!("sha256={}", "0".repeat(64))),
        ],
        Some(&body),
    );
    assert_eq!(forged.status, 401, "{forged:?}");

    let logs = logs();
    assert!(
        !logs.contains(SECRET),
        "the secret reached the log:\n{logs}"
    );

    drop(_down);
    let left = docker::docker(&[
        "ps",
        "--all",
        "--quiet",
        "--filter",
        &format!("label=com.docker.compose.project={}", compose.project),
    ]);
    assert_eq!(
        left.stdout.trim(),
        "",
        "`docker-compose down` left containers"
    );
}

fn docker_busybox() -> &'static Path {
    ["/bin/busybox", "/usr/bin/busybox"]
        .iter()
        .map(Path::new)
        .find(|p| p.exists())
        .expect("a static busybox (Debian's busybox-static)")
}
