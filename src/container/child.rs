//! The supervision engine: run one method as a child and see it through.
//!
//! Both `--start` and the one-shot actions come through [`run`]. The
//! method is executed directly (argv, never a shell, see [`exec`]) in a
//! process group of its own, so that a signal or a timeout reaches
//! everything it started. Signals are read from a signalfd rather than
//! handled asynchronously ([`Signals`]): every signal a process may
//! catch, bar the few tini also keeps, is blocked and forwarded, and one
//! loop polls the signalfd, the optional stdout pipe and the deadlines.
//!
//! - Forwarded signals go to the child's whole process group, and only
//!   while its leader is unreaped: a zombie leader keeps the group id
//!   reserved, so the signal can never reach a stranger that got the id.
//! - A timeout sends SIGTERM to the group, then SIGKILL after
//!   [`KILL_GRACE`].
//! - When the leader exits (peeked with `WNOWAIT`, so it stays a zombie),
//!   whatever is left alive in its group gets SIGTERM, and SIGKILL after
//!   [`KILL_GRACE`] (at once if a timeout was already under way); the
//!   leader is reaped only when the group is empty ([`group`]), so
//!   nothing a method started outlives the action by accident.
//! - When stdin is a terminal whose foreground is ours, the method's
//!   group gets the foreground while it runs and we take it back after,
//!   so a method can read the terminal and gets its Ctrl-C.
//! - In start mode the tool is an init: it becomes a child subreaper and
//!   reaps every child that exits, not just its own.
//!
//! This module does not decide exit codes, print reports or touch state;
//! it returns what happened in [`Finished`]. It assumes a single-threaded
//! process (the `container` binary): blocked signals are per thread, and a
//! SIGCHLD taken by another thread would never reach the signalfd.

mod exec;
mod group;
mod signals;

pub use signals::Signals;

use super::ContainerError;
use crate::exit;
use crate::record::Action;
use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;
use nix::sys::wait::{waitid, waitpid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::io::{self, Read};
use std::os::fd::{AsFd, RawFd};
use std::process::ChildStdout;
use std::time::{Duration, Instant};

/// How long a timed-out method, or what a method left in its group,
/// gets between SIGTERM and SIGKILL; and how long processes that
/// survive SIGKILL (stuck in the kernel) are waited for.
pub const KILL_GRACE: Duration = Duration::from_secs(3);

/// How often the group is looked at while its stragglers are ending.
const STRAGGLER_POLL: Duration = Duration::from_millis(20);

/// What to run, and for which action (for error messages).
#[derive(Debug, Clone)]
pub struct Program {
    pub action: Action,
    /// The program and its arguments; never empty.
    pub argv: Vec<String>,
    /// The method was written as one path string, not an argv array.
    pub from_path_string: bool,
}

/// How to supervise the child.
#[derive(Debug, Clone, Default)]
pub struct Supervision {
    /// Start mode: become a child subreaper and reap every child that
    /// exits.
    pub init: bool,
    /// Kill the child's process group after this long.
    pub timeout: Option<Duration>,
    /// Capture stdout instead of inheriting it, up to this many bytes;
    /// past that the group is killed and [`Captured::overflowed`] is set.
    pub capture_stdout: Option<usize>,
    /// A descriptor the method inherits (the update lock), and the
    /// environment variable that tells the method its number.
    pub inherit_fd: Option<(RawFd, &'static str)>,
}

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Exited(u8),
    Signaled(Signal),
}

/// What happened to the child.
#[derive(Debug)]
pub struct Finished {
    pub status: Status,
    /// The deadline passed and the group was killed.
    pub timed_out: bool,
    /// The child's stdout, when it was captured.
    pub stdout: Option<Captured>,
}

#[derive(Debug, Default)]
pub struct Captured {
    pub bytes: Vec<u8>,
    /// The output went past the limit; the group was killed.
    pub overflowed: bool,
}

impl Finished {
    /// The child's exit code, or 128+N when signal N killed it.
    pub fn exit_code(&self) -> u8 {
        match self.status {
            Status::Exited(code) => code,
            Status::Signaled(signal) => exit::SIGNALED_BASE.saturating_add(signal as i32 as u8),
        }
    }
}

/// Spawns `program` and supervises it until it has been reaped and its
/// process group is empty. `signals` must have been taken before anything
/// that a signal should not interrupt unnoticed.
pub fn run(
    program: &Program,
    how: &Supervision,
    signals: &Signals,
) -> Result<Finished, ContainerError> {
    if how.init {
        become_subreaper();
    }
    let terminal = we_own_the_terminal();
    let setup = exec::Setup {
        signals: signals.method_setup(),
        take_terminal: terminal,
        inherit_fd: how.inherit_fd,
        capture_stdout: how.capture_stdout.is_some(),
    };
    let mut child = exec::spawn(program, setup)?;
    let pid = Pid::from_raw(child.id() as i32);
    let pipe = child.stdout.take();
    // `child` is never waited on through std: we reap it ourselves.
    drop(child);

    let mut supervisor = Supervisor {
        pid,
        init: how.init,
        leader_exited: false,
        status: None,
        timed_out: false,
        kill_at: None,
        killed_hard: false,
        give_up_at: None,
        pipe,
        captured: how.capture_stdout.map(|limit| (limit, Captured::default())),
    };
    let result = match &supervisor.pipe {
        Some(pipe) => fcntl(pipe, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))
            .map(drop)
            .map_err(|e| os("making the stdout pipe non-blocking", e)),
        None => Ok(()),
    };
    // A timeout too far off to represent is no timeout at all.
    let deadline = how.timeout.and_then(|t| Instant::now().checked_add(t));
    let result = result.and_then(|()| supervisor.supervise(signals, deadline));
    if result.is_err() && supervisor.status.is_none() {
        // Do not leave a method running that nobody supervises.
        supervisor.signal_group(Signal::SIGKILL);
        let _ = waitpid(pid, None);
    }
    if terminal {
        take_back_the_terminal();
    }
    result?;
    let status = supervisor.status.unwrap_or(Status::Exited(exit::SOFTWARE));
    Ok(Finished {
        status,
        timed_out: supervisor.timed_out,
        stdout: supervisor.captured.map(|(_, captured)| captured),
    })
}

