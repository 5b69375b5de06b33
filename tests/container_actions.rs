//! UPDATE, VALIDATE, MONITOR and METRICS, run through the real
//! `container` binary with methods written as small `/bin/sh` scripts.

mod common;

use common::{is_running, read_pid, wait_for, Background, TestDir};
use serde_json::json;
use std::fs;
use std::io::{BufRead, BufReader};

/// A layout whose one record declares `field` = `method`.
fn declaring(field: &str, method: serde_json::Value) -> TestDir {
    let t = TestDir::new();
    t.write_record(1, json!({ "project": "app", field: method }));
    t
}

#[test]
fn action_exit_codes_are_passed_through() {
    for (flag, field) in [
        ("--update", "update_method"),
        ("--validate", "validate_method"),
    ] {
        for code in [0, 1, 42] {
            let t = TestDir::new();
            let method = t.sh_method("m.sh", &format!("exit {code}\n"));
            t.write_record(1, json!({ "project": "app", field: method }));
            t.container().arg(flag).assert().code(code);
        }
    }
}

#[test]
fn string_method_runs_the_path_directly() {
    declaring("validate_method", json!("/bin/true"))
        .container()
        .arg("--validate")
        .assert()
        .success();
    declaring("validate_method", json!("/bin/false"))
        .container()
        .arg("--validate")
        .assert()
        .code(1);
}

#[test]
fn argv_method_gets_its_arguments_without_a_shell() {
    let t = TestDir::new();
    let out = t.file("args");
    let script = t.file("args.sh");
    fs::write(&script, "printf '%s|' \"$@\" > \"$TEST_DIR/args\"\n").unwrap();
    t.write_record(
        1,
        json!({"project": "app", "validate_method":
            ["/bin/sh", script.display().to_string(), "two words", "$HOME", "*"]}),
    );
    t.container().arg("--validate").assert().success();
    assert_eq!(fs::read_to_string(out).unwrap(), "two words|$HOME|*|");
}

#[test]
fn undeclared_action_exits_69() {
    let t = declaring("validate_method", json!("/bin/true"));
    for flag in ["--update", "--monitor", "--metrics"] {
        t.container()
            .arg(flag)
            .assert()
            .code(69)
            .stderr(predicates::str::contains("declares no"));
    }
}

#[test]
fn missing_metadata_dir_exits_66() {
    let t = TestDir::new();
    fs::remove_dir(t.meta_dir()).unwrap();
    t.container().arg("--validate").assert().code(66);
}

#[test]
fn missing_method_exits_78_and_spaced_string_gets_the_argv_hint() {
    declaring("validate_method", json!("/no/such/validate --quick"))
        .container()
        .arg("--validate")
        .assert()
        .code(78)
        .stderr(predicates::str::contains(
            "write an argv array for arguments",
        ));
    declaring("validate_method", json!(["/no/such/validate", "--quick"]))
        .container()
        .arg("--validate")
        .assert()
        .code(78)
        .stderr(predicates::str::contains("/no/such/validate"));
}

#[test]
fn non_executable_method_exits_78() {
    let t = TestDir::new();
    let script = t.file("plain.sh");
    fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    t.write_record(
        1,
        json!({"project": "app", "update_method": script.display().to_string()}),
    );
    t.container()
        .arg("--update")
        .assert()
        .code(78)
        .stderr(predicates::str::contains("chmod +x"));
    let state = t.state();
    assert_eq!(state["actions"]["update"]["outcome"], "failed", "{state}");
    assert_eq!(state["actions"]["update"]["exit_code"], 78, "{state}");
}

#[test]
fn monitor_passes_nagios_codes_through() {
    for code in 0..=3 {
        let t = TestDir::new();
        let method = t.sh_method("m.sh", &format!("echo status {code}\nexit {code}\n"));
        t.write_record(1, json!({"project": "app", "monitor_method": method}));
        t.container()
            .arg("--monitor")
            .assert()
            .code(code)
            .stdout(format!("status {code}\n"));
    }
}

#[test]
fn monitor_maps_other_codes_and_signals_to_unknown() {
    for body in ["exit 5\n", "exit 124\n", "kill -KILL $$\n"] {
        let t = TestDir::new();
        let method = t.sh_method("m.sh", body);
        t.write_record(1, json!({"project": "app", "monitor_method": method}));
        t.container()
            .arg("--monitor")
            .assert()
            .code(3)
            .stderr(predicates::str::contains("not a Nagios code"));
    }
}

