//! The files `container` keeps, under concurrency, hostile contents and
//! misuse: record positions in the metadata directory, and the runtime
//! state file with its lock. Every run is the real binary with a timeout.

mod common;

use common::{describe, TestDir};
use nix::fcntl::{Flock, FlockArg};
use serde_json::{json, Value};
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Long enough for a loaded machine; a hung binary still fails the test.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Whether the tests run as root; tests that make device nodes need it.
fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Skips a test that needs root, loudly.
fn skip_unless_root(test: &str) -> bool {
    if is_root() {
        return false;
    }
    eprintln!("SKIPPED {test}: making a device node needs root");
    true
}

/// `container ARGS` with a timeout, for a finished result.
fn run(t: &TestDir, args: &[&str]) -> assert_cmd::assert::Assert {
    t.container().args(args).timeout(TIMEOUT).assert()
}

/// Positions of the files in `dir` whose name ends in `-<project>.json`.
fn position_of_project(dir: &Path, project: &str) -> Option<u32> {
    let suffix = format!("-{project}.json");
    fs::read_dir(dir).unwrap().find_map(|entry| {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let digits = name.strip_suffix(&suffix)?;
        digits.parse().ok()
    })
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Files a record for `project` with the real binary, in the background.
fn spawn_record(t: &TestDir, project: &str) -> std::process::Child {
    let input = t.file(&format!("in-{project}.json"));
    fs::write(&input, json!({ "project": project }).to_string()).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_container"));
    cmd.env("CONTAINER_META_DIR", t.meta_dir())
        .env("CONTAINER_STATE_DIR", t.state_dir())
        .arg("record")
        .arg(&input)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.spawn().expect("spawn container record")
}

/// Waits for a child with a deadline, killing it when the deadline passes.
fn finish(mut child: std::process::Child, what: &str) -> std::process::Output {
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("collect output");
            panic!("{what} hung\n{}", describe(&output));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("collect output")
}

// Regression: each writer took the highest position plus one, and
// `create_new` only collides on identical names, so two concurrent
// `container record` calls for different projects got the same position
// (14 of 30 trials). The race shows only sometimes; sixteen waves of
// twelve caught a filer without the lock in every one of six runs.
#[test]
fn concurrent_records_get_unique_positions_in_filing_order() {
    const WAVES: usize = 16;
    const PER_WAVE: usize = 12;
    let t = TestDir::new();
    let mut highest_before = 0;
    for wave in 0..WAVES {
        let projects: Vec<String> = (0..PER_WAVE).map(|i| format!("w{wave}-p{i}")).collect();
        let children: Vec<_> = projects.iter().map(|p| spawn_record(&t, p)).collect();
        for (child, project) in children.into_iter().zip(&projects) {
            let output = finish(child, &format!("container record for {project}"));
            assert!(
                output.status.success(),
                "record {project}\n{}",
                describe(&output)
            );
        }
        // Every record of this wave was filed after the previous wave had
        // finished, so each must sit above all of them.
        let positions: Vec<u32> = projects
            .iter()
            .map(|p| position_of_project(&t.meta_dir(), p).unwrap_or_else(|| panic!("{p} filed")))
            .collect();
        let lowest = *positions.iter().min().unwrap();
        assert!(
            lowest > highest_before,
            "wave {wave} got {positions:?}, not all above {highest_before}: {:?}",
            names_in(&t.meta_dir())
        );
        highest_before = *positions.iter().max().unwrap();
    }
    let mut all: Vec<u32> = names_in(&t.meta_dir())
        .iter()
        .map(|n| n.split('-').next().unwrap().parse().unwrap())
        .collect();
    all.sort_unstable();
    let expected: Vec<u32> = (1..=(WAVES * PER_WAVE) as u32).collect();
    assert_eq!(all, expected, "{:?}", names_in(&t.meta_dir()));
}

// Filers take turns through a lock on the directory; a stuck one must not
// stall a build for ever.
#[test]
fn record_gives_up_with_tempfail_when_another_filer_holds_the_directory() {
    let t = TestDir::new();
    let held = Flock::lock(
        fs::File::open(t.meta_dir()).unwrap(),
        FlockArg::LockExclusive,
    )
    .unwrap();
    let input = t.file("in.json");
    fs::write(&input, r#"{"project": "next"}"#).unwrap();
    run(&t, &["record", input.to_str().unwrap()])
        .code(75)
        .stderr(predicates::str::contains("another `container record`"));
    assert!(names_in(&t.meta_dir()).is_empty());
    drop(held);
    run(&t, &["record", input.to_str().unwrap()]).success();
    assert_eq!(names_in(&t.meta_dir()), ["0001-next.json"]);
}

#[test]
fn record_after_the_largest_position_is_refused_without_wrapping() {
    let t = TestDir::new();
    t.write_raw_record("4294967295-top.json", r#"{"project": "top"}"#);
    let input = t.file("in.json");
    fs::write(&input, r#"{"project": "next"}"#).unwrap();
    run(&t, &["record", input.to_str().unwrap()])
        .code(73)
        .stderr(predicates::str::contains("4294967295-top.json"))
        .stderr(predicates::str::contains("no position"));
    assert_eq!(names_in(&t.meta_dir()), ["4294967295-top.json"]);
}

#[test]
fn record_files_at_the_largest_position_itself() {
    let t = TestDir::new();
    t.write_raw_record("4294967294-top.json", r#"{"project": "top"}"#);
    let input = t.file("in.json");
    fs::write(&input, r#"{"project": "next"}"#).unwrap();
    run(&t, &["record", input.to_str().unwrap()]).success();
    assert_eq!(
        names_in(&t.meta_dir()),
        ["4294967294-top.json", "4294967295-next.json"]
    );
}

// A digit run too long for a position used to be taken for no position
// at all, so the new record was filed *before* it in the ancestry.
#[test]
fn record_after_an_out_of_range_position_is_refused() {
    let t = TestDir::new();
    t.write_raw_record("99999999999-huge.json", r#"{"project": "huge"}"#);
    let input = t.file("in.json");
    fs::write(&input, r#"{"project": "next"}"#).unwrap();
    run(&t, &["record", input.to_str().unwrap()])
        .code(73)
        .stderr(predicates::str::contains("99999999999-huge.json"))
        .stderr(predicates::str::contains("no position"));
    assert_eq!(names_in(&t.meta_dir()), ["99999999999-huge.json"]);
}

/// A layout with a VALIDATE method that exits 0, and a state directory.
fn validating() -> TestDir {
    let t = TestDir::new();
    t.write_record(1, json!({"project": "app", "validate_method": "/bin/true"}));
    fs::create_dir_all(t.state_dir()).unwrap();
    t
}

fn state_file(t: &TestDir) -> std::path::PathBuf {
    t.state_dir().join("state.json")
}

// Regression: `start_count += 1` overflowed (a panic in a debug build, a
// wrap to 0 in a release build).
#[test]
fn start_count_at_its_largest_is_not_wrapped_and_the_start_still_runs() {
    let t = TestDir::new();
    fs::create_dir_all(t.state_dir()).unwrap();
    let full = json!({"start_count": u64::MAX, "last_started_at": 5});
    fs::write(state_file(&t), full.to_string()).unwrap();
    run(&t, &["--start", "/bin/sh", "-c", "exit 0"])
        .success()
        .stderr(predicates::str::contains("start_count"));
    let state: Value = serde_json::from_slice(&fs::read(state_file(&t)).unwrap()).unwrap();
    assert_eq!(state["start_count"], json!(u64::MAX));
    assert_eq!(state["last_started_at"], json!(5));
}

// Regression: the state file was read with a plain `read`, which waits
// forever on a FIFO that nobody writes.
#[test]
fn a_fifo_state_file_is_refused_not_waited_on() {
    let t = validating();
    nix::unistd::mkfifo(
        &state_file(&t),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .unwrap();
    run(&t, &["--examine"])
        .success()
        .stderr(predicates::str::contains("FIFO"));
    run(&t, &["--validate"])
        .success()
        .stderr(predicates::str::contains("FIFO"));
    assert!(fs::symlink_metadata(state_file(&t))
        .unwrap()
        .file_type()
        .is_fifo());
}

// Regression: a symlinked state file was followed, so its target was read
// and then replaced by the state.
#[test]
fn a_symlinked_state_file_is_refused_and_left_alone() {
    let t = validating();
    let target = t.file("elsewhere.json");
    fs::write(&target, r#"{"start_count": 5}"#).unwrap();
    std::os::unix::fs::symlink(&target, state_file(&t)).unwrap();
    run(&t, &["--examine"])
        .success()
        .stderr(predicates::str::contains("symbolic link"));
    run(&t, &["--validate"])
        .success()
        .stderr(predicates::str::contains("symbolic link"));
    assert!(fs::symlink_metadata(state_file(&t))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(&target).unwrap(),
        r#"{"start_count": 5}"#
    );
}

// Regression: a device node as the state file was read (it parsed as
// corrupt) and then renamed aside and replaced by a regular file.
#[test]
fn a_device_state_file_is_refused_and_left_alone() {
    if skip_unless_root("a_device_state_file_is_refused_and_left_alone") {
        return;
    }
    let t = validating();
    // The same device as /dev/null: reads end at once, so even the old
    // code finished instead of reading forever.
    nix::sys::stat::mknod(
        &state_file(&t),
        nix::sys::stat::SFlag::S_IFCHR,
        nix::sys::stat::Mode::from_bits_truncate(0o600),
        nix::sys::stat::makedev(1, 3),
    )
    .unwrap();
    run(&t, &["--validate"])
        .success()
        .stderr(predicates::str::contains("character device"));
    let meta = fs::symlink_metadata(state_file(&t)).unwrap();
    assert!(meta.file_type().is_char_device());
    assert_eq!(meta.rdev(), nix::sys::stat::makedev(1, 3));
    assert_eq!(names_in(&t.state_dir()), ["state.json", "state.lock"]);
}

#[test]
fn an_oversized_state_file_is_not_read_but_moved_aside() {
    let t = validating();
    // Valid JSON, but far past the cap: whitespace and then an object.
    let mut big = vec![b' '; 200 * 1024];
    big.extend_from_slice(br#"{"start_count": 5}"#);
    fs::write(state_file(&t), &big).unwrap();
    run(&t, &["--examine"])
        .success()
        .stderr(predicates::str::contains("larger than"));
    run(&t, &["--validate"])
        .success()
        .stderr(predicates::str::contains("larger than"));
    let state = t.state();
    assert_eq!(state["actions"]["validate"]["outcome"], json!("ok"));
    assert_eq!(state.get("start_count"), Some(&json!(0)));
    let aside: Vec<_> = names_in(&t.state_dir())
        .into_iter()
        .filter(|n| n.starts_with("state.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(fs::read(t.state_dir().join(&aside[0])).unwrap(), big);
}

// Regression: the state lock was a blocking flock, so one stuck holder
// made every later action wait forever.
#[test]
fn a_held_state_lock_costs_the_record_not_the_action() {
    let t = validating();
    let lock_file = fs::File::create(t.state_dir().join("state.lock")).unwrap();
    let held = Flock::lock(lock_file, FlockArg::LockExclusive).unwrap();
    run(&t, &["--validate"])
        .success()
        .stderr(predicates::str::contains("state lock"));
    drop(held);
    assert!(!state_file(&t).exists());
    run(&t, &["--validate"]).success();
    assert_eq!(t.state()["actions"]["validate"]["outcome"], json!("ok"));
}

// Regression: the lock file was opened with `create`, which follows a
// symlink and creates (then locks) whatever file it names.
#[test]
fn a_symlinked_state_lock_is_refused_and_its_target_not_created() {
    let t = validating();
    let target = t.file("created-through-the-link");
    std::os::unix::fs::symlink(&target, t.state_dir().join("state.lock")).unwrap();
    run(&t, &["--validate"])
        .success()
        .stderr(predicates::str::contains("symbolic link"));
    assert!(!target.exists());
}

// Regression: the update lock followed a symlink (creating and locking
// whatever it named) and would wait on a FIFO for a writer.
#[test]
fn a_symlinked_or_fifo_update_lock_is_refused_and_nothing_runs() {
    let t = TestDir::new();
    let marker = t.file("update-ran");
    let update = t.sh_method("update.sh", &format!("touch '{}'\n", marker.display()));
    t.write_record(1, json!({"project": "app", "update_method": update}));
    fs::create_dir_all(t.state_dir()).unwrap();
    let target = t.file("created-through-the-link");
    std::os::unix::fs::symlink(&target, t.state_dir().join("update.lock")).unwrap();
    run(&t, &["--update"])
        .code(73)
        .stderr(predicates::str::contains("symbolic link"));
    assert!(!target.exists());
    fs::remove_file(t.state_dir().join("update.lock")).unwrap();
    nix::unistd::mkfifo(
        &t.state_dir().join("update.lock"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    run(&t, &["--update"])
        .code(73)
        .stderr(predicates::str::contains("FIFO"));
    assert!(!marker.exists(), "the UPDATE method ran without the lock");
}

// Regression: the quarantined copy was named after the second only, so a
// second corrupt file in the same second overwrote the first.
#[test]
fn corrupt_state_files_are_kept_under_unique_names() {
    let t = validating();
    // Decoys under every name the clock could give during this test: none
    // may be overwritten, whatever the time is.
    let now = chrono::Utc::now().timestamp();
    let decoys: Vec<_> = (now - 1..now + 120)
        .map(|at| t.state_dir().join(format!("state.json.corrupt-{at}")))
        .collect();
    for decoy in &decoys {
        fs::write(decoy, "decoy").unwrap();
    }
    for body in ["{first", "{second"] {
        fs::write(state_file(&t), body).unwrap();
        run(&t, &["--validate"])
            .success()
            .stderr(predicates::str::contains("corrupt"));
    }
    for decoy in &decoys {
        assert_eq!(fs::read_to_string(decoy).unwrap(), "decoy");
    }
    let mut kept: Vec<String> = names_in(&t.state_dir())
        .iter()
        .filter(|n| n.starts_with("state.json.corrupt-"))
        .map(|n| fs::read_to_string(t.state_dir().join(n)).unwrap())
        .filter(|body| body != "decoy")
        .collect();
    kept.sort();
    assert_eq!(kept, ["{first", "{second"]);
}
