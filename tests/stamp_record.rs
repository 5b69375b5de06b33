//! `waybill stamp --record FILE`: labels and build arguments made from a
//! record an earlier `waybill stamp --output FILE` wrote, so they describe
//! exactly the record filed in the image.
//!
//! Real repositories made with the git CLI, the real binary, an emptied
//! environment.

// The `waybill` binary needs the `host` feature.
#![cfg(feature = "host")]

mod stamp_support;

use serde_json::{json, Value};
use stamp_support::{stamp, Repo, EPOCH};
use std::collections::BTreeMap;
use std::fs;

/// `--label=KEY=VALUE` or `--build-arg=NAME=VALUE` lines as a map.
#[track_caller]
fn parse_lines(out: &str, prefix: &str) -> BTreeMap<String, String> {
    out.lines()
        .map(|line| {
            let rest = line
                .strip_prefix(prefix)
                .unwrap_or_else(|| panic!("line is not {prefix}: {line}\n{out}"));
            let (key, value) = rest
                .split_once('=')
                .unwrap_or_else(|| panic!("not KEY=VALUE: {line}\n{out}"));
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

#[track_caller]
fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON: {e}\n{text}"))
}

#[test]
fn labels_from_record_match_the_filed_record_even_after_output_dirties_the_tree() {
    let repo = Repo::new();
    // The record goes into the work tree, untracked and not ignored, as
    // it does when the build context is inside the checkout. No
    // SOURCE_DATE_EPOCH: the build time comes from the clock.
    stamp(
        repo.path(),
        &["--project", "demo", "--output", "waybill.json"],
        &[],
    )
    .ok();
    let filed = json_of(&fs::read_to_string(repo.path().join("waybill.json")).unwrap());
    assert_eq!(filed["git_dirty"], json!(false), "{filed}");

    // The bug: a second stamp reading git sees the record file as an
    // untracked change. (If this ever stops being true, the test below
    // no longer exercises the case it was written for.)
    let second = stamp(repo.path(), &["--project", "demo"], &[]).json();
    assert_eq!(second["git_dirty"], json!(true), "{second}");

    // SOURCE_DATE_EPOCH set now, to another time: a run that read the
    // time again would show 2015 instead of the record's build time.
    let run = stamp(
        repo.path(),
        &["--record", "waybill.json", "--format", "labels"],
        &[EPOCH],
    );
    let labels = parse_lines(&run.ok(), "--label=");
    let own = json_of(&labels["io.waybill.record"]);
    assert_eq!(own, filed, "io.waybill.record differs from the file");
    assert_eq!(own["git_dirty"], json!(false));
    assert_eq!(own["build_time"], filed["build_time"]);
    assert_eq!(
        json_of(&labels["io.waybill.stack"]),
        json!([filed]),
        "without --from the stack is the record alone"
    );

    let epoch = filed["build_time_stamp"]
        .as_i64()
        .expect("build_time_stamp");
    let created = chrono::DateTime::from_timestamp(epoch, 0)
        .expect("a representable time")
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(labels["org.opencontainers.image.created"], created);
    assert_eq!(labels["org.opencontainers.image.revision"], repo.head());
    assert_eq!(labels["org.opencontainers.image.title"], "demo");
}

#[test]
fn record_mode_reads_no_git_no_ci_environment_and_no_clock() {
    // Not a repository, a CI system announcing another commit, and a
    // SOURCE_DATE_EPOCH that would be an error if it were read.
    let dir = tempfile::tempdir().unwrap();
    let record = json!({
        "project": "legacy",
        "image_name": "registry.example/legacy",
        "build_time": "2015-03-30 06:02:10",
        "gitref": "a".repeat(40),
        "git_dirty": false,
        "ci": false,
        "start_method": ["/srv/bin/start", "--now"],
        "user_metadata": {"team": {"name": "ops"}},
        "field_from_the_future": [1, {"x": null}]
    });
    fs::write(
        dir.path().join("record.json"),
        serde_json::to_string_pretty(&record).unwrap(),
    )
    .unwrap();
    let env = [
        ("SOURCE_DATE_EPOCH", "yesterday"),
        ("CI", "true"),
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SHA", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
        ("GITHUB_RUN_ID", "1"),
    ];
    let run = stamp(
        dir.path(),
        &["--record", "record.json", "--format", "build-args"],
        &env,
    );
    let args = parse_lines(&run.ok(), "--build-arg=");
    if !run.stderr().is_empty() {
        run.explain("expected no warnings");
    }
    assert_eq!(json_of(&args["WAYBILL_RECORD"]), record);
    assert_eq!(json_of(&args["WAYBILL_STACK"]), json!([record]));
    assert_eq!(args["WAYBILL_CREATED"], "2015-03-30T06:02:10Z");
    assert_eq!(args["WAYBILL_REVISION"], "a".repeat(40));
    assert_eq!(args["WAYBILL_TITLE"], "legacy");
    // Written empty, so a base image's value is not inherited.
    assert_eq!(args["WAYBILL_SOURCE"], "");
}

#[test]
fn a_malformed_record_file_is_a_data_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for (name, content, reason) in [
        ("broken.json", "{\"project\": ", "not valid JSON"),
        ("list.json", "[1]", "must be a JSON object"),
        ("typed.json", r#"{"project": 5}"#, "`project`"),
        (
            "method.json",
            r#"{"project": "x", "start_method": ["/bin/x", 3]}"#,
            "`start_method`",
        ),
        ("empty.json", "", "not valid JSON"),
    ] {
        fs::write(dir.path().join(name), content).unwrap();
        let run = stamp(dir.path(), &["--record", name, "--format", "labels"], &[]);
        run.fails(65, name);
        run.fails(65, reason);
        assert_eq!(run.stdout(), "", "{name}: nothing printed on failure");
    }
}

#[test]
fn a_record_file_over_the_size_limit_is_a_data_error() {
    let dir = tempfile::tempdir().unwrap();
    let padding = "x".repeat(1024 * 1024);
    let big = format!(r#"{{"project": "big", "user_metadata": {{"pad": "{padding}"}}}}"#);
    fs::write(dir.path().join("big.json"), big).unwrap();
    let run = stamp(
        dir.path(),
        &["--record", "big.json", "--format", "labels"],
        &[],
    );
    run.fails(65, "big.json");
    run.fails(65, "1 MiB");
}

#[test]
fn a_missing_or_unreadable_record_file_is_no_input_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    stamp(
        dir.path(),
        &["--record", "missing.json", "--format", "labels"],
        &[],
    )
    .fails(66, "missing.json");
    fs::create_dir(dir.path().join("a-directory")).unwrap();
    stamp(
        dir.path(),
        &["--record", "a-directory", "--format", "labels"],
        &[],
    )
    .fails(66, "a-directory");
}

#[test]
fn record_with_record_building_flags_or_json_output_is_a_usage_error() {
    let repo = Repo::new();
    stamp(
        repo.path(),
        &["--project", "demo", "--output", "waybill.json"],
        &[EPOCH],
    )
    .ok();
    let record = ["--record", "waybill.json", "--format", "labels"];
    for extra in [
        &["--project", "demo"][..],
        &["--image-name", "registry.example/x"],
        &["--tag", "x:1"],
        &["--repo", "."],
        &["--start-method", "/bin/true"],
        &["--metrics-method", "/bin/true"],
        &["--update-timeout", "5"],
        &["--validate"],
        &["--meta", "a=b"],
        &["--meta-json", "waybill.json"],
    ] {
        let args = [&record[..], extra].concat();
        stamp(repo.path(), &args, &[]).fails(64, "cannot be used with");
    }
    // JSON would only copy the file: refused, whether asked for or the
    // default, before the file is read.
    for args in [
        &["--record", "waybill.json"][..],
        &["--record", "waybill.json", "--format", "json"],
        &["--record", "missing.json"],
    ] {
        stamp(repo.path(), args, &[]).fails(64, "--format labels");
    }
}

#[test]
fn record_output_goes_to_the_output_file() {
    let repo = Repo::new();
    stamp(
        repo.path(),
        &["--project", "demo", "--output", "waybill.json"],
        &[],
    )
    .ok();
    let printed = stamp(
        repo.path(),
        &["--record", "waybill.json", "--format", "labels"],
        &[],
    )
    .ok();
    let written = stamp(
        repo.path(),
        &[
            "--record",
            "waybill.json",
            "--format",
            "labels",
            "--output",
            "labels.txt",
        ],
        &[],
    );
    assert_eq!(written.ok(), "", "nothing on stdout with --output");
    assert_eq!(
        fs::read_to_string(repo.path().join("labels.txt")).unwrap(),
        printed
    );
}

#[test]
fn output_naming_the_record_file_is_refused_and_the_record_kept() {
    let repo = Repo::new();
    stamp(
        repo.path(),
        &["--project", "demo", "--output", "waybill.json"],
        &[],
    )
    .ok();
    let before = fs::read(repo.path().join("waybill.json")).unwrap();
    for output in ["waybill.json", "./waybill.json"] {
        stamp(
            repo.path(),
            &[
                "--record",
                "waybill.json",
                "--format",
                "labels",
                "--output",
                output,
            ],
            &[],
        )
        .fails(64, "would replace the record");
    }
    assert_eq!(fs::read(repo.path().join("waybill.json")).unwrap(), before);
}
