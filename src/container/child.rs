//! The supervision engine: run one method as a child and see it through.
//!
//! Both `--start` and the one-shot actions come through [`run`]. The
//! method is executed directly (argv, never a shell) in a process group of
//! its own, so that a signal or a timeout reaches everything it started.
//! Signals are read from a signalfd rather than handled asynchronously:
//! TERM, INT, HUP, QUIT, USR1, USR2 and CHLD are blocked before the child
//! is spawned (the child gets the original mask back before exec), and
//! one loop polls the signalfd, the optional stdout pipe and the deadline.
//!
//! - Forwarded signals go to the child's whole process group, and only
//!   while its leader is unreaped: a zombie leader keeps the group id
//!   reserved, so the signal can never reach a stranger that got the id.
//! - A timeout sends SIGTERM to the group, then SIGKILL after
//!   [`KILL_GRACE`]. As soon as the leader is seen dead (peeked with
//!   `WNOWAIT`, so it stays a zombie) whatever is left of its group gets
//!   SIGKILL before the leader is reaped.
//! - In start mode the tool is an init: it becomes a child subreaper and
//!   reaps every child that exits, not just its own.
//!
//! This module does not decide exit codes, print reports or touch state;
//! it returns what happened in [`Finished`]. It assumes a single-threaded
//! process (the `container` binary): blocked signals are per thread, and a
//! SIGCHLD taken by another thread would never reach the signalfd.

