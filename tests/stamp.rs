//! `waybill stamp` against real git repositories, outside any CI system.
//!
//! Every test makes its repository with the git CLI in a temporary
//! directory and runs the real binary with an emptied environment.

// The `waybill` binary needs the `host` feature.
#![cfg(feature = "host")]

mod stamp_support;

use serde_json::{json, Value};
use stamp_support::{container, field, git_in, run_tool, stamp, Repo, EPOCH};
use std::fs;

#[test]
fn stamps_head_branch_and_commit_time_on_a_normal_branch() {
    let repo = Repo::new();
    let record = stamp(repo.path(), &["--project", "demo"], &[EPOCH]).json();
    assert_eq!(record["schema_version"], json!(1));
    assert_eq!(record["project"], json!("demo"));
    assert_eq!(record["gitref"], json!(repo.head()));
    assert_eq!(record["git_branch"], json!("main"));
    assert_eq!(record["git_dirty"], json!(false));
    assert_eq!(record["git_shallow"], json!(false));
    assert_eq!(record["ci"], json!(false));
    assert_eq!(field(&record, "ci_system"), &Value::Null);
    let commit_time: i64 = repo.git(&["log", "-1", "--format=%ct"]).parse().unwrap();
    assert_eq!(record["git_commit_time_stamp"], json!(commit_time));
}

#[test]
fn stamps_from_a_subdirectory_of_the_work_tree() {
    let repo = Repo::new();
    repo.write("sub/dir/file", "x\n");
    repo.commit("sub");
    let sub = repo.path().join("sub/dir");
    let record = stamp(&sub, &["--project", "demo"], &[]).json();
    assert_eq!(record["gitref"], json!(repo.head()));
}

#[test]
fn detached_head_has_no_branch() {
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "--detach"]);
    let record = stamp(repo.path(), &["--project", "demo"], &[]).json();
    assert_eq!(record["gitref"], json!(repo.head()));
    assert_eq!(field(&record, "git_branch"), &Value::Null, "{record}");
}

#[test]
fn shallow_clone_is_flagged_and_a_local_remote_has_no_source_url() {
    let origin = Repo::new();
    origin.write("second", "2\n");
    origin.commit("second");
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    git_in(
        parent.path(),
        &["clone", "-q", "--depth", "1", &url, "clone"],
    );
    let clone = parent.path().join("clone");

    let record = stamp(&clone, &["--project", "demo"], &[]).json();
    assert_eq!(record["git_shallow"], json!(true));
    assert_eq!(record["gitref"], json!(origin.head()));
    assert_eq!(field(&record, "source_url"), &Value::Null, "{record}");

    let full = stamp(origin.path(), &["--project", "demo"], &[]).json();
    assert_eq!(full["git_shallow"], json!(false));
}

#[test]
fn tracked_changes_and_untracked_files_make_the_tree_dirty() {
    let repo = Repo::new();
    repo.write("README", "changed\n");
    let record = stamp(repo.path(), &["--project", "demo"], &[]).json();
    assert_eq!(record["git_dirty"], json!(true), "modified tracked file");

    repo.git(&["checkout", "-q", "--", "README"]);
    repo.write("new/untracked.txt", "x\n");
    let record = stamp(repo.path(), &["--project", "demo"], &[]).json();
    assert_eq!(record["git_dirty"], json!(true), "untracked file");
}

#[test]
fn ignored_files_do_not_make_the_tree_dirty() {
    let repo = Repo::new();
    repo.write(".gitignore", "*.log\nbuild/\n");
    repo.commit("ignore");
    repo.write("debug.log", "noise\n");
    repo.write("build/out.bin", "noise\n");
    let record = stamp(repo.path(), &["--project", "demo"], &[]).json();
    assert_eq!(record["git_dirty"], json!(false), "{record}");
}

#[test]
fn the_output_file_itself_does_not_make_the_tree_dirty() {
    let repo = Repo::new();
    for output in ["waybill.json", "docker/waybill.json"] {
        fs::create_dir_all(repo.path().join("docker")).unwrap();
        // Twice: the second run finds the first run's file, untracked and
        // not ignored, already in the tree.
        for _ in 0..2 {
            stamp(repo.path(), &["--project", "demo", "--output", output], &[]).ok();
            let text = fs::read_to_string(repo.path().join(output)).unwrap();
            let record: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(record["git_dirty"], json!(false), "{output}: {record}");
        }
        fs::remove_file(repo.path().join(output)).unwrap();
    }
    // Another untracked file still counts.
    repo.write("other.json", "{}\n");
    stamp(
        repo.path(),
        &["--project", "demo", "--output", "waybill.json"],
        &[],
    )
    .ok();
    let text = fs::read_to_string(repo.path().join("waybill.json")).unwrap();
    assert!(text.contains("\"git_dirty\": true"), "{text}");
}

