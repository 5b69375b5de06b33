//! The Docker test harness: the real engine, through the docker CLI.
//!
//! It finds out whether an engine answers (with `CI=true` a missing
//! engine fails the test loudly; elsewhere the test prints SKIP and
//! passes), names every object uniquely for this run, labels every
//! container and image `io.waybill.test=1` plus `io.waybill.run=<run id>`,
//! and removes them: containers and per-test images through Drop guards
//! (which run on panic too), and everything this process created through
//! an `atexit` hook, which covers the images shared by all tests of the
//! binary. It does not mock the engine and does not talk to it through
//! bollard: the engine is only ever reached the way a user reaches it.
//!
//! Every command's output is captured; a failed expectation prints the
//! command, its exit status, stdout and stderr.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The label every test object carries, so a sweep can find leftovers.
pub const TEST_LABEL: &str = "io.waybill.test=1";

/// How long any one docker command may take before the test gives up on
/// it; image builds get longer. Generous: machines are noisy.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(180);
pub const BUILD_DEADLINE: Duration = Duration::from_secs(600);

/// This run's id: the process id and the start time, unique enough that
/// two runs on one engine never share a name.
pub fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!("{}-{}", std::process::id(), nanos % 1_000_000_000_000)
    })
}

/// The `io.waybill.run=<id>` label of this run.
pub fn run_label() -> String {
    format!("io.waybill.run={}", run_id())
}

/// Both labels as `docker` arguments: `--label K=V --label K=V`.
pub fn label_args() -> Vec<String> {
    vec![
        "--label".into(),
        TEST_LABEL.into(),
        "--label".into(),
        run_label(),
    ]
}

/// A name no other object of this run or another run has:
/// `waybill-test-<what>-<run id>-<n>`, lower case as image names must be.
pub fn unique_name(what: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("waybill-test-{what}-{}-{n}", run_id()).to_lowercase()
}

/// Whether this is a CI run, where a missing engine is a failure.
fn in_ci() -> bool {
    matches!(std::env::var("CI"), Ok(v) if !v.is_empty() && v != "false" && v != "0")
}

/// Whether a Docker engine answers. Without one: panics under CI=true,
/// otherwise prints a loud SKIP for `test` and returns false.
pub fn engine_or_skip(test: &str) -> bool {
    static ANSWERS: OnceLock<Result<String, String>> = OnceLock::new();
    let answers = ANSWERS.get_or_init(|| {
        let mut cmd = Command::new("docker");
        cmd.args(["version", "--format", "{{.Server.Version}}"]);
        match run_with_deadline(&mut cmd, Duration::from_secs(30)) {
            Ok(out) if out.success() => Ok(out.stdout.trim().to_string()),
            Ok(out) => Err(out.to_string()),
            Err(e) => Err(e),
        }
    });
    match answers {
        Ok(_) => true,
        Err(why) if in_ci() => {
            panic!("\n\n!!!! {test}: no Docker engine answers, and CI=true requires one.\n{why}\n")
        }
        Err(why) => {
            // Written to the stderr handle, not with eprintln!, which the
            // test harness captures and hides for a passing test.
            static WHY_SHOWN: Once = Once::new();
            let mut message = format!(
                "\n!!!! SKIP {test}: no Docker engine answers (set CI=true to make this a \
                 failure)\n"
            );
            WHY_SHOWN.call_once(|| message.push_str(&format!("{why}\n")));
            // One write, so it is not interleaved with the harness's lines.
            let _ = std::io::stderr().lock().write_all(message.as_bytes());
            false
        }
    }
}

/// A finished command: what ran and what it printed.
pub struct Output {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// The exit code; None when killed by a signal.
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Panics, showing everything, unless the command exited 0.
    #[track_caller]
    pub fn ok(self) -> Output {
        assert!(self.success(), "command failed:\n{self}");
        self
    }

    /// Panics, showing everything, unless the command exited non-zero.
    #[track_caller]
    pub fn failed(self) -> Output {
        assert!(!self.success(), "command was expected to fail:\n{self}");
        self
    }

    /// stdout and stderr together, for "the output mentions X".
    pub fn all_output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "---- command: {}", self.command)?;
        writeln!(f, "---- status: {}", self.status)?;
        writeln!(f, "---- stdout:\n{}", self.stdout)?;
        write!(f, "---- stderr:\n{}", self.stderr)
    }
}

/// The command line as a shell would show it, for messages.
fn describe(cmd: &Command) -> String {
    let mut text = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            text.push_str(&format!(
                "{}={} ",
                key.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    text.push_str(&cmd.get_program().to_string_lossy());
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '\'') {
            text.push_str(&format!(" {arg:?}"));
        } else {
            text.push(' ');
            text.push_str(&arg);
        }
    }
    text
}

