//! `waybill update|validate|monitor` run for real against the local
//! engine, in containers of images built here (tests/engine_images): the
//! exec never lies (streams apart, exit codes exact), skips are skips
//! (the update lock's 75, paused and stopped containers), an image
//! without the tool is `no_tool`, a container killed mid-action is an
//! `error` while the others go on, a hung method is `timed_out` at the
//! host deadline, the caps hold as seen from inside the containers, and
//! a rolling update stops at a failed VALIDATE, leaving the rest
//! untouched as their runtime state proves.
//!
//! Each test selects only its own containers, by name or by a group
//! label of this run. Sleeps inside methods only make runs overlap;
//! nothing here measures time.
//!
//! Needs a Docker engine: without one every test prints SKIP, or fails
//! when CI=true.

#![cfg(feature = "host")]

mod docker;
mod engine_images;

use docker::{
    docker, engine_or_skip, run, run_with_deadline, wait_until, ContainerGuard, Output,
    COMMAND_DEADLINE,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::OnceLock;

struct Images {
    /// Declares UPDATE, VALIDATE and MONITOR (see engine_images).
    actions: String,
    /// busybox only: no `container` tool.
    bare: String,
}

fn images() -> &'static Images {
    static IMAGES: OnceLock<Images> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let base = engine_images::build();
        Images {
            actions: engine_images::action_image(&base.container_bin),
            bare: base.bare,
        }
    })
}

/// A sleeping container of `image` with `extra` docker-run arguments
/// (`-e VALIDATE_EXIT=3`), removed when dropped.
fn sleeper(what: &str, image: &str, extra: &[&str]) -> ContainerGuard {
    engine_images::sleeper(what, image, extra)
}

fn waybill(args: &[&str]) -> Output {
    run(
        Command::new(env!("CARGO_BIN_EXE_waybill")).args(args),
        COMMAND_DEADLINE,
    )
}

/// `waybill ARGS --json`, its document and the whole output.
fn waybill_json(args: &[&str]) -> (Value, Output) {
    let mut all = args.to_vec();
    all.push("--json");
    let out = waybill(&all);
    let doc: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"));
    assert_eq!(doc["actions_version"], 1, "{out}");
    (doc, out)
}

/// The results for `container`, in order.
fn results_of<'a>(doc: &'a Value, container: &str) -> Vec<&'a Value> {
    doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["container"] == container)
        .collect()
}

/// The one result of `action` for `container`.
#[track_caller]
fn result<'a>(doc: &'a Value, container: &str, action: &str) -> &'a Value {
    let found: Vec<&Value> = results_of(doc, container)
        .into_iter()
        .filter(|r| r["action"] == action)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {action} result for {container}: {doc:#}"
    );
    found[0]
}

#[test]
fn exec_keeps_stdout_and_stderr_apart_and_reports_exact_exit_codes() {
    if !engine_or_skip("exec_keeps_stdout_and_stderr_apart_and_reports_exact_exit_codes") {
        return;
    }
    let images = images();
    let ok = sleeper("act-ok", &images.actions, &[]);
    let three = sleeper("act-three", &images.actions, &["-e", "VALIDATE_EXIT=3"]);
    // A method's own 127 is a failed method, not a missing tool.
    let own127 = sleeper("act-127", &images.actions, &["-e", "VALIDATE_EXIT=127"]);

    let (doc, out) = waybill_json(&["validate", &ok.name, &three.name, &own127.name]);
    assert_eq!(out.code(), Some(1), "{out}");
    let r = result(&doc, &ok.name, "validate");
    assert_eq!(
        (r["outcome"].as_str(), r["exit_code"].as_i64()),
        (Some("done"), Some(0)),
        "{r}"
    );
    assert_eq!(r["stdout_tail"], "validate out\n", "{r}");
    assert_eq!(r["stderr_tail"], "validate err\n", "{r}");
    assert_eq!(r["engine"], "default");
    assert_eq!(r["project"], engine_images::ACTION_PROJECT);
    let r = result(&doc, &three.name, "validate");
    assert_eq!(
        (r["outcome"].as_str(), r["exit_code"].as_i64()),
        (Some("failed"), Some(3)),
        "{r}"
    );
    assert!(
        r["reason"].as_str().unwrap_or("").starts_with("exit 3"),
        "{r}"
    );
    let r = result(&doc, &own127.name, "validate");
    assert_eq!(
        (r["outcome"].as_str(), r["exit_code"].as_i64()),
        (Some("failed"), Some(127)),
        "{r}"
    );
    assert_eq!(doc["summary"]["done"], 1, "{doc:#}");
    assert_eq!(doc["summary"]["failed"], 2, "{doc:#}");

    // As text: each line on its own stream, prefixed ENGINE/CONTAINER,
    // and a summary table.
    let out = waybill(&["validate", &ok.name]).ok();
    let prefix = format!("default/{}: ", ok.name);
    assert!(
        out.stdout.contains(&format!("{prefix}validate out\n")),
        "{out}"
    );
    assert!(!out.stdout.contains("validate err"), "{out}");
    assert!(
        out.stderr.contains(&format!("{prefix}validate err\n")),
        "{out}"
    );
    assert!(out.stdout.contains("OUTCOME"), "{out}");
    assert!(out.stdout.contains("validate: 1 done"), "{out}");
}