#[test]
fn tags_at_head_and_describe() {
    let repo = Repo::new();
    let record = stamp(repo.path(), &["--project", "demo"], &[]).json();
    let head = repo.head();
    let describe = record["git_describe"].as_str().unwrap().to_owned();
    assert!(
        describe.len() >= 7 && head.starts_with(&describe),
        "without tags, describe is the abbreviated commit: {record}"
    );
    assert_eq!(record["git_tags"], json!([]));

    repo.git(&["tag", "-a", "v1.0", "-m", "release 1.0"]);
    repo.git(&["tag", "latest"]);
    let record = stamp(repo.path(), &["--project", "demo"], &[]).json();
    assert_eq!(record["git_tags"], json!(["latest", "v1.0"]));
    let describe = record["git_describe"].as_str().unwrap();
    assert!(["v1.0", "latest"].contains(&describe), "{record}");

    repo.write("more", "x\n");
    repo.commit("after the tag");
    let record = stamp(repo.path(), &["--project", "demo"], &[]).json();
    assert_eq!(record["git_tags"], json!([]));
    let describe = record["git_describe"].as_str().unwrap();
    let short = repo.git(&["rev-parse", "--short=7", "HEAD"]);
    assert!(
        describe.ends_with(&format!("-1-g{short}")),
        "describe {describe} should be TAG-1-g{short}"
    );
}

#[test]
fn credentials_in_the_remote_url_are_stripped_everywhere() {
    let repo = Repo::new();
    let token = "glpat-s3cr3tT0k3nValue";
    let url = format!("https://gitlab-ci-token:{token}@gitlab.example/group/app.git");
    repo.git(&["remote", "add", "origin", &url]);
    for format in ["json", "labels", "build-args"] {
        let run = stamp(repo.path(), &["--project", "demo", "--format", format], &[]);
        let out = run.ok();
        if out.contains(token) || run.stderr().contains(token) {
            run.explain("the token leaked into the output");
        }
        assert!(
            out.contains("https://gitlab.example/group/app"),
            "{format}: {out}"
        );
    }
}

#[test]
fn remote_urls_become_web_urls() {
    let repo = Repo::new();
    repo.git(&["remote", "add", "origin", "https://example.invalid/x.git"]);
    for (remote, web) in [
        (
            "git@github.com:owner/repo.git",
            "https://github.com/owner/repo",
        ),
        (
            "ssh://git@host.example:22/team/x",
            "https://host.example/team/x",
        ),
        (
            "https://user:pw@host.example/x.git",
            "https://host.example/x",
        ),
    ] {
        repo.git(&["remote", "set-url", "origin", remote]);
        let record = stamp(repo.path(), &["--project", "demo"], &[]).json();
        assert_eq!(record["source_url"], json!(web), "{remote}");
    }
}

#[test]
fn the_first_remote_is_used_when_there_is_no_origin() {
    let repo = Repo::new();
    repo.git(&["remote", "add", "upstream", "git@host.example:team/app.git"]);
    let record = stamp(repo.path(), &["--project", "demo"], &[]).json();
    assert_eq!(record["source_url"], json!("https://host.example/team/app"));
}

#[test]
fn source_date_epoch_sets_the_build_time() {
    let repo = Repo::new();
    let record = stamp(repo.path(), &["--project", "demo"], &[EPOCH]).json();
    assert_eq!(record["build_time"], json!("2015-03-30 06:02:10"));
    assert_eq!(record["build_time_stamp"], json!(1427695330));
    let labels = stamp(
        repo.path(),
        &["--project", "demo", "--format", "labels"],
        &[EPOCH],
    )
    .ok();
    assert!(
        labels
            .lines()
            .any(|l| l == "--label=org.opencontainers.image.created=2015-03-30T06:02:10Z"),
        "{labels}"
    );
}

#[test]
fn without_source_date_epoch_the_clock_is_used() {
    let repo = Repo::new();
    let record = stamp(repo.path(), &["--project", "demo"], &[]).json();
    let stamp_time = record["build_time_stamp"].as_i64().unwrap();
    // Not a timing assertion: only that the clock, not 1970 or the
    // commit, was read.
    assert!(stamp_time > 1_600_000_000, "{record}");
}

#[test]
fn malformed_source_date_epoch_is_a_data_error_naming_the_variable() {
    let repo = Repo::new();
    for bad in ["yesterday", "-5", "1.5", "12 "] {
        stamp(
            repo.path(),
            &["--project", "demo"],
            &[("SOURCE_DATE_EPOCH", bad)],
        )
        .fails(65, "SOURCE_DATE_EPOCH");
    }
}

