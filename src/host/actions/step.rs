//! One action in one container: one exec of `container --ACTION`, and
//! the classification of what came of it into an [`Outcome`]
//! (docs/fleet-actions.md has the table).
//!
//! Only a running container is exec'd. The exec's output is streamed to
//! the observer line by line and its tails kept. What the engine says is
//! taken as it is, never guessed at: `container`'s exit code is the
//! method's, 75 is a skip, and "no container tool" comes from the
//! runtime's own error ([`ExecOutcome::NoSuchProgram`]), not from the
//! codes 126 or 127 a method may also use. A non-zero exit, or an engine
//! error, is checked against the container's state, so a container that
//! died during the action is an `error`, not a failed method.

use super::lines::Lines;
use super::observer::Observer;
use super::outcome::{Outcome, StepKind};
use super::plan::{RunOptions, Target};
use super::report::StepResult;
use super::stop::Stop;
use crate::exit;
use crate::host::engine::{
    Captured, EngineError, ExecOutcome, ExecRequest, ObjectKind, RunState, StreamKind,
};
use crate::record::Action;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// What every step of one run shares.
pub(super) struct Context<'a> {
    pub options: &'a RunOptions,
    pub observer: &'a dyn Observer,
    pub stop: &'a Stop,
    /// `--parallel`: execs at once over all engines.
    pub global: &'a Semaphore,
}

/// The longest reason taken from a method's stderr.
const MAX_REASON_CHARS: usize = 240;

/// Runs `action` in `target` and says what came of it.
pub(super) async fn run_action(
    ctx: &Context<'_>,
    target: &Target,
    action: Action,
    batch: Option<usize>,
) -> StepResult {
    let step = StepKind::Action(action);
    let result = |outcome| StepResult::new(target, step, batch, outcome);
    if ctx.stop.is_stopped() {
        return result(Outcome::NotReached).with_reason("interrupted before it started");
    }
    if target.state != RunState::Running {
        return result(Outcome::Skipped).with_reason(format!("container is {}", target.state));
    }
    let Ok(_permit) = ctx.global.acquire().await else {
        return result(Outcome::Error).with_reason("the run's exec limit was closed");
    };
    if ctx.stop.is_stopped() {
        return result(Outcome::NotReached).with_reason("interrupted before it started");
    }
    ctx.observer.started(target, step);
    let deadline = ctx.options.deadline(target, action);
    let request = ExecRequest {
        cmd: vec!["container".to_owned(), format!("--{}", action.key())],
        deadline,
        max_output: ctx.options.max_output,
        env: if action == Action::Update {
            ctx.options
                .update_env
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect()
        } else {
            Vec::new()
        },
    };
    let mut stdout = Captured::default();
    let mut stderr = Captured::default();
    let mut out_lines = Lines::default();
    let mut err_lines = Lines::default();
    let observer = ctx.observer;
    let max_output = ctx.options.max_output;
    let started = Instant::now();
    let answer = {
        let mut sink = |kind: StreamKind, chunk: &[u8]| {
            let mut emit = |line: &[u8]| observer.line(target, kind, line);
            match kind {
                StreamKind::Stdout => {
                    stdout.push(chunk, max_output);
                    out_lines.feed(chunk, &mut emit);
                }
                StreamKind::Stderr => {
                    stderr.push(chunk, max_output);
                    err_lines.feed(chunk, &mut emit);
                }
            }
        };
        target
            .engine
            .engine
            .exec_streaming(&target.id, &request, &mut sink)
            .await
    };
    out_lines.finish(&mut |line| observer.line(target, StreamKind::Stdout, line));
    err_lines.finish(&mut |line| observer.line(target, StreamKind::Stderr, line));
    let mut done = result(Outcome::Done);
    done.duration = started.elapsed();
    let (outcome, exit_code, reason) = classify(target, action, deadline, answer, &stderr).await;
    done.outcome = outcome;
    done.exit_code = exit_code;
    done.reason = reason;
    done.stdout = stdout;
    done.stderr = stderr;
    done
}

type Classified = (Outcome, Option<i64>, Option<String>);