#[test]
fn json_results_carry_every_documented_field() {
    if !engine_or_skip("json_results_carry_every_documented_field") {
        return;
    }
    let c = sleeper("act-json", &images().actions, &[]);
    let (doc, out) = waybill_json(&["monitor", &c.name]);
    assert_eq!(out.code(), Some(0), "{out}");
    for key in [
        "actions_version",
        "action",
        "results",
        "engine_errors",
        "summary",
    ] {
        assert!(doc.get(key).is_some(), "no {key}: {doc:#}");
    }
    assert_eq!(doc["action"], "monitor");
    let r = result(&doc, &c.name, "monitor");
    for key in [
        "engine",
        "container",
        "id",
        "image",
        "project",
        "action",
        "outcome",
        "exit_code",
        "reason",
        "duration_ms",
        "batch",
        "stdout_tail",
        "stderr_tail",
    ] {
        assert!(r.get(key).is_some(), "no {key} in {r}");
    }
    assert!(r["batch"].is_null() && r["reason"].is_null(), "{r}");
    assert!(r["duration_ms"].is_u64(), "{r}");
    for key in [
        "done",
        "failed",
        "skipped",
        "timed_out",
        "no_tool",
        "error",
        "not_reached",
    ] {
        assert!(doc["summary"][key].is_u64(), "summary.{key}: {doc:#}");
    }
}

#[test]
fn second_update_is_skipped_while_the_first_holds_the_lock() {
    if !engine_or_skip("second_update_is_skipped_while_the_first_holds_the_lock") {
        return;
    }
    let c = sleeper("act-lock", &images().actions, &["-e", "UPDATE_SLEEP=8"]);
    let name = c.name.clone();
    let first = std::thread::spawn(move || waybill_json(&["update", "--no-validate", &name]));
    wait_until("the first UPDATE to start", COMMAND_DEADLINE, || {
        let out = docker(&["exec", &c.name, "ls", "/tmp/update-started"]);
        if out.success() {
            Ok(())
        } else {
            Err(out.to_string())
        }
    });
    let (doc, out) = waybill_json(&["update", &c.name]);
    assert_eq!(out.code(), Some(75), "every target skipped:\n{out}");
    let r = result(&doc, &c.name, "update");
    assert_eq!(
        (r["outcome"].as_str(), r["exit_code"].as_i64()),
        (Some("skipped"), Some(75)),
        "{r}"
    );
    // No VALIDATE after a skipped UPDATE.
    assert_eq!(results_of(&doc, &c.name).len(), 1, "{doc:#}");
    let (doc, out) = first.join().expect("the first update");
    assert_eq!(out.code(), Some(0), "{out}");
    assert_eq!(result(&doc, &c.name, "update")["outcome"], "done");
}