#[test]
fn repository_owned_by_another_uid_is_still_read() {
    let uid = run_tool(std::process::Command::new("id").arg("-u"));
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!("SKIPPED repository_owned_by_another_uid_is_still_read: needs root to chown");
        return;
    }
    let repo = Repo::new();
    let head = repo.head();
    let chown = run_tool(
        std::process::Command::new("chown")
            .args(["-R", "12345:12345"])
            .arg(repo.path()),
    );
    assert!(
        chown.status.success(),
        "chown failed: {}",
        String::from_utf8_lossy(&chown.stderr)
    );
    let record = stamp(repo.path(), &["--project", "demo"], &[]).json();
    assert_eq!(record["gitref"], json!(head));
    assert_eq!(record["git_dirty"], json!(false));
}

#[test]
fn labels_format_is_one_docker_argument_per_line() {
    let repo = Repo::new();
    repo.git(&["tag", "v3.1"]);
    repo.git(&["remote", "add", "origin", "git@git.example:team/app.git"]);
    let args = ["--project", "demo", "--format", "labels"];
    let out = stamp(repo.path(), &args, &[EPOCH]).ok();
    let mut labels = std::collections::BTreeMap::new();
    for line in out.lines() {
        let rest = line
            .strip_prefix("--label=")
            .unwrap_or_else(|| panic!("line is not --label=: {line}\n{out}"));
        let (key, value) = rest.split_once('=').expect("KEY=VALUE");
        labels.insert(key.to_owned(), value.to_owned());
    }
    assert_eq!(labels["org.opencontainers.image.revision"], repo.head());
    assert_eq!(labels["org.opencontainers.image.version"], "v3.1");
    assert_eq!(labels["org.opencontainers.image.title"], "demo");
    assert_eq!(
        labels["org.opencontainers.image.source"],
        "https://git.example/team/app"
    );
    assert_eq!(
        labels["org.opencontainers.image.created"],
        "2015-03-30T06:02:10Z"
    );

    let record = stamp(repo.path(), &["--project", "demo"], &[EPOCH]).json();
    let stack: Value = serde_json::from_str(&labels["io.waybill.stack"]).unwrap();
    assert_eq!(stack, json!([record.clone()]));
    let own: Value = serde_json::from_str(&labels["io.waybill.record"]).unwrap();
    assert_eq!(own, record);
}

#[test]
fn build_args_format_names_the_documented_args() {
    let repo = Repo::new();
    let args = ["--project", "demo", "--format", "build-args"];
    let out = stamp(repo.path(), &args, &[EPOCH]).ok();
    let names: Vec<&str> = out
        .lines()
        .map(|l| {
            let rest = l.strip_prefix("--build-arg=").expect("--build-arg= line");
            rest.split_once('=').expect("NAME=VALUE").0
        })
        .collect();
    assert_eq!(
        names,
        [
            "WAYBILL_CREATED",
            "WAYBILL_REVISION",
            "WAYBILL_SOURCE",
            "WAYBILL_URL",
            "WAYBILL_VERSION",
            "WAYBILL_TITLE",
            "WAYBILL_DESCRIPTION",
            "WAYBILL_LICENSES",
            "WAYBILL_STACK",
            "WAYBILL_RECORD"
        ]
    );
}

#[test]
fn names_tags_methods_timeouts_and_validate_are_recorded() {
    let repo = Repo::new();
    let record = stamp(
        repo.path(),
        &[
            "--project",
            "web",
            "--image-name",
            "registry.example/web",
            "--tag",
            "1.0",
            "--tag",
            "latest",
            "--start-method",
            r#"["/usr/sbin/httpd", "-f", "-p", "8080"]"#,
            "--update-method",
            "/srv/bin/update with spaces",
            "--validate-method",
            "/srv/bin/validate",
            "--monitor-method",
            r#"["/srv/bin/check","--nagios"]"#,
            "--metrics-method",
            "/srv/bin/metrics",
            "--update-timeout",
            "600",
            "--validate-timeout",
            "30",
            "--monitor-timeout",
            "10",
            "--metrics-timeout",
            "5",
            "--validate",
        ],
        &[],
    )
    .json();
    assert_eq!(record["image_name"], json!("registry.example/web"));
    assert_eq!(record["image_tag_names"], json!(["1.0", "latest"]));
    assert_eq!(
        record["start_method"],
        json!(["/usr/sbin/httpd", "-f", "-p", "8080"])
    );
    assert_eq!(
        record["update_method"],
        json!("/srv/bin/update with spaces")
    );
    assert_eq!(
        record["monitor_method"],
        json!(["/srv/bin/check", "--nagios"])
    );
    assert_eq!(record["update_timeout"], json!(600));
    assert_eq!(record["metrics_timeout"], json!(5));
    assert_eq!(record["validate"], json!(true));
}

