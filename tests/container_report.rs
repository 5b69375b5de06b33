//! `container --examine`, `--metadata` and `record`, run as the real
//! binary against metadata directories written by each test.

mod common;

use assert_cmd::Command;
use serde_json::{json, Value};
use std::fs;
use std::path::PathBuf;
use tempfile::TempDir;

/// A scratch container: a metadata directory and a state directory.
struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn meta(&self) -> PathBuf {
        self.dir.path().join("meta")
    }

    fn write(&self, name: &str, body: &str) -> &Scratch {
        fs::create_dir_all(self.meta()).unwrap();
        fs::write(self.meta().join(name), body).unwrap();
        self
    }

    fn container(&self, args: &[&str]) -> Command {
        let mut cmd = common::container_cmd();
        cmd.env_clear()
            .env("CONTAINER_META_DIR", self.meta())
            .env("CONTAINER_STATE_DIR", self.dir.path().join("state"))
            .args(args);
        cmd
    }
}

const BASE: &str = r#"{"project":"centos_base","image_name":"ripienaar/centos_base",
 "image_tag_names":["hub.my.net/ripienaar/centos_base"],"ci":true,
 "gitref":"fcb5f3c664b293c7a196c9809a33714427804d40","build_cause":"TIMERTRIGGER",
 "build_time":"2015-03-24 03:25:01","build_time_stamp":1427167501,
 "build_tag":"jenkins-docker centos_base-20","update_method":"/base/update.sh"}"#;

/// The seed's `--metadata` example with its missing comma restored.
const SEED: &str = include_str!("fixtures/seed-rbldnsd.json");

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn examine_reports_seed_records_oldest_first_in_both_forms() {
    let s = Scratch::new();
    s.write("0001-centos_base.json", BASE)
        .write("0002-rbldnsd.json", SEED);
    let report = stdout_of(&mut s.container(&["--examine"]));
    let base = report
        .find("Metadata for image centos_base")
        .expect(&report);
    let leaf = report.find("Metadata for image rbldnsd").expect(&report);
    assert!(base < leaf, "{report}");
    assert!(report.contains("                Git Hash: e1b0a445744fec5e584919711cafd8f4cebdee0e"));
    assert!(report.contains("              Build Time: 2015-03-24 03:25:01 (1427167501)"));
    assert!(
        report.contains("                 MONITOR: not set"),
        "{report}"
    );
    assert!(report.lines().all(|l| l.len() <= 80), "{report}");
    // The subcommand form prints the same report.
    assert_eq!(stdout_of(&mut s.container(&["examine"])), report);
}

#[test]
fn examine_names_the_image_each_effective_method_comes_from() {
    let s = Scratch::new();
    s.write("0001-centos_base.json", BASE).write(
        "0002-rbldnsd.json",
        &SEED.replace("\"update_method\": \"/srv/support/bin/update.sh\",", ""),
    );
    let json: Value =
        serde_json::from_str(&stdout_of(&mut s.container(&["--examine", "--json"]))).unwrap();
    assert_eq!(
        json["methods"]["update"]["method"],
        json!("/base/update.sh")
    );
    assert_eq!(
        json["methods"]["update"]["source"]["project"],
        json!("centos_base")
    );
    assert_eq!(
        json["methods"]["start"]["source"]["project"],
        json!("rbldnsd")
    );
    assert_eq!(json["methods"]["monitor"], Value::Null);
    assert_eq!(json["images"][0]["file"], json!("0001-centos_base.json"));
    let text = stdout_of(&mut s.container(&["--examine"]));
    assert!(
        text.contains("                  UPDATE: /base/update.sh\n                          from image centos_base\n"),
        "{text}"
    );
}

#[test]
fn metadata_prints_the_merged_record_leaf_last() {
    let s = Scratch::new();
    s.write("0001-centos_base.json", BASE)
        .write("0002-rbldnsd.json", SEED);
    let merged: Value =
        serde_json::from_str(&stdout_of(&mut s.container(&["--metadata"]))).unwrap();
    let mut expected: Value = serde_json::from_str(SEED).unwrap();
    // No field of the base survives that the leaf also sets.
    assert_eq!(merged, {
        expected["update_method"] = json!("/srv/support/bin/update.sh");
        expected
    });
    let all: Value = serde_json::from_str(&stdout_of(
        &mut s.container(&["metadata", "--json", "--all"]),
    ))
    .unwrap();
    assert_eq!(all[0]["project"], json!("centos_base"));
    assert_eq!(all[1]["project"], json!("rbldnsd"));
}

#[test]
fn unknown_fields_and_newer_schema_are_shown_with_a_warning() {
    let s = Scratch::new();
    s.write(
        "0001-future.json",
        r#"{"schema_version":7,"project":"future","hologram":{"depth":3}}"#,
    );
    let out = s.container(&["--examine"]).assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stdout.contains("hologram.depth: 3"), "{stdout}");
    assert!(stderr.contains("schema_version 7"), "{stderr}");
    let meta: Value = serde_json::from_str(&stdout_of(&mut s.container(&["--metadata"]))).unwrap();
    assert_eq!(meta["hologram"], json!({"depth": 3}));
}

