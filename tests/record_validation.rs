//! `container record` refuses, at build time, every record the tool could
//! not use later: a NUL byte in a method, a duplicate key at any depth, a
//! `schema_version` of 0, JSON nested past the limit and a project name
//! too long to file. Each case runs the real binary on a file written by
//! the test and checks the exit code (65), the field or key named in the
//! message and that nothing was filed.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;
use waybill::record::{MAX_DEPTH, MAX_PROJECT_CHARS};

/// Generous: machines are noisy; a hung binary still fails the test.
const PATIENCE: Duration = Duration::from_secs(20);

/// A metadata directory and a record file to file into it.
struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    fn meta(&self) -> PathBuf {
        self.dir.path().join("meta")
    }

    /// Writes `body` as the record file to file.
    fn input(&self, body: &str) -> PathBuf {
        let path = self.dir.path().join("waybill.json");
        fs::write(&path, body).expect("write the record file");
        path
    }

    /// `container record FILE`, with a timeout.
    fn record(&self, file: &Path) -> assert_cmd::assert::Assert {
        Command::new(env!("CARGO_BIN_EXE_container"))
            .env_clear()
            .env("CONTAINER_META_DIR", self.meta())
            .env("CONTAINER_STATE_DIR", self.dir.path().join("state"))
            .arg("record")
            .arg(file)
            .timeout(PATIENCE)
            .assert()
    }

    /// Files `body` and asserts it is refused with 65, naming every
    /// needle, and that nothing was filed.
    #[track_caller]
    fn refuses(&self, body: &str, needles: &[&str]) {
        let input = self.input(body);
        let out = self.record(&input).code(65);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "stderr does not mention {needle:?}:\n{stderr}"
            );
        }
        assert_eq!(
            self.filed(),
            Vec::<String>::new(),
            "a refused record was filed"
        );
    }

    /// Files `body` and asserts it was accepted; returns the file names.
    #[track_caller]
    fn accepts(&self, body: &str) -> Vec<String> {
        let input = self.input(body);
        self.record(&input).success();
        self.filed()
    }

    fn filed(&self) -> Vec<String> {
        match fs::read_dir(self.meta()) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// `{"a":{"a":…}}` with `levels` objects, as JSON text.
fn nested_objects(levels: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(levels), "}".repeat(levels))
}

// Regression: a NUL byte in a method was accepted by `container record`
// and only failed (71) when the action ran.
#[test]
fn nul_byte_in_a_method_path_is_refused_at_record_time() {
    Scratch::new().refuses(
        r#"{"project":"web","start_method":"/srv/bin/start\u0000.sh"}"#,
        &["`start_method`", "NUL"],
    );
}

#[test]
fn nul_byte_in_a_method_argument_is_refused_naming_its_index() {
    Scratch::new().refuses(
        r#"{"project":"web","update_method":["/bin/update","--branch","ma\u0000in"]}"#,
        &["`update_method`", "argv element 2", "NUL"],
    );
}

// Regression: serde_json kept the last of two `project` keys, silently.
#[test]
fn duplicate_top_level_key_is_refused_naming_the_key() {
    Scratch::new().refuses(
        r#"{"project":"web","image_name":"a","project":"evil"}"#,
        &["duplicate key `project`"],
    );
}

#[test]
fn duplicate_unknown_field_is_refused_naming_the_key() {
    Scratch::new().refuses(
        r#"{"project":"web","owner":"a","owner":"b"}"#,
        &["duplicate key `owner`"],
    );
}

#[test]
fn duplicate_key_nested_in_user_metadata_is_refused_with_its_path() {
    Scratch::new().refuses(
        r#"{"project":"web","user_metadata":{"team":{"email":"a@x","email":"b@x"}}}"#,
        &[
            "`user_metadata`",
            "duplicate key `user_metadata.team.email`",
        ],
    );
}

#[test]
fn duplicate_key_nested_in_an_unknown_field_is_refused_with_its_path() {
    Scratch::new().refuses(
        r#"{"project":"web","extra":[{"k":1},{"k":2,"k":3}]}"#,
        &["duplicate key `extra[1].k`"],
    );
}

