//! Process supervision under faults and misuse, run through the real
//! `container` binary: the update lock across a `kill -9` of the tool,
//! methods executed without any shell fallback, actions run from a
//! terminal, signals forwarded to the method's group, and the processes
//! a method leaves in its group ended before the tool exits.
//!
//! Every process these tests start has a deadline, and every method that
//! could outlive a failing test is ended by a guard.

mod common;

use common::{describe, is_running, read_pid, wait_for, Background, TestDir, PATIENCE};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::json;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` to completion, killing it and failing after [`PATIENCE`].
fn run(mut cmd: Command) -> Output {
    let description = format!("{cmd:?}");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Background {
        child: cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {description}: {e}")),
        description,
    }
    .finish()
    .output
}

/// The real `container` binary on `t`'s layout, with `args`.
fn container(t: &TestDir, args: &[&str]) -> Output {
    let mut cmd = t.container_std(args);
    cmd.stdin(Stdio::null());
    run(cmd)
}

#[track_caller]
fn assert_code(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "expected exit code {code}\n{}",
        describe(output)
    );
}

/// Writes an executable file. It is written by a separate process, so no
/// descriptor open for writing can leak into a child that another test
/// thread forks meanwhile (which would make executing it fail, ETXTBSY).
fn write_executable(path: &Path, body: &str) {
    let mut cmd = Command::new("/bin/sh");
    cmd.args([
        "-c",
        "printf '%s' \"$1\" > \"$2\" && chmod 755 \"$2\"",
        "sh",
    ])
    .arg(body)
    .arg(path);
    let output = run(cmd);
    assert!(output.status.success(), "{}", describe(&output));
}

/// Ends what a test started when the test ends, passed or failed: every
/// process whose environment carries this test's `TEST_DIR` (the tool,
/// its methods and whatever they left behind) gets SIGKILL. Matching on
/// the environment, never on a remembered pid, cannot hit a process that
/// was given a recycled pid. It first creates `release`, the file that
/// blocking methods wait for.
struct Reaper {
    marker: Vec<u8>,
    release: Option<PathBuf>,
}

impl Reaper {
    fn new(t: &TestDir) -> Reaper {
        let mut marker = b"TEST_DIR=".to_vec();
        marker.extend_from_slice(t.path().as_os_str().as_encoded_bytes());
        Reaper {
            marker,
            release: None,
        }
    }

    fn releasing(t: &TestDir, release: PathBuf) -> Reaper {
        let mut reaper = Reaper::new(t);
        reaper.release = Some(release);
        reaper
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(release) = &self.release {
            let _ = fs::write(release, "");
        }
        let Ok(procs) = fs::read_dir("/proc") else {
            return;
        };
        for entry in procs.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            let ours = fs::read(entry.path().join("environ"))
                .map(|env| env.split(|b| *b == 0).any(|var| var == self.marker))
                .unwrap_or(false);
            if ours {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
    }
}

// ---------------------------------------------------------------------
// Only one UPDATE at a time, even after a crash.

/// An UPDATE method that notices an overlap itself: it records its pid,
/// and if the previous holder's process is still alive (not gone, and
/// not a zombie waiting to be reaped) it logs an overlap. A holder seen
/// alive is looked at again a moment later, since a process releases its
/// files a little before it turns into a zombie; a real overlap lasts.
/// The method then blocks until the test creates `release`.
const OVERLAP_DETECTING_UPDATE: &str = r#"alive() {
  state=gone
  [ -r "/proc/$1/stat" ] && read -r _pid _comm state _rest < "/proc/$1/stat"
  [ "$state" != gone ] && [ "$state" != Z ]
}
prev=$(cat "$TEST_DIR/holder" 2>/dev/null || true)
if [ -n "$prev" ] && alive "$prev" && sleep 0.5 && alive "$prev"; then
  echo "$$ ran beside $prev" >> "$TEST_DIR/overlaps"
fi
echo $$ > "$TEST_DIR/holder"
echo run >> "$TEST_DIR/runs"
echo $$ >> "$TEST_DIR/method.pids"
while [ ! -e "$TEST_DIR/release" ]; do sleep 0.05; done
"#;

/// Regression: `kill -9` of a running `container --update` left its
/// method running, and a second UPDATE took the lock and ran a second
/// method beside it. The method now inherits the lock, so the lock lives
/// as long as any process of the method does.
#[test]
fn killed_update_keeps_the_lock_until_its_method_has_ended() {
    let t = TestDir::new();
    let method = t.sh_method("update.sh", OVERLAP_DETECTING_UPDATE);
    t.write_record(1, json!({"project": "app", "update_method": method}));
    let _reaper = Reaper::releasing(&t, t.file("release"));

    // Its output goes nowhere: the orphaned method keeps whatever it
    // inherited open, so pipes would never reach their end.
    let mut first = t.container_std(&["--update"]);
    first.stdout(Stdio::null()).stderr(Stdio::null());
    let mut first = first.spawn().expect("spawn the first UPDATE");
    let first_pid = first.id() as i32;
    let first_method = read_pid(&t.file("holder"));
    kill(Pid::from_raw(first_pid), Signal::SIGKILL).expect("kill -9 container");
    let deadline = Instant::now() + PATIENCE;
    let killed = loop {
        if let Some(status) = first.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the killed UPDATE did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(killed.code(), None, "container was killed");
    assert!(is_running(first_method), "the method outlives the tool");

    // A second UPDATE must not start a method while the first one runs.
    let mut second = Background::spawn(t.container_std(&["--update"]));
    let deadline = Instant::now() + PATIENCE;
    while second.child.try_wait().unwrap().is_none() {
        assert!(
            !t.file("overlaps").exists(),
            "a second UPDATE method ran beside the first: {}",
            fs::read_to_string(t.file("overlaps")).unwrap_or_default()
        );
        assert!(Instant::now() < deadline, "the second UPDATE hangs");
        std::thread::sleep(Duration::from_millis(20));
    }
    let refused = second.finish();
    refused
        .assert_code(75)
        .assert_stderr_contains(&format!("pid {first_pid}"))
        .assert_stderr_contains("still hold the lock");

    // A short `--wait` still gives up.
    let refused_after_waiting = container(&t, &["--update", "--wait", "1"]);
    assert_code(&refused_after_waiting, 75);

    // A long one waits for the orphaned method, then runs alone.
    let mut third = Background::spawn(t.container_std(&["--update", "--wait", "60"]));
    let mut stderr = BufReader::new(third.child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.contains("waiting"), "unexpected first line: {line:?}");
    fs::write(t.file("release"), "").unwrap();
    third.finish().assert_code(0);
    drop(stderr);

    assert!(
        !t.file("overlaps").exists(),
        "UPDATE methods overlapped: {}",
        fs::read_to_string(t.file("overlaps")).unwrap_or_default()
    );
    assert_eq!(fs::read_to_string(t.file("runs")).unwrap(), "run\nrun\n");
    wait_for("the first method to end", || !is_running(first_method));
}

#[test]
fn update_method_inherits_the_lock_on_the_descriptor_named_in_its_environment() {
    let t = TestDir::new();
    let method = t.sh_method(
        "update.sh",
        "fd=$CONTAINER_UPDATE_LOCK_FD\n\
         echo \"$fd\" > \"$TEST_DIR/fd\"\n\
         readlink \"/proc/$$/fd/$fd\" > \"$TEST_DIR/target\"\n",
    );
    t.write_record(1, json!({"project": "app", "update_method": method}));
    assert_code(&container(&t, &["--update"]), 0);
    let fd = fs::read_to_string(t.file("fd")).unwrap();
    assert!(fd.trim().parse::<u32>().is_ok(), "fd {fd:?}");
    let target = fs::read_to_string(t.file("target")).unwrap();
    assert_eq!(
        target.trim(),
        t.state_dir().join("update.lock").display().to_string()
    );
    // The lock went with the method.
    assert_code(&container(&t, &["--update"]), 0);

    // Other actions take no lock and name none.
    let t = TestDir::new();
    let method = t.sh_method(
        "validate.sh",
        "echo \"[${CONTAINER_UPDATE_LOCK_FD-unset}]\" > \"$TEST_DIR/fd\"\n",
    );
    t.write_record(1, json!({"project": "app", "validate_method": method}));
    assert_code(&container(&t, &["--validate"]), 0);
    assert_eq!(fs::read_to_string(t.file("fd")).unwrap(), "[unset]\n");
}

/// A daemon started by UPDATE leaves the method's process group (setsid)
/// before the method exits; `started_how` is the shell words that start
/// it.
fn update_leaving_a_daemon(started_how: &str) -> (TestDir, Reaper) {
    let t = TestDir::new();
    let method = t.sh_method(
        "update.sh",
        &format!(
            "{started_how} </dev/null >/dev/null 2>&1 &\n\
             echo $! > \"$TEST_DIR/daemon.pid\"\n\
             while [ \"$(cut -d' ' -f5 /proc/$!/stat)\" = $$ ]; do sleep 0.01; done\n"
        ),
    );
    t.write_record(1, json!({"project": "app", "update_method": method}));
    let reaper = Reaper::new(&t);
    (t, reaper)
}

#[test]
fn daemon_that_closes_the_lock_descriptor_does_not_hold_the_lock() {
    let (t, _reaper) =
        update_leaving_a_daemon("eval \"exec setsid sleep 100 $CONTAINER_UPDATE_LOCK_FD>&-\"");
    assert_code(&container(&t, &["--update"]), 0);
    let daemon = read_pid(&t.file("daemon.pid"));
    assert!(
        is_running(daemon),
        "a daemon outside the group is left alone"
    );
    assert_code(&container(&t, &["--update"]), 0);
}

#[test]
fn daemon_that_keeps_the_lock_descriptor_holds_the_lock_until_it_exits() {
    let (t, _reaper) = update_leaving_a_daemon("exec setsid sleep 100");
    assert_code(&container(&t, &["--update"]), 0);
    let daemon = read_pid(&t.file("daemon.pid"));
    assert!(
        is_running(daemon),
        "a daemon outside the group is left alone"
    );
    let refused = container(&t, &["--update"]);
    assert_code(&refused, 75);
    kill(Pid::from_raw(daemon), Signal::SIGKILL).unwrap();
    wait_for("the daemon to exit", || !is_running(daemon));
    assert_code(&container(&t, &["--update"]), 0);
}

// ---------------------------------------------------------------------
// Methods are executed directly: no shell, not even as a fallback.

/// Regression: a method file without `#!` was run through /bin/sh (the
/// C library's ENOEXEC fallback of `execvp`), though no shell is promised.
#[test]
fn method_without_interpreter_line_exits_78_and_no_shell_runs_it() {
    let t = TestDir::new();
    let plain = t.file("plain-update");
    write_executable(&plain, "touch \"$TEST_DIR/ran\"\n");
    t.write_record(
        1,
        json!({"project": "app", "update_method": plain.display().to_string()}),
    );
    let output = container(&t, &["--update"]);
    assert_code(&output, 78);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&plain.display().to_string()) && stderr.contains("no interpreter line"),
        "{}",
        describe(&output)
    );
    assert!(!t.file("ran").exists(), "a shell ran the method");
    let state = t.state();
    assert_eq!(state["actions"]["update"]["exit_code"], 78, "{state}");
}

