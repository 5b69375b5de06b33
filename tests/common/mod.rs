//! Shared helpers for the integration tests: a scratch container layout
//! (metadata and state directories) with records and method scripts
//! written by the test, the real `container` binary pointed at it, and
//! assertions that print the command, stdout and stderr when they fail.
//!
//! Every process a test runs has a deadline: assert_cmd commands come
//! from [`timed`] (or [`container_cmd`], [`waybill_cmd`]) with
//! `.timeout(PATIENCE)` preset, a [`Background`] process is killed when
//! it outlives its test, and anything else goes through
//! [`deadline::output_within`]. A hung binary fails its test instead of
//! hanging CI.
//!
//! Each test binary uses only some of these, hence the `dead_code` allow.
#![allow(dead_code)]

// tests/docker and tests/stamp_support include this file by path too.
#[allow(clippy::duplicate_mod)]
pub mod deadline;

use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub use deadline::PATIENCE;

/// `program` as an assert_cmd command that is killed, failing the test,
/// if it runs longer than [`PATIENCE`]. Set a longer `.timeout()` on it
/// for a run that is meant to take long.
pub fn timed(program: impl AsRef<std::ffi::OsStr>) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(program);
    cmd.timeout(PATIENCE);
    cmd
}

/// The real `container` binary, with the timeout preset.
pub fn container_cmd() -> assert_cmd::Command {
    timed(env!("CARGO_BIN_EXE_container"))
}

/// The real `waybill` binary, with the timeout preset.
#[cfg(feature = "host")]
pub fn waybill_cmd() -> assert_cmd::Command {
    timed(env!("CARGO_BIN_EXE_waybill"))
}

/// A scratch container: `meta/` for records, `state/` for runtime state,
/// and room for scripts and marker files.
pub struct TestDir {
    dir: TempDir,
}

