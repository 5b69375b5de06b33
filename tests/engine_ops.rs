//! The engine layer's container, exec and archive operations against the
//! real local engine, with images built here `FROM scratch` from the
//! static `container` binary and static busybox (nothing is pulled).
//!
//! Needs a Docker engine: without one every test prints SKIP, or fails
//! when CI=true.

#![cfg(feature = "host")]

mod docker;

use docker::{docker, engine_or_skip};
use std::sync::OnceLock;
use std::time::Duration;
use waybill::host::engine::{
    ArchiveLimits, Engine, EngineError, ExecOutcome, ExecRequest, Listing, RunState,
};

mod engine_images;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a test runtime")
}

fn engine(rt: &tokio::runtime::Runtime) -> Engine {
    rt.block_on(engine_images::local_engine())
        .expect("connect to the local engine")
}

fn request(cmd: &[&str]) -> ExecRequest {
    ExecRequest {
        cmd: cmd.iter().map(|s| s.to_string()).collect(),
        deadline: Duration::from_secs(60),
        max_output: 1 << 20,
        env: Vec::new(),
    }
}

const LIMITS: ArchiveLimits = ArchiveLimits {
    max_total: 4 << 20,
    max_file: 1 << 20,
    deadline: Duration::from_secs(60),
};

/// A running container of `image` that sleeps, removed on drop.
fn images() -> &'static engine_images::TestImages {
    static IMAGES: OnceLock<engine_images::TestImages> = OnceLock::new();
    IMAGES.get_or_init(engine_images::build)
}

#[test]
fn list_and_inspect_show_name_image_labels_and_state() {
    if !engine_or_skip("list_and_inspect_show_name_image_labels_and_state") {
        return;
    }
    let images = images();
    let running = engine_images::sleeper("ops-list", &images.tool, &[]);
    let stopped = engine_images::sleeper("ops-stopped", &images.tool, &[]);
    docker(&["stop", "--time", "1", &stopped.name]).ok();
    let rt = runtime();
    let engine = engine(&rt);

    let list = rt
        .block_on(engine.list_containers(Listing::Running))
        .expect("list");
    let row = list
        .iter()
        .find(|c| c.name == running.name)
        .expect("running one listed");
    assert_eq!(row.state, RunState::Running);
    assert_eq!(
        row.labels.get("io.waybill.test").map(String::as_str),
        Some("1")
    );
    assert!(
        !list.iter().any(|c| c.name == stopped.name),
        "stopped one hidden"
    );
    let all = rt
        .block_on(engine.list_containers(Listing::All))
        .expect("list all");
    let row = all
        .iter()
        .find(|c| c.name == stopped.name)
        .expect("stopped one listed");
    assert_eq!(row.state, RunState::Exited);

    let details = rt
        .block_on(engine.inspect_container(&running.name))
        .expect("inspect");
    assert_eq!(details.name, running.name);
    assert_eq!(details.image, images.tool);
    assert!(details.image_id.starts_with("sha256:"), "{details:?}");
    assert_eq!(details.state, RunState::Running);
    assert!(details.started_at.is_some() && details.created.is_some());
    assert_eq!(details.health, None);
}

/// A listing alone describes a container, health included (engines before
/// API 1.52 give it only in the status text), so discovery needs no
/// inspect per container.
#[test]
fn a_listing_shows_the_health_an_inspect_shows() {
    if !engine_or_skip("a_listing_shows_the_health_an_inspect_shows") {
        return;
    }
    let images = images();
    let checked = engine_images::sleeper(
        "ops-health",
        &images.tool,
        &["--health-cmd", "/bin/true", "--health-interval", "1s"],
    );
    let unchecked = engine_images::sleeper("ops-no-health", &images.tool, &[]);
    let rt = runtime();
    let engine = engine(&rt);
    docker::wait_until("the health check to pass", Duration::from_secs(60), || {
        let details = rt
            .block_on(engine.inspect_container(&checked.name))
            .map_err(|e| e.to_string())?;
        match details.health.as_deref() {
            Some("healthy") => Ok(()),
            other => Err(format!("health {other:?}")),
        }
    });
    let list = rt
        .block_on(engine.list_containers(Listing::Running))
        .expect("list");
    let health = |name: &str| {
        list.iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name} listed"))
            .health
            .clone()
    };
    assert_eq!(health(&checked.name).as_deref(), Some("healthy"));
    assert_eq!(health(&unchecked.name), None);
}

#[test]
fn inspecting_a_removed_container_is_no_such_container() {
    if !engine_or_skip("inspecting_a_removed_container_is_no_such_container") {
        return;
    }
    let rt = runtime();
    let engine = engine(&rt);
    let error = rt
        .block_on(engine.inspect_container("waybill-test-never-created-here"))
        .expect_err("no such container");
    assert!(matches!(error, EngineError::NotFound { .. }), "{error:?}");
    // The message names the engine, so a row about one of many says which.
    assert!(
        error.to_string().starts_with(&format!(
            "no such container `waybill-test-never-created-here` in engine `{}`",
            engine.name()
        )),
        "{error}"
    );
}

