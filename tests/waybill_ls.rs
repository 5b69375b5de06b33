//! `waybill ls` run for real against the local engine, over containers of
//! every kind: labelled, copy-in without labels (running and stopped),
//! paused, without the tool, and with bad labels. Each test selects only
//! its own containers by this run's label.
//!
//! Needs a Docker engine: without one every test prints SKIP, or fails
//! when CI=true. One test needs an engine with no containers at all, which
//! the shared local engine cannot promise: it uses a one-node testbed.

#![cfg(feature = "host")]

mod docker;
mod engine_images;
#[path = "testbed/mod.rs"]
mod testbed;

use docker::{docker, engine_or_skip, run, ContainerGuard, Output, COMMAND_DEADLINE};
use serde_json::Value;
use std::process::Command;
use std::sync::OnceLock;

fn images() -> &'static engine_images::TestImages {
    static IMAGES: OnceLock<engine_images::TestImages> = OnceLock::new();
    IMAGES.get_or_init(engine_images::build)
}

/// Runs `image` sleeping, with `extra` docker-run arguments and a
/// `io.waybill.group=<group>` label the test selects by.
/// A sleeping container of `image` in test group `group` (a label the
/// tests filter on), with `extra` docker-run arguments.
fn sleeper(what: &str, image: &str, group: &str, extra: &[&str]) -> ContainerGuard {
    let group = format!("io.waybill.group={group}");
    let mut args = vec!["--label", group.as_str()];
    args.extend_from_slice(extra);
    engine_images::sleeper(what, image, &args)
}

fn waybill(args: &[&str]) -> Output {
    run(
        Command::new(env!("CARGO_BIN_EXE_waybill")).args(args),
        COMMAND_DEADLINE,
    )
}

fn group_filter(group: &str) -> String {
    format!("io.waybill.group={group}-{}", docker::run_id())
}

fn json_rows(out: &Output) -> Vec<Value> {
    let json: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"));
    assert_eq!(json["ls_version"], 1, "{out}");
    json["rows"].as_array().expect("rows").clone()
}

fn row<'a>(rows: &'a [Value], name: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["container"] == name)
        .unwrap_or_else(|| panic!("no row for {name} in {rows:#?}"))
}

#[test]
fn ls_describes_every_kind_of_container_and_names_each_source() {
    if !engine_or_skip("ls_describes_every_kind_of_container_and_names_each_source") {
        return;
    }
    let group = format!("kinds-{}", docker::run_id());
    let images = images();
    let label = format!(
        "io.waybill.stack=[{}]",
        engine_images::record_json("from-label")
    );
    let labelled = sleeper("ls-label", &images.bare, &group, &["--label", &label]);
    let exec = sleeper("ls-exec", &images.tool, &group, &[]);
    let stopped = sleeper("ls-stopped", &images.tool, &group, &[]);
    docker(&["stop", "--time", "1", &stopped.name]).ok();
    let paused = sleeper("ls-paused", &images.tool, &group, &[]);
    docker(&["pause", &paused.name]).ok();
    let bare = sleeper("ls-bare", &images.bare, &group, &[]);
    let bad = sleeper(
        "ls-badlabel",
        &images.tool,
        &group,
        &["--label", "io.waybill.stack={not json"],
    );

    let filter = format!("io.waybill.group={group}");
    let out = waybill(&["ls", "--all", "--json", "--label", &filter]);
    docker(&["unpause", &paused.name]).ok();
    let out = out.ok();
    let rows = json_rows(&out);
    assert_eq!(rows.len(), 6, "{out}");

    let r = row(&rows, &labelled.name);
    assert_eq!(
        (r["source"].as_str(), r["project"].as_str()),
        (Some("labels"), Some("from-label"))
    );
    assert_eq!(r["engine"], "default");
    let r = row(&rows, &exec.name);
    assert_eq!(r["source"], "exec", "{r}");
    assert_eq!(r["project"], engine_images::PROJECT);
    assert_eq!(r["git_branch"], "main");
    assert_eq!(r["actions"], serde_json::json!(["update"]));
    assert_eq!(r["state"], "running");
    let r = row(&rows, &stopped.name);
    assert_eq!(
        (r["source"].as_str(), r["state"].as_str()),
        (Some("archive"), Some("exited"))
    );
    let r = row(&rows, &paused.name);
    assert_eq!(
        (r["source"].as_str(), r["state"].as_str()),
        (Some("archive"), Some("paused"))
    );
    let r = row(&rows, &bare.name);
    assert!(
        r["error"]
            .as_str()
            .unwrap_or("")
            .starts_with("no container tool in this image"),
        "{r}"
    );
    let r = row(&rows, &bad.name);
    assert!(
        r["error"]
            .as_str()
            .unwrap_or("")
            .contains("io.waybill.stack"),
        "{r}"
    );

    // Without --all the stopped one is left out; the table names the
    // bad label's container on stderr and still lists the others.
    let out = waybill(&["ls", "--label", &filter]).ok();
    assert!(out.stdout.contains("CONTAINER"), "{out}");
    assert!(
        out.stdout.contains(&exec.name) && !out.stdout.contains(&stopped.name),
        "{out}"
    );
    assert!(
        out.stderr.contains(&bad.name) && out.stderr.contains("io.waybill.stack"),
        "{out}"
    );
}

