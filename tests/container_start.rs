//! `container --start`, the ENTRYPOINT supervisor, run as the real binary:
//! exit codes, CMD handling, start accounting, signal forwarding and
//! reaping of orphaned grandchildren.

mod common;

use common::{is_running, parent_of, process_state, read_pid, wait_for, Background, TestDir};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::json;
use std::fs;

#[test]
fn start_exits_with_the_start_methods_code() {
    let t = TestDir::new();
    let method = t.sh_method("start.sh", "exit 7\n");
    t.write_record(1, json!({"project": "app", "start_method": method}));
    t.container().arg("--start").assert().code(7);
}

#[test]
fn start_runs_the_command_when_no_start_is_declared() {
    let t = TestDir::new();
    t.write_record(1, json!({"project": "app"}));
    t.container()
        .args(["--start", "/bin/sh", "-c", "echo cmd ran; exit 9"])
        .assert()
        .code(9)
        .stdout("cmd ran\n");
}

#[test]
fn start_subcommand_form_takes_the_command_too() {
    let t = TestDir::new();
    t.write_record(1, json!({"project": "app"}));
    t.container()
        .args(["start", "/bin/sh", "-c", "exit 4"])
        .assert()
        .code(4);
}

#[test]
fn start_appends_the_command_to_the_start_method() {
    let t = TestDir::new();
    let method = t.sh_method("start.sh", "printf '%s|' \"$@\" > \"$TEST_DIR/args\"\n");
    let mut argv = method.as_array().unwrap().clone();
    argv.push(json!("--from-start"));
    t.write_record(1, json!({"project": "app", "start_method": argv}));
    t.container()
        .args(["--start", "-g", "daemon off;"])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(t.file("args")).unwrap(),
        "--from-start|-g|daemon off;|"
    );
}

#[test]
fn start_runs_the_command_without_metadata_with_a_warning() {
    let t = TestDir::new();
    fs::remove_dir(t.meta_dir()).unwrap();
    t.container()
        .args(["--start", "/bin/sh", "-c", "exit 5"])
        .assert()
        .code(5)
        .stderr(predicates::str::contains("warning"));
}

#[test]
fn start_with_nothing_to_run_exits_69() {
    let t = TestDir::new();
    t.write_record(1, json!({"project": "app", "validate_method": "/bin/true"}));
    t.container().arg("--start").assert().code(69);
}

#[test]
fn start_with_a_missing_program_exits_78() {
    let t = TestDir::new();
    t.write_record(
        1,
        json!({"project": "app", "start_method": "/no/such/start"}),
    );
    t.container().arg("--start").assert().code(78);
}

#[test]
fn starts_are_counted_and_the_first_start_time_is_kept() {
    let t = TestDir::new();
    let method = t.sh_method("start.sh", "exit 0\n");
    t.write_record(1, json!({"project": "app", "start_method": method}));
    t.container().arg("--start").assert().success();
    let first = t.state();
    assert_eq!(first["start_count"], 1, "{first}");
    let first_started_at = first["first_started_at"]
        .as_i64()
        .expect("first_started_at");

    t.container().arg("--start").assert().success();
    let second = t.state();
    assert_eq!(second["start_count"], 2, "{second}");
    assert_eq!(second["first_started_at"], first_started_at, "{second}");
    assert!(second["last_started_at"].as_i64().unwrap() >= first_started_at);
}

/// Starts `body` as the START method, waits until it has written its
/// `ready` marker (so the supervisor is surely in its loop), sends
/// `signal` to the `container` process and returns how it ended.
fn signal_start(body: &str, signal: Signal) -> (TestDir, common::Finished) {
    let t = TestDir::new();
    let method = t.sh_method("start.sh", body);
    t.write_record(1, json!({"project": "app", "start_method": method}));
    let start = Background::spawn(t.container_std(&["--start"]));
    wait_for("the START method to be ready", || t.file("ready").exists());
    kill(Pid::from_raw(start.pid()), signal).expect("signal container");
    let finished = start.finish();
    (t, finished)
}

#[test]
fn sigterm_is_forwarded_to_an_exec_start_and_exits_143() {
    let (_t, finished) = signal_start(
        "touch \"$TEST_DIR/ready\"\nexec sleep 100\n",
        Signal::SIGTERM,
    );
    finished.assert_code(143);
}

#[test]
fn sigterm_reaches_the_whole_group_of_a_shell_start() {
    let (t, finished) = signal_start(
        "sleep 100 &\n\
         echo $! > \"$TEST_DIR/sleep.pid\"\n\
         touch \"$TEST_DIR/ready\"\n\
         wait\n",
        Signal::SIGTERM,
    );
    finished.assert_code(143);
    let sleep = read_pid(&t.file("sleep.pid"));
    wait_for("the background sleep to be gone", || !is_running(sleep));
}

#[test]
fn sigusr1_is_forwarded_to_the_start_method() {
    let (t, finished) = signal_start(
        "trap 'echo got > \"$TEST_DIR/usr1\"; exit 0' USR1\n\
         touch \"$TEST_DIR/ready\"\n\
         while :; do sleep 0.1; done\n",
        Signal::SIGUSR1,
    );
    finished.assert_code(0);
    assert_eq!(fs::read_to_string(t.file("usr1")).unwrap(), "got\n");
}

#[test]
fn orphaned_grandchildren_are_adopted_and_reaped() {
    let t = TestDir::new();
    // The subshell starts a sleep and exits at once, orphaning it; as a
    // child subreaper, `container` adopts it and must reap it when it
    // exits instead of leaving a zombie.
    let method = t.sh_method(
        "start.sh",
        "(sleep 2 & echo $! > \"$TEST_DIR/orphan.pid\")\n\
         exec sleep 100\n",
    );
    t.write_record(1, json!({"project": "app", "start_method": method}));
    let start = Background::spawn(t.container_std(&["--start"]));
    let orphan = read_pid(&t.file("orphan.pid"));

    // Once the subshell has exited the orphan's parent is the supervisor
    // (or, on a slow machine, the orphan is already gone).
    wait_for("the orphan to be adopted by container", || {
        parent_of(orphan).map_or(true, |parent| parent == start.pid())
    });
    wait_for("the orphan to be reaped, not left a zombie", || {
        process_state(orphan).is_none()
    });

    kill(Pid::from_raw(start.pid()), Signal::SIGTERM).expect("signal container");
    start.finish().assert_code(143);
}

/// Regression: the supervisor blocks TERM, CHLD and the rest to read them
/// from a signalfd, and std does not clear the mask for the child, so a
/// START once ran with SIGTERM blocked and `docker stop` hung.
#[test]
fn start_method_runs_with_no_signals_blocked() {
    let t = TestDir::new();
    let method = t.sh_method(
        "start.sh",
        "grep SigBlk /proc/self/status > \"$TEST_DIR/sigblk\"\n",
    );
    t.write_record(1, json!({"project": "app", "start_method": method}));
    t.container().arg("--start").assert().success();
    let line = fs::read_to_string(t.file("sigblk")).unwrap();
    assert_eq!(
        line.split_whitespace().nth(1),
        Some("0000000000000000"),
        "{line}"
    );
}