#[test]
fn paused_and_stopped_containers_are_skipped_not_failed() {
    if !engine_or_skip("paused_and_stopped_containers_are_skipped_not_failed") {
        return;
    }
    let images = images();
    let paused = sleeper("act-paused", &images.actions, &[]);
    let stopped = sleeper("act-stopped", &images.actions, &[]);
    docker(&["pause", &paused.name]).ok();
    docker(&["stop", "--time", "1", &stopped.name]).ok();
    let (doc, out) = waybill_json(&["validate", &paused.name, &stopped.name]);
    docker(&["unpause", &paused.name]).ok();
    assert_eq!(out.code(), Some(75), "{out}");
    for (c, state) in [(&paused, "paused"), (&stopped, "exited")] {
        let r = result(&doc, &c.name, "validate");
        assert_eq!(r["outcome"], "skipped", "{r}");
        assert!(r["exit_code"].is_null(), "never exec'd: {r}");
        assert!(r["reason"].as_str().unwrap_or("").contains(state), "{r}");
    }
}

#[test]
fn image_without_the_tool_is_no_tool_not_a_failed_method() {
    if !engine_or_skip("image_without_the_tool_is_no_tool_not_a_failed_method") {
        return;
    }
    let images = images();
    let bare = sleeper("act-bare", &images.bare, &[]);
    let good = sleeper("act-good", &images.actions, &[]);
    let (doc, out) = waybill_json(&["validate", &bare.name, &good.name]);
    assert_eq!(out.code(), Some(1), "{out}");
    let r = result(&doc, &bare.name, "validate");
    assert_eq!(r["outcome"], "no_tool", "{r}");
    assert!(r["exit_code"].is_null(), "{r}");
    assert!(
        r["reason"]
            .as_str()
            .unwrap_or("")
            .contains("no `container` tool"),
        "{r}"
    );
    assert_eq!(result(&doc, &good.name, "validate")["outcome"], "done");
    assert_eq!(doc["summary"]["no_tool"], 1);
}

#[test]
fn container_killed_during_an_action_is_an_error_and_the_run_goes_on() {
    if !engine_or_skip("container_killed_during_an_action_is_an_error_and_the_run_goes_on") {
        return;
    }
    let images = images();
    let doomed = sleeper("act-doomed", &images.actions, &["-e", "UPDATE_SLEEP=50"]);
    let other = sleeper("act-other", &images.actions, &["-e", "UPDATE_SLEEP=4"]);
    let names = [doomed.name.clone(), other.name.clone()];
    let run = std::thread::spawn(move || {
        waybill_json(&["update", "--no-validate", &names[0], &names[1]])
    });
    wait_until("the UPDATE to start", COMMAND_DEADLINE, || {
        let out = docker(&["exec", &doomed.name, "ls", "/tmp/update-started"]);
        if out.success() {
            Ok(())
        } else {
            Err(out.to_string())
        }
    });
    docker(&["kill", &doomed.name]).ok();
    let (doc, out) = run.join().expect("the update run");
    assert_eq!(out.code(), Some(1), "{out}");
    let r = result(&doc, &doomed.name, "update");
    assert_eq!(r["outcome"], "error", "{r}");
    assert!(
        r["reason"].as_str().unwrap_or("").contains("stopped"),
        "{r}"
    );
    assert_eq!(
        result(&doc, &other.name, "update")["outcome"],
        "done",
        "{doc:#}"
    );
}

#[test]
fn hung_method_times_out_at_the_host_deadline_and_the_command_returns() {
    if !engine_or_skip("hung_method_times_out_at_the_host_deadline_and_the_command_returns") {
        return;
    }
    // The record says 60 s; --timeout 3 is the host's own deadline.
    let hung = sleeper("act-hung", &images().actions, &["-e", "VALIDATE_SLEEP=600"]);
    let (doc, out) = waybill_json(&["validate", "--timeout", "3", &hung.name]);
    assert_eq!(out.code(), Some(1), "{out}");
    let r = result(&doc, &hung.name, "validate");
    assert_eq!(r["outcome"], "timed_out", "{r}");
    assert!(r["exit_code"].is_null(), "{r}");
    assert!(
        r["reason"]
            .as_str()
            .unwrap_or("")
            .contains("host-side deadline"),
        "{r}"
    );
}