#[test]
fn ls_filters_by_project_source_branch_and_name() {
    if !engine_or_skip("ls_filters_by_project_source_branch_and_name") {
        return;
    }
    let group = format!("filters-{}", docker::run_id());
    let filter = format!("io.waybill.group={group}");
    let label = format!("io.waybill.stack=[{}]", engine_images::record_json("alpha"));
    let alpha = sleeper("ls-alpha", &images().bare, &group, &["--label", &label]);
    let beta = sleeper("ls-beta", &images().tool, &group, &[]);

    let names = |out: &Output| -> Vec<String> {
        json_rows(out)
            .iter()
            .map(|r| r["container"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let out = waybill(&["ls", "--json", "--label", &filter, "--project", "alpha"]).ok();
    assert_eq!(names(&out), vec![alpha.name.clone()]);
    // The scp-like form of the https URL the record holds.
    let out = waybill(&[
        "ls",
        "--json",
        "--label",
        &filter,
        "--source",
        "git@EXAMPLE.invalid:waybill-test/waybill-discovery-test.git",
    ])
    .ok();
    assert_eq!(names(&out), vec![beta.name.clone()]);
    let out = waybill(&["ls", "--json", "--label", &filter, "--branch", "main"]).ok();
    assert_eq!(names(&out).len(), 2, "{out}");
    let pattern = format!("*{}*", &beta.name[beta.name.len() - 8..]);
    let out = waybill(&["ls", "--json", "--label", &filter, &pattern]).ok();
    assert_eq!(names(&out), vec![beta.name.clone()]);
}

#[test]
fn ls_with_a_filter_that_matches_nothing_says_so_and_exits_66() {
    if !engine_or_skip("ls_with_a_filter_that_matches_nothing_says_so_and_exits_66") {
        return;
    }
    let out = waybill(&["ls", "--label", &group_filter("nobody"), "--branch", "none"]);
    assert_eq!(out.code(), Some(66), "{out}");
    assert!(out.stderr.contains("no container matches"), "{out}");
}

/// Regression: an unfiltered `waybill ls` that found no containers
/// printed nothing at all, which reads like a hang or a failure.
#[test]
fn ls_on_an_engine_without_containers_says_so_on_stderr_and_keeps_stdout_empty() {
    let test = "ls_on_an_engine_without_containers_says_so_on_stderr_and_keeps_stdout_empty";
    let Some(bed) = testbed::testbed_or_skip(test, &["a"]) else {
        return;
    };
    let unix = bed.node("a").unix.clone();
    let ls = |extra: &[&str]| {
        run(
            Command::new(env!("CARGO_BIN_EXE_waybill"))
                .env_remove("DOCKER_HOST")
                .env_remove("DOCKER_CONTEXT")
                .args(["ls", "-H", &unix])
                .args(extra),
            COMMAND_DEADLINE,
        )
        .ok()
    };
    let out = ls(&[]);
    assert_eq!(out.stdout, "", "{out}");
    assert!(
        out.stderr.contains(
            "waybill: no running containers on the engine (stopped ones are listed with --all)"
        ),
        "{out}"
    );
    let out = ls(&["--all"]);
    assert_eq!(out.stdout, "", "{out}");
    assert!(
        out.stderr.contains("waybill: no containers on the engine"),
        "{out}"
    );
    // JSON is unchanged: an empty listing, and nothing on stderr.
    let out = ls(&["--json"]);
    assert!(json_rows(&out).is_empty(), "{out}");
    assert_eq!(out.stderr, "", "{out}");
}

#[test]
fn ls_state_adds_the_last_update_and_validate() {
    if !engine_or_skip("ls_state_adds_the_last_update_and_validate") {
        return;
    }
    let group = format!("state-{}", docker::run_id());
    let filter = format!("io.waybill.group={group}");
    let c = sleeper("ls-state", &images().tool, &group, &[]);
    let out = waybill(&["ls", "--state", "--json", "--label", &filter]).ok();
    let rows = json_rows(&out);
    assert!(row(&rows, &c.name)["last"].is_object(), "{out}");
    let out = waybill(&["ls", "--state", "--label", &filter]).ok();
    assert!(out.stdout.contains("LAST UPDATE"), "{out}");
}

#[test]
fn ls_images_lists_images_by_their_stack_label() {
    if !engine_or_skip("ls_images_lists_images_by_their_stack_label") {
        return;
    }
    let name = engine_images::labelled_image("ls-labelled-image", "imaged");
    let run_label = docker::run_label();
    let out = waybill(&[
        "ls",
        "--images",
        "--json",
        "--label",
        &run_label,
        "--project",
        "imaged",
    ])
    .ok();
    let rows = json_rows(&out);
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0]["image"], format!("{name}:latest"));
    assert_eq!(rows[0]["source"], "labels");
}

#[test]
fn ls_against_an_unreachable_engine_exits_69() {
    let out = run(
        Command::new(env!("CARGO_BIN_EXE_waybill"))
            .args(["ls"])
            .env("DOCKER_HOST", "unix:///nonexistent/waybill-test.sock"),
        COMMAND_DEADLINE,
    );
    assert_eq!(out.code(), Some(69), "{out}");
    assert!(
        out.stderr
            .contains("engine `default` (unix:///nonexistent/waybill-test.sock) is unreachable"),
        "{out}"
    );
}

#[test]
fn ls_table_escapes_control_characters_from_labels() {
    if !engine_or_skip("ls_table_escapes_control_characters_from_labels") {
        return;
    }
    let group = format!("escape-{}", docker::run_id());
    let filter = format!("io.waybill.group={group}");
    // A project with an ANSI escape, as JSON text in the label.
    let label = format!(
        "io.waybill.stack=[{}]",
        engine_images::record_json("evil\\u001b[31m")
    );
    let c = sleeper("ls-escape", &images().bare, &group, &["--label", &label]);
    let out = waybill(&["ls", "--label", &filter]).ok();
    assert!(out.stdout.contains(&c.name), "{out}");
    assert!(
        !out.stdout.contains('\u{1b}'),
        "raw escape in the table:\n{out}"
    );
    assert!(out.stdout.contains("evil\\x1b[31m"), "{out}");
}