#[test]
fn the_same_key_in_sibling_objects_is_not_a_duplicate() {
    let filed = Scratch::new()
        .accepts(r#"{"project":"web","user_metadata":{"a":{"k":1},"b":{"k":2}},"k":3}"#);
    assert_eq!(filed, ["0001-web.json"]);
}

// Regression: `schema_version: 0` was accepted although versions start at 1.
#[test]
fn schema_version_zero_is_refused_naming_the_field() {
    Scratch::new().refuses(
        r#"{"schema_version":0,"project":"web"}"#,
        &["`schema_version`", "1 or more"],
    );
}

#[test]
fn nesting_up_to_the_depth_limit_is_filed() {
    // The record is level 1, so `user_metadata` may hold MAX_DEPTH - 1.
    let body = format!(
        r#"{{"project":"web","user_metadata":{}}}"#,
        nested_objects(MAX_DEPTH - 1)
    );
    assert_eq!(Scratch::new().accepts(&body), ["0001-web.json"]);
}

#[test]
fn nesting_past_the_depth_limit_is_refused_naming_the_field() {
    let body = format!(
        r#"{{"project":"web","user_metadata":{}}}"#,
        nested_objects(MAX_DEPTH)
    );
    Scratch::new().refuses(
        &body,
        &[
            "field `user_metadata`",
            &format!("nested deeper than {MAX_DEPTH} levels"),
            "`user_metadata.a.a.a",
        ],
    );
}

// Regression: 127 levels parsed on their own, but serde_json's limit of
// 128 made the stamped record unreadable; the record's own, lower limit
// now speaks first, in any field.
#[test]
fn deeply_nested_unknown_field_is_refused_by_the_depth_limit() {
    let body = format!(r#"{{"project":"web","extra":{}}}"#, nested_objects(127));
    Scratch::new().refuses(&body, &["nested deeper than", "`extra.a.a"]);
}

#[test]
fn nested_arrays_count_towards_the_depth_limit() {
    let body = format!(
        r#"{{"project":"web","start_method":{}"/bin/x"{}}}"#,
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    );
    Scratch::new().refuses(&body, &["`start_method`", "nested deeper than"]);
}

#[test]
fn project_name_at_the_length_limit_is_filed_within_255_bytes() {
    let project = "p".repeat(MAX_PROJECT_CHARS);
    let filed = Scratch::new().accepts(&format!(r#"{{"project":"{project}"}}"#));
    assert_eq!(filed.len(), 1);
    assert!(filed[0].len() <= 255, "{}", filed[0]);
}

// Regression: a project of 246 characters or more was accepted, then
// could not be filed: its file name was over 255 bytes.
#[test]
fn project_name_over_the_length_limit_is_refused() {
    let project = "p".repeat(MAX_PROJECT_CHARS + 1);
    Scratch::new().refuses(
        &format!(r#"{{"project":"{project}"}}"#),
        &["`project`", &MAX_PROJECT_CHARS.to_string()],
    );
}

#[test]
fn project_length_is_counted_in_characters_not_bytes() {
    // Each `é` becomes one `-` in the file name.
    let project = "é".repeat(MAX_PROJECT_CHARS);
    let filed = Scratch::new().accepts(&format!(r#"{{"project":"{project}"}}"#));
    assert_eq!(filed, ["0001-image.json"]);
}

#[test]
fn build_time_after_year_9999_is_refused() {
    Scratch::new().refuses(
        r#"{"project":"web","build_time":"10000-01-01 00:00:00"}"#,
        &["`build_time`"],
    );
}

// Regression: `container record FIFO` opened the FIFO and waited for a
// writer for ever; `container record /dev/zero` read until the size cap.
#[test]
fn a_fifo_or_a_device_given_as_the_record_is_refused_without_waiting() {
    let scratch = Scratch::new();
    let fifo = scratch.dir.path().join("record.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600))
        .expect("make a FIFO");
    for (input, kind) in [
        (fifo.as_path(), "a FIFO"),
        (Path::new("/dev/zero"), "a character device"),
    ] {
        let out = scratch.record(input).code(66);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            stderr.contains(&format!("it is {kind}, not a regular file")),
            "{stderr}"
        );
    }
    assert_eq!(scratch.filed(), Vec::<String>::new());
}