/// The most VALIDATE methods that ran at once, from the events they
/// recorded in `dir` (numbered in the order they happened).
fn max_concurrency(dir: &std::path::Path) -> usize {
    let mut events = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("read the span directory") {
        let entry = entry.expect("a span entry");
        let Ok(n) = entry.file_name().to_string_lossy().parse::<u64>() else {
            continue;
        };
        let text = std::fs::read_to_string(entry.path().join("event")).unwrap_or_default();
        events.insert(n, text);
    }
    let (mut now, mut max) = (0i64, 0i64);
    for event in events.values() {
        if event.starts_with("start") {
            now += 1;
        } else if event.starts_with("end") {
            now -= 1;
        } else {
            panic!("an unfinished event in {}: {events:?}", dir.display());
        }
        max = max.max(now);
    }
    assert_eq!(now, 0, "every start has its end: {events:?}");
    usize::try_from(max).unwrap_or(0)
}

#[test]
fn parallel_runs_respect_the_per_engine_and_total_caps_seen_from_inside() {
    if !engine_or_skip("parallel_runs_respect_the_per_engine_and_total_caps_seen_from_inside") {
        return;
    }
    let spans = tempfile::tempdir().expect("a span directory");
    docker::remember_path(spans.path());
    let group = format!("io.waybill.group=caps-{}", docker::run_id());
    let mount = format!("{}:/spans", spans.path().display());
    let containers: Vec<ContainerGuard> = (0..6)
        .map(|_| {
            sleeper(
                "act-caps",
                &images().actions,
                &[
                    "--label",
                    &group,
                    "-v",
                    &mount,
                    "-e",
                    "SPAN_DIR=/spans",
                    "-e",
                    "VALIDATE_SLEEP=2",
                ],
            )
        })
        .collect();
    let clear = || {
        for entry in std::fs::read_dir(spans.path()).expect("read the span directory") {
            let _ = std::fs::remove_dir_all(entry.expect("an entry").path());
        }
    };
    for (flags, cap) in [
        (["--per-engine", "2", "--parallel", "32"], 2),
        (["--per-engine", "8", "--parallel", "3"], 3),
    ] {
        clear();
        let mut args = vec!["validate", "--label", &group];
        args.extend(flags);
        let (doc, out) = waybill_json(&args);
        assert_eq!(out.code(), Some(0), "{out}");
        assert_eq!(doc["summary"]["done"], containers.len(), "{doc:#}");
        let seen = max_concurrency(spans.path());
        assert!(seen <= cap, "{seen} VALIDATEs at once with {flags:?}");
        // Overlap happened at all: the run is parallel.
        assert!(seen >= 2, "only {seen} at once with {flags:?}");
    }
}

#[test]
fn rolling_update_stops_at_a_failed_validate_and_leaves_the_rest_untouched() {
    if !engine_or_skip("rolling_update_stops_at_a_failed_validate_and_leaves_the_rest_untouched") {
        return;
    }
    let images = images();
    // Names sort by the letter after `roll-`: a, b, c, d; b's VALIDATE fails.
    let a = sleeper("roll-a", &images.actions, &[]);
    let b = sleeper("roll-b", &images.actions, &["-e", "VALIDATE_EXIT=1"]);
    let c = sleeper("roll-c", &images.actions, &[]);
    let d = sleeper("roll-d", &images.actions, &[]);
    let (doc, out) = waybill_json(&["update", "--batch", "1", &d.name, &c.name, &b.name, &a.name]);
    assert_eq!(out.code(), Some(1), "{out}");
    let steps = |c: &ContainerGuard| -> Vec<(String, String, i64)> {
        results_of(&doc, &c.name)
            .iter()
            .map(|r| {
                (
                    r["action"].as_str().unwrap_or("").to_owned(),
                    r["outcome"].as_str().unwrap_or("").to_owned(),
                    r["batch"].as_i64().unwrap_or(0),
                )
            })
            .collect()
    };
    let s = |a: &str, o: &str, n: i64| (a.to_owned(), o.to_owned(), n);
    assert_eq!(
        steps(&a),
        vec![s("update", "done", 1), s("validate", "done", 1)]
    );
    assert_eq!(
        steps(&b),
        vec![s("update", "done", 2), s("validate", "failed", 2)]
    );
    assert_eq!(steps(&c), vec![s("update", "not_reached", 3)]);
    assert_eq!(steps(&d), vec![s("update", "not_reached", 4)]);
    // The order is engine then name, whatever the command line's order.
    let order: Vec<&str> = doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["container"].as_str())
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);

    // Their runtime state proves it: no UPDATE ever ran in c and d.
    let out = waybill(&[
        "ls", "--state", "--json", &a.name, &b.name, &c.name, &d.name,
    ])
    .ok();
    let ls: Value = serde_json::from_str(&out.stdout).expect("ls JSON");
    let last = |c: &ContainerGuard| -> Value {
        ls["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["container"] == c.name.as_str())
            .unwrap_or_else(|| panic!("no row for {}: {out}", c.name))["last"]
            .clone()
    };
    assert_eq!(last(&a)["update"]["outcome"], "ok", "{out}");
    assert_eq!(last(&b)["validate"]["outcome"], "failed", "{out}");
    for untouched in [&c, &d] {
        let l = last(untouched);
        assert!(
            l.get("update").is_none() && l.get("validate").is_none(),
            "{out}"
        );
    }

    // The text summary says not_reached too.
    let out = waybill(&["validate", "--batch", "1", &b.name, &c.name]);
    assert_eq!(out.code(), Some(1), "{out}");
    assert!(out.stdout.contains("not_reached"), "{out}");

    // --max-failures 1 goes on past one failed container.
    let (doc, out) = waybill_json(&[
        "validate",
        "--batch",
        "1",
        "--max-failures",
        "1",
        &b.name,
        &c.name,
    ]);
    assert_eq!(out.code(), Some(1), "{out}");
    assert_eq!(
        result(&doc, &b.name, "validate")["outcome"],
        "failed",
        "{doc:#}"
    );
    assert_eq!(
        result(&doc, &c.name, "validate")["outcome"],
        "done",
        "{doc:#}"
    );
}

