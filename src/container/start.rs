//! `container --start`: the ENTRYPOINT supervisor.
//!
//! Runs the image's START method, with the command's words appended the
//! way Docker appends CMD to ENTRYPOINT, or the command alone when no
//! image declares START. It stays as the child's parent for the whole
//! life of the container, PID-1-safe: signals are forwarded to the
//! child's process group, orphans are reaped, and the tool exits with the
//! child's code (128+N when signal N killed it), once the processes left
//! in the child's group have been ended. The supervision itself is
//! [`super::child`]; this module only chooses what to run and records
//! the start in the state file. It sets no timeout: START runs until it
//! ends or is stopped.
//!
//! Signals are taken over before anything else, so a `docker stop` that
//! comes while the start is being prepared is held and passed to the
//! child once it exists. Left alone it would be lost: as PID 1 the tool
//! is immune to signals it neither blocks nor handles.

use super::child::{self, Program, Supervision};
use super::{warn, warn_skipped, ContainerError, Context};
use crate::record::{Action, Method};
use crate::stack::Stack;

pub fn run(ctx: &Context, command: &[String]) -> Result<u8, ContainerError> {
    let signals = child::Signals::take()?;
    let program = choose_program(ctx, command)?;
    record_start(ctx);
    let finished = child::run(
        &program,
        &Supervision {
            init: true,
            ..Supervision::default()
        },
        &signals,
    )?;
    Ok(finished.exit_code())
}

/// The START method with `command` appended, or `command` itself.
fn choose_program(ctx: &Context, command: &[String]) -> Result<Program, ContainerError> {
    let stack = match Stack::load(&ctx.meta_dir) {
        Ok(stack) => Some(stack),
        // Without records there is no START, but a command can still run:
        // the image must not become unstartable because its metadata went.
        Err(e) if !command.is_empty() => {
            warn(format_args!("{e}; running the command as given"));
            None
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(stack) = &stack {
        warn_skipped(stack);
    }
    match stack
        .as_ref()
        .and_then(|s| s.effective_method(Action::Start))
    {
        Some((method, _)) => {
            let mut argv = method.argv();
            argv.extend(command.iter().cloned());
            Ok(Program {
                action: Action::Start,
                argv,
                from_path_string: matches!(method, Method::Path(_)),
            })
        }
        None if !command.is_empty() => Ok(Program {
            action: Action::Start,
            argv: command.to_vec(),
            from_path_string: false,
        }),
        None => Err(ContainerError::NotDeclared {
            action: Action::Start,
        }),
    }
}

/// Counts the start. Never fails the start: a read-only state directory
/// only costs the record.
fn record_start(ctx: &Context) {
    let now = super::state::now();
    ctx.state_dir
        .try_update_or_warn("the start", |state| state.count_start(now));
}
