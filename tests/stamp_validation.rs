//! `waybill stamp` writes only records that `container record` files.
//!
//! Before, stamp wrote records the in-image tool then refused: a build
//! time in the year 10000, metadata over 1 MiB or nested past the JSON
//! reader's limit, a project name too long to be a file name. Stamp now
//! runs the record it built through the record reader before writing it,
//! so both programs refuse the same records with the same reason.
//!
//! The cases here run the real `waybill` and `container` binaries, each
//! with a timeout, in git repositories made by the test. A property test
//! at the library level (many cases, fast) and one through the binaries
//! (a few cases) check the promise on generated input.

// The `waybill` binary needs the `host` feature.
#![cfg(feature = "host")]

use assert_cmd::Command;
use proptest::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;
use waybill::host::cli::{Cli, Command as Sub};
use waybill::host::env::Env;
use waybill::host::stamp::build_time::Clock;
use waybill::host::stamp::git::GitFacts;
use waybill::record::{Record, MAX_DEPTH, MAX_PROJECT_CHARS};
use waybill::stack::{record_file_name, MAX_FILE_NAME_BYTES};

/// Generous: machines are noisy; a hung binary still fails the test.
const PATIENCE: Duration = Duration::from_secs(30);

/// A fixed SOURCE_DATE_EPOCH, so the clock plays no part.
const EPOCH: (&str, &str) = ("SOURCE_DATE_EPOCH", "1427695330");

/// A git work tree with one commit, a metadata directory for
/// `container record` and room for input files.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let scratch = Scratch {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        };
        fs::create_dir(scratch.repo()).expect("create the work tree");
        fs::write(scratch.repo().join("README"), "hello\n").expect("write a file");
        for args in [
            &["init", "-q", "-b", "main"][..],
            &["add", "-A"],
            &["commit", "-q", "-m", "first"],
        ] {
            scratch.git(args);
        }
        scratch
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    #[track_caller]
    fn git(&self, args: &[&str]) {
        Command::new("git")
            .args(args)
            .current_dir(self.repo())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .timeout(PATIENCE)
            .assert()
            .success();
    }

    /// `waybill stamp ARGS` in the work tree, with only `env` set.
    fn stamp(&self, args: &[&str], env: &[(&str, &str)]) -> Finished {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waybill"));
        cmd.arg("stamp")
            .args(args)
            .current_dir(self.repo())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .envs(env.iter().copied())
            .timeout(PATIENCE);
        Finished::of(format!("waybill stamp {args:?} with {env:?}"), &mut cmd)
    }

    /// `container record FILE` into this scratch's metadata directory.
    fn record(&self, file: &Path) -> Finished {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_container"));
        cmd.env_clear()
            .env("CONTAINER_META_DIR", self.file("meta"))
            .env("CONTAINER_STATE_DIR", self.file("state"))
            .arg("record")
            .arg(file)
            .timeout(PATIENCE);
        Finished::of(format!("container record {}", file.display()), &mut cmd)
    }

    /// Stamps with `args` to a file and files that with `container
    /// record`; both must succeed.
    #[track_caller]
    fn stamp_and_file(&self, args: &[&str], env: &[(&str, &str)]) {
        let output = self.file("waybill.json");
        let out = output.to_str().unwrap();
        let mut all = args.to_vec();
        all.extend(["--output", out]);
        self.stamp(&all, env).code(0);
        self.record(&output).code(0);
    }
}

/// A finished run, kept with its command line so failures show all.
struct Finished {
    command: String,
    output: Output,
}

impl Finished {
    fn of(command: String, cmd: &mut Command) -> Finished {
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("failed to run {command}: {e}"));
        Finished { command, output }
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    #[track_caller]
    fn code(&self, code: i32) -> &Finished {
        assert_eq!(
            self.output.status.code(),
            Some(code),
            "{}\nstdout:\n{}\nstderr:\n{}",
            self.command,
            String::from_utf8_lossy(&self.output.stdout),
            self.stderr()
        );
        self
    }