const GOOD_METRICS: &str = "\
# HELP app_requests_total Requests served.
# TYPE app_requests_total counter
app_requests_total{code=\"200\"} 1027
app_up 1
";

#[test]
fn metrics_valid_output_is_printed() {
    let t = TestDir::new();
    fs::write(t.file("metrics.txt"), GOOD_METRICS).unwrap();
    let method = t.sh_method("m.sh", "cat \"$TEST_DIR/metrics.txt\"\n");
    t.write_record(1, json!({"project": "app", "metrics_method": method}));
    t.container()
        .arg("--metrics")
        .assert()
        .success()
        .stdout(GOOD_METRICS);
}

#[test]
fn metrics_invalid_output_exits_76_naming_the_line() {
    let t = TestDir::new();
    let method = t.sh_method("m.sh", "echo 'app_up 1'\necho 'app up 1'\n");
    t.write_record(1, json!({"project": "app", "metrics_method": method}));
    t.container()
        .arg("--metrics")
        .assert()
        .code(76)
        .stdout("")
        .stderr(predicates::str::contains("line 2"));
    assert_eq!(t.state()["actions"]["metrics"]["outcome"], "failed");
}

#[test]
fn metrics_method_failure_passes_its_code_through() {
    let t = TestDir::new();
    let method = t.sh_method("m.sh", "echo partial\nexit 4\n");
    t.write_record(1, json!({"project": "app", "metrics_method": method}));
    t.container().arg("--metrics").assert().code(4);
}

#[test]
fn timeout_kills_the_whole_process_group_and_exits_124() {
    let t = TestDir::new();
    let method = t.sh_method(
        "m.sh",
        "echo $$ > \"$TEST_DIR/leader.pid\"\n\
         sleep 30 &\n\
         echo $! > \"$TEST_DIR/child.pid\"\n\
         wait\n",
    );
    t.write_record(1, json!({"project": "app", "validate_method": method}));
    t.container()
        .args(["--validate", "--timeout", "1"])
        .assert()
        .code(124)
        .stderr(predicates::str::contains("timeout"));
    let leader = read_pid(&t.file("leader.pid"));
    let child = read_pid(&t.file("child.pid"));
    // The leader was reaped by `container`; the sleep was reparented and
    // is reaped by whoever adopted it, so only wait for it to stop running.
    wait_for("the method's process group to be gone", || {
        !is_running(leader) && !is_running(child)
    });
    let state = t.state();
    assert_eq!(
        state["actions"]["validate"]["outcome"], "timed_out",
        "{state}"
    );
    assert_eq!(state["actions"]["validate"]["exit_code"], 124, "{state}");
}

#[test]
fn declared_timeout_applies_and_sigterm_ignoring_method_gets_sigkill() {
    let t = TestDir::new();
    let method = t.sh_method(
        "m.sh",
        "trap '' TERM\n\
         echo $$ > \"$TEST_DIR/leader.pid\"\n\
         while :; do sleep 1; done\n",
    );
    t.write_record(
        1,
        json!({"project": "app", "monitor_method": method, "monitor_timeout": 1}),
    );
    t.container().arg("--monitor").assert().code(124);
    let leader = read_pid(&t.file("leader.pid"));
    assert!(!is_running(leader), "the method survived its timeout");
}

#[test]
fn results_are_recorded_in_state() {
    let t = TestDir::new();
    let ok = t.sh_method("ok.sh", "exit 0\n");
    let bad = t.sh_method("bad.sh", "exit 2\n");
    t.write_record(
        1,
        json!({"project": "app", "validate_method": ok, "update_method": bad}),
    );
    t.container().arg("--validate").assert().success();
    t.container().arg("--update").assert().code(2);
    let state = t.state();
    let validate = &state["actions"]["validate"];
    assert_eq!(validate["outcome"], "ok", "{state}");
    assert_eq!(validate["exit_code"], 0, "{state}");
    assert!(validate["at"].as_i64().unwrap() > 0, "{state}");
    assert!(validate["duration_ms"].is_u64(), "{state}");
    assert_eq!(state["actions"]["update"]["outcome"], "failed", "{state}");
    assert_eq!(state["actions"]["update"]["exit_code"], 2, "{state}");
}

#[test]
fn killed_method_is_recorded_as_killed() {
    let t = TestDir::new();
    let method = t.sh_method("m.sh", "kill -KILL $$\n");
    t.write_record(1, json!({"project": "app", "validate_method": method}));
    t.container().arg("--validate").assert().code(128 + 9);
    assert_eq!(t.state()["actions"]["validate"]["outcome"], "killed");
}

#[test]
fn unwritable_state_dir_warns_and_keeps_the_methods_code() {
    let t = TestDir::new();
    let method = t.sh_method("m.sh", "exit 3\n");
    t.write_record(1, json!({"project": "app", "validate_method": method}));
    // A state directory under a regular file can never be created, even
    // by root.
    fs::write(t.file("not-a-dir"), "").unwrap();
    t.container()
        .env("CONTAINER_STATE_DIR", t.file("not-a-dir").join("state"))
        .arg("--validate")
        .assert()
        .code(3)
        .stderr(predicates::str::contains("cannot record"));
}

#[test]
fn broken_ancestor_record_does_not_stop_validate() {
    let t = TestDir::new();
    t.write_raw_record("0001-base.json", "{ not json");
    let method = t.sh_method("m.sh", "exit 0\n");
    t.write_record(2, json!({"project": "app", "validate_method": method}));
    t.container()
        .arg("--validate")
        .assert()
        .success()
        .stderr(predicates::str::contains("0001-base.json"));
}

#[test]
fn leaf_method_and_timeout_override_the_base() {
    let t = TestDir::new();
    let base = t.sh_method("base.sh", "exit 10\n");
    let leaf = t.sh_method("leaf.sh", "exit 11\n");
    t.write_record(1, json!({"project": "base", "validate_method": base}));
    t.write_record(2, json!({"project": "app", "validate_method": leaf}));
    t.container().arg("--validate").assert().code(11);
}

/// A layout whose UPDATE blocks until the test creates `release`, after
/// logging each run and marking that it started.
fn blocking_update() -> TestDir {
    let t = TestDir::new();
    let method = t.sh_method(
        "update.sh",
        "echo run >> \"$TEST_DIR/runs\"\n\
         touch \"$TEST_DIR/started\"\n\
         while [ ! -e \"$TEST_DIR/release\" ]; do sleep 0.05; done\n",
    );
    t.write_record(
        1,
        json!({"project": "app", "update_method": method, "validate_method": "/bin/true"}),
    );
    t
}

#[test]
fn second_update_exits_tempfail_while_first_holds_lock() {
    let t = blocking_update();
    let first = Background::spawn(t.container_std(&["--update"]));
    wait_for("the first UPDATE to start", || t.file("started").exists());

    let second = t.container().arg("--update").output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(
        second.status.code(),
        Some(75),
        "{}",
        common::describe(&second)
    );
    assert!(
        stderr.contains(&format!("pid {}", first.pid())),
        "the refusal should name the holder\n{}",
        common::describe(&second)
    );
    // Lock-free actions still run meanwhile.
    t.container().arg("--validate").assert().success();

    fs::write(t.file("release"), "").unwrap();
    first.finish().assert_code(0);
    assert_eq!(fs::read_to_string(t.file("runs")).unwrap(), "run\n");
}

#[test]
fn update_with_wait_runs_after_the_first_finishes() {
    let t = blocking_update();
    let first = Background::spawn(t.container_std(&["--update"]));
    wait_for("the first UPDATE to start", || t.file("started").exists());

    let mut second = Background::spawn(t.container_std(&["--update", "--wait", "60"]));
    // It says it is waiting before it waits; read that line first.
    // Keep the pipe open until the end, so later writes cannot fail.
    let mut stderr = BufReader::new(second.child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("waiting"), "unexpected first line: {line:?}");
    assert!(line.contains(&format!("pid {}", first.pid())), "{line:?}");

    fs::write(t.file("release"), "").unwrap();
    first.finish().assert_code(0);
    second.finish().assert_code(0);
    assert_eq!(fs::read_to_string(t.file("runs")).unwrap(), "run\nrun\n");
    drop(stderr);
}

#[test]
fn metrics_output_past_the_limit_exits_76() {
    let t = TestDir::new();
    let method = t.sh_method("m.sh", "exec yes 'app_up 1'\n");
    t.write_record(1, json!({"project": "app", "metrics_method": method}));
    t.container()
        .arg("--metrics")
        .assert()
        .code(76)
        .stdout("")
        .stderr(predicates::str::contains("more than"));
}

#[test]
fn huge_timeout_and_wait_do_not_overflow() {
    let t = TestDir::new();
    t.write_record(1, json!({"project": "app", "update_method": "/bin/true"}));
    let huge = u64::MAX.to_string();
    t.container()
        .args(["--update", "--timeout", &huge, "--wait", &huge])
        .assert()
        .success();
}

const REVISION: &str = "e1b0a445744fec5e584919711cafd8f4cebdee0e";
const OTHER_REVISION: &str = "0123456789abcdef0123456789abcdef01234567";

/// A layout whose UPDATE logs the revision it was given, and fails while
/// `$TEST_DIR/fail` exists.
fn logging_update() -> TestDir {
    let t = TestDir::new();
    let method = t.sh_method(
        "update.sh",
        "echo \"${WAYBILL_PUSH_REVISION:-none}\" >> \"$TEST_DIR/runs\"\n\
         [ ! -e \"$TEST_DIR/fail\" ]\n",
    );
    t.write_record(1, json!({"project": "app", "update_method": method}));
    t
}

/// `container --update` as a push's UPDATE exec runs it.
fn pushed_update(t: &TestDir, revision: &str) -> assert_cmd::Command {
    let mut cmd = t.container();
    cmd.arg("--update")
        .env("WAYBILL_PUSH_REVISION", revision)
        .env("WAYBILL_PUSH_REF", "refs/heads/main")
        .env("WAYBILL_PUSH_REPOSITORY", "https://git.example/app.git");
    cmd
}

fn runs(t: &TestDir) -> String {
    fs::read_to_string(t.file("runs")).unwrap_or_default()
}

#[test]
fn pushed_revision_is_recorded_shown_and_not_updated_to_again() {
    let t = logging_update();
    pushed_update(&t, REVISION).assert().success();
    let state = t.state();
    let update = &state["actions"]["update"];
    assert_eq!(update["revision"], REVISION, "{state}");
    assert_eq!(update["ref"], "refs/heads/main", "{state}");
    assert_eq!(
        update["repository"], "https://git.example/app.git",
        "{state}"
    );

    let out = t.container().arg("--examine").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("Pushed Revision: {REVISION}\n"))
            && text.contains("Pushed Ref: refs/heads/main\n")
            && text.contains("Pushed Repository: https://git.example/app.git\n"),
        "{}",
        common::describe(&out)
    );
    let out = t
        .container()
        .args(["--examine", "--json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["runtime"]["last"]["update"]["revision"], REVISION,
        "{report}"
    );

    // The same push again: exit 75, the method does not run, and the
    // successful result it already has is kept.
    let again = pushed_update(&t, REVISION).output().unwrap();
    assert_eq!(
        again.status.code(),
        Some(75),
        "{}",
        common::describe(&again)
    );
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains(&format!("already has revision `{REVISION}`")),
        "{}",
        common::describe(&again)
    );
    assert_eq!(runs(&t), format!("{REVISION}\n"));
    assert_eq!(t.state()["actions"]["update"], *update);

    // Another revision runs.
    pushed_update(&t, OTHER_REVISION).assert().success();
    assert_eq!(runs(&t), format!("{REVISION}\n{OTHER_REVISION}\n"));
}