#[test]
fn exec_keeps_stdout_and_stderr_apart_and_reports_the_exit_code() {
    if !engine_or_skip("exec_keeps_stdout_and_stderr_apart_and_reports_the_exit_code") {
        return;
    }
    let c = engine_images::sleeper("ops-exec", &images().tool, &[]);
    let rt = runtime();
    let engine = engine(&rt);
    let outcome = rt
        .block_on(engine.exec(
            &c.name,
            &request(&["/bin/sh", "-c", "echo out; echo err >&2; exit 3"]),
        ))
        .expect("exec");
    let ExecOutcome::Finished(done) = outcome else {
        panic!("expected a finished exec, got {outcome:?}");
    };
    assert_eq!(done.stdout.bytes, b"out\n");
    assert_eq!(done.stderr.bytes, b"err\n");
    assert_eq!(done.exit_code, 3);

    // The real tool answers in its JSON.
    let outcome = rt
        .block_on(engine.exec(
            &c.name,
            &request(&["container", "--metadata", "--json", "--all"]),
        ))
        .expect("exec container");
    let ExecOutcome::Finished(done) = outcome else {
        panic!("expected a finished exec, got {outcome:?}");
    };
    assert_eq!(done.exit_code, 0, "{done:?}");
    let json: serde_json::Value = serde_json::from_slice(&done.stdout.bytes).expect("JSON");
    assert!(json.is_array(), "{json}");
}

#[test]
fn exec_output_beyond_the_bound_keeps_its_tail() {
    if !engine_or_skip("exec_output_beyond_the_bound_keeps_its_tail") {
        return;
    }
    let c = engine_images::sleeper("ops-tail", &images().tool, &[]);
    let rt = runtime();
    let engine = engine(&rt);
    let mut req = request(&["/bin/sh", "-c", "seq 1 20000; echo LAST"]);
    req.max_output = 100;
    let outcome = rt.block_on(engine.exec(&c.name, &req)).expect("exec");
    let ExecOutcome::Finished(done) = outcome else {
        panic!("expected a finished exec, got {outcome:?}");
    };
    assert!(done.stdout.truncated);
    assert_eq!(done.stdout.bytes.len(), 100);
    assert!(done.stdout.bytes.ends_with(b"20000\nLAST\n"), "{done:?}");
}

#[test]
fn exec_past_its_deadline_is_a_timeout_not_a_hang() {
    if !engine_or_skip("exec_past_its_deadline_is_a_timeout_not_a_hang") {
        return;
    }
    let c = engine_images::sleeper("ops-deadline", &images().tool, &[]);
    let rt = runtime();
    let engine = engine(&rt);
    let mut req = request(&["/bin/sleep", "300"]);
    req.deadline = Duration::from_secs(2);
    let error = rt
        .block_on(engine.exec(&c.name, &req))
        .expect_err("timeout");
    assert!(matches!(error, EngineError::TimedOut { .. }), "{error:?}");
}

#[test]
fn exec_in_a_paused_or_stopped_container_is_not_running() {
    if !engine_or_skip("exec_in_a_paused_or_stopped_container_is_not_running") {
        return;
    }
    let paused = engine_images::sleeper("ops-paused", &images().tool, &[]);
    docker(&["pause", &paused.name]).ok();
    let stopped = engine_images::sleeper("ops-exited", &images().tool, &[]);
    docker(&["stop", "--time", "1", &stopped.name]).ok();
    let rt = runtime();
    let engine = engine(&rt);
    for name in [&paused.name, &stopped.name] {
        let outcome = rt
            .block_on(engine.exec(name, &request(&["container", "--metadata"])))
            .expect("exec outcome");
        assert!(
            matches!(outcome, ExecOutcome::NotRunning { .. }),
            "{name}: {outcome:?}"
        );
    }
    docker(&["unpause", &paused.name]).ok();
}

#[test]
fn exec_of_a_program_the_image_lacks_is_no_such_program() {
    if !engine_or_skip("exec_of_a_program_the_image_lacks_is_no_such_program") {
        return;
    }
    let c = engine_images::sleeper("ops-bare", &images().bare, &[]);
    let rt = runtime();
    let engine = engine(&rt);
    let outcome = rt
        .block_on(engine.exec(&c.name, &request(&["container", "--metadata", "--json"])))
        .expect("exec outcome");
    assert!(
        matches!(outcome, ExecOutcome::NoSuchProgram { .. }),
        "{outcome:?}"
    );
    // A program that exists and itself exits 127 is a finished exec.
    let outcome = rt
        .block_on(engine.exec(&c.name, &request(&["/bin/sh", "-c", "exit 127"])))
        .expect("exec outcome");
    assert!(
        matches!(&outcome, ExecOutcome::Finished(done) if done.exit_code == 127),
        "{outcome:?}"
    );
}

#[test]
fn archive_reads_the_metadata_directory_of_a_stopped_container() {
    if !engine_or_skip("archive_reads_the_metadata_directory_of_a_stopped_container") {
        return;
    }
    let c = engine_images::sleeper("ops-archive", &images().tool, &[]);
    docker(&["stop", "--time", "1", &c.name]).ok();
    let rt = runtime();
    let engine = engine(&rt);
    let files = rt
        .block_on(engine.read_directory(&c.name, "/etc/waybill/metadata.d", LIMITS))
        .expect("archive");
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].name.ends_with(".json"), "{files:?}");
    let record: serde_json::Value = serde_json::from_slice(&files[0].bytes).expect("JSON");
    assert_eq!(record["project"], engine_images::PROJECT);

    let error = rt
        .block_on(engine.read_directory(&c.name, "/etc/waybill/nothing-here", LIMITS))
        .expect_err("missing path");
    assert!(matches!(error, EngineError::NoSuchPath { .. }), "{error:?}");

    let small = ArchiveLimits {
        max_total: 1024,
        ..LIMITS
    };
    let error = rt
        .block_on(engine.read_directory(&c.name, "/bin", small))
        .expect_err("too large");
    assert!(
        matches!(error, EngineError::ArchiveTooLarge { .. }),
        "{error:?}"
    );
}