    #[track_caller]
    fn mentions(&self, needle: &str) -> &Finished {
        assert!(
            self.stderr().contains(needle),
            "{}: stderr does not mention {needle:?}:\n{}",
            self.command,
            self.stderr()
        );
        self
    }
}

/// `{"a":{"a":…1…}}` with `levels` objects.
fn nested_objects(levels: usize) -> String {
    format!("{}1{}", r#"{"a":"#.repeat(levels), "}".repeat(levels))
}

/// The reason both programs give for `user_metadata` nested in
/// [`nested_objects`] past the limit: the record is level 1 and
/// `user_metadata` level 2, so the object at fault is MAX_DEPTH - 1
/// keys further down.
fn too_deep_reason() -> String {
    format!(
        "field `user_metadata`: nested deeper than {MAX_DEPTH} levels at `user_metadata{}`",
        ".a".repeat(MAX_DEPTH - 1)
    )
}

// Regression: SOURCE_DATE_EPOCH in the year 10000 was stamped as
// `"build_time": "10000-01-01 00:00:00"`, which `container record` refused.
#[test]
fn source_date_epoch_after_year_9999_is_refused() {
    let s = Scratch::new();
    s.stamp(
        &["--project", "web"],
        &[("SOURCE_DATE_EPOCH", "253402300800")],
    )
    .code(65)
    .mentions("SOURCE_DATE_EPOCH")
    .mentions("9999-12-31 23:59:59");
}

#[test]
fn the_last_second_of_year_9999_is_stamped_and_filed() {
    Scratch::new().stamp_and_file(
        &["--project", "web"],
        &[("SOURCE_DATE_EPOCH", "253402300799")],
    );
}

// Regression: a 2 MiB --meta-json was read whole and stamped into a
// record over the 1 MiB limit.
#[test]
fn meta_json_over_the_record_limit_is_refused_without_writing() {
    let s = Scratch::new();
    let meta = s.file("meta.json");
    fs::write(&meta, format!(r#"{{"blob":"{}"}}"#, "x".repeat(2 << 20))).unwrap();
    let output = s.file("waybill.json");
    s.stamp(
        &[
            "--project",
            "web",
            "--meta-json",
            meta.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ],
        &[EPOCH],
    )
    .code(65)
    .mentions("1 MiB");
    assert!(!output.exists(), "a refused stamp wrote its output");
}

#[test]
fn metadata_that_fits_alone_but_not_in_the_record_gets_the_records_reason() {
    let s = Scratch::new();
    let meta = s.file("meta.json");
    // Under 1 MiB itself; the record around it goes over.
    fs::write(
        &meta,
        format!(r#"{{"blob":"{}"}}"#, "x".repeat((1 << 20) - 20)),
    )
    .unwrap();
    s.stamp(
        &["--project", "web", "--meta-json", meta.to_str().unwrap()],
        &[EPOCH],
    )
    .code(65)
    .mentions("over the 1 MiB limit");
}

// Regression: 127 levels parsed alone, but the stamped record nested them
// one level further, past serde_json's limit of 128, and `container
// record` refused it as broken JSON.
#[test]
fn meta_json_nested_127_levels_is_refused_with_the_reason_record_gives() {
    let s = Scratch::new();
    let meta = s.file("meta.json");
    fs::write(&meta, nested_objects(127)).unwrap();
    s.stamp(
        &["--project", "web", "--meta-json", meta.to_str().unwrap()],
        &[EPOCH],
    )
    .code(65)
    .mentions("--meta-json")
    .mentions(&too_deep_reason());

    let record = s.file("deep.json");
    fs::write(
        &record,
        format!(
            r#"{{"project":"web","user_metadata":{}}}"#,
            nested_objects(127)
        ),
    )
    .unwrap();
    s.record(&record).code(65).mentions(&too_deep_reason());
}

#[test]
fn dotted_meta_keys_nested_past_the_limit_are_refused_with_the_records_reason() {
    let key = vec!["a"; MAX_DEPTH].join(".");
    Scratch::new()
        .stamp(
            &["--project", "web", "--meta", &format!("{key}=v")],
            &[EPOCH],
        )
        .code(65)
        .mentions("container record")
        .mentions(&too_deep_reason());
}

#[test]
fn metadata_at_the_depth_limit_is_stamped_and_filed() {
    let s = Scratch::new();
    let meta = s.file("meta.json");
    // user_metadata is level 2: it may hold MAX_DEPTH - 1 objects.
    fs::write(&meta, nested_objects(MAX_DEPTH - 1)).unwrap();
    s.stamp_and_file(
        &["--project", "web", "--meta-json", meta.to_str().unwrap()],
        &[EPOCH],
    );
}

// Regression: serde_json kept the last of two equal keys in --meta-json
// without a word.
#[test]
fn meta_json_with_a_duplicate_key_is_refused_naming_it() {
    let s = Scratch::new();
    let meta = s.file("meta.json");
    fs::write(&meta, r#"{"team":{"email":"a@x","email":"b@x"}}"#).unwrap();
    s.stamp(
        &["--project", "web", "--meta-json", meta.to_str().unwrap()],
        &[EPOCH],
    )
    .code(65)
    .mentions("duplicate key `user_metadata.team.email`");
}

// Regression: a project of 246 characters was stamped, and `container
// record` could then not create its file (name over 255 bytes).
#[test]
fn project_name_too_long_to_file_is_refused_with_the_reason_record_gives() {
    let s = Scratch::new();
    let project = "p".repeat(MAX_PROJECT_CHARS + 1);
    let reason = format!(
        "field `project`: is {} characters long",
        MAX_PROJECT_CHARS + 1
    );
    for format in ["json", "labels", "build-args"] {
        s.stamp(&["--project", &project, "--format", format], &[EPOCH])
            .code(65)
            .mentions(&reason);
    }
    let record = s.file("long.json");
    fs::write(&record, format!(r#"{{"project":"{project}"}}"#)).unwrap();
    s.record(&record).code(65).mentions(&reason);
}

#[test]
fn project_name_at_the_limit_is_stamped_and_filed() {
    Scratch::new().stamp_and_file(&["--project", &"p".repeat(MAX_PROJECT_CHARS)], &[EPOCH]);
}

#[test]
fn nul_byte_in_a_method_argument_is_a_usage_error() {
    Scratch::new()
        .stamp(
            &[
                "--project",
                "web",
                "--start-method",
                r#"["/bin/x","a\u0000b"]"#,
            ],
            &[EPOCH],
        )
        .code(64)
        .mentions("NUL");
}

// Regression: an scp-like remote with a password,
// `user:SECRET@github.com:o/r.git`, was stamped as
// `https://user/SECRET@github.com:o/r`.
#[test]
fn password_in_an_scp_like_remote_never_reaches_the_record_or_labels() {
    let s = Scratch::new();
    s.git(&["remote", "add", "origin", "user:SECRET@github.com:o/r.git"]);
    for format in ["json", "labels"] {
        let run = s.stamp(&["--project", "web", "--format", format], &[EPOCH]);
        run.code(0);
        let stdout = String::from_utf8_lossy(&run.output.stdout).into_owned();
        assert!(!stdout.contains("SECRET"), "{stdout}");
        assert!(stdout.contains("https://github.com/o/r"), "{stdout}");
    }
}

#[test]
fn build_url_keeps_no_credentials_and_non_urls_are_left_out() {
    let s = Scratch::new();
    for (build_url, expected) in [
        (
            "https://user:pa@SECRET@ci.example/job/web/1/",
            Some("https://ci.example/job/web/1/"),
        ),
        ("https://user:SE/CRET@ci.example/job/web/1/", None),
        // Regression: text that is not a URL was kept from its last `@`.
        ("user:SECRET@ci.example/job/web/1/", None),
        ("SECRET", None),
    ] {
        let run = s.stamp(
            &["--project", "web"],
            &[
                EPOCH,
                ("JENKINS_URL", "https://ci.example/"),
                ("BUILD_URL", build_url),
            ],
        );
        run.code(0);
        let stdout = String::from_utf8_lossy(&run.output.stdout).into_owned();
        assert!(
            !stdout.contains("SECRET") && !stdout.contains("CRET"),
            "{stdout}"
        );
        let record: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(record["ci_system"], "jenkins", "{stdout}");
        assert_eq!(
            record.get("build_url").and_then(|u| u.as_str()),
            expected,
            "{build_url}"
        );
    }
}

// --- Property: whatever stamp accepts, `container record` accepts. -----

/// SOURCE_DATE_EPOCH values: small, around the limits, huge, malformed.
fn epochs() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0i64..4_000_000_000).prop_map(|n| n.to_string()),
        2 => (253_402_300_700i64..253_402_300_900).prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => Just(String::new()),
        1 => "[-+ .e0-9a-z]{1,12}",
    ]
}

/// Names: short and long, any Unicode, control characters included (the
/// command line refuses those, which counts as refusing).
fn names() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z][a-z0-9._/-]{0,20}",
        3 => "\\PC{1,40}",
        1 => ".{0,40}",
        2 => "[a-z]{230,250}",
        1 => "\\PC{230,250}",
    ]
}

/// `--meta` pairs: dotted keys, sometimes deep, any values.
fn metas() -> impl Strategy<Value = Vec<String>> {
    let key = prop_oneof![
        4 => "[a-z]{1,8}(\\.[a-z]{1,8}){0,3}",
        1 => (1usize..80).prop_map(|n| vec!["k"; n].join(".")),
        2 => "\\PC{1,10}",
    ];
    prop::collection::vec((key, ".{0,30}"), 0..4)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
}

/// Method flags: paths, argv arrays (as JSON) with any strings, NULs.
fn methods() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        3 => "/[a-z/]{1,20}",
        1 => ".{0,20}",
        3 => prop::collection::vec(".{0,12}", 1..4)
            .prop_map(|argv| serde_json::to_string(&argv).unwrap()),
        1 => Just(r#"["/bin/x","\u0000"]"#.to_owned()),
    ])
}