#[test]
fn bad_flag_values_are_usage_errors() {
    let repo = Repo::new();
    for args in [
        vec!["--project", "demo", "--start-method", "[1]"],
        vec!["--project", "demo", "--start-method", "[not json"],
        vec!["--project", "demo", "--update-timeout", "0"],
        vec!["--project", "demo", "--update-timeout", "soon"],
        vec!["--project", ""],
        vec!["--project", "two\nlines"],
        vec!["--project", "demo", "--meta", "novalue"],
        vec!["--project", "demo", "--format", "yaml"],
        vec!["--image-name", "no-project"],
    ] {
        let run = stamp(repo.path(), &args, &[]);
        if run.code() != Some(64) {
            run.explain("expected exit 64");
        }
    }
}

#[test]
fn meta_flags_and_meta_json_fill_user_metadata() {
    let repo = Repo::new();
    let file = repo.path().join("meta.json");
    fs::write(&file, r#"{"team": "web", "n": 3, "owner": {"name": "A"}}"#).unwrap();
    let record = stamp(
        repo.path(),
        &[
            "--project",
            "demo",
            "--meta-json",
            "meta.json",
            "--meta",
            "owner.email=a@example.com",
            "--meta",
            "team=ops",
        ],
        &[],
    )
    .json();
    assert_eq!(
        record["user_metadata"],
        json!({"team": "ops", "n": 3, "owner": {"name": "A", "email": "a@example.com"}})
    );
}

#[test]
fn meta_json_problems_have_their_own_exit_codes() {
    let repo = Repo::new();
    let args = |file: &'static str| ["--project", "demo", "--meta-json", file];
    stamp(repo.path(), &args("missing.json"), &[]).fails(66, "missing.json");
    fs::write(repo.path().join("list.json"), "[1]").unwrap();
    stamp(repo.path(), &args("list.json"), &[]).fails(65, "expected a JSON object");
    fs::write(repo.path().join("broken.json"), "{").unwrap();
    stamp(repo.path(), &args("broken.json"), &[]).fails(65, "broken.json");
    stamp(
        repo.path(),
        &["--project", "demo", "--meta", "a=1", "--meta", "a.b=2"],
        &[],
    )
    .fails(64, "`a`");
}

#[test]
fn a_missing_directory_or_a_non_repository_is_no_input() {
    let dir = tempfile::tempdir().unwrap();
    stamp(dir.path(), &["--project", "demo", "--repo", "nope"], &[]).fails(66, "does not exist");
    stamp(dir.path(), &["--project", "demo"], &[]).fails(66, "not inside a git work tree");
}

#[test]
fn output_file_holds_what_stdout_would_and_unwritable_output_is_cantcreat() {
    let repo = Repo::new();
    let out_dir = tempfile::tempdir().unwrap();
    let path = out_dir.path().join("waybill.json");
    let path_arg = path.to_str().unwrap();
    let printed = stamp(repo.path(), &["--project", "demo"], &[EPOCH]).ok();
    let written = stamp(
        repo.path(),
        &["--project", "demo", "--output", path_arg],
        &[EPOCH],
    );
    assert_eq!(written.ok(), "", "nothing on stdout with --output");
    assert_eq!(fs::read_to_string(&path).unwrap(), printed);

    let bad = out_dir.path().join("no/such/dir/waybill.json");
    stamp(
        repo.path(),
        &["--project", "demo", "--output", bad.to_str().unwrap()],
        &[],
    )
    .fails(73, "no/such/dir/waybill.json");
}

#[test]
fn stamped_record_round_trips_through_container_record() {
    let repo = Repo::new();
    repo.git(&["tag", "v1"]);
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("waybill.json");
    let meta_dir = work.path().join("metadata.d");
    fs::create_dir(&meta_dir).unwrap();
    stamp(
        repo.path(),
        &[
            "--project",
            "demo",
            "--start-method",
            r#"["/bin/sleep","1"]"#,
            "--meta",
            "a.b=c",
            "--output",
            file.to_str().unwrap(),
        ],
        &[EPOCH],
    )
    .ok();
    let stamped: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();

    let meta = meta_dir.to_str().unwrap();
    let file_arg = file.to_str().unwrap();
    container(work.path(), &["--meta-dir", meta, "record", file_arg]).ok();
    let shown = container(work.path(), &["--meta-dir", meta, "--metadata"]).json();
    for name in [
        "project",
        "gitref",
        "git_describe",
        "build_time",
        "start_method",
        "user_metadata",
    ] {
        assert_eq!(shown[name], stamped[name], "field {name}: {shown}");
    }
}
