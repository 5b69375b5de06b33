//! UPDATE, VALIDATE, MONITOR and METRICS: run the declared method once.
//!
//! Picks the effective method and timeout from the stack, takes the
//! update lock for UPDATE (which the method inherits, see
//! [`super::update_lock`]), skips an UPDATE for a pushed revision the
//! container already has ([`super::push`]), runs the method under [`super::child`], turns
//! what happened into the tool's exit code and records the result in the
//! state file. The method's own exit code is passed through, except that
//! MONITOR maps anything outside Nagios' 0-3 to UNKNOWN and METRICS output
//! must pass [`crate::prometheus`] before it is printed.
//!
//! A malformed record in the stack is warned about and skipped, never
//! fatal: a broken ancestor must not fail a healthcheck. Recording the
//! result is best effort too: a read-only state directory costs a warning,
//! never the action's exit code.

use super::child::{self, Finished, Program, Status, Supervision};
use super::cli::TimeoutArg;
use super::state::{now, ActionResult, Outcome};
use super::{push, update_lock, warn, warn_skipped, ContainerError, Context};
use crate::record::{Action, Method};
use crate::stack::Stack;
use crate::{exit, nagios, prometheus};
use std::time::{Duration, Instant};

/// The most METRICS output read before the method is killed.
pub const MAX_METRICS_BYTES: usize = 16 * 1024 * 1024;

/// The most MONITOR output read before the method is killed: Nagios
/// itself keeps 8 KiB of a plugin's output by default.
pub const MAX_MONITOR_BYTES: usize = 1024 * 1024;

/// How to run an action, from the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// UPDATE only: how long to wait for the update lock.
    pub wait: Option<Duration>,
    /// Overrides the image's declared timeout, in seconds.
    pub timeout: Option<u64>,
}

impl From<TimeoutArg> for Options {
    fn from(arg: TimeoutArg) -> Options {
        Options {
            wait: None,
            timeout: arg.timeout,
        }
    }
}

pub fn run(ctx: &Context, action: Action, options: &Options) -> Result<u8, ContainerError> {
    let stack = Stack::load(&ctx.meta_dir)?;
    warn_skipped(&stack);
    let (method, _) = stack
        .effective_method(action)
        .ok_or(ContainerError::NotDeclared { action })?;
    let program = Program {
        action,
        argv: method.argv(),
        from_path_string: matches!(method, Method::Path(_)),
    };
    let timeout = options.timeout.or(stack.effective_timeout(action));

    // Held until the method's last process has gone (it inherits the
    // lock), and at least until the result is recorded.
    let lock = match action {
        Action::Update => Some(update_lock::acquire(&ctx.state_dir, options.wait)?),
        _ => None,
    };
    let push = match action {
        Action::Update => push::from_env(|var| std::env::var_os(var)),
        _ => None,
    };
    // Read under the update lock, so an UPDATE that is still recording
    // its result cannot be missed. A state that cannot be read skips
    // nothing.
    if let Some(push) = &push {
        let state = ctx.state_dir.read().ok().flatten().unwrap_or_default();
        if let Some(at) = push::already_at(&state, push) {
            return Err(ContainerError::AlreadyUpdated {
                revision: push.revision.clone(),
                at: crate::record::BuildTime::from_epoch(at)
                    .map_or_else(|| at.to_string(), |t| format!("{t} UTC")),
            });
        }
    }
    let how = Supervision {
        init: false,
        timeout: timeout.map(Duration::from_secs),
        capture_stdout: match action {
            Action::Metrics => Some(MAX_METRICS_BYTES),
            Action::Monitor => Some(MAX_MONITOR_BYTES),
            _ => None,
        },
        inherit_fd: lock
            .as_ref()
            .map(|lock| (lock.as_raw_fd(), update_lock::FD_VAR)),
    };
    let started = Instant::now();
    // Signals are taken only now, so that Ctrl-C still ends a `--wait`
    // for the lock at once.
    let finished = child::Signals::take().and_then(|signals| child::run(&program, &how, &signals));
    let (result, outcome) = match finished {
        Ok(finished) => conclude(action, timeout, finished),
        // The method could not even start: that is a failed run too.
        Err(e) => (Err(e), Outcome::Failed),
    };
    let exit_code = match &result {
        Ok(code) => *code,
        Err(e) => e.exit_code(),
    };
    record(ctx, action, outcome, exit_code, started.elapsed(), push);
    result
}

