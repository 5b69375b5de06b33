//! The METRICS check side by side with Prometheus's own parser.
//!
//! Every file in `tests/fixtures/prometheus/` is one exposition, named
//! after the rule it exercises and prefixed with what should happen:
//!
//! - `valid-`: `container --metrics` prints it and `promtool check
//!   metrics` parses it (exit 0, or 3 for lint-only findings);
//! - `invalid-`: `container` refuses it (exit 76) and promtool does not
//!   parse it (exit 1).
//!
//! There are no deliberate disagreements: where promtool is more lenient
//! than Prometheus's scrape parser (a TYPE in upper case, the type
//! `gauge_histogram`, a HELP text that is not UTF-8), `container` follows
//! promtool, the reference its users check with.
//!
//! Each case runs through the real `container` binary, with a METRICS
//! method that is `/bin/cat FILE` (an argv method, no shell), and through
//! `promtool`. Without promtool the container half still runs against the
//! names, and the test skips the promtool half loudly (fails in CI, which
//! installs Debian's `prometheus` package). Lint findings are compared
//! too: `container` warns about a missing HELP and a counter without
//! `_total` exactly when promtool reports them.

mod common;
mod docker;

use common::deadline::output_or_panic;
use common::TestDir;
use serde_json::json;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/prometheus");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Valid,
    Invalid,
}

fn corpus() -> Vec<(PathBuf, String, Expect)> {
    let mut cases: Vec<_> = fs::read_dir(CORPUS)
        .expect("read the corpus directory")
        .map(|entry| entry.expect("read a corpus entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "prom"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let expect = match name.split('-').next() {
                Some("valid") => Expect::Valid,
                Some("invalid") => Expect::Invalid,
                _ => panic!("corpus file `{name}` must start with valid- or invalid-"),
            };
            (path, name, expect)
        })
        .collect();
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    cases
}

/// What `container --metrics` made of a case: Ok(warnings) when it
/// printed the text unchanged, Err(reason) when it refused it.
fn container_verdict(path: &Path) -> Result<String, String> {
    let t = TestDir::new();
    let method = json!(["/bin/cat", path.display().to_string()]);
    t.write_record(1, json!({"project": "app", "metrics_method": method}));
    let out = t
        .container()
        .arg("--metrics")
        .output()
        .expect("run container");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    match out.status.code() {
        Some(0) => {
            let expected = fs::read(path).unwrap();
            assert_eq!(out.stdout, expected, "{}: output changed", path.display());
            Ok(stderr)
        }
        Some(76) => {
            assert!(
                out.stdout.is_empty(),
                "{}: printed refused text",
                path.display()
            );
            Err(stderr)
        }
        other => panic!("{}: container exited {other:?}: {stderr}", path.display()),
    }
}

/// What promtool made of a case: Ok(lint findings) when it parsed,
/// Err(error) when it did not.
fn promtool_verdict(promtool: &Path, path: &Path) -> Result<String, String> {
    let input = fs::read(path).unwrap();
    let mut cmd = Command::new(promtool);
    cmd.args(["check", "metrics"]);
    let out = output_or_panic(&mut cmd, Some(&input), Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    match out.status.code() {
        Some(0 | 3) => Ok(stderr),
        Some(1) => Err(stderr),
        other => panic!("{}: promtool exited {other:?}: {stderr}", path.display()),
    }
}

fn find_promtool() -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("promtool"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| "promtool is not on PATH (Debian package `prometheus`)".to_string())
}

/// The metrics promtool's lint names for `problem`, in its output order.
fn promtool_lints(findings: &str, problem: &str) -> Vec<String> {
    let mut names: Vec<String> = findings
        .lines()
        .filter_map(|line| line.strip_suffix(problem))
        .map(|name| name.trim().to_string())
        .collect();
    names.sort();
    names
}