/// `--meta-json` content: objects of various depths, duplicates, junk.
fn meta_jsons() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        2 => (1usize..140).prop_map(nested_objects),
        1 => Just(r#"{"a":1,"a":2}"#.to_owned()),
        4 => prop::collection::btree_map("\\PC{1,8}", ".{0,20}", 0..5)
            .prop_map(|m| serde_json::to_string(&m).unwrap()),
        1 => ".{0,20}",
    ])
}

#[derive(Debug, Clone)]
struct Inputs {
    project: String,
    image_name: Option<String>,
    tags: Vec<String>,
    start_method: Option<String>,
    update_method: Option<String>,
    metas: Vec<String>,
    meta_json: Option<String>,
    epoch: String,
}

fn inputs() -> impl Strategy<Value = Inputs> {
    (
        names(),
        prop::option::of(names()),
        prop::collection::vec(names(), 0..3),
        methods(),
        methods(),
        metas(),
        meta_jsons(),
        epochs(),
    )
        .prop_map(
            |(project, image_name, tags, start_method, update_method, metas, meta_json, epoch)| {
                Inputs {
                    project,
                    image_name,
                    tags,
                    start_method,
                    update_method,
                    metas,
                    meta_json,
                    epoch,
                }
            },
        )
}

impl Inputs {
    /// The `waybill stamp` arguments; `meta_json` names the file holding
    /// [`Inputs::meta_json`].
    fn args(&self, meta_json: &Path) -> Vec<String> {
        let mut args = vec!["--project".to_owned(), self.project.clone()];
        let mut flag = |name: &str, value: &str| {
            args.push(format!("--{name}"));
            args.push(value.to_owned());
        };
        if let Some(name) = &self.image_name {
            flag("image-name", name);
        }
        for tag in &self.tags {
            flag("tag", tag);
        }
        if let Some(m) = &self.start_method {
            flag("start-method", m);
        }
        if let Some(m) = &self.update_method {
            flag("update-method", m);
        }
        for meta in &self.metas {
            flag("meta", meta);
        }
        if self.meta_json.is_some() {
            flag("meta-json", meta_json.to_str().unwrap());
        }
        args
    }