#[test]
fn an_action_command_with_nothing_to_select_is_a_usage_error() {
    let out = run_with_deadline(
        Command::new(env!("CARGO_BIN_EXE_waybill"))
            .arg("validate")
            .env("DOCKER_HOST", "unix:///nonexistent/waybill-test.sock"),
        COMMAND_DEADLINE,
    )
    .expect("run waybill");
    assert_eq!(out.code(), Some(64), "{out}");
    assert!(out.stderr.contains("--all"), "{out}");
}

#[test]
fn an_action_command_that_matches_nothing_exits_66() {
    if !engine_or_skip("an_action_command_that_matches_nothing_exits_66") {
        return;
    }
    let group = format!("io.waybill.group=nobody-{}", docker::run_id());
    let out = waybill(&["update", "--label", &group]);
    assert_eq!(out.code(), Some(66), "{out}");
    assert!(out.stderr.contains("no container matches"), "{out}");
}

#[test]
fn an_unreachable_engine_exits_69() {
    let out = run(
        Command::new(env!("CARGO_BIN_EXE_waybill"))
            .args(["validate", "--all"])
            .env("DOCKER_HOST", "unix:///nonexistent/waybill-test.sock"),
        COMMAND_DEADLINE,
    );
    assert_eq!(out.code(), Some(69), "{out}");
    assert!(out.stderr.contains("is unreachable"), "{out}");
}

