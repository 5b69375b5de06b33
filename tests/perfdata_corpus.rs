//! MONITOR's performance data, checked against the Nagios plugin
//! guidelines on a corpus.
//!
//! Every file in `tests/fixtures/perfdata/` is one whole MONITOR output,
//! named after the rule it exercises: `valid-` cases are printed
//! unchanged with the method's own Nagios code, `invalid-` ones make
//! `container --monitor` exit 3 (UNKNOWN), with the reason as its status
//! line and on stderr. Each runs through the real `container` binary
//! with a MONITOR method that is `/bin/cat FILE` (no shell).

mod common;

use common::TestDir;
use serde_json::json;
use std::fs;
use std::path::PathBuf;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/perfdata");

fn corpus() -> Vec<(PathBuf, String)> {
    let mut cases: Vec<_> = fs::read_dir(CORPUS)
        .expect("read the corpus directory")
        .map(|entry| entry.expect("read a corpus entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "txt"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (path, name)
        })
        .collect();
    cases.sort();
    cases
}

#[test]
fn monitor_checks_every_corpus_case_as_named() {
    let cases = corpus();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let mut problems = Vec::new();
    for (path, name) in &cases {
        let valid = match name.split('-').next() {
            Some("valid") => true,
            Some("invalid") => false,
            _ => panic!("corpus file `{name}` must start with valid- or invalid-"),
        };
        let t = TestDir::new();
        let method = json!(["/bin/cat", path.display().to_string()]);
        t.write_record(1, json!({"project": "app", "monitor_method": method}));
        let out = t
            .container()
            .arg("--monitor")
            .output()
            .expect("run container");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let ok = if valid {
            out.status.code() == Some(0) && out.stdout == fs::read(path).unwrap()
        } else {
            out.status.code() == Some(3)
                && stdout.starts_with(
                    "UNKNOWN - the MONITOR method's performance data is malformed: line ",
                )
                && stdout.lines().count() == 1
                && stderr.contains("performance data is malformed")
        };
        if !ok {
            problems.push(format!(
                "{name}: exit {:?}\n  stdout: {stdout:?}\n  stderr: {stderr:?}",
                out.status.code()
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn malformed_perfdata_overrides_the_methods_own_code() {
    let t = TestDir::new();
    let method = t.sh_method("m.sh", "echo 'CRITICAL | a=oops'\nexit 2\n");
    t.write_record(1, json!({"project": "app", "monitor_method": method}));
    t.container()
        .arg("--monitor")
        .assert()
        .code(3)
        .stdout(predicates::str::contains(
            "line 1: `a`: `oops` has no numeric value",
        ));
    assert_eq!(t.state()["actions"]["monitor"]["exit_code"], 3);
}

#[test]
fn valid_perfdata_keeps_the_methods_code() {
    let t = TestDir::new();
    let method = t.sh_method("m.sh", "echo 'WARNING | load=5;4;8;0'\nexit 1\n");
    t.write_record(1, json!({"project": "app", "monitor_method": method}));
    t.container()
        .arg("--monitor")
        .assert()
        .code(1)
        .stdout("WARNING | load=5;4;8;0\n");
}

#[test]
fn monitor_output_past_the_limit_is_unknown() {
    let t = TestDir::new();
    // 2 MiB of status text, past the 1 MiB the tool reads.
    let method = t.sh_method(
        "m.sh",
        "yes 0123456789abcdef0123456789abcde | head -c 2097152\n",
    );
    t.write_record(1, json!({"project": "app", "monitor_method": method}));
    t.container()
        .arg("--monitor")
        .assert()
        .code(3)
        .stdout(predicates::str::contains(
            "UNKNOWN - the MONITOR method printed more than 1048576 bytes",
        ));
}