#[test]
fn after_a_failed_or_manual_update_the_same_revision_runs_again() {
    let t = logging_update();
    pushed_update(&t, REVISION).assert().success();
    // A failed UPDATE to another revision: the container may be half-way.
    fs::write(t.file("fail"), "").unwrap();
    pushed_update(&t, OTHER_REVISION).assert().code(1);
    let state = t.state();
    assert_eq!(state["actions"]["update"]["outcome"], "failed", "{state}");
    assert_eq!(
        state["actions"]["update"]["revision"], OTHER_REVISION,
        "{state}"
    );
    fs::remove_file(t.file("fail")).unwrap();
    pushed_update(&t, REVISION).assert().success();
    // By hand, without a push: its revision is unknown.
    t.container()
        .arg("--update")
        .env_remove("WAYBILL_PUSH_REVISION")
        .assert()
        .success();
    assert!(t.state()["actions"]["update"].get("revision").is_none());
    pushed_update(&t, REVISION).assert().success();
    assert_eq!(
        runs(&t),
        format!("{REVISION}\n{OTHER_REVISION}\n{REVISION}\nnone\n{REVISION}\n")
    );
}

#[test]
fn waiting_update_for_the_revision_being_brought_skips_after_the_first() {
    let t = blocking_update();
    let mut first = t.container_std(&["--update"]);
    first.env("WAYBILL_PUSH_REVISION", REVISION);
    let first = Background::spawn(first);
    wait_for("the first UPDATE to start", || t.file("started").exists());

    // Without --wait the lock decides, as before: 75 naming the holder.
    let locked = pushed_update(&t, REVISION).output().unwrap();
    assert_eq!(locked.status.code(), Some(75));
    assert!(
        String::from_utf8_lossy(&locked.stderr).contains("another UPDATE is running"),
        "{}",
        common::describe(&locked)
    );

    let mut second = t.container_std(&["--update", "--wait", "60"]);
    second.env("WAYBILL_PUSH_REVISION", REVISION);
    let second = Background::spawn(second);
    fs::write(t.file("release"), "").unwrap();
    first.finish().assert_code(0);
    second
        .finish()
        .assert_code(75)
        .assert_stderr_contains(&format!("already has revision `{REVISION}`"));
    assert_eq!(fs::read_to_string(t.file("runs")).unwrap(), "run\n");
}