#[test]
fn malformed_record_is_named_with_line_and_column_and_the_rest_still_shown() {
    let s = Scratch::new();
    // The seed's blog example, missing comma and all.
    let broken = SEED.replace(
        "\"/srv/support/bin/update.sh\",",
        "\"/srv/support/bin/update.sh\"",
    );
    s.write("0001-centos_base.json", BASE)
        .write("0002-rbldnsd.json", &broken)
        .write("0003-leaf.json", r#"{"project":"leaf"}"#);
    let out = s.container(&["--examine"]).assert().code(65);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stdout.contains("Metadata for image centos_base"),
        "{stdout}"
    );
    assert!(stdout.contains("Metadata for image leaf"), "{stdout}");
    assert!(stderr.contains("0002-rbldnsd.json"), "{stderr}");
    assert!(stderr.contains("line 5 column 3"), "{stderr}");
    s.container(&["--metadata"]).assert().code(65);
}

#[test]
fn each_kind_of_bad_record_exits_65_and_names_the_file() {
    let cases: [(&str, &[u8], &str); 4] = [
        ("wrong-type", br#"{"project":"x","ci":"yes"}"#, "field `ci`"),
        ("not-utf8", b"{\"project\":\"\xff\"}", "not UTF-8"),
        ("not-object", b"[1,2]", "must be a JSON object"),
        ("no-project", b"{}", "no `project` field"),
    ];
    for (name, body, message) in cases {
        let s = Scratch::new();
        s.write("0001-base.json", BASE);
        fs::write(s.meta().join(format!("0002-{name}.json")), body).unwrap();
        let out = s.container(&["--examine"]).assert().code(65);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            stderr.contains(&format!("0002-{name}.json")),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(message), "{name}: {stderr}");
    }
}

#[test]
fn oversized_record_is_refused_without_hiding_others() {
    let s = Scratch::new();
    s.write("0001-base.json", BASE);
    let big = format!(r#"{{"project":"big","pad":"{}"}}"#, "x".repeat(1024 * 1024));
    s.write("0002-big.json", &big);
    let out = s.container(&["--examine"]).assert().code(65);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("over the 1 MiB limit"), "{stderr}");
}

#[test]
fn missing_empty_and_looping_metadata_directories_exit_66_with_a_reason() {
    let s = Scratch::new();
    let out = s.container(&["--examine"]).assert().code(66);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("does not exist"));
    fs::create_dir_all(s.meta()).unwrap();
    let out = s.container(&["--examine"]).assert().code(66);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("holds no image records"));
    let a = s.dir.path().join("a");
    let b = s.dir.path().join("b");
    std::os::unix::fs::symlink(&a, &b).unwrap();
    std::os::unix::fs::symlink(&b, &a).unwrap();
    let out = s
        .container(&["--meta-dir", a.to_str().unwrap(), "--examine"])
        .assert()
        .code(66);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("symlink loop"));
}

#[test]
fn record_files_at_the_next_position_and_rebuilt_base_keeps_the_order() {
    let s = Scratch::new();
    let inputs = s.dir.path().join("inputs");
    fs::create_dir_all(&inputs).unwrap();
    let file = |name: &str, body: &str| -> PathBuf {
        let path = inputs.join(name);
        fs::write(&path, body).unwrap();
        path
    };
    // The base was rebuilt later than the service: newer build time,
    // same second as another image. Order must follow filing order.
    let base = file(
        "base.json",
        r#"{"project":"base","build_time_stamp":2000000000}"#,
    );
    let web = file(
        "web.json",
        r#"{"project":"web","build_time_stamp":1000000000}"#,
    );
    let leaf = file(
        "leaf.json",
        r#"{"project":"leaf","build_time_stamp":1000000000}"#,
    );
    for path in [&base, &web, &leaf] {
        s.container(&["record", path.to_str().unwrap()])
            .assert()
            .success();
    }
    let mut names: Vec<String> = fs::read_dir(s.meta())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["0001-base.json", "0002-web.json", "0003-leaf.json"]);
    let all: Value =
        serde_json::from_str(&stdout_of(&mut s.container(&["--metadata", "--all"]))).unwrap();
    let order: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["project"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["base", "web", "leaf"]);
}

#[test]
fn record_refuses_a_bad_record_and_writes_nothing() {
    let s = Scratch::new();
    let bad = s.dir.path().join("bad.json");
    fs::write(&bad, r#"{"project":"x","start_method":42}"#).unwrap();
    let out = s
        .container(&["record", bad.to_str().unwrap()])
        .assert()
        .code(65);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("`start_method`"), "{stderr}");
    assert!(!s.meta().exists() || fs::read_dir(s.meta()).unwrap().count() == 0);
    s.container(&["record", "/nonexistent.json"])
        .assert()
        .code(66);
}

#[test]
fn record_keeps_the_file_byte_for_byte() {
    let s = Scratch::new();
    let input = s.dir.path().join("in.json");
    let body = "{ \"project\": \"web\",   \"zz_custom\": [1, 2] }\n";
    fs::write(&input, body).unwrap();
    s.container(&["record", input.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(s.meta().join("0001-web.json")).unwrap(),
        body
    );
}

#[test]
fn examine_reads_no_state_and_writes_nothing() {
    let s = Scratch::new();
    s.write("0001-base.json", BASE);
    s.container(&["--examine"]).assert().success();
    assert!(!s.dir.path().join("state").exists());
}