#[test]
fn method_found_on_path_runs_and_is_never_handed_to_a_shell() {
    let t = TestDir::new();
    let bin = t.file("bin");
    fs::create_dir(&bin).unwrap();
    write_executable(
        &bin.join("hello"),
        "#!/bin/sh\necho \"$0|$1\" > \"$TEST_DIR/hello\"\nexit 6\n",
    );
    write_executable(&bin.join("plain"), "touch \"$TEST_DIR/ran\"\n");
    let path = format!("{}:/usr/bin:/bin", bin.display());

    t.write_record(
        1,
        json!({"project": "app", "validate_method": ["hello", "world"], "monitor_method": ["plain"]}),
    );
    let mut validate = t.container_std(&["--validate"]);
    validate.env("PATH", &path);
    assert_code(&run(validate), 6);
    assert_eq!(
        fs::read_to_string(t.file("hello")).unwrap(),
        format!("{}|world\n", bin.join("hello").display())
    );

    let mut monitor = t.container_std(&["--monitor"]);
    monitor.env("PATH", &path);
    let output = run(monitor);
    assert_code(&output, 78);
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no interpreter line"),
        "{}",
        describe(&output)
    );
    assert!(!t.file("ran").exists(), "a shell ran the method");

    let mut missing = t.container_std(&["--validate"]);
    missing.env("PATH", "/nonexistent");
    assert_code(&run(missing), 78);
}

