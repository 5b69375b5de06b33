//! The browser harness (tests/browser/mod.rs) keeps its promises before
//! any page relies on it: Chromium runs scripts only when asked to, a
//! page of the real `waybill serve` loads and is saved as a PNG, the
//! driver and its Chromium are gone after the browser drops and after
//! the test binary exits on a deadline, and a missing chromedriver is a
//! loud SKIP outside CI and a failure in CI.
//!
//! The last two are checked from outside, as tests/docker_harness.rs
//! does: this binary runs itself again with only one `probe_*` test
//! (ignored in normal runs).

#![cfg(feature = "host")]

#[path = "browser/mod.rs"]
mod browser;
mod docker;
mod serve_support;

use browser::{browser_or_skip, processes_in_group, Js};
use std::process::Command;
use std::time::Duration;

/// Runs the probe `name` of this binary with `envs`, `CI` removed unless
/// given; returns (exit code, stdout, stderr).
fn run_probe(name: &str, envs: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--ignored",
        "--exact",
        "--nocapture",
        "--test-threads",
        "1",
        name,
    ])
    .env_remove("CI");
    for (key, value) in envs {
        cmd.env(key, value);
    }
    let out = serve_support::deadline::output_or_panic(&mut cmd, None, Duration::from_secs(180));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn chromium_runs_scripts_only_when_javascript_is_on() {
    let test = "chromium_runs_scripts_only_when_javascript_is_on";
    let Some(on) = browser_or_skip(test, Js::On) else {
        return;
    };
    assert!(on.javascript_runs(), "scripts did not run with Js::On");
    drop(on);
    let Some(off) = browser_or_skip(test, Js::Off) else {
        return;
    };
    assert!(
        !off.javascript_runs(),
        "scripts ran although the content setting turns them off"
    );
}

#[test]
fn a_page_of_waybill_serve_loads_and_is_saved_as_a_png() {
    let test = "a_page_of_waybill_serve_loads_and_is_saved_as_a_png";
    let Some(b) = browser_or_skip(test, Js::On) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // No engine answers: /healthz says so, which is still a page.
    let server = serve_support::Server::start(
        dir.path(),
        "[engines]\nhosts = [\"unix:///nonexistent/waybill-browser-test.sock\"]\n",
        &[],
    );
    b.goto(&format!("http://{}/healthz", server.addr));
    assert_eq!(b.path(), "/healthz");
    let body = b.text("body");
    assert!(
        body.contains("nonexistent/waybill-browser-test.sock"),
        "/healthz does not name the engine: {body:?}"
    );
    let path = b.screenshot("healthz");
    let png = std::fs::read(&path).expect("read the screenshot back");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000,
        "{} is not a PNG of a page ({} bytes)",
        path.display(),
        png.len()
    );
    assert!(
        path.starts_with(browser::screenshot_dir()),
        "{}",
        path.display()
    );
}

#[test]
fn dropping_the_browser_ends_the_driver_and_chromium() {
    let test = "dropping_the_browser_ends_the_driver_and_chromium";
    let Some(b) = browser_or_skip(test, Js::On) else {
        return;
    };
    b.goto("data:text/html,<p>hello</p>");
    let group = b.process_group();
    let running = processes_in_group(group);
    assert!(
        running.iter().any(|p| p.contains("chrom")),
        "no Chromium process in the driver's group {group}: {running:?}"
    );
    drop(b);
    docker::wait_until(
        "the driver's group to be gone",
        Duration::from_secs(10),
        || {
            let left = processes_in_group(group);
            if left.is_empty() {
                Ok(())
            } else {
                Err(left.join("\n"))
            }
        },
    );
}

#[test]
fn a_test_binary_that_exits_mid_test_leaves_no_browser_behind() {
    if browser::find_tools().is_err() {
        // The probe would only skip; the policy test below covers that.
        let _ = browser_or_skip(
            "a_test_binary_that_exits_mid_test_leaves_no_browser_behind",
            Js::On,
        );
        return;
    }
    let (code, stdout, stderr) = run_probe("probe_exit_with_a_browser_open", &[]);
    assert_eq!(code, Some(101), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let group: i32 = stdout
        .lines()
        .find_map(|l| l.split("driver group: ").nth(1))
        .and_then(|g| g.trim().parse().ok())
        .unwrap_or_else(|| panic!("the probe printed no group:\n{stdout}\n{stderr}"));
    let dir = stdout
        .lines()
        .find_map(|l| l.split("browser dir: ").nth(1))
        .map(|d| std::path::PathBuf::from(d.trim()))
        .unwrap_or_else(|| panic!("the probe printed no directory:\n{stdout}\n{stderr}"));
    assert!(!dir.exists(), "the probe left {}", dir.display());
    docker::wait_until(
        "the probe's browser to be gone",
        Duration::from_secs(10),
        || {
            let left = processes_in_group(group);
            if left.is_empty() {
                Ok(())
            } else {
                Err(left.join("\n"))
            }
        },
    );
}

#[test]
fn a_missing_chromedriver_skips_outside_ci_and_fails_in_ci() {
    let missing = [("WAYBILL_TEST_CHROMEDRIVER", "/nonexistent/chromedriver")];
    let (code, stdout, stderr) = run_probe("probe_needs_a_browser", &missing);
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr
            .contains("!!!! SKIP probe_needs_a_browser: needs headless Chromium and chromedriver")
            && stderr.contains("/nonexistent/chromedriver"),
        "{stderr}"
    );
    let with_ci = [missing[0], ("CI", "true")];
    let (code, stdout, stderr) = run_probe("probe_needs_a_browser", &with_ci);
    assert_eq!(code, Some(101), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stderr.contains(
            "probe_needs_a_browser: needs headless Chromium and chromedriver, and CI is set"
        ),
        "{stderr}"
    );
}

#[test]
#[ignore = "run by a_missing_chromedriver_skips_outside_ci_and_fails_in_ci"]
fn probe_needs_a_browser() {
    if browser_or_skip("probe_needs_a_browser", Js::On).is_some() {
        println!("a browser started");
    }
}

#[test]
#[ignore = "run by a_test_binary_that_exits_mid_test_leaves_no_browser_behind"]
fn probe_exit_with_a_browser_open() {
    let Some(b) = browser_or_skip("probe_exit_with_a_browser_open", Js::On) else {
        return;
    };
    b.goto("data:text/html,<p>hello</p>");
    println!("driver group: {}", b.process_group());
    println!("browser dir: {}", b.dir().display());
    // What the Docker harness's deadline does to a hung test.
    std::process::exit(101);
}
