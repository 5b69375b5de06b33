//! Running a `std::process::Command` with a deadline: the one way the
//! integration tests run a process that assert_cmd does not run for them
//! (git, docker, shells, the binaries started with special set-up).
//!
//! The child gets its own process group, so the deadline's SIGKILL also
//! reaches whatever it started (a hung `docker build`, a doc example's
//! pipeline). Output is drained on threads and collected with a bounded
//! wait, because a descendant that escaped the group may still hold the
//! pipes. It does not judge the exit status: that is the caller's.
//!
//! This file is included by path from tests/common, tests/docker and
//! tests/stamp_support, so each helper module stands alone in any test
//! file that includes it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// A generous deadline for anything the tests wait on, and for any one
/// run of a binary: machines are noisy, and this is only there so that a
/// hang fails instead of lasting forever.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// How long the output of a killed command is waited for after the kill.
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(5);

/// The command line as a shell would show it, environment first, for
/// failure messages.
pub fn describe(cmd: &Command) -> String {
    let mut text = String::new();
    if let Some(dir) = cmd.get_current_dir() {
        text.push_str(&format!("(cd {} && ", dir.display()));
    }
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            text.push_str(&format!(
                "{}={} ",
                key.to_string_lossy(),
                quoted(&value.to_string_lossy())
            ));
        }
    }
    text.push_str(&cmd.get_program().to_string_lossy());
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&quoted(&arg.to_string_lossy()));
    }
    if cmd.get_current_dir().is_some() {
        text.push(')');
    }
    text
}

fn quoted(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Runs `cmd` to completion with `input` on its stdin (nothing: stdin is
/// /dev/null) and its output captured. Past `deadline` its process group
/// is killed and an error returned that shows the command and what it
/// printed so far.
pub fn output_within(
    cmd: &mut Command,
    input: Option<&[u8]>,
    deadline: Duration,
) -> Result<Output, String> {
    let command = describe(cmd);
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("failed to run `{command}`: {e}"))?;
    let group = child.id() as i32;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
        let input = input.to_vec();
        // On a thread: a child that does not read must not block us
        // before the deadline can act. Dropping stdin closes it.
        thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let started = Instant::now();
    let status: Result<ExitStatus, String> = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if started.elapsed() > deadline => {
                kill_group(group);
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!(
                    "`{command}` was still running after {deadline:?}; its process group was killed"
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                kill_group(group);
                break Err(format!("failed to wait for `{command}`: {e}"));
            }
        }
    };
    // A finished child's pipes may still be held by something it left
    // running in the background: wait for them, but not forever.
    let patience = if status.is_ok() {
        deadline.saturating_sub(started.elapsed()) + DRAIN_AFTER_KILL
    } else {
        DRAIN_AFTER_KILL
    };
    let collect_by = Instant::now() + patience;
    let stdout = collect(&stdout, collect_by);
    let stderr = collect(&stderr, collect_by);
    match status {
        Ok(status) => Ok(Output {
            status,
            stdout,
            stderr,
        }),
        Err(why) => Err(format!(
            "{why}\n---- stdout:\n{}\n---- stderr:\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        )),
    }
}

/// [`output_within`], panicking with the command when it could not run
/// or ran past its deadline.
#[track_caller]
pub fn output_or_panic(cmd: &mut Command, input: Option<&[u8]>, deadline: Duration) -> Output {
    match output_within(cmd, input, deadline) {
        Ok(output) => output,
        Err(why) => panic!("{why}"),
    }
}

fn kill_group(group: i32) {
    use nix::sys::signal::{killpg, Signal};
    // A group that is already gone gives ESRCH: nothing left to kill.
    let _ = killpg(nix::unistd::Pid::from_raw(group), Signal::SIGKILL);
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        let _ = sender.send(bytes);
    });
    receiver
}

fn collect(pipe: &mpsc::Receiver<Vec<u8>>, by: Instant) -> Vec<u8> {
    let left = by.saturating_duration_since(Instant::now());
    pipe.recv_timeout(left).unwrap_or_else(|_| {
        b"<output not collected: the pipe is still held open by a descendant>".to_vec()
    })
}