/// The loop's state for one child.
struct Supervisor {
    pid: Pid,
    init: bool,
    /// The leader has exited and is a zombie we have not reaped yet.
    leader_exited: bool,
    /// Set once the leader has been reaped.
    status: Option<Status>,
    timed_out: bool,
    /// When SIGKILL follows the SIGTERM of a timeout, an overflow or the
    /// end of the stragglers.
    kill_at: Option<Instant>,
    killed_hard: bool,
    /// When to stop waiting for processes that survive SIGKILL.
    give_up_at: Option<Instant>,
    pipe: Option<ChildStdout>,
    captured: Option<(usize, Captured)>,
}

impl Supervisor {
    fn supervise(
        &mut self,
        signals: &Signals,
        deadline: Option<Instant>,
    ) -> Result<(), ContainerError> {
        loop {
            if !self.leader_exited && self.leader_has_exited()? {
                self.leader_exited = true;
                if self.kill_at.is_some() {
                    // A timeout or overflow is under way: what is left
                    // gets SIGKILL at once.
                    self.kill_at = Some(Instant::now());
                }
            }
            if self.init {
                self.reap_orphans()?;
            }
            let now = Instant::now();
            if self.leader_exited && self.group_has_ended(now) {
                break;
            }
            if let Some(deadline) = deadline {
                if !self.leader_exited && !self.timed_out && now >= deadline {
                    self.timed_out = true;
                    self.terminate(now);
                }
            }
            if let Some(kill_at) = self.kill_at {
                if !self.killed_hard && now >= kill_at {
                    self.killed_hard = true;
                    self.signal_group(Signal::SIGKILL);
                    self.give_up_at = Some(now + KILL_GRACE);
                    continue;
                }
            }
            let wake = [
                deadline.filter(|_| !self.timed_out && !self.leader_exited),
                self.kill_at.filter(|_| !self.killed_hard),
                self.leader_exited.then(|| now + STRAGGLER_POLL),
            ]
            .into_iter()
            .flatten()
            .min();

            let (signal_ready, pipe_ready) = self.wait(signals, wake)?;
            if signal_ready {
                self.forward_signals(signals)?;
            }
            if pipe_ready {
                self.read_pipe();
            }
        }
        match waitpid(self.pid, None) {
            Ok(status) => self.note(status),
            Err(Errno::ECHILD) => self.status = Some(Status::Exited(exit::SOFTWARE)),
            Err(e) => return Err(os("reaping the method", e)),
        }
        self.drain_pipe();
        if self.init {
            self.reap_orphans()?;
        }
        Ok(())
    }

