//! Images for the engine and discovery tests, built `FROM scratch` on the
//! real engine from the static `container` binary and static busybox,
//! with the classic builder and no network, labelled like every test
//! object and removed when the test binary exits. Used by test files
//! that also declare `mod docker;`.

#![allow(dead_code)]

use crate::docker::{
    docker, label_args, remember_image, run, unique_name, ContainerGuard, BUILD_DEADLINE,
};
use std::fs;
use std::path::Path;
use std::process::Command;

/// The project named by the record baked into the `tool` image.
pub const PROJECT: &str = "waybill-discovery-test";

pub struct TestImages {
    /// The `container` tool, busybox and one record, no waybill labels.
    pub tool: String,
    /// busybox only: no `container` tool, no records.
    pub bare: String,
    /// busybox and a fake `container` script whose output is chosen by
    /// the container's FAKE_MODE: `nonjson`, `empty` or `newer` (an
    /// examine report of a future version).
    pub fake: String,
    /// The static `container` binary on the host.
    pub container_bin: String,
}

const FAKE_TOOL: &str = r#"#!/bin/sh
case "$FAKE_MODE" in
  nonjson) echo "this is not JSON" ;;
  empty) ;;
  newer) echo '{"report_version": 99}' ;;
esac
"#;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A record that `container record` accepts.
pub fn record_json(project: &str) -> String {
    format!(
        r#"{{"project":"{project}","image_name":"waybill-test/{project}","gitref":"0123456789abcdef0123456789abcdef01234567","git_branch":"main","source_url":"https://example.invalid/waybill-test/{project}.git","build_time":"2023-11-14 22:13:20","update_method":"/bin/true"}}"#
    )
}

/// Builds `dockerfile` with `files` beside it as image `name`.
pub fn build_image(name: &str, dockerfile: &str, files: &[(&str, &Path)], extra: &[&str]) {
    let context = tempfile::tempdir().expect("a build context directory");
    fs::write(context.path().join("Dockerfile"), dockerfile).expect("write the Dockerfile");
    for (target, source) in files {
        fs::copy(source, context.path().join(target)).expect("copy into the build context");
    }
    remember_image(name);
    let mut cmd = Command::new("docker");
    cmd.env("DOCKER_BUILDKIT", "0")
        .args([
            "build",
            "--network",
            "none",
            "--force-rm",
            "--quiet",
            "-t",
            name,
        ])
        .args(label_args())
        .args(extra)
        .arg(context.path());
    run(&mut cmd, BUILD_DEADLINE).ok();
}

pub fn busybox() -> &'static Path {
    for candidate in ["/bin/busybox", "/usr/bin/busybox"] {
        if Path::new(candidate).exists() {
            return Path::new(candidate);
        }
    }
    panic!("a static busybox is needed (Debian's busybox-static)");
}