/// The metrics `container` warned about for `problem`.
fn container_lints(warnings: &str, problem: &str) -> Vec<String> {
    let mut names: Vec<String> = warnings
        .lines()
        .filter(|line| line.ends_with(&format!(": {problem} (promtool's lint)")))
        .filter_map(|line| line.split('`').nth(1))
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

#[test]
fn metrics_check_agrees_with_promtool_on_every_corpus_case() {
    let cases = corpus();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let promtool = find_promtool();
    let promtool = docker::prerequisite_or_skip(
        "metrics_check_agrees_with_promtool_on_every_corpus_case (promtool half)",
        "promtool",
        promtool.clone().map(|_| ()),
    )
    .then(|| promtool.unwrap());

    let mut problems = Vec::new();
    let mut agreed = 0;
    for (path, name, expect) in &cases {
        let ours = container_verdict(path);
        if ours.is_ok() != (*expect == Expect::Valid) {
            problems.push(format!("{name}: container says {ours:?}"));
        }
        let Some(promtool) = &promtool else { continue };
        let theirs = promtool_verdict(promtool, path);
        if theirs.is_ok() != (*expect == Expect::Valid) {
            problems.push(format!("{name}: promtool says {theirs:?}"));
        }
        if ours.is_ok() == theirs.is_ok() {
            agreed += 1;
        }
        if let (Ok(warnings), Ok(findings)) = (&ours, &theirs) {
            for problem in [
                "no help text",
                "counter metrics should have \"_total\" suffix",
            ] {
                let (a, b) = (
                    container_lints(warnings, problem),
                    promtool_lints(findings, problem),
                );
                if a != b {
                    problems.push(format!(
                        "{name}: `{problem}`: container warns about {a:?}, promtool about {b:?}"
                    ));
                }
            }
        }
    }
    let count = |e| cases.iter().filter(|c| c.2 == e).count();
    eprintln!(
        "prometheus corpus: {} cases ({} valid, {} invalid); container and promtool agree on {}",
        cases.len(),
        count(Expect::Valid),
        count(Expect::Invalid),
        if promtool.is_some() {
            agreed.to_string()
        } else {
            "(promtool skipped)".into()
        },
    );
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

/// Cases `container` passes through but the merge leaves out: the same
/// series twice. promtool parses it, but Prometheus keeps only one of the
/// two samples when it stores them, so a merge that kept both would hide
/// which container's value is stored (docs/fleet-metrics.md).
#[cfg(feature = "host")]
const MERGE_STRICTER: &[&str] = &["valid-duplicate-sample"];

/// The host's merge (`waybill metrics`) reads with the same parser: every
/// valid case merges whole, an invalid one is left out whole, and the
/// merged exposition, each case alone and all of them together (as many
/// containers), parses for `container`'s own check and for promtool.
#[cfg(feature = "host")]
#[test]
fn merged_corpus_expositions_pass_the_same_check_and_promtool() {
    use waybill::host::metrics::{Merger, Origin};
    let cases = corpus();
    let promtool = find_promtool();
    let promtool = docker::prerequisite_or_skip(
        "merged_corpus_expositions_pass_the_same_check_and_promtool (promtool half)",
        "promtool",
        promtool.clone().map(|_| ()),
    )
    .then(|| promtool.unwrap());
    let origin = |i: usize| Origin {
        engine: "default".into(),
        container: format!("c{i:03}"),
        project: Some("corpus \"quoted\" \\ project".into()),
        image: "example:latest".into(),
    };
    let dir = tempfile::tempdir().expect("a scratch directory");
    let mut problems = Vec::new();
    let check = |what: &str, text: &str| -> Vec<String> {
        let mut found = Vec::new();
        if let Err(bad) = waybill::prometheus::validate(text.as_bytes()) {
            found.push(format!(
                "{what}: the merge made text our check refuses: {bad:?}"
            ));
        }
        if let Some(promtool) = &promtool {
            let file = dir.path().join("merged.prom");
            fs::write(&file, text).unwrap();
            if let Err(e) = promtool_verdict(promtool, &file) {
                found.push(format!("{what}: promtool refuses the merge: {e}"));
            }
        }
        found
    };
    let mut all = Merger::new();
    for (i, (path, name, expect)) in cases.iter().enumerate() {
        let text = fs::read(path).unwrap();
        let mut alone = Merger::new();
        let merged = alone.add(&origin(i), &text);
        let whole = *expect == Expect::Valid && !MERGE_STRICTER.contains(&name.as_str());
        if merged != whole {
            problems.push(format!("{name}: merged whole = {merged}"));
        }
        all.add(&origin(i), &text);
        if merged {
            problems.extend(check(name, &alone.finish().text));
        }
    }
    problems.extend(check("every case together", &all.finish().text));
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}
