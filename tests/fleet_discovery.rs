//! Discovery on the real engine: each source (labels, exec, archive) and
//! each bad input that must become one container's error, not a failed
//! run. Containers are made from images built here (nothing is pulled).
//!
//! Needs a Docker engine: without one every test prints SKIP, or fails
//! when CI=true.

#![cfg(feature = "host")]

mod docker;
mod engine_images;

use docker::{docker, engine_or_skip, ContainerGuard};
use std::sync::OnceLock;
use waybill::host::engine::EngineError;
use waybill::host::fleet::{discover_one, DiscoveryError, EngineTarget, Found, Source};

fn images() -> &'static engine_images::TestImages {
    static IMAGES: OnceLock<engine_images::TestImages> = OnceLock::new();
    IMAGES.get_or_init(engine_images::build)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a test runtime")
}

/// Runs `image` sleeping, with `extra` docker-run arguments.
/// Describes container `name` through the library, as `waybill` does.
fn describe(name: &str, state: bool) -> Result<Found, DiscoveryError> {
    let rt = runtime();
    rt.block_on(async {
        let target = EngineTarget {
            name: "local".into(),
            engine: engine_images::local_engine().await.expect("connect"),
        };
        let (details, outcome) = discover_one(&target, name, state).await.expect("inspect");
        assert_eq!(details.name, name);
        outcome
    })
}

fn stack_label(project: &str) -> String {
    format!("[{}]", engine_images::record_json(project))
}

#[test]
fn a_stack_label_describes_a_stopped_container_without_exec() {
    if !engine_or_skip("a_stack_label_describes_a_stopped_container_without_exec") {
        return;
    }
    // The bare image has no tool at all: only the label can describe it.
    let label = format!("io.waybill.stack={}", stack_label("from-label"));
    let c = engine_images::sleeper("disc-label", &images().bare, &["--label", &label]);
    docker(&["stop", "--time", "1", &c.name]).ok();
    let found = describe(&c.name, false).expect("described");
    assert_eq!(found.source, Source::Labels);
    assert_eq!(found.report.images.len(), 1);
    assert_eq!(found.report.images[0].record.project, "from-label");
}

#[test]
fn a_running_container_without_labels_is_asked_by_exec() {
    if !engine_or_skip("a_running_container_without_labels_is_asked_by_exec") {
        return;
    }
    let c = engine_images::sleeper("disc-exec", &images().tool, &[]);
    let found = describe(&c.name, false).expect("described");
    assert_eq!(found.source, Source::Exec);
    assert_eq!(
        found.report.images[0].record.project,
        engine_images::PROJECT
    );
    assert!(
        found.report.methods["update"].is_some(),
        "{:?}",
        found.report
    );

    let found = describe(&c.name, true).expect("described with state");
    assert_eq!(found.source, Source::Exec);
    assert_eq!(
        found.report.images[0].record.project,
        engine_images::PROJECT
    );
}

#[test]
fn a_stopped_container_without_labels_is_read_through_the_archive() {
    if !engine_or_skip("a_stopped_container_without_labels_is_read_through_the_archive") {
        return;
    }
    let c = engine_images::sleeper("disc-archive", &images().tool, &[]);
    docker(&["stop", "--time", "1", &c.name]).ok();
    let found = describe(&c.name, true).expect("described");
    assert_eq!(found.source, Source::Archive);
    assert_eq!(
        found.report.images[0].record.project,
        engine_images::PROJECT
    );
    assert!(found.report.images[0].file.ends_with(".json"));
}

#[test]
fn a_paused_container_is_read_through_the_archive_with_a_warning() {
    if !engine_or_skip("a_paused_container_is_read_through_the_archive_with_a_warning") {
        return;
    }
    let c = engine_images::sleeper("disc-paused", &images().tool, &[]);
    docker(&["pause", &c.name]).ok();
    let found = describe(&c.name, false);
    docker(&["unpause", &c.name]).ok();
    let found = found.expect("described");
    assert_eq!(found.source, Source::Archive);
    assert!(
        found.report.warnings.iter().any(|w| w.contains("paused")),
        "{:?}",
        found.report.warnings
    );
}

