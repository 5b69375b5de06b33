//! The Docker test harness keeps its promises: a missing engine is a
//! loud SKIP outside CI and a failure in CI, and a hung test stops the
//! test binary instead of hanging CI.
//!
//! The harness is checked from outside: this test binary runs itself
//! again, with only one of the `probe_*` tests below (ignored in normal
//! runs) and an environment that makes the engine unreachable. No engine
//! is needed.

mod docker;

use docker::{ci_value_means_ci, engine_or_skip, watch_test};
use std::process::Command;
use std::time::Duration;

#[allow(clippy::duplicate_mod)]
#[path = "common/deadline.rs"]
mod deadline;

/// Runs the probe test `name` of this binary with `CI` set as given and
/// no engine reachable; returns (exit code, stderr).
fn run_probe(name: &str, ci: Option<&str>) -> (Option<i32>, String) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new(exe);
    // A name ending in `_` selects every probe it prefixes, in order.
    let exact = if name.ends_with('_') {
        None
    } else {
        Some("--exact")
    };
    cmd.args(["--ignored", "--test-threads", "1", name])
        .args(exact)
        .env(
            "DOCKER_HOST",
            "unix:///nonexistent/waybill-test-no-engine.sock",
        )
        .env_remove("CI");
    if let Some(ci) = ci {
        cmd.env("CI", ci);
    }
    let out = deadline::output_or_panic(&mut cmd, None, Duration::from_secs(120));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

#[test]
fn ci_means_any_value_but_empty_false_or_0() {
    for (value, ci) in [
        (None, false),
        (Some(""), false),
        (Some("0"), false),
        (Some("false"), false),
        (Some("False"), false),
        (Some("true"), true),
        (Some("1"), true),
        (Some("yes"), true),
        (Some("woodpecker"), true),
    ] {
        assert_eq!(ci_value_means_ci(value), ci, "CI={value:?}");
    }
}

#[test]
fn a_missing_engine_is_a_loud_skip_outside_ci() {
    for ci in [None, Some("false"), Some("0")] {
        let (code, output) = run_probe("probe_needs_an_engine", ci);
        assert_eq!(code, Some(0), "CI={ci:?}:\n{output}");
        assert!(
            output.contains("!!!! SKIP probe_needs_an_engine: needs a Docker engine"),
            "CI={ci:?}:\n{output}"
        );
        assert!(!output.contains("reached the engine"), "{output}");
    }
}

#[test]
fn a_missing_engine_fails_in_ci() {
    for ci in ["true", "1", "gitlab"] {
        let (code, output) = run_probe("probe_needs_an_engine", Some(ci));
        assert_eq!(code, Some(101), "CI={ci}:\n{output}");
        assert!(
            output.contains("needs a Docker engine that answers, and CI is set"),
            "CI={ci}:\n{output}"
        );
    }
}

#[test]
fn a_hung_test_stops_the_test_binary() {
    let (code, output) = run_probe("probe_hangs", None);
    assert_eq!(code, Some(101), "{output}");
    assert!(
        output.contains("!!!! probe_hangs was still running after 1s"),
        "{output}"
    );
}

#[test]
fn a_test_that_ends_in_time_is_no_longer_watched() {
    // The first probe is watched for 1 s and ends at once; the second
    // then runs past that second. The watch must have ended with the
    // first test's thread.
    let (code, output) = run_probe("probe_in_time_", None);
    assert_eq!(code, Some(0), "{output}");
    assert!(output.contains("2 passed"), "{output}");
}

#[test]
#[ignore = "a probe, run by a_test_that_ends_in_time_is_no_longer_watched"]
fn probe_in_time_1_watched() {
    watch_test("probe_in_time_1_watched", Duration::from_secs(1));
}

#[test]
#[ignore = "a probe, run by a_test_that_ends_in_time_is_no_longer_watched"]
fn probe_in_time_2_outlives_the_first_watch() {
    std::thread::sleep(Duration::from_secs(3));
}

#[test]
#[ignore = "a probe, run by a_missing_engine_*"]
fn probe_needs_an_engine() {
    if !engine_or_skip("probe_needs_an_engine") {
        return;
    }
    eprintln!("reached the engine");
}

#[test]
#[ignore = "a probe, run by a_hung_test_stops_the_test_binary"]
fn probe_hangs() {
    watch_test("probe_hangs", Duration::from_secs(1));
    std::thread::sleep(Duration::from_secs(600));
}