#[test]
fn wait_healthy_waits_for_a_new_healthy_probe_and_fails_an_unhealthy_one() {
    if !engine_or_skip("wait_healthy_waits_for_a_new_healthy_probe_and_fails_an_unhealthy_one") {
        return;
    }
    let images = images();
    let health = |cmd: &'static str| -> [&'static str; 6] {
        [
            "--health-cmd",
            cmd,
            "--health-interval",
            "1s",
            "--health-retries",
            "1",
        ]
    };
    let healthy = sleeper("act-healthy", &images.actions, &health("true"));
    let sick = sleeper("act-sick", &images.actions, &health("false"));
    let plain = sleeper("act-nohealth", &images.actions, &[]);
    let (doc, out) = waybill_json(&[
        "update",
        "--wait-healthy",
        "--health-timeout",
        "20",
        &healthy.name,
        &sick.name,
        &plain.name,
    ]);
    assert_eq!(out.code(), Some(1), "{out}");
    let steps = |c: &ContainerGuard| -> Vec<(String, String)> {
        results_of(&doc, &c.name)
            .iter()
            .map(|r| {
                (
                    r["action"].as_str().unwrap_or("").to_owned(),
                    r["outcome"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let s = |a: &str, o: &str| (a.to_owned(), o.to_owned());
    assert_eq!(
        steps(&healthy),
        vec![
            s("update", "done"),
            s("validate", "done"),
            s("health", "done")
        ]
    );
    assert_eq!(
        steps(&sick),
        vec![
            s("update", "done"),
            s("validate", "done"),
            s("health", "failed")
        ]
    );
    let r = result(&doc, &sick.name, "health");
    assert!(
        r["reason"]
            .as_str()
            .unwrap_or("")
            .contains("not healthy within 20 s"),
        "{r}"
    );
    // No HEALTHCHECK: nothing to wait for.
    assert_eq!(
        steps(&plain),
        vec![s("update", "done"), s("validate", "done")]
    );
}

#[test]
fn ctrl_c_lets_the_running_update_finish_and_leaves_the_rest_not_reached() {
    if !engine_or_skip("ctrl_c_lets_the_running_update_finish_and_leaves_the_rest_not_reached") {
        return;
    }
    let images = images();
    // Names sort a, b: a's UPDATE is running when SIGINT comes.
    let a = sleeper("int-a", &images.actions, &["-e", "UPDATE_SLEEP=5"]);
    let b = sleeper("int-b", &images.actions, &[]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_waybill"))
        .args(["update", "--batch", "1", "--json", &a.name, &b.name])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start waybill");
    // Killed (and reaped) if the test fails before it ends.
    struct Reap<'a>(&'a mut std::process::Child);
    impl Drop for Reap<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    let reap = Reap(&mut child);
    wait_until("the first UPDATE to start", COMMAND_DEADLINE, || {
        let out = docker(&["exec", &a.name, "ls", "/tmp/update-started"]);
        if out.success() {
            Ok(())
        } else {
            Err(out.to_string())
        }
    });
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("send SIGINT");
    let status = wait_until(
        "waybill to end after SIGINT",
        COMMAND_DEADLINE,
        || match reap.0.try_wait() {
            Ok(Some(status)) => Ok(status),
            Ok(None) => Err("still running".into()),
            Err(e) => Err(e.to_string()),
        },
    );
    let mut stdout = String::new();
    let mut stderr = String::new();
    use std::io::Read;
    if let Some(out) = reap.0.stdout.as_mut() {
        out.read_to_string(&mut stdout).expect("read stdout");
    }
    if let Some(err) = reap.0.stderr.as_mut() {
        err.read_to_string(&mut stderr).expect("read stderr");
    }
    let shown = format!("status {status}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(status.code(), Some(130), "{shown}");
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {shown}"));
    assert_eq!(doc["interrupted"], true, "{shown}");
    // The running UPDATE was let finish; nothing new started after it.
    assert_eq!(
        result(&doc, &a.name, "update")["outcome"],
        "done",
        "{shown}"
    );
    let after: Vec<&str> = results_of(&doc, &a.name)
        .iter()
        .skip(1)
        .filter_map(|r| r["outcome"].as_str())
        .collect();
    assert!(after.iter().all(|o| *o == "not_reached"), "{shown}");
    assert_eq!(
        result(&doc, &b.name, "update")["outcome"],
        "not_reached",
        "{shown}"
    );
}

#[test]
fn method_output_and_names_are_escaped_on_the_terminal_and_exact_in_json() {
    if !engine_or_skip("method_output_and_names_are_escaped_on_the_terminal_and_exact_in_json") {
        return;
    }
    let c = sleeper(
        "act-escape",
        &images().actions,
        &["-e", "PRINT=evil\\033[31mred", "-e", "VALIDATE_EXIT=4"],
    );
    let out = waybill(&["validate", &c.name]);
    assert_eq!(out.code(), Some(1), "{out}");
    assert!(
        !out.stdout.contains('\u{1b}') && !out.stderr.contains('\u{1b}'),
        "a raw escape reached the terminal:\n{out}"
    );
    assert!(
        out.stdout
            .contains(&format!("default/{}: evil\\x1b[31mred", c.name)),
        "{out}"
    );
    let (doc, _) = waybill_json(&["validate", &c.name]);
    let r = result(&doc, &c.name, "validate");
    assert_eq!(r["stdout_tail"], "evil\u{1b}[31mred\nvalidate out\n", "{r}");
}