#[test]
fn an_image_without_the_tool_is_reported_as_such() {
    if !engine_or_skip("an_image_without_the_tool_is_reported_as_such") {
        return;
    }
    let c = engine_images::sleeper("disc-bare", &images().bare, &[]);
    let error = describe(&c.name, false).expect_err("no tool");
    assert!(matches!(error, DiscoveryError::NoTool { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("no container tool in this image"),
        "{error}"
    );
    // Stopped, the same image has simply no records.
    docker(&["stop", "--time", "1", &c.name]).ok();
    let error = describe(&c.name, false).expect_err("no records");
    assert!(
        matches!(error, DiscoveryError::NoRecords { .. }),
        "{error:?}"
    );
}

#[test]
fn bad_stack_labels_are_errors_naming_the_label() {
    if !engine_or_skip("bad_stack_labels_are_errors_naming_the_label") {
        return;
    }
    for (what, value) in [
        ("notjson", "{not json"),
        ("shape", r#"{"project":"x"}"#),
        ("record", r#"[{"project":""}]"#),
    ] {
        let label = format!("io.waybill.stack={value}");
        let c = engine_images::sleeper(
            &format!("disc-bad-{what}"),
            &images().tool,
            &["--label", &label],
        );
        let error = describe(&c.name, false).expect_err("bad label");
        assert!(
            error
                .to_string()
                .starts_with("label `io.waybill.stack` is not usable"),
            "{what}: {error}"
        );
    }
}

#[test]
fn a_two_mebibyte_stack_label_is_refused_by_size() {
    if !engine_or_skip("a_two_mebibyte_stack_label_is_refused_by_size") {
        return;
    }
    // Too long for a command line: created through the engine's API.
    let c = ContainerGuard::new("disc-huge");
    let mut labels = serde_json::Map::new();
    labels.insert("io.waybill.test".into(), "1".into());
    let run = docker::run_label();
    let (key, value) = run.split_once('=').expect("run label");
    labels.insert(key.into(), value.into());
    let huge = format!("[\"{}\"]", "x".repeat(2 << 20));
    labels.insert("io.waybill.stack".into(), huge.into());
    let body = serde_json::json!({
        "Image": images().tool,
        "Entrypoint": ["/bin/sleep"],
        "Cmd": ["600"],
        "Labels": labels,
        "NetworkDisabled": true,
    });
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), body.to_string()).expect("write the body");
    let mut curl = std::process::Command::new("curl");
    curl.args([
        "--silent",
        "--show-error",
        "--fail",
        "--unix-socket",
        "/var/run/docker.sock",
    ])
    .args(["-H", "Content-Type: application/json", "--data-binary"])
    .arg(format!("@{}", file.path().display()))
    .arg(format!(
        "http://localhost/containers/create?name={}",
        c.name
    ));
    docker::run(&mut curl, docker::COMMAND_DEADLINE).ok();
    let error = describe(&c.name, false).expect_err("too large");
    assert!(
        matches!(error, DiscoveryError::LabelTooLarge { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("io.waybill.stack"), "{error}");
}

#[test]
fn unusable_tool_output_is_an_error_saying_what_was_printed() {
    if !engine_or_skip("unusable_tool_output_is_an_error_saying_what_was_printed") {
        return;
    }
    let nonjson = engine_images::sleeper(
        "disc-nonjson",
        &images().fake,
        &["--env", "FAKE_MODE=nonjson"],
    );
    let error = describe(&nonjson.name, false).expect_err("not JSON");
    assert!(
        matches!(error, DiscoveryError::BadRecords { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("not valid JSON"), "{error}");

    let empty = engine_images::sleeper("disc-empty", &images().fake, &["--env", "FAKE_MODE=empty"]);
    let error = describe(&empty.name, false).expect_err("empty");
    assert!(
        matches!(error, DiscoveryError::EmptyOutput { .. }),
        "{error:?}"
    );

    let newer = engine_images::sleeper("disc-newer", &images().fake, &["--env", "FAKE_MODE=newer"]);
    let error = describe(&newer.name, true).expect_err("newer report");
    assert!(error.to_string().contains("upgrade waybill"), "{error}");
}

#[test]
fn a_removed_container_is_no_such_container() {
    if !engine_or_skip("a_removed_container_is_no_such_container") {
        return;
    }
    let c = engine_images::sleeper("disc-removed", &images().tool, &[]);
    docker(&["rm", "--force", &c.name]).ok();
    let rt = runtime();
    let error = rt
        .block_on(async {
            let target = EngineTarget {
                name: "local".into(),
                engine: engine_images::local_engine().await.expect("connect"),
            };
            discover_one(&target, &c.name, false).await
        })
        .expect_err("removed");
    assert!(matches!(error, EngineError::NotFound { .. }), "{error:?}");
}
