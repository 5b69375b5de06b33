//! The tool's signal set-up while it supervises a method, in tini's image.
//!
//! Every signal a process may catch is blocked and read from a signalfd,
//! to be passed on to the method's process group, except the ones the
//! tool keeps for itself, as tini does:
//!
//! - SIGCHLD, which only tells the supervisor to reap;
//! - the synchronous faults SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT,
//!   SIGTRAP and SIGSYS: they concern the tool's own code, and a fault
//!   raised while blocked would kill it without a report anyway;
//! - SIGTTIN and SIGTTOU, which the tool ignores: once the method's group
//!   has the terminal's foreground, a warning written to a terminal with
//!   `tostop` set, or taking the terminal back, must not stop the tool.
//!
//! SIGKILL and SIGSTOP cannot be caught, so they act on the tool itself.
//! The real-time signals are forwarded too (the C library keeps the two
//! lowest for itself). [`Signals::method_setup`] undoes all of this in
//! the child between fork and exec. This module does not forward or reap:
//! that is the supervisor's loop.

use super::super::ContainerError;
use super::os;
use nix::errno::Errno;
use nix::sys::signal::{
    sigaction, sigprocmask, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal,
};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// Signals that are never blocked nor forwarded (see the module docs).
const KEPT: [Signal; 9] = [
    Signal::SIGFPE,
    Signal::SIGILL,
    Signal::SIGSEGV,
    Signal::SIGBUS,
    Signal::SIGABRT,
    Signal::SIGTRAP,
    Signal::SIGSYS,
    Signal::SIGTTIN,
    Signal::SIGTTOU,
];

/// Blocked signals and their signalfd, for as long as it lives; dropping
/// it restores the mask and the terminal signals' dispositions.
pub struct Signals {
    pub(super) fd: SignalFd,
    /// The mask the tool had before, which the method gets back.
    original_mask: SigSet,
    /// What SIGTTIN and SIGTTOU did before the tool ignored them.
    ttin: SigAction,
    ttou: SigAction,
}

/// What the child restores between fork and exec: plain values, so the
/// child needs no allocation and no locks.
#[derive(Clone, Copy)]
pub struct MethodSignals {
    mask: SigSet,
    ttin: SigAction,
    ttou: SigAction,
}

impl Signals {
    /// Blocks every forwarded signal and opens the signalfd. Signals that
    /// arrive from now on wait in the signalfd until the supervisor reads
    /// them, even before the method exists: `--start` takes them first
    /// thing, so that a `docker stop` during start-up is not lost.
    pub fn take() -> Result<Signals, ContainerError> {
        let mut blocked = SigSet::all();
        for signal in KEPT {
            blocked.remove(signal);
        }
        let mut original_mask = SigSet::empty();
        sigprocmask(
            SigmaskHow::SIG_BLOCK,
            Some(&blocked),
            Some(&mut original_mask),
        )
        .map_err(|e| os("blocking signals", e))?;
        let fd =
            match SignalFd::with_flags(&blocked, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC) {
                Ok(fd) => fd,
                Err(e) => {
                    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&original_mask), None);
                    return Err(os("creating a signalfd", e));
                }
            };
        // SAFETY: default and ignore dispositions run no code of ours.
        unsafe {
            // A SIGCHLD ignored by whoever started us would make the
            // kernel reap our children itself and lose their status.
            let _ = sigaction(Signal::SIGCHLD, &action(SigHandler::SigDfl));
        }
        Ok(Signals {
            fd,
            original_mask,
            ttin: ignore(Signal::SIGTTIN),
            ttou: ignore(Signal::SIGTTOU),
        })
    }

    /// What the method must get back before it is executed.
    pub fn method_setup(&self) -> MethodSignals {
        MethodSignals {
            mask: self.original_mask,
            ttin: self.ttin,
            ttou: self.ttou,
        }
    }

    /// The next waiting signal and its sender's pid, if any.
    pub(super) fn next(&self) -> Result<Option<(i32, i32)>, ContainerError> {
        loop {
            return match self.fd.read_signal() {
                Ok(Some(info)) => Ok(Some((info.ssi_signo as i32, info.ssi_pid as i32))),
                Ok(None) => Ok(None),
                Err(Errno::EINTR) => continue,
                Err(e) => Err(os("reading signals", e)),
            };
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        // Signals that came after the method ended have nobody to go to;
        // unblocked, they would kill the tool and lose the method's exit
        // code.
        while let Ok(Some(_)) = self.fd.read_signal() {}
        // SAFETY: restores dispositions that were in place before.
        unsafe {
            let _ = sigaction(Signal::SIGTTIN, &self.ttin);
            let _ = sigaction(Signal::SIGTTOU, &self.ttou);
        }
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.original_mask), None);
    }
}

impl MethodSignals {
    /// Restores, in the forked child, what [`Signals::take`] changed. The
    /// dispositions come first and the mask last, so that a signal already
    /// waiting for the child (a `docker stop` forwarded the moment it was
    /// forked) is delivered as the method expects, never as the tool had
    /// it. Only async-signal-safe calls.
    pub fn restore_in_child(&self) -> Result<(), Errno> {
        // SAFETY: puts back dispositions the tool started with.
        unsafe {
            sigaction(Signal::SIGTTIN, &self.ttin)?;
            sigaction(Signal::SIGTTOU, &self.ttou)?;
        }
        sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.mask), None)
    }
}

fn action(handler: SigHandler) -> SigAction {
    SigAction::new(handler, SaFlags::empty(), SigSet::empty())
}

/// Ignores `signal`, returning what it did before (the default when the
/// call fails, which it cannot for these signals).
fn ignore(signal: Signal) -> SigAction {
    // SAFETY: the ignore disposition runs no code of ours.
    unsafe { sigaction(signal, &action(SigHandler::SigIgn)) }
        .unwrap_or_else(|_| action(SigHandler::SigDfl))
}