// ---------------------------------------------------------------------
// Actions run from a terminal.

/// Regression: `docker exec -it C container --update` hung: the method
/// runs in its own process group, so reading the terminal stopped it
/// with SIGTTIN. The method's group now gets the terminal's foreground
/// while it runs, and `container` takes it back afterwards: the shell
/// around it can read the terminal again.
#[test]
fn action_run_from_a_terminal_can_read_it_and_gives_it_back() {
    use nix::pty::openpty;

    let t = TestDir::new();
    let method = t.sh_method(
        "update.sh",
        "echo $$ > \"$TEST_DIR/method.pid\"\n\
         read line\n\
         echo \"method:$line\" > \"$TEST_DIR/method-read\"\n",
    );
    t.write_record(1, json!({"project": "app", "update_method": method}));

    let pty = openpty(None, None).expect("openpty");
    let slave = fs::File::from(pty.slave);
    let mut master = fs::File::from(pty.master);
    // A session on the terminal: a shell runs `container --update`, then
    // reads the terminal itself, which only works once container has
    // handed the foreground back (an orphaned background group gets EIO).
    let script = format!(
        "'{}' --update; echo \"$?\" > \"$TEST_DIR/update-exit\"\n\
         read line; echo \"shell:$line\" > \"$TEST_DIR/shell-read\"\n",
        env!("CARGO_BIN_EXE_container")
    );
    let mut session = Command::new("/bin/sh");
    session
        .args(["-c", &script])
        .env("CONTAINER_META_DIR", t.meta_dir())
        .env("CONTAINER_STATE_DIR", t.state_dir())
        .env("TEST_DIR", t.path())
        .stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        session.pre_exec(|| {
            nix::unistd::setsid()?;
            if nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut shell = session.spawn().expect("spawn the session");
    drop(session);
    let _reaper = Reaper::new(&t);
    // Canonical mode hands out one line per read: the method gets the
    // first, the shell the second.
    master.write_all(b"one\ntwo\n").unwrap();

    wait_for("the shell to read the terminal after the UPDATE", || {
        t.file("shell-read").exists()
    });
    assert_eq!(
        fs::read_to_string(t.file("method-read")).unwrap(),
        "method:one\n"
    );
    assert_eq!(fs::read_to_string(t.file("update-exit")).unwrap(), "0\n");
    assert_eq!(
        fs::read_to_string(t.file("shell-read")).unwrap(),
        "shell:two\n"
    );
    let deadline = Instant::now() + PATIENCE;
    while shell.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the session shell hangs");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------
// Signals.

/// Regression: `--start` forwarded only TERM, INT, HUP, QUIT, USR1 and
/// USR2, so an image with `STOPSIGNAL SIGWINCH` could not be stopped.
#[test]
fn start_forwards_every_signal_a_process_may_catch() {
    let t = TestDir::new();
    // WINCH, URG, ALRM, PWR, USR2, SIGRTMIN+1 and SIGRTMAX (glibc).
    let signals = [28, 23, 14, 30, 12, 35, 64];
    let mut body = String::new();
    for n in signals {
        body.push_str(&format!("trap 'echo {n} >> \"$TEST_DIR/got\"' {n}\n"));
    }
    body.push_str(
        "echo $$ > \"$TEST_DIR/start.pid\"\n\
         touch \"$TEST_DIR/ready\"\n\
         while :; do sleep 0.05; done\n",
    );
    let method = t.sh_method("start.sh", &body);
    t.write_record(1, json!({"project": "app", "start_method": method}));
    let start = Background::spawn(t.container_std(&["--start"]));
    let _reaper = Reaper::new(&t);
    wait_for("the START method to be ready", || t.file("ready").exists());

    for (i, n) in signals.iter().enumerate() {
        // SAFETY: kill(2) with a plain signal number.
        let sent = unsafe { nix::libc::kill(start.pid(), *n) };
        assert_eq!(sent, 0, "send signal {n}");
        wait_for(&format!("signal {n} to reach the START method"), || {
            fs::read_to_string(t.file("got"))
                .map(|got| got.lines().count() > i)
                .unwrap_or(false)
        });
    }
    let got = fs::read_to_string(t.file("got")).unwrap();
    let expected: Vec<String> = signals.iter().map(|n| n.to_string()).collect();
    assert_eq!(got.lines().collect::<Vec<_>>(), expected);

    kill(Pid::from_raw(start.pid()), Signal::SIGTERM).unwrap();
    start.finish().assert_code(143);
}

/// Whether process `pid` has a descriptor open on a file named `name`.
fn has_open(pid: i32, name: &str) -> bool {
    let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        fs::read_link(fd.path())
            .map(|target| target.file_name() == Some(name.as_ref()))
            .unwrap_or(false)
    })
}

/// Regression: a SIGTERM that reached `--start` before its child existed
/// was lost (as PID 1, whose default dispositions the kernel ignores) or
/// killed the tool outright. It is now held until the child exists and
/// then passed on. The test holds the state lock, which `--start` takes
/// to count the start before it spawns the child, to send the signal
/// inside that window.
#[test]
fn sigterm_while_start_is_starting_reaches_the_child() {
    use nix::fcntl::{Flock, FlockArg};

    let t = TestDir::new();
    let method = t.sh_method("start.sh", "exec sleep 100\n");
    t.write_record(1, json!({"project": "app", "start_method": method}));
    fs::create_dir_all(t.state_dir()).unwrap();
    let lock = fs::File::create(t.state_dir().join("state.lock")).unwrap();
    let held = Flock::lock(lock, FlockArg::LockExclusive).expect("take the state lock");

    let start = Background::spawn(t.container_std(&["--start"]));
    let _reaper = Reaper::new(&t);
    wait_for("container to wait for the state lock", || {
        has_open(start.pid(), "state.lock")
    });
    kill(Pid::from_raw(start.pid()), Signal::SIGTERM).unwrap();
    drop(held);
    start.finish().assert_code(143);
}

// ---------------------------------------------------------------------
// Nothing is left behind in the method's process group.

/// A method that leaves two processes in its group and exits 3: one that
/// SIGTERM ends, and one that ignores SIGTERM and needs SIGKILL.
fn method_leaving_processes(t: &TestDir, field: &str) -> Reaper {
    let method = t.sh_method(
        "leaves.sh",
        "sleep 100 </dev/null >/dev/null 2>&1 &\n\
         echo $! > \"$TEST_DIR/plain.pid\"\n\
         (trap '' TERM; touch \"$TEST_DIR/stubborn\"; exec sleep 100) </dev/null >/dev/null 2>&1 &\n\
         echo $! > \"$TEST_DIR/stubborn.pid\"\n\
         while [ ! -e \"$TEST_DIR/stubborn\" ]; do sleep 0.01; done\n\
         exit 3\n",
    );
    t.write_record(1, json!({"project": "app", field: method}));
    Reaper::new(t)
}

#[track_caller]
fn assert_left_nothing(t: &TestDir) {
    for name in ["plain.pid", "stubborn.pid"] {
        let pid = read_pid(&t.file(name));
        // No waiting: `container` has already seen them end.
        assert!(!is_running(pid), "{name} ({pid}) was left running");
    }
}

#[test]
fn start_ends_the_processes_left_in_its_group_before_it_exits() {
    let t = TestDir::new();
    let _reaper = method_leaving_processes(&t, "start_method");
    assert_code(&container(&t, &["--start"]), 3);
    assert_left_nothing(&t);
}

#[test]
fn one_shot_action_ends_the_processes_left_in_its_group_before_it_exits() {
    let t = TestDir::new();
    let _reaper = method_leaving_processes(&t, "validate_method");
    assert_code(&container(&t, &["--validate"]), 3);
    assert_left_nothing(&t);
}