/// Runs `cmd` with captured output. Kills it and fails if it has not
/// finished after `deadline`: a hung engine must not hang the test run.
pub fn run_with_deadline(cmd: &mut Command, deadline: Duration) -> Result<Output, String> {
    let command = describe(cmd);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("failed to run `{command}`: {e}"))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{command}` was still running after {deadline:?} and was killed\n\
                     ---- stdout:\n{}\n---- stderr:\n{}",
                    stdout.join().unwrap_or_default(),
                    stderr.join().unwrap_or_default()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("failed to wait for `{command}`: {e}")),
        }
    };
    Ok(Output {
        command,
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs `cmd` within `deadline`; panics with the command if it could not
/// be run or timed out. The exit status is the caller's to judge.
#[track_caller]
pub fn run(cmd: &mut Command, deadline: Duration) -> Output {
    match run_with_deadline(cmd, deadline) {
        Ok(out) => out,
        Err(e) => panic!("{e}"),
    }
}

/// `docker ARGS...` with the usual deadline.
#[track_caller]
pub fn docker(args: &[&str]) -> Output {
    run(Command::new("docker").args(args), COMMAND_DEADLINE)
}

/// Polls `probe` until it returns Ok, or fails after `deadline` showing
/// the last thing it saw. Used instead of timed assertions.
#[track_caller]
pub fn wait_until<T>(
    what: &str,
    deadline: Duration,
    mut probe: impl FnMut() -> Result<T, String>,
) -> T {
    let started = Instant::now();
    loop {
        match probe() {
            Ok(value) => return value,
            Err(last) if started.elapsed() > deadline => {
                panic!("gave up after {deadline:?} waiting for {what}; last seen:\n{last}")
            }
            Err(_) => thread::sleep(Duration::from_millis(250)),
        }
    }
}

/// Something this process created that must not outlive it.
#[derive(Debug, Clone)]
enum Created {
    Container(String),
    Image(String),
    Path(PathBuf),
}

fn registry() -> &'static Mutex<Vec<Created>> {
    static CREATED: Mutex<Vec<Created>> = Mutex::new(Vec::new());
    &CREATED
}

/// Remembers an object for the exit-time cleanup, registering that
/// cleanup the first time.
fn remember(object: Created) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        extern "C" {
            fn atexit(hook: extern "C" fn()) -> std::os::raw::c_int;
        }
        // SAFETY: atexit only stores the function pointer; the hook
        // touches nothing that exit tears down before running it.
        unsafe {
            atexit(clean_up_at_exit);
        }
    });
    registry()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(object);
}

/// Removes everything remembered, newest first (containers before the
/// images they run), then any image still carrying this run's label,
/// such as the layers a failed build left. Runs when the test binary
/// exits, whether its tests passed or not.
extern "C" fn clean_up_at_exit() {
    let created = std::mem::take(
        &mut *registry()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    );
    for object in created.iter().rev() {
        remove(object);
    }
    let label = format!("label={}", run_label());
    let _ = run_with_deadline(
        Command::new("docker").args(["image", "prune", "--all", "--force", "--filter", &label]),
        COMMAND_DEADLINE,
    );
}

fn remove(object: &Created) {
    let mut cmd = Command::new("docker");
    match object {
        Created::Container(name) => cmd.args(["rm", "--force", "--volumes", name]),
        Created::Image(name) => cmd.args(["rmi", "--force", name]),
        Created::Path(path) => {
            let _ = std::fs::remove_dir_all(path);
            return;
        }
    };
    let _ = run_with_deadline(&mut cmd, COMMAND_DEADLINE);
}

/// A directory removed when the test binary exits, for fixtures that
/// live as long as the shared images.
pub fn remember_path(path: &Path) {
    remember(Created::Path(path.to_path_buf()));
}

/// An image removed when the test binary exits.
pub fn remember_image(name: &str) {
    remember(Created::Image(name.to_string()));
}

/// A container removed, with its anonymous volumes, when dropped (also
/// when the test panics) and, as a backstop, at exit.
pub struct ContainerGuard {
    pub name: String,
}

impl ContainerGuard {
    /// Names a container before it is created, so that even a `docker
    /// run` that fails half-way is cleaned up.
    pub fn new(what: &str) -> ContainerGuard {
        let name = unique_name(what);
        remember(Created::Container(name.clone()));
        ContainerGuard { name }
    }

    /// `docker exec NAME ARGS...`.
    #[track_caller]
    pub fn exec(&self, args: &[&str]) -> Output {
        let mut full = vec!["exec", self.name.as_str()];
        full.extend_from_slice(args);
        docker(&full)
    }

    /// `docker inspect --format FORMAT NAME`, trimmed.
    #[track_caller]
    pub fn inspect(&self, format: &str) -> String {
        docker(&["inspect", "--format", format, &self.name])
            .ok()
            .stdout
            .trim()
            .to_string()
    }

    /// The container's log so far, for failure messages.
    pub fn logs(&self) -> String {
        match run_with_deadline(
            Command::new("docker").args(["logs", &self.name]),
            COMMAND_DEADLINE,
        ) {
            Ok(out) => format!("{}{}", out.stdout, out.stderr),
            Err(e) => e,
        }
    }
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        remove(&Created::Container(self.name.clone()));
    }
}

/// An image removed when dropped (also when the test panics) and, as a
/// backstop, at exit.
pub struct ImageGuard {
    pub name: String,
}

impl ImageGuard {
    pub fn new(what: &str) -> ImageGuard {
        let name = unique_name(what);
        remember_image(&name);
        ImageGuard { name }
    }
}

impl Drop for ImageGuard {
    fn drop(&mut self) {
        remove(&Created::Image(self.name.clone()));
    }
}
