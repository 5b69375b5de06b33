//! `waybill examine TARGET` run for real against the local engine: a
//! running copy-in container (exec), a stopped one (archive), a labelled
//! image, and the targets it must refuse.
//!
//! Needs a Docker engine: without one every test prints SKIP, or fails
//! when CI=true.

#![cfg(feature = "host")]

mod docker;
mod engine_images;

use docker::{docker, engine_or_skip, label_args, run, ContainerGuard, Output, COMMAND_DEADLINE};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::OnceLock;

fn images() -> &'static engine_images::TestImages {
    static IMAGES: OnceLock<engine_images::TestImages> = OnceLock::new();
    IMAGES.get_or_init(engine_images::build)
}

fn waybill(args: &[&str]) -> Output {
    run(
        Command::new(env!("CARGO_BIN_EXE_waybill")).args(args),
        COMMAND_DEADLINE,
    )
}

#[test]
fn examine_prints_engine_facts_and_the_same_report_as_container_examine() {
    if !engine_or_skip("examine_prints_engine_facts_and_the_same_report_as_container_examine") {
        return;
    }
    let c = engine_images::sleeper("ex-running", &images().tool, &[]);
    let out = waybill(&["examine", "--state", &c.name]).ok();
    assert!(
        out.stdout.contains(&format!("Container: {}", c.name)),
        "{out}"
    );
    assert!(out.stdout.contains("Source: exec"), "{out}");
    assert!(out.stdout.contains("State: running"), "{out}");
    let inside = c.exec(&["container", "--examine"]).ok();
    assert!(
        out.stdout.ends_with(&inside.stdout),
        "the host's report differs from the container's:\n{out}\n{inside}"
    );

    // By id prefix, and as the shared JSON schema.
    let id = c.inspect("{{.Id}}");
    let out = waybill(&["examine", "--json", &id[..12]]).ok();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(json["report_version"], 1, "{out}");
    assert_eq!(
        json["images"][0]["record"]["project"],
        engine_images::PROJECT
    );
}

#[test]
fn examine_reads_a_stopped_container_through_the_archive() {
    if !engine_or_skip("examine_reads_a_stopped_container_through_the_archive") {
        return;
    }
    let c = engine_images::sleeper("ex-stopped", &images().tool, &[]);
    docker(&["stop", "--time", "1", &c.name]).ok();
    let out = waybill(&["examine", &c.name]).ok();
    assert!(out.stdout.contains("Source: archive"), "{out}");
    assert!(out.stdout.contains("State: exited"), "{out}");
    assert!(out.stdout.contains(engine_images::PROJECT), "{out}");
}

#[test]
fn examine_of_a_labelled_image_reads_its_label() {
    if !engine_or_skip("examine_of_a_labelled_image_reads_its_label") {
        return;
    }
    let name = engine_images::labelled_image("ex-labelled-image", "imaged");
    let out = waybill(&["examine", &name]).ok();
    assert!(out.stdout.contains("Source: labels"), "{out}");
    assert!(out.stdout.contains("imaged"), "{out}");
}

#[test]
fn examine_of_nothing_or_of_an_image_without_the_tool_exits_66() {
    if !engine_or_skip("examine_of_nothing_or_of_an_image_without_the_tool_exits_66") {
        return;
    }
    let out = waybill(&["examine", "waybill-test-no-such-target"]);
    assert_eq!(out.code(), Some(66), "{out}");
    assert!(
        out.stderr
            .contains("no container or image `waybill-test-no-such-target`"),
        "{out}"
    );

    let c = engine_images::sleeper("ex-bare", &images().bare, &[]);
    let out = waybill(&["examine", &c.name]);
    assert_eq!(out.code(), Some(66), "{out}");
    assert!(
        out.stderr.contains("no container tool in this image"),
        "{out}"
    );
}

#[test]
fn examine_of_an_id_prefix_shared_by_several_containers_lists_them_and_refuses() {
    if !engine_or_skip(
        "examine_of_an_id_prefix_shared_by_several_containers_lists_them_and_refuses",
    ) {
        return;
    }
    // 17 containers: two of them must share a first hex digit.
    let mut by_digit: BTreeMap<char, Vec<String>> = BTreeMap::new();
    let mut guards = Vec::new();
    for _ in 0..17 {
        let guard = ContainerGuard::new("ex-prefix");
        let labels = label_args();
        let mut args = vec!["create", "--network", "none", "--name", &guard.name];
        args.extend(labels.iter().map(String::as_str));
        args.extend([images().bare.as_str(), "/bin/sleep", "1"]);
        let id = docker(&args).ok().stdout.trim().to_string();
        by_digit
            .entry(id.chars().next().expect("an id"))
            .or_default()
            .push(guard.name.clone());
        guards.push(guard);
    }
    let (digit, names) = by_digit
        .iter()
        .find(|(_, names)| names.len() > 1)
        .expect("two ids share a first digit");
    let out = waybill(&["examine", &digit.to_string()]);
    assert_eq!(out.code(), Some(64), "{out}");
    assert!(out.stderr.contains("matches several containers"), "{out}");
    for name in names {
        assert!(
            out.stderr.contains(name.as_str()),
            "{name} not listed:\n{out}"
        );
    }
}