/// Turns what happened to the method into the tool's result.
fn conclude(
    action: Action,
    timeout: Option<u64>,
    finished: Finished,
) -> (Result<u8, ContainerError>, Outcome) {
    if finished.timed_out {
        let seconds = timeout.unwrap_or_default();
        return (
            Err(ContainerError::Timeout { action, seconds }),
            Outcome::TimedOut,
        );
    }
    let code = finished.exit_code();
    let outcome = match finished.status {
        Status::Exited(0) => Outcome::Ok,
        Status::Exited(_) => Outcome::Failed,
        Status::Signaled(_) => Outcome::Killed,
    };
    match action {
        Action::Monitor => match finished.stdout {
            Some(captured) if captured.overflowed => (
                Err(unknown(ContainerError::OutputTooLarge {
                    action,
                    limit: MAX_MONITOR_BYTES,
                })),
                Outcome::Failed,
            ),
            Some(captured) => match print_monitor(code, &captured.bytes) {
                Ok(code) => (Ok(code), outcome),
                Err(e) => (Err(e), Outcome::Failed),
            },
            None => (Ok(nagios_code(code)), outcome),
        },
        Action::Metrics => match finished.stdout {
            Some(captured) if captured.overflowed => (
                Err(ContainerError::OutputTooLarge {
                    action,
                    limit: MAX_METRICS_BYTES,
                }),
                Outcome::Failed,
            ),
            Some(captured) => match print_metrics(code, &captured.bytes) {
                Ok(code) => (Ok(code), outcome),
                Err(e) => (Err(e), Outcome::Failed),
            },
            None => (Ok(code), outcome),
        },
        _ => (Ok(code), outcome),
    }
}

/// MONITOR follows Nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
fn nagios_code(code: u8) -> u8 {
    if code <= exit::nagios::UNKNOWN {
        return code;
    }
    warn(format_args!(
        "the MONITOR method exited {code}, which is not a Nagios code (0-3); reporting UNKNOWN ({})",
        exit::nagios::UNKNOWN
    ));
    exit::nagios::UNKNOWN
}

/// Prints the MONITOR output once its performance data is checked; a
/// malformed one makes the result UNKNOWN, whatever the method said.
fn print_monitor(code: u8, output: &[u8]) -> Result<u8, ContainerError> {
    if let Err(bad) = nagios::perfdata::check(output) {
        return Err(unknown(ContainerError::BadPerfdata {
            line: bad.line,
            reason: bad.reason,
        }));
    }
    crate::output::stdout(output).map_err(ContainerError::Output)?;
    Ok(nagios_code(code))
}

/// A MONITOR failure becomes UNKNOWN with its reason as the status line,
/// which is what Nagios shows; the error itself goes to stderr.
fn unknown(error: ContainerError) -> ContainerError {
    let line = format_args!("UNKNOWN - {}", crate::safe_text::Escaped(&error));
    match crate::output::stdout_line(line) {
        Ok(()) => error,
        Err(e) => ContainerError::Output(e),
    }
}

/// Lint findings warned about at most; the rest are counted.
const MAX_LINT_WARNINGS: usize = 10;

/// Prints the METRICS output, checked first when the method succeeded.
/// A failed method's output is passed on as it is, with its exit code.
/// What promtool would only lint (see [`prometheus::lint`]) is a warning.
fn print_metrics(code: u8, output: &[u8]) -> Result<u8, ContainerError> {
    if code == 0 {
        let lints = prometheus::lint(output).map_err(|bad| ContainerError::BadMetrics {
            line: bad.line,
            reason: bad.reason,
        })?;
        for lint in lints.iter().take(MAX_LINT_WARNINGS) {
            warn(format_args!(
                "METRICS: metric `{}`: {} (promtool's lint)",
                lint.metric,
                lint.problem.as_str()
            ));
        }
        if lints.len() > MAX_LINT_WARNINGS {
            warn(format_args!(
                "METRICS: {} more lint findings not shown",
                lints.len() - MAX_LINT_WARNINGS
            ));
        }
    }
    crate::output::stdout(output).map_err(ContainerError::Output)?;
    Ok(code)
}

/// Records the result; a failure to write is only a warning.
fn record(
    ctx: &Context,
    action: Action,
    outcome: Outcome,
    exit_code: u8,
    took: Duration,
    push: Option<push::Push>,
) {
    let mut result = ActionResult {
        at: now(),
        outcome,
        exit_code,
        duration_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        revision: None,
        git_ref: None,
        repository: None,
    };
    if let Some(push) = push {
        push.record_in(&mut result);
    }
    ctx.state_dir
        .update_or_warn(&format!("the {action} result"), |state| {
            state.actions.insert(action.key().to_string(), result);
        });
}