impl TestDir {
    pub fn new() -> TestDir {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        fs::create_dir_all(dir.path().join("meta")).expect("create meta dir");
        TestDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A file in the scratch directory, for markers and pid files.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn meta_dir(&self) -> PathBuf {
        self.file("meta")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.file("state")
    }

    /// Files `record` at ancestry `position` as `NNNN-<project>.json`.
    pub fn write_record(&self, position: u32, record: Value) -> PathBuf {
        let project = record["project"].as_str().unwrap_or("unnamed").to_string();
        let path = self
            .meta_dir()
            .join(format!("{position:04}-{project}.json"));
        fs::write(&path, serde_json::to_vec_pretty(&record).unwrap()).expect("write record");
        path
    }

    /// Writes raw bytes as a record file, for malformed records.
    pub fn write_raw_record(&self, name: &str, body: &str) -> PathBuf {
        let path = self.meta_dir().join(name);
        fs::write(&path, body).expect("write record");
        path
    }

    /// Writes a `/bin/sh` script and returns the method that runs it:
    /// `["/bin/sh", "<path>"]`. Running it through `/bin/sh` rather than
    /// executing the file avoids ETXTBSY when another test thread forks
    /// while the file is still open for writing.
    pub fn sh_method(&self, name: &str, body: &str) -> Value {
        let path = self.file(name);
        fs::write(&path, body).expect("write script");
        Value::from(vec!["/bin/sh".to_string(), path.display().to_string()])
    }

    /// The real `container` binary, pointed at this layout, with the
    /// timeout preset.
    pub fn container(&self) -> assert_cmd::Command {
        let mut cmd = container_cmd();
        cmd.env("CONTAINER_META_DIR", self.meta_dir())
            .env("CONTAINER_STATE_DIR", self.state_dir())
            .env("TEST_DIR", self.path());
        cmd
    }

    /// The same as [`TestDir::container`], as a std command to spawn in
    /// the background (stdout and stderr piped).
    pub fn container_std(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_container"));
        cmd.env("CONTAINER_META_DIR", self.meta_dir())
            .env("CONTAINER_STATE_DIR", self.state_dir())
            .env("TEST_DIR", self.path())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// The state file as JSON (panics if there is none).
    pub fn state(&self) -> Value {
        let path = self.state_dir().join("state.json");
        let bytes =
            fs::read(&path).unwrap_or_else(|e| panic!("read state file {}: {e}", path.display()));
        serde_json::from_slice(&bytes).expect("state file is JSON")
    }
}

impl Default for TestDir {
    fn default() -> TestDir {
        TestDir::new()
    }
}

/// A `container` process running in the background. Killed when dropped
/// unfinished (a test that panicked before [`Background::finish`]), so it
/// never outlives its test.
pub struct Background {
    pub child: Child,
    pub description: String,
}

impl Background {
    pub fn spawn(mut cmd: Command) -> Background {
        let description = format!("{cmd:?}");
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {description}: {e}"));
        Background { child, description }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits for it to exit (up to [`PATIENCE`], then kills it and fails).
    pub fn finish(mut self) -> Finished {
        let deadline = Instant::now() + PATIENCE;
        let exited = loop {
            match self.child.try_wait() {
                Ok(Some(_)) => break true,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => break false,
            }
        };
        if !exited {
            let _ = self.child.kill();
        }
        let output = self.collect_output();
        if !exited {
            panic!(
                "{} did not exit within {PATIENCE:?}\n{}",
                self.description,
                describe(&output)
            );
        }
        Finished {
            output,
            description: self.description.clone(),
        }
    }

    /// What `Child::wait_with_output` does, through `&mut`, so that the
    /// Drop guard stays in place.
    fn collect_output(&mut self) -> Output {
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let out_pipe = self.child.stdout.take();
        let err_thread = self.child.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = std::io::Read::read_to_end(&mut pipe, &mut bytes);
                bytes
            })
        });
        if let Some(mut pipe) = out_pipe {
            let _ = std::io::Read::read_to_end(&mut pipe, &mut stdout);
        }
        if let Some(thread) = err_thread {
            stderr = thread.join().unwrap_or_default();
        }
        let status = self.child.wait().expect("wait for a background process");
        Output {
            status,
            stdout,
            stderr,
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        // Still running: its test failed before finishing it.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A finished background process.
pub struct Finished {
    pub output: Output,
    pub description: String,
}

impl Finished {
    /// Asserts the exit code, printing command, stdout and stderr if not.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Finished {
        if self.output.status.code() != Some(code) {
            panic!(
                "expected exit code {code}\ncommand: {}\n{}",
                self.description,
                describe(&self.output)
            );
        }
        self
    }

    #[track_caller]
    pub fn assert_stderr_contains(&self, needle: &str) -> &Finished {
        if !self.stderr().contains(needle) {
            panic!(
                "expected stderr to contain {needle:?}\ncommand: {}\n{}",
                self.description,
                describe(&self.output)
            );
        }
        self
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
}

/// Status, stdout and stderr, for failure messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Polls `condition` until it holds; fails naming `what` after `PATIENCE`.
#[track_caller]
pub fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        if Instant::now() >= deadline {
            panic!("timed out after {PATIENCE:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads a pid written by a method script, once the file is complete.
#[track_caller]
pub fn read_pid(path: &Path) -> i32 {
    let mut pid = None;
    wait_for(&format!("a pid in {}", path.display()), || {
        pid = fs::read_to_string(path)
            .ok()
            .filter(|s| s.ends_with('\n'))
            .and_then(|s| s.trim().parse().ok());
        pid.is_some()
    });
    pid.unwrap_or_default()
}

/// The state letter from `/proc/<pid>/stat` (`R`, `S`, `Z`, ...), or None
/// when the process no longer exists.
pub fn process_state(pid: i32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces.
    let after = &stat[stat.rfind(')')? + 1..];
    after.trim_start().chars().next()
}

/// Whether `pid` is still running (exists and is not a zombie).
pub fn is_running(pid: i32) -> bool {
    !matches!(process_state(pid), None | Some('Z') | Some('X'))
}

/// The parent pid from `/proc/<pid>/status`.
pub fn parent_of(pid: i32) -> Option<i32> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))
        .and_then(|v| v.trim().parse().ok())
}
