//! `waybill ls` and `waybill examine` over several real engines of the
//! multi-host testbed at once: a 20.10 node with plain tcp and a 26.1 node
//! with TLS, named in a hosts file. Every row names its engine; an engine
//! that is down is one error naming it while the other still answers (exit
//! 69); a container name found on both engines is refused with
//! `ENGINE/NAME` choices, and `ENGINE/NAME` picks one.

#![cfg(feature = "host")]

mod docker;
mod engine_images;
#[path = "testbed/mod.rs"]
mod testbed;

use docker::{run_with_deadline, unique_name, COMMAND_DEADLINE};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use testbed::{testbed_or_skip, Testbed, Via};

const NODES: [&str; 2] = ["a", "b:tls,engine26"];

/// The testbed with the tool image loaded and one container of the same
/// name running on each node, and a hosts file naming both nodes.
struct Fleet {
    bed: &'static Testbed,
    container: String,
    hosts_file: PathBuf,
    dir: tempfile::TempDir,
}

/// Tests that stop a node take this for writing; the others for reading.
static NODES_UP: Mutex<()> = Mutex::new(());

fn fleet(test: &str) -> Option<&'static Fleet> {
    static FLEET: OnceLock<Fleet> = OnceLock::new();
    let bed = testbed_or_skip(test, &NODES)?;
    Some(FLEET.get_or_init(|| {
        let images = engine_images::build();
        bed.load(&[&images.tool]);
        let container = unique_name("fleet");
        for node in ["a", "b"] {
            let node = bed.node(node);
            bed.docker(
                node,
                Via::Unix,
                &[
                    "run",
                    "-d",
                    "--name",
                    &container,
                    "--label",
                    docker::TEST_LABEL,
                    &images.tool,
                    "/bin/sleep",
                    "600",
                ],
            )
            .ok();
        }
        let dir = tempfile::tempdir().expect("a directory for the hosts file");
        let b = bed.node("b");
        let tls = b.tls_dir.as_ref().expect("node b has TLS material");
        let hosts_file = dir.path().join("hosts.toml");
        std::fs::write(
            &hosts_file,
            format!(
                "[[engine]]\nname = \"a\"\nhost = \"{}\"\n\n[[engine]]\nname = \"b\"\nhost = \"{}\"\n\
                 tls = {{ ca = \"{}\", cert = \"{}\", key = \"{}\" }}\n",
                bed.node("a").tcp,
                b.tcp,
                tls.join("ca.pem").display(),
                tls.join("cert.pem").display(),
                tls.join("key.pem").display()
            ),
        )
        .expect("write the hosts file");
        Fleet {
            bed,
            container,
            hosts_file,
            dir,
        }
    }))
}

/// `waybill ARGS --hosts-file HOSTS`, with nothing of this process's
/// docker settings, and a deadline.
fn waybill(fleet: &Fleet, args: &[&str]) -> docker::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_waybill"));
    cmd.env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_CONFIG", fleet.dir.path())
        .args(args)
        .arg("--hosts-file")
        .arg(&fleet.hosts_file);
    run_with_deadline(&mut cmd, COMMAND_DEADLINE).unwrap_or_else(|e| panic!("{e}"))
}

fn rows_of<'a>(listing: &'a Value, container: &str) -> Vec<&'a Value> {
    listing["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|row| row["container"] == container)
        .collect()
}

#[test]
fn ls_over_two_engines_names_each_engine_in_its_rows() {
    let Some(fleet) = fleet("ls_over_two_engines_names_each_engine_in_its_rows") else {
        return;
    };
    let _up = NODES_UP.lock().unwrap_or_else(|p| p.into_inner());
    // --all: another test stops node b's engine, and its container does
    // not come back running when the engine does.
    let out = waybill(fleet, &["ls", &fleet.container, "--all", "--json"]).ok();
    let listing: Value = serde_json::from_str(&out.stdout).expect("ls --json prints JSON");
    let mut engines: Vec<&str> = rows_of(&listing, &fleet.container)
        .iter()
        .map(|row| row["engine"].as_str().unwrap_or(""))
        .collect();
    engines.sort();
    assert_eq!(engines, ["a", "b"], "{}", out);
    for row in rows_of(&listing, &fleet.container) {
        assert_eq!(row["project"], engine_images::PROJECT, "{row}");
    }
    assert_eq!(listing["engine_errors"], Value::Array(vec![]), "{out}");
    // The table names the engines too.
    let out = waybill(fleet, &["ls", &fleet.container, "--all"]).ok();
    for engine in ["a", "b"] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(engine) && l.contains(&fleet.container)),
            "no row for engine {engine}:\n{out}"
        );
    }
}

#[test]
fn an_engine_that_is_down_is_one_error_and_the_other_still_answers() {
    let Some(fleet) = fleet("an_engine_that_is_down_is_one_error_and_the_other_still_answers")
    else {
        return;
    };
    let _up = NODES_UP.lock().unwrap_or_else(|p| p.into_inner());
    fleet.bed.stop_node("b");
    let out = waybill(fleet, &["ls", &fleet.container, "--all", "--json"]);
    fleet.bed.start_node("b");
    assert_eq!(out.code(), Some(69), "{out}");
    let listing: Value = serde_json::from_str(&out.stdout).expect("ls --json prints JSON");
    let engines: Vec<&str> = rows_of(&listing, &fleet.container)
        .iter()
        .map(|row| row["engine"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(engines, ["a"], "{out}");
    let errors = listing["engine_errors"].as_array().expect("engine_errors");
    assert_eq!(errors.len(), 1, "{out}");
    assert_eq!(errors[0]["engine"], "b", "{out}");
    assert!(out.stderr.contains("engine `b`"), "{out}");
}

#[test]
fn examine_refuses_a_name_on_two_engines_and_takes_engine_slash_name() {
    let Some(fleet) = fleet("examine_refuses_a_name_on_two_engines_and_takes_engine_slash_name")
    else {
        return;
    };
    let _up = NODES_UP.lock().unwrap_or_else(|p| p.into_inner());
    let out = waybill(fleet, &["examine", &fleet.container]);
    assert_eq!(out.code(), Some(64), "{out}");
    for choice in [
        format!("a/{}", fleet.container),
        format!("b/{}", fleet.container),
    ] {
        assert!(
            out.stderr.contains(&choice),
            "{choice} is not offered:\n{out}"
        );
    }
    let out = waybill(fleet, &["examine", &format!("b/{}", fleet.container)]).ok();
    assert!(out.stdout.contains("Engine: b"), "{out}");
    assert!(
        out.stdout
            .contains(&format!("Metadata for image {}", engine_images::PROJECT)),
        "{out}"
    );
}