use super::ContainerError;
use crate::exit;
use crate::record::Action;
use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{killpg, sigprocmask, SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{waitid, waitpid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a timed-out method gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(3);

/// The signals passed on to the child's process group.
const FORWARDED: [Signal; 6] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

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
    /// Start mode: become a child subreaper, reap every child that exits
    /// and hand the terminal's foreground to the child's group.
    pub init: bool,
    /// Kill the child's process group after this long.
    pub timeout: Option<Duration>,
    /// Capture stdout instead of inheriting it, up to this many bytes;
    /// past that the group is killed and [`Captured::overflowed`] is set.
    pub capture_stdout: Option<usize>,
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

/// Spawns `program` and supervises it until it has been reaped.
pub fn run(program: &Program, how: &Supervision) -> Result<Finished, ContainerError> {
    let mut watched = SigSet::empty();
    for signal in FORWARDED {
        watched.add(signal);
    }
    watched.add(Signal::SIGCHLD);
    // Blocked before the spawn so that no signal, and no SIGCHLD of a
    // child that exits at once, can slip past the signalfd.
    let blocked = BlockedSignals::block(&watched)?;
    // A SIGCHLD ignored by whoever started us would make the kernel reap
    // our children for us and lose their exit status.
    // SAFETY: the default disposition runs no handler code of ours.
    let _ = unsafe { nix::sys::signal::signal(Signal::SIGCHLD, SigHandler::SigDfl) };
    let signals = SignalFd::with_flags(&watched, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|e| os("creating a signalfd", e))?;
    if how.init {
        become_subreaper();
    }

    let Some((name, args)) = program.argv.split_first() else {
        return Err(spawn_error(
            program,
            io::Error::new(io::ErrorKind::InvalidInput, "the command is empty"),
        ));
    };
    let mut command = Command::new(name);
    command.args(args).process_group(0);
    if how.capture_stdout.is_some() {
        command.stdout(Stdio::piped());
    }
    prepare_child(
        &mut command,
        blocked.previous,
        how.init && we_own_the_terminal(),
    );
    let mut child = command.spawn().map_err(|e| spawn_error(program, e))?;
    let pid = Pid::from_raw(child.id() as i32);
    let pipe = child.stdout.take();
    if let Some(pipe) = &pipe {
        if let Err(e) = fcntl(pipe, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)) {
            // Do not leave a method running that nobody supervises.
            let _ = killpg(pid, Signal::SIGKILL);
            let _ = waitpid(pid, None);
            return Err(os("making the stdout pipe non-blocking", e));
        }
    }
    // `child` is never waited on through std: we reap it ourselves.
    drop(child);

    let mut supervisor = Supervisor {
        pid,
        init: how.init,
        status: None,
        timed_out: false,
        kill_at: None,
        killed_hard: false,
        pipe,
        captured: how.capture_stdout.map(|limit| (limit, Captured::default())),
    };
    // A timeout too far off to represent is no timeout at all.
    let deadline = how.timeout.and_then(|t| Instant::now().checked_add(t));
    supervisor.supervise(&signals, deadline)?;
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
    /// Set once the leader has been reaped.
    status: Option<Status>,
    timed_out: bool,
    /// When SIGKILL follows the SIGTERM of a timeout or an overflow.
    kill_at: Option<Instant>,
    killed_hard: bool,
    pipe: Option<ChildStdout>,
    captured: Option<(usize, Captured)>,
}

impl Supervisor {
    fn supervise(
        &mut self,
        signals: &SignalFd,
        deadline: Option<Instant>,
    ) -> Result<(), ContainerError> {
        loop {
            self.collect_exits()?;
            if self.status.is_some() {
                self.drain_pipe();
                return Ok(());
            }
            let now = Instant::now();
            if let Some(deadline) = deadline {
                if !self.timed_out && now >= deadline {
                    self.timed_out = true;
                    self.terminate(now);
                }
            }
            if let Some(kill_at) = self.kill_at {
                if !self.killed_hard && now >= kill_at {
                    self.killed_hard = true;
                    self.signal_group(Signal::SIGKILL);
                }
            }
            let wake = [
                deadline.filter(|_| !self.timed_out),
                self.kill_at.filter(|_| !self.killed_hard),
            ]
            .into_iter()
            .flatten()
            .min();

            let (signal_ready, pipe_ready) = self.wait(signals, wake)?;
            if signal_ready {
                self.take_signals(signals)?;
            }
            if pipe_ready {
                self.read_pipe();
            }
        }
    }

    /// Polls the signalfd and the pipe until one is ready or `wake`.
    fn wait(
        &self,
        signals: &SignalFd,
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
        let mut fds = vec![PollFd::new(signals.as_fd(), PollFlags::POLLIN)];
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

    fn take_signals(&mut self, signals: &SignalFd) -> Result<(), ContainerError> {
        loop {
            let info = match signals.read_signal() {
                Ok(Some(info)) => info,
                Ok(None) => return Ok(()),
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(os("reading signals", e)),
            };
            // SIGCHLD needs nothing here: every pass of the loop collects
            // exits, and one SIGCHLD may stand for several children.
            match Signal::try_from(info.ssi_signo as i32) {
                Ok(signal) if FORWARDED.contains(&signal) => self.signal_group(signal),
                _ => {}
            }
        }
    }

    /// Reaps the leader if it has exited, and in init mode every other
    /// child that has.
    fn collect_exits(&mut self) -> Result<(), ContainerError> {
        if self.status.is_none() && self.leader_has_exited()? {
            if self.kill_at.is_some() {
                // A timeout or overflow is under way: the zombie leader
                // still holds the group id, so its stragglers can be
                // killed without any risk of hitting a reused id.
                self.signal_group(Signal::SIGKILL);
            }
            match waitpid(self.pid, None) {
                Ok(status) => self.note(status),
                Err(Errno::ECHILD) => self.status = Some(Status::Exited(exit::SOFTWARE)),
                Err(e) => return Err(os("reaping the method", e)),
            }
        }
        if self.init {
            loop {
                match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => break,
                    Ok(status) => self.note(status),
                    Err(Errno::EINTR) => continue,
                    Err(e) => return Err(os("reaping orphaned processes", e)),
                }
            }
        }
        Ok(())
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
    fn terminate(&mut self, now: Instant) {
        if self.kill_at.is_none() {
            self.signal_group(Signal::SIGTERM);
            self.kill_at = Some(now + KILL_GRACE);
        }
    }

    /// Signals the child's process group, only while its leader is
    /// unreaped (see the module docs).
    fn signal_group(&self, signal: Signal) {
        if self.status.is_none() {
            // ESRCH: the group is already empty, which is what we wanted.
            let _ = killpg(self.pid, signal);
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

    /// Takes what the leader wrote before it exited. Processes it left
    /// behind may hold the pipe open, so this never waits for EOF.
    fn drain_pipe(&mut self) {
        self.read_pipe();
        self.pipe = None;
    }
}

/// Restores the signal mask when supervision ends.
struct BlockedSignals {
    previous: SigSet,
}

impl BlockedSignals {
    fn block(set: &SigSet) -> Result<BlockedSignals, ContainerError> {
        let mut previous = SigSet::empty();
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(set), Some(&mut previous))
            .map_err(|e| os("blocking signals", e))?;
        Ok(BlockedSignals { previous })
    }
}

impl Drop for BlockedSignals {
    fn drop(&mut self) {
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.previous), None);
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

/// Sets up the child between fork and exec: gives it back the signal
/// mask we had before blocking (std does not clear it, and a method with
/// TERM blocked could never be stopped), and in start mode hands the
/// terminal's foreground to its new process group, so an interactive
/// START gets Ctrl-C and can read the terminal.
fn prepare_child(command: &mut Command, mask: SigSet, take_terminal: bool) {
    // SAFETY: the closure runs in the forked child before exec and only
    // makes async-signal-safe calls (sigprocmask, signal, getpid,
    // tcsetpgrp); it does not allocate. std has already made the child
    // the leader of its own process group.
    unsafe {
        command.pre_exec(move || {
            use nix::sys::signal::signal;
            sigprocmask(SigmaskHow::SIG_SETMASK, Some(&mask), None)?;
            if take_terminal {
                // A background group calling tcsetpgrp gets SIGTTOU
                // unless it is ignored.
                let previous = signal(Signal::SIGTTOU, SigHandler::SigIgn);
                let stdin = std::os::fd::BorrowedFd::borrow_raw(0);
                // Not fatal: the method still runs, only without the terminal.
                let _ = nix::unistd::tcsetpgrp(stdin, nix::unistd::getpid());
                if let Ok(previous) = previous {
                    let _ = signal(Signal::SIGTTOU, previous);
                }
            }
            Ok(())
        });
    }
}

/// Turns a failed spawn into the error users should see.
fn spawn_error(program: &Program, source: io::Error) -> ContainerError {
    let name = program.argv.first().cloned().unwrap_or_default();
    let not_executable = matches!(
        source.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
    ) || source.raw_os_error() == Some(nix::libc::ENOEXEC);
    if !not_executable {
        return ContainerError::Spawn {
            action: program.action,
            program: name,
            source,
        };
    }
    let exists = std::path::Path::new(&name).exists();
    let hint = match source.kind() {
        io::ErrorKind::NotFound
            if program.from_path_string && name.contains(char::is_whitespace) =>
        {
            "; a string method is one path run without a shell; write an argv array for arguments"
        }
        io::ErrorKind::NotFound if exists => {
            "; the file exists, so the interpreter on its `#!` line is probably missing"
        }
        io::ErrorKind::PermissionDenied if exists => "; is it executable (chmod +x)?",
        _ if source.raw_os_error() == Some(nix::libc::ENOEXEC) => {
            "; a script needs a `#!` line, since methods run without a shell"
        }
        _ => "",
    };
    ContainerError::MethodNotExecutable {
        action: program.action,
        program: name,
        source,
        hint,
    }
}

fn os(operation: &'static str, errno: Errno) -> ContainerError {
    ContainerError::Os {
        operation,
        source: io::Error::from(errno),
    }
}
