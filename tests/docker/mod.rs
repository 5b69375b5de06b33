//! The Docker test harness: the real engine, through the docker CLI.
//! Every test file that needs the engine includes this module (`mod
//! docker;`), so they all follow one policy:
//!
//! - **Skip or fail.** [`engine_or_skip`] finds out whether an engine
//!   answers. When `CI` is set to anything non-empty other than `false`
//!   or `0`, a missing engine fails the test loudly; elsewhere the test
//!   prints a loud SKIP to the terminal (past the test harness's capture)
//!   and passes. `CI=false` and `CI=0` are honoured as "not CI" because
//!   that is how people switch CI behaviour off by hand; no CI system sets
//!   them. [`prerequisite_or_skip`] applies the same policy to any other
//!   tool a test needs.
//! - **Deadlines.** Every docker command runs with a deadline
//!   ([`COMMAND_DEADLINE`], [`BUILD_DEADLINE`]) and is killed, with its
//!   process group, past it. Every test that calls [`engine_or_skip`] is
//!   also watched as a whole: past [`TEST_DEADLINE`] the test binary
//!   prints what hung and exits (its exit-time cleanup still runs).
//! - **Labels and names.** Every object is named uniquely for this run
//!   ([`unique_name`]) and labelled `io.waybill.test=1` plus
//!   `io.waybill.run=<run id>` ([`label_args`]).
//! - **Cleanup.** Containers and per-test images go through Drop guards
//!   (which run on panic too); everything this process created, and
//!   every container, image, volume and network carrying this run's
//!   label, is removed by an `atexit` hook when the test binary exits,
//!   whether its tests passed or not. `.ci/run` sweeps `io.waybill.test=1`
//!   afterwards for a test binary that was killed outright.
//!
//! It does not mock the engine and does not talk to it through bollard:
//! the engine is only ever reached the way a user reaches it. Every
//! command's output is captured; a failed expectation prints the
//! command, its exit status, stdout and stderr.

// Each test file uses only part of the harness.
#![allow(dead_code)]

// Included by path so that this module stands alone in any test file;
// a file that also includes another helper module compiles it twice.
#[allow(clippy::duplicate_mod)]
#[path = "../common/deadline.rs"]
mod deadline;

use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, Once, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The label every test object carries, so a sweep can find leftovers.
pub const TEST_LABEL: &str = "io.waybill.test=1";

/// How long any one docker command may take before the test gives up on
/// it; image builds get longer. Generous: machines are noisy.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(180);
pub const BUILD_DEADLINE: Duration = Duration::from_secs(600);

/// How long one Docker test may run in all, its share of the builds the
/// tests of a binary share included. Only a backstop against a hang that
/// the per-command deadlines miss: machines are noisy.
pub const TEST_DEADLINE: Duration = Duration::from_secs(20 * 60);

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

/// Whether this is a CI run, where a missing engine is a failure: `CI`
/// is set to anything non-empty other than `false` or `0` (see the
/// module documentation for why those two are exempt).
pub fn in_ci() -> bool {
    ci_value_means_ci(std::env::var("CI").ok().as_deref())
}

/// The CI policy on the value of `CI`, apart from the environment.
pub fn ci_value_means_ci(value: Option<&str>) -> bool {
    match value.map(str::trim) {
        None | Some("") | Some("0") => false,
        Some(v) => !v.eq_ignore_ascii_case("false"),
    }
}

/// Writes `message` straight to the terminal's stderr, past the test
/// harness's capture (which hides eprintln! of a passing test), in one
/// write so it is not interleaved with the harness's own lines.
fn shout(message: &str) {
    let _ = std::io::stderr().lock().write_all(message.as_bytes());
}

/// Whether a Docker engine answers. Without one: panics in CI (see
/// [`in_ci`]), otherwise prints a loud SKIP for `test` and returns false.
/// When it returns true, `test` is watched until it ends: past
/// [`TEST_DEADLINE`] the test binary stops (see [`watch_test`]).
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
    let ready = prerequisite_or_skip(
        test,
        "a Docker engine that answers",
        answers.as_ref().map(|_| ()).map_err(String::clone),
    );
    if ready {
        ensure_exit_hook();
        watch_test(test, TEST_DEADLINE);
    }
    ready
}

/// The skip-or-fail policy for anything a test needs from the machine
/// (a Docker engine, a tool such as `ip` or `promtool`): when `check` is
/// Ok, returns true; otherwise panics in CI, or prints a loud SKIP naming
/// `test`, `what` is missing and why, and returns false.
#[track_caller]
pub fn prerequisite_or_skip(test: &str, what: &str, check: Result<(), String>) -> bool {
    let why = match check {
        Ok(()) => return true,
        Err(why) => why,
    };
    if in_ci() {
        panic!("\n\n!!!! {test}: needs {what}, and CI is set, which requires it.\n{why}\n");
    }
    // The reason once per binary and prerequisite; the SKIP for every test.
    static SHOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let first = {
        let mut shown = SHOWN.lock().unwrap_or_else(|p| p.into_inner());
        let first = !shown.iter().any(|w| w == what);
        if first {
            shown.push(what.to_string());
        }
        first
    };
    let mut message =
        format!("\n!!!! SKIP {test}: needs {what} (set CI=true to make this a failure)\n");
    if first {
        message.push_str(&format!("{why}\n"));
    }
    shout(&message);
    false
}