    /// A command line can't carry a NUL byte: such inputs are refused
    /// before stamp sees them, as the shell would.
    fn fits_a_command_line(&self) -> bool {
        !self.args(Path::new("m")).iter().any(|a| a.contains('\0')) && !self.epoch.contains('\0')
    }
}

struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        1_427_695_330
    }
}

fn git_facts() -> GitFacts {
    GitFacts {
        workdir: PathBuf::from("/src"),
        head: "a".repeat(40),
        head_short: "aaaaaaa".into(),
        branch: Some("main".into()),
        tags: vec!["v1".into()],
        describe: Some("v1".into()),
        dirty: false,
        commit_time: 1_427_695_000,
        shallow: false,
        source_url: Some("https://git.example/o/r".into()),
    }
}

/// Asserts what every accepted stamp must satisfy: `container record`
/// reads it back unchanged, and can file it under a legal file name.
fn assert_fileable(record: &Record, text: &str) -> Result<(), TestCaseError> {
    match Record::from_slice(text.as_bytes()) {
        Ok(read) => prop_assert_eq!(&read, record),
        Err(e) => prop_assert!(false, "stamped record refused: {}", e),
    }
    let name = record_file_name(u32::MAX, &record.project);
    prop_assert!(name.len() <= MAX_FILE_NAME_BYTES, "{}", name);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// At the library level: the command line is parsed by the real clap
    /// definition, the record built by the real stamp code, with git
    /// facts and the clock fixed.
    #[test]
    fn every_stamp_is_refused_or_filed(inputs in inputs()) {
        prop_assume!(inputs.fits_a_command_line());
        let dir = tempfile::tempdir().unwrap();
        let meta_json = dir.path().join("meta.json");
        if let Some(text) = &inputs.meta_json {
            fs::write(&meta_json, text).unwrap();
        }
        let mut argv = vec!["waybill".to_owned(), "stamp".to_owned()];
        argv.extend(inputs.args(&meta_json));
        let args = match clap::Parser::try_parse_from(argv) {
            Ok(Cli { command: Sub::Stamp(args) }) => args,
            Ok(other) => panic!("`waybill stamp` parsed as another command: {other:?}"),
            // clap refuses: exit 64.
            Err(_) => return Ok(()),
        };
        let env: Env = [("SOURCE_DATE_EPOCH", inputs.epoch.as_str())].into_iter().collect();
        match waybill::host::stamp::stamp_with(&args.request(), &env, &FixedClock, |_| Ok(git_facts())) {
            Ok(stamped) => assert_fileable(&stamped.record, &stamped.text)?,
            Err(e) => prop_assert!(
                [64, 65].contains(&e.exit_code()),
                "refused with {}: {e}",
                e.exit_code()
            ),
        }
    }
}

proptest! {
    // Each case runs two processes and makes a git repository: few cases.
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// The same promise through the real binaries: a stamp that exits 0
    /// is filed by `container record`; otherwise stamp exits 64 or 65.
    #[test]
    fn binaries_stamp_only_what_container_record_files(inputs in inputs()) {
        prop_assume!(inputs.fits_a_command_line());
        let s = Scratch::new();
        let meta_json = s.file("meta.json");
        if let Some(text) = &inputs.meta_json {
            fs::write(&meta_json, text).unwrap();
        }
        let output = s.file("waybill.json");
        let mut args = inputs.args(&meta_json);
        args.extend(["--output".to_owned(), output.to_str().unwrap().to_owned()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let stamp = s.stamp(&args, &[("SOURCE_DATE_EPOCH", &inputs.epoch)]);
        match stamp.output.status.code() {
            Some(0) => {
                s.record(&output).code(0);
            }
            Some(64 | 65) => prop_assert!(!output.exists()),
            other => prop_assert!(false, "stamp exited {other:?}: {}", stamp.stderr()),
        }
    }
}