    /// With the leader exited: whether its group is done with, starting
    /// (or continuing) to end the processes left in it.
    fn group_has_ended(&mut self, now: Instant) -> bool {
        match group::has_stragglers(self.pid) {
            Some(false) => true,
            // Nobody can see the group: end it at once rather than leave
            // something behind or wait blind.
            None => {
                self.signal_group(Signal::SIGKILL);
                true
            }
            Some(true) if self.give_up_at.is_some_and(|at| now >= at) => {
                super::warn(format_args!(
                    "processes of the method's group {} survived SIGKILL; leaving them",
                    self.pid
                ));
                true
            }
            Some(true) => {
                self.terminate(now);
                false
            }
        }
    }

    /// Polls the signalfd and the pipe until one is ready or `wake`.
    fn wait(
        &self,
        signals: &Signals,
        wake: Option<Instant>,
    ) -> Result<(bool, bool), ContainerError> {
        let timeout = match wake {
            None => PollTimeout::NONE,
            Some(at) => {
                let left = at.saturating_duration_since(Instant::now());
                // Round up, so we never wake just before the deadline and spin.
                let ms = left.as_nanos().div_ceil(1_000_000);
                PollTimeout::try_from(ms.min(i32::MAX as u128)).unwrap_or(PollTimeout::MAX)
            }
        };
        let mut fds = vec![PollFd::new(signals.fd.as_fd(), PollFlags::POLLIN)];
        if let Some(pipe) = &self.pipe {
            fds.push(PollFd::new(pipe.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            Err(Errno::EINTR) => return Ok((false, false)),
            Err(e) => return Err(os("waiting for the method", e)),
        }
        let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
        Ok((ready(&fds[0]), fds.get(1).is_some_and(ready)))
    }

    /// Passes every waiting signal on to the group. SIGCHLD needs nothing
    /// here: every pass of the loop collects exits, and one SIGCHLD may
    /// stand for several children. A signal the tool raised itself (a
    /// SIGPIPE from writing to a closed stderr) is not the method's.
    fn forward_signals(&mut self, signals: &Signals) -> Result<(), ContainerError> {
        let us = std::process::id() as i32;
        while let Some((signal, sender)) = signals.next()? {
            if signal != Signal::SIGCHLD as i32 && sender != us {
                self.signal_group_raw(signal);
            }
        }
        Ok(())
    }

    /// Reaps other children that have exited (init mode), but never the
    /// leader: it stays a zombie until its group is done with. Children
    /// are peeked first; the kernel lists the leader, our oldest child,
    /// first, so once it is a zombie the others wait for the final pass.
    fn reap_orphans(&mut self) -> Result<(), ContainerError> {
        let peek = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        loop {
            let pid = match waitid(Id::All, peek) {
                Ok(status) => status.pid(),
                Err(Errno::EINTR) => continue,
                Err(Errno::ECHILD) => None,
                Err(e) => return Err(os("reaping orphaned processes", e)),
            };
            match pid {
                Some(pid) if pid != self.pid || self.status.is_some() => {
                    match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
                        Ok(status) => self.note(status),
                        Err(Errno::EINTR) => {}
                        // Gone already: nothing more to reap now.
                        Err(Errno::ECHILD) => return Ok(()),
                        Err(e) => return Err(os("reaping orphaned processes", e)),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Whether the leader has exited, leaving it a zombie (`WNOWAIT`).
    fn leader_has_exited(&self) -> Result<bool, ContainerError> {
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        loop {
            return match waitid(Id::Pid(self.pid), flags) {
                Ok(WaitStatus::StillAlive) => Ok(false),
                Ok(_) | Err(Errno::ECHILD) => Ok(true),
                Err(Errno::EINTR) => continue,
                Err(e) => Err(os("checking on the method", e)),
            };
        }
    }

    fn note(&mut self, status: WaitStatus) {
        if status.pid() != Some(self.pid) {
            return; // an orphan we adopted as init
        }
        match status {
            WaitStatus::Exited(_, code) => self.status = Some(Status::Exited(code as u8)),
            WaitStatus::Signaled(_, signal, _) => self.status = Some(Status::Signaled(signal)),
            _ => {}
        }
    }

    /// Starts killing the group: SIGTERM now, SIGKILL after the grace.
    /// SIGCONT follows the SIGTERM (as systemd does), so that a stopped
    /// process can act on it within the grace.
    fn terminate(&mut self, now: Instant) {
        if self.kill_at.is_none() {
            self.signal_group(Signal::SIGTERM);
            self.signal_group(Signal::SIGCONT);
            self.kill_at = Some(now + KILL_GRACE);
        }
    }

    fn signal_group(&self, signal: Signal) {
        self.signal_group_raw(signal as i32);
    }

    /// Signals the child's process group, only while its leader is
    /// unreaped (see the module docs). Takes a raw number, since nix has
    /// no names for the real-time signals.
    fn signal_group_raw(&self, signal: i32) {
        if self.status.is_none() {
            // ESRCH: the group is already empty, which is what we wanted.
            // SAFETY: killpg(2) with a valid group id and a signal number
            // the kernel gave us.
            let _ = unsafe { nix::libc::killpg(self.pid.as_raw(), signal) };
        }
    }
    /// Reads what the pipe has now; kills the group past the limit.
    fn read_pipe(&mut self) {
        let (Some(pipe), Some((limit, captured))) = (&mut self.pipe, &mut self.captured) else {
            return;
        };
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) if captured.bytes.len() + n > *limit => {
                    captured.overflowed = true;
                    break;
                }
                Ok(n) => captured.bytes.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                // Treat a read error like the end of the output.
                Err(_) => break,
            }
        }
        // End of output, an error or overflow: stop listening. Closing
        // our end also makes further writes fail with EPIPE.
        self.pipe = None;
        if self.captured.as_ref().is_some_and(|(_, c)| c.overflowed) {
            self.terminate(Instant::now());
        }
    }

    /// Takes what the group wrote before it ended. Processes that left
    /// the group may still hold the pipe open, so this never waits for
    /// EOF.
    fn drain_pipe(&mut self) {
        self.read_pipe();
        self.pipe = None;
    }
}

/// Makes orphaned grandchildren ours to reap when we are not PID 1.
fn become_subreaper() {
    if std::process::id() == 1 {
        return;
    }
    if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
        super::warn(format_args!(
            "cannot become a child subreaper ({e}); orphaned processes will be reaped by init instead"
        ));
    }
}

/// Whether stdin is a terminal whose foreground group is ours, so that
/// handing it to the child cannot steal it from someone else.
fn we_own_the_terminal() -> bool {
    let stdin = io::stdin();
    nix::unistd::isatty(stdin.as_fd()).unwrap_or(false)
        && nix::unistd::tcgetpgrp(stdin.as_fd()) == Ok(nix::unistd::getpgrp())
}

/// Makes our process group the terminal's foreground again after the
/// method had it. Allowed from the background because SIGTTOU is
/// ignored while [`Signals`] lives.
fn take_back_the_terminal() {
    let stdin = io::stdin();
    let _ = nix::unistd::tcsetpgrp(stdin.as_fd(), nix::unistd::getpgrp());
}

fn os(operation: &'static str, errno: Errno) -> ContainerError {
    ContainerError::Os {
        operation,
        source: io::Error::from(errno),
    }
}
