//! Running a command inside a container, bollard's exec sequence behind
//! one call: create (no TTY, stdout and stderr attached and kept apart),
//! start attached (so no output is lost before we listen), read both
//! streams, then inspect until the engine says the process has ended
//! before trusting its exit code.
//!
//! A host-side deadline covers the whole sequence, stream included. The
//! output kept is bounded (the tail survives: errors are printed last).
//! Two outcomes are not errors of the engine but facts about the
//! container: it is not running or paused (the engine's 409), and it has
//! no such program, decided from the runtime's own error text rather
//! than from exit codes 126/127, which a real program may also use.
//! It does not interpret what the command printed. A caller that wants
//! the output as it arrives (to stream it line by line) passes a sink to
//! [`Engine::exec_streaming`]; the bounded capture is kept either way.

use super::error::{classify, EngineError, ObjectKind};
use super::Engine;
use bollard::container::LogOutput;
use bollard::errors::Error as BollardError;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures_util::StreamExt;
use std::time::Duration;

/// What to run and within which bounds.
#[derive(Debug, Clone)]
pub struct ExecRequest {
    /// The program and its arguments, exec'd directly (no shell).
    pub cmd: Vec<String>,
    /// Covers create, start, the whole output stream and the final inspect.
    pub deadline: Duration,
    /// Bytes kept of each stream; beyond it the oldest bytes are dropped.
    pub max_output: usize,
    /// Extra environment of the exec'd process, `KEY=VALUE` each; passed
    /// to the engine as data, never through a shell.
    pub env: Vec<String>,
}

/// One captured stream: its last `max_output` bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    pub bytes: Vec<u8>,
    /// Whether earlier bytes were dropped to stay within the bound.
    pub truncated: bool,
}

impl Captured {
    /// Appends `chunk`, dropping the oldest bytes past `max`.
    pub fn push(&mut self, chunk: &[u8], max: usize) {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > max {
            let excess = self.bytes.len() - max;
            self.bytes.drain(..excess);
            self.truncated = true;
        }
    }
}

/// A command that ran to its end.
#[derive(Debug, Clone)]
pub struct ExecFinished {
    pub stdout: Captured,
    pub stderr: Captured,
    pub exit_code: i64,
}

/// Which of the two output streams a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Stdout,
    Stderr,
}

/// How an exec went, when the engine itself did not fail.
#[derive(Debug, Clone)]
pub enum ExecOutcome {
    Finished(ExecFinished),
    /// The engine refused with 409: the container is stopped or paused.
    NotRunning {
        reason: String,
    },
    /// The program does not exist in the container; `message` is the
    /// runtime's own words.
    NoSuchProgram {
        message: String,
    },
}

/// The runtime's words for "that program is not there", as runc and
/// crun print them when an exec cannot start its process.
fn is_missing_program(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    (text.contains("oci runtime exec failed") || text.contains("exec failed"))
        && (text.contains("executable file not found")
            || text.contains("no such file or directory"))
}

impl Engine {
    /// Runs `request.cmd` in `container` and waits for its end.
    pub async fn exec(
        &self,
        container: &str,
        request: &ExecRequest,
    ) -> Result<ExecOutcome, EngineError> {
        self.exec_streaming(container, request, &mut |_, _| {})
            .await
    }

    /// Runs `request.cmd` in `container` as [`Engine::exec`] does, and
    /// hands every chunk of output to `sink` as it arrives. On the
    /// deadline the chunks already handed over are all the caller gets.
    pub async fn exec_streaming(
        &self,
        container: &str,
        request: &ExecRequest,
        sink: &mut (dyn FnMut(StreamKind, &[u8]) + Send),
    ) -> Result<ExecOutcome, EngineError> {
        match tokio::time::timeout(
            request.deadline,
            self.exec_unbounded(container, request, sink),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(EngineError::TimedOut {
                engine: self.name.clone(),
                operation: "exec in",
                kind: ObjectKind::Container,
                name: container.to_owned(),
                after: request.deadline,
            }),
        }
    }

    async fn exec_unbounded(
        &self,
        container: &str,
        request: &ExecRequest,
        sink: &mut (dyn FnMut(StreamKind, &[u8]) + Send),
    ) -> Result<ExecOutcome, EngineError> {
        let options = CreateExecOptions {
            cmd: Some(request.cmd.clone()),
            env: (!request.env.is_empty()).then(|| request.env.clone()),
            attach_stdin: Some(false),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            ..Default::default()
        };
        let created = match self.docker.create_exec(container, options).await {
            Ok(created) => created,
            Err(BollardError::DockerResponseServerError {
                status_code: 409,
                message,
            }) => return Ok(ExecOutcome::NotRunning { reason: message }),
            Err(e) => {
                return Err(classify(
                    e,
                    &self.name,
                    "exec in",
                    ObjectKind::Container,
                    container,
                ))
            }
        };
        let id = created.id;
        let start = StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: None,
        };
        let started = match self.docker.start_exec(&id, Some(start)).await {
            Ok(started) => started,
            Err(BollardError::DockerResponseServerError {
                status_code: 409,
                message,
            }) => return Ok(ExecOutcome::NotRunning { reason: message }),
            Err(e) => return Err(classify(e, &self.name, "start", ObjectKind::Exec, &id)),
        };
        let mut stdout = Captured::default();
        let mut stderr = Captured::default();
        if let StartExecResults::Attached { mut output, .. } = started {
            while let Some(chunk) = output.next().await {
                match chunk.map_err(|e| {
                    classify(e, &self.name, "read the output of", ObjectKind::Exec, &id)
                })? {
                    LogOutput::StdOut { message } | LogOutput::Console { message } => {
                        sink(StreamKind::Stdout, &message);
                        stdout.push(&message, request.max_output)
                    }
                    LogOutput::StdErr { message } => {
                        sink(StreamKind::Stderr, &message);
                        stderr.push(&message, request.max_output)
                    }
                    LogOutput::StdIn { .. } => {}
                }
            }
        }
        // The stream can end a moment before the engine records the exit
        // code; until `Running` is false the code is not the process's.
        let exit_code = loop {
            let inspect = self
                .docker
                .inspect_exec(&id)
                .await
                .map_err(|e| classify(e, &self.name, "inspect", ObjectKind::Exec, &id))?;
            if inspect.running != Some(true) {
                break inspect.exit_code.unwrap_or(-1);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        if exit_code == 126 || exit_code == 127 {
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&stdout.bytes),
                String::from_utf8_lossy(&stderr.bytes)
            );
            if is_missing_program(&said) {
                return Ok(ExecOutcome::NoSuchProgram {
                    message: said.trim().to_owned(),
                });
            }
        }
        Ok(ExecOutcome::Finished(ExecFinished {
            stdout,
            stderr,
            exit_code,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_output_keeps_the_tail() {
        let mut c = Captured::default();
        c.push(b"abcdef", 4);
        c.push(b"gh", 4);
        assert_eq!(c.bytes, b"efgh");
        assert!(c.truncated);
    }

    #[test]
    fn a_missing_program_is_recognised_from_the_runtime_text() {
        assert!(is_missing_program(
            "OCI runtime exec failed: exec failed: container_linux.go:380: starting container \
             process caused: exec: \"container\": executable file not found in $PATH: unknown"
        ));
        // A method's own 127 with some other text is not "no tool".
        assert!(!is_missing_program("sh: frobnicate: not found"));
    }
}