async fn classify(
    target: &Target,
    action: Action,
    deadline: Duration,
    answer: Result<ExecOutcome, EngineError>,
    stderr: &Captured,
) -> Classified {
    match answer {
        Ok(ExecOutcome::Finished(finished)) => {
            let code = finished.exit_code;
            match code {
                0 => (Outcome::Done, Some(0), None),
                // The engine said the process ended but gave no code: not
                // a result to report as the method's.
                _ if code < 0 => (
                    Outcome::Error,
                    None,
                    Some(format!("the engine reported no exit code for the {action}")),
                ),
                75 => (
                    Outcome::Skipped,
                    Some(code),
                    Some(with_stderr(
                        "`container` exited 75 (another UPDATE holds the lock, the container \
                         already has the pushed revision, or the method asked to skip)",
                        stderr,
                    )),
                ),
                // The image declares no method for this action: nothing
                // ran, so a fleet where only some images declare it (say
                // METRICS) is not a failed run.
                69 => (
                    Outcome::Skipped,
                    Some(code),
                    Some(format!("the image declares no {action} method (exit 69)")),
                ),
                _ => {
                    // Killed by a signal: the container may be dying, and the
                    // engine records its state a moment after the exec ends.
                    let settle = if code > i64::from(exit::SIGNALED_BASE) {
                        SETTLE
                    } else {
                        Duration::ZERO
                    };
                    if let Some(gone) = container_gone(target, settle).await {
                        let reason = format!("{gone} during the {action} (exec exit {code})");
                        return (Outcome::Error, Some(code), Some(reason));
                    }
                    if code == i64::from(exit::TIMEOUT) {
                        let reason = with_stderr(
                            &format!("the {action} ran past its timeout in the container, which stopped it (exit 124)"),
                            stderr,
                        );
                        return (Outcome::TimedOut, Some(code), Some(reason));
                    }
                    (
                        Outcome::Failed,
                        Some(code),
                        Some(failure(action, code, stderr)),
                    )
                }
            }
        }
        Ok(ExecOutcome::NotRunning { reason }) => (
            Outcome::Skipped,
            None,
            Some(format!("the engine refused the exec: {}", reason.trim())),
        ),
        Ok(ExecOutcome::NoSuchProgram { message }) => (
            Outcome::NoTool,
            None,
            Some(format!(
                "no `container` tool in this image ({})",
                last_line(message.as_bytes())
            )),
        ),
        Err(EngineError::TimedOut { .. }) => (
            Outcome::TimedOut,
            None,
            Some(format!(
                "no result within {} s, the host-side deadline; the engine cannot stop an \
                 exec'd process, so the method runs on until `container`'s own {action} \
                 timeout stops it",
                deadline.as_secs()
            )),
        ),
        Err(EngineError::NotFound {
            kind: ObjectKind::Container,
            ..
        }) => (
            Outcome::Error,
            None,
            Some(format!(
                "the container was removed before or during the {action}"
            )),
        ),
        Err(error) => {
            let reason = match container_gone(target, SETTLE).await {
                Some(gone) => format!("{gone} during the {action}: {error}"),
                None => error.to_string(),
            };
            (Outcome::Error, None, Some(reason))
        }
    }
}

/// How long a container that may be dying is watched before it is
/// taken to be still running.
const SETTLE: Duration = Duration::from_secs(3);

/// Whether the container stopped or vanished: a few words saying which,
/// or None while it still runs (or the engine cannot say) after watching
/// it for `settle`.
async fn container_gone(target: &Target, settle: Duration) -> Option<String> {
    let started = Instant::now();
    loop {
        match target.engine.engine.health(&target.id).await {
            Ok(health) if health.state == RunState::Running => {}
            Ok(health) => return Some(format!("the container stopped (now {})", health.state)),
            Err(EngineError::NotFound { .. }) => {
                return Some("the container was removed".to_owned())
            }
            Err(_) => return None,
        }
        if started.elapsed() >= settle {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Why a method failed, in words: what `container`'s own codes mean,
/// MONITOR's Nagios state, else the last line the method wrote to stderr.
fn failure(action: Action, code: i64, stderr: &Captured) -> String {
    let known = match (action, code) {
        (_, 69) => Some(format!("the image declares no {action} method (exit 69)")),
        (Action::Monitor, 1) => Some("WARNING (exit 1)".to_owned()),
        (Action::Monitor, 2) => Some("CRITICAL (exit 2)".to_owned()),
        (Action::Monitor, 3) => Some("UNKNOWN (exit 3)".to_owned()),
        (Action::Metrics, 76) => {
            Some("the METRICS output is not Prometheus text exposition (exit 76)".to_owned())
        }
        (_, 78) => Some(format!("the {action} method cannot be executed (exit 78)")),
        _ => None,
    };
    with_stderr(&known.unwrap_or_else(|| format!("exit {code}")), stderr)
}

/// `head`, and the last line of stderr after it when there is one.
fn with_stderr(head: &str, stderr: &Captured) -> String {
    let last = last_line(&stderr.bytes);
    if last.is_empty() {
        head.to_owned()
    } else {
        format!("{head}: {last}")
    }
}

/// The last non-empty line of `bytes`, trimmed and bounded.
fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    match line.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(text: &str) -> Captured {
        Captured {
            bytes: text.as_bytes().to_vec(),
            truncated: false,
        }
    }

    #[test]
    fn a_failure_names_the_tools_own_codes_and_the_last_stderr_line() {
        let err = captured("starting\ncheck failed: port 53 closed\n\n");
        assert_eq!(
            failure(Action::Validate, 3, &err),
            "exit 3: check failed: port 53 closed"
        );
        assert_eq!(
            failure(Action::Update, 69, &Captured::default()),
            "the image declares no UPDATE method (exit 69)"
        );
        assert!(failure(Action::Monitor, 2, &err).starts_with("CRITICAL (exit 2)"));
    }

    #[test]
    fn a_long_stderr_line_is_cut() {
        let long = "x".repeat(1000);
        assert_eq!(
            last_line(long.as_bytes()).chars().count(),
            MAX_REASON_CHARS + 1
        );
    }
}