/// Watches the test running on this thread: if it has not ended after
/// `deadline`, prints which test hung and exits the test binary with
/// status 101, which runs the exit-time cleanup. A later call on the same
/// thread replaces the watch (to give one test a longer deadline).
///
/// The watch ends with the test's thread: the test harness runs each test
/// on its own thread, and a thread-local's destructor runs when that
/// thread ends, passed or panicked.
pub fn watch_test(test: &str, deadline: Duration) {
    thread_local! {
        static WATCH: RefCell<Option<mpsc::Sender<()>>> = const { RefCell::new(None) };
    }
    let (ended, watched) = mpsc::channel::<()>();
    let test = test.to_string();
    thread::spawn(move || {
        // Nothing is ever sent: a dropped sender (the test ended, or was
        // re-armed) disconnects, and only a timeout means a hang.
        if let Err(mpsc::RecvTimeoutError::Timeout) = watched.recv_timeout(deadline) {
            shout(&format!(
                "\n\n!!!! {test} was still running after {deadline:?}: stopping the test \
                 binary so that CI does not hang (its Docker objects are removed at exit)\n"
            ));
            std::process::exit(101);
        }
    });
    WATCH.with(|watch| *watch.borrow_mut() = Some(ended));
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

/// Runs `cmd` with captured output. Kills it (its process group) and
/// fails if it has not finished after `deadline`: a hung engine must not
/// hang the test run.
pub fn run_with_deadline(cmd: &mut Command, deadline: Duration) -> Result<Output, String> {
    let command = deadline::describe(cmd);
    let out = deadline::output_within(cmd, None, deadline)?;
    Ok(Output {
        command,
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
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

/// Registers the exit-time cleanup, once per test binary.
fn ensure_exit_hook() {
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
}

/// Remembers an object for the exit-time cleanup.
fn remember(object: Created) {
    ensure_exit_hook();
    registry()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(object);
}

/// Removes everything remembered, newest first (containers before the
/// images they run), then every container, image, volume and network
/// still carrying this run's label: what a shell script under test made,
/// the layers a failed build left, images built FROM a test image (they
/// inherit its labels). Runs when the test binary exits, whether its
/// tests passed or not.
extern "C" fn clean_up_at_exit() {
    let created = std::mem::take(
        &mut *registry()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    );
    for object in created.iter().rev() {
        remove(object);
    }
    remove_labelled(&run_label());
}

/// Removes every container, image, volume and network labelled `label`
/// (`KEY=VALUE`), in that order. Errors are ignored: this is cleanup.
pub fn remove_labelled(label: &str) {
    let filter = format!("label={label}");
    let ids = |args: &[&str]| -> Vec<String> {
        run_with_deadline(Command::new("docker").args(args), COMMAND_DEADLINE)
            .map(|out| out.stdout.split_whitespace().map(String::from).collect())
            .unwrap_or_default()
    };
    let containers = ids(&["ps", "--all", "--quiet", "--filter", &filter]);
    if !containers.is_empty() {
        let _ = run_with_deadline(
            Command::new("docker")
                .args(["rm", "--force", "--volumes"])
                .args(&containers),
            COMMAND_DEADLINE,
        );
    }
    let _ = run_with_deadline(
        Command::new("docker").args(["image", "prune", "--all", "--force", "--filter", &filter]),
        COMMAND_DEADLINE,
    );
    let volumes = ids(&["volume", "ls", "--quiet", "--filter", &filter]);
    if !volumes.is_empty() {
        let _ = run_with_deadline(
            Command::new("docker")
                .args(["volume", "rm", "--force"])
                .args(&volumes),
            COMMAND_DEADLINE,
        );
    }
    let _ = run_with_deadline(
        Command::new("docker").args(["network", "prune", "--force", "--filter", &filter]),
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
    /// A unique name for an image the test is about to build.
    pub fn new(what: &str) -> ImageGuard {
        let name = unique_name(what);
        remember_image(&name);
        ImageGuard { name }
    }

    /// Builds `dockerfile`, with an otherwise empty context, into a new
    /// image named for `what` and labelled for this run; `args` go to
    /// `docker build` before the context (`--label=K=V`,
    /// `--build-arg=K=V`). The classic builder, no network: nothing is
    /// pulled. Panics, showing the build's output, when it fails.
    #[track_caller]
    pub fn build(what: &str, dockerfile: &str, args: &[String]) -> ImageGuard {
        let image = ImageGuard::new(what);
        let context = tempfile::tempdir().expect("create a build context");
        std::fs::write(context.path().join("Dockerfile"), dockerfile)
            .expect("write the Dockerfile");
        run(
            Command::new("docker")
                .env("DOCKER_BUILDKIT", "0")
                .args(["build", "--network", "none", "--force-rm", "--tag"])
                .arg(&image.name)
                .args(label_args())
                .args(args)
                .arg(context.path()),
            BUILD_DEADLINE,
        )
        .ok();
        image
    }

    /// `docker image inspect`'s labels of this image.
    #[track_caller]
    pub fn labels(&self) -> serde_json::Map<String, serde_json::Value> {
        let out = docker(&[
            "image",
            "inspect",
            "--format",
            "{{json .Config.Labels}}",
            &self.name,
        ])
        .ok();
        match serde_json::from_str(&out.stdout) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => panic!("the labels of {} are not a JSON object:\n{out}", self.name),
        }
    }
}

impl Drop for ImageGuard {
    fn drop(&mut self) {
        remove(&Created::Image(self.name.clone()));
    }
}