pub const BUSYBOX_STEPS: &str = "FROM scratch
COPY busybox /bin/busybox
RUN [\"/bin/busybox\", \"mkdir\", \"-p\", \"/usr/bin\", \"/sbin\", \"/usr/sbin\", \"/etc/waybill/metadata.d\", \"/var/lib/waybill\", \"/tmp\"]
RUN [\"/bin/busybox\", \"--install\", \"-s\"]
ENV PATH=/usr/bin:/bin:/usr/sbin:/sbin
";

pub fn build() -> TestImages {
    let static_build = run(
        &mut Command::new(Path::new(ROOT).join("scripts/build-static.sh")),
        BUILD_DEADLINE,
    )
    .ok();
    let container_bin = static_build.stdout.trim().to_string();
    let record_dir = tempfile::tempdir().expect("a directory for the record");
    let record = record_dir.path().join("record.json");
    fs::write(&record, record_json(PROJECT)).expect("write the record");

    let bare = unique_name("bare");
    build_image(&bare, BUSYBOX_STEPS, &[("busybox", busybox())], &[]);

    let tool = unique_name("tool");
    let dockerfile = format!(
        "{BUSYBOX_STEPS}COPY container /usr/bin/container
COPY record.json /tmp/record.json
RUN [\"/usr/bin/container\", \"record\", \"/tmp/record.json\"]
"
    );
    build_image(
        &tool,
        &dockerfile,
        &[
            ("busybox", busybox()),
            ("container", Path::new(&container_bin)),
            ("record.json", &record),
        ],
        &[],
    );
    let fake = unique_name("fake");
    let script = record_dir.path().join("fake-container");
    fs::write(&script, FAKE_TOOL).expect("write the fake tool");
    build_image(
        &fake,
        &format!("{BUSYBOX_STEPS}COPY fake-container /usr/bin/container\nRUN [\"/bin/chmod\", \"755\", \"/usr/bin/container\"]\n"),
        &[("busybox", busybox()), ("fake-container", &script)],
        &[],
    );
    TestImages {
        tool,
        bare,
        fake,
        container_bin,
    }
}

/// The engine the docker CLI would use here (`DOCKER_HOST`, contexts, the
/// default socket), resolved and connected the way `waybill` does it.
pub async fn local_engine() -> Result<waybill::host::engine::Engine, String> {
    let env = waybill::host::env::Env::from_process();
    let endpoints =
        waybill::host::endpoint::resolve(&Default::default(), &env).map_err(|e| e.to_string())?;
    let endpoint = endpoints
        .first()
        .ok_or_else(|| "no engine is configured".to_string())?;
    waybill::host::engine::Engine::connect(endpoint)
        .await
        .map_err(|e| e.to_string())
}

/// Runs `image` sleeping for ten minutes in a labelled container with no
/// network, with `extra` docker-run arguments; removed when dropped.
pub fn sleeper(what: &str, image: &str, extra: &[&str]) -> ContainerGuard {
    let guard = ContainerGuard::new(what);
    let labels = label_args();
    let mut args = vec![
        "run",
        "--detach",
        "--network",
        "none",
        "--name",
        &guard.name,
    ];
    args.extend(labels.iter().map(String::as_str));
    args.extend_from_slice(extra);
    args.extend(["--entrypoint", "/bin/sleep", image, "600"]);
    docker(&args).ok();
    guard
}

/// An image holding only busybox whose `io.waybill.stack` label carries
/// one record of `project`: described from its label alone.
pub fn labelled_image(what: &str, project: &str) -> String {
    let name = unique_name(what);
    let label = format!("io.waybill.stack=[{}]", record_json(project));
    build_image(
        &name,
        "FROM scratch\nCOPY busybox /bin/busybox\n",
        &[("busybox", busybox())],
        &["--label", &label],
    );
    name
}

/// The methods of [`action_image`], one shell script each, steered by the
/// container's environment (set with `docker run -e`):
/// - every method prints `ACTION out` on stdout and `ACTION err` on
///   stderr, then exits `ACTION_EXIT` (default 0), e.g. `VALIDATE_EXIT=3`;
/// - `PRINT=TEXT` prints TEXT first, backslash escapes expanded
///   (`\033` for ESC), for the escaping tests;
/// - `ACTION_SLEEP=S` sleeps S seconds first (to hold the update lock,
///   or to hang); UPDATE touches `/tmp/update-started` before sleeping;
/// - with `SPAN_DIR` (a directory shared by several containers, bind
///   mounted), VALIDATE records its start and end as numbered events:
///   `SPAN_DIR/N/event` holds `start NAME` or `end NAME`, N taken by an
///   atomic `mkdir`, so the order of events across containers is known
///   without any clock.
const ACTION_SCRIPT: &str = r#"#!/bin/sh
action=$1
upper=$(echo "$action" | tr a-z A-Z)
eval "code=\${${upper}_EXIT:-0}"
eval "pause=\${${upper}_SLEEP:-}"
event() {
  n=1
  while ! mkdir "$SPAN_DIR/$n" 2>/dev/null; do n=$((n + 1)); done
  echo "$1 $(hostname)" > "$SPAN_DIR/$n/event"
}
[ -n "$PRINT" ] && printf '%b\n' "$PRINT"
[ "$action" = update ] && touch /tmp/update-started
[ "$action" = validate ] && [ -n "$SPAN_DIR" ] && event start
[ -n "$pause" ] && sleep "$pause"
[ "$action" = validate ] && [ -n "$SPAN_DIR" ] && event end
echo "$action out"
echo "$action err" >&2
exit "$code"
"#;

/// The project of [`action_image`]'s record.
pub const ACTION_PROJECT: &str = "waybill-actions-test";

/// An image with the `container` tool and a record declaring UPDATE,
/// VALIDATE and MONITOR methods (see [`ACTION_SCRIPT`]), each with a
/// 60 s timeout.
pub fn action_image(container_bin: &str) -> String {
    let dir = tempfile::tempdir().expect("a build directory");
    let record = dir.path().join("record.json");
    let method = |action: &str| format!(r#"["/bin/sh","/srv/method.sh","{action}"]"#);
    fs::write(
        &record,
        format!(
            r#"{{"project":"{ACTION_PROJECT}","git_branch":"main","update_method":{},"update_timeout":60,"validate_method":{},"validate_timeout":60,"monitor_method":{},"monitor_timeout":60}}"#,
            method("update"),
            method("validate"),
            method("monitor")
        ),
    )
    .expect("write the record");
    let script = dir.path().join("method.sh");
    fs::write(&script, ACTION_SCRIPT).expect("write the method script");
    let name = unique_name("actions");
    let dockerfile = format!(
        "{BUSYBOX_STEPS}COPY container /usr/bin/container
COPY record.json /tmp/record.json
COPY method.sh /srv/method.sh
RUN [\"/usr/bin/container\", \"record\", \"/tmp/record.json\"]
"
    );
    build_image(
        &name,
        &dockerfile,
        &[
            ("busybox", busybox()),
            ("container", Path::new(container_bin)),
            ("record.json", &record),
            ("method.sh", &script),
        ],
        &[],
    );
    name
}
