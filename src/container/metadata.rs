//! `container --metadata`: the effective metadata as JSON.
//!
//! Prints the merged record (the leaf-most value of each field), or with
//! `--all` every record oldest first. Bad records are named on stderr and
//! make the exit code 65, but never hide the good ones.

use super::report::warn_about;
use super::{ContainerError, Context};
use crate::exit;
use crate::stack::Stack;
use serde_json::Value;
use std::io::Write;

pub fn run(ctx: &Context, all: bool) -> Result<u8, ContainerError> {
    let stack = Stack::load(&ctx.meta_dir)?;
    warn_about(&stack);
    let json = if all {
        Value::Array(
            stack
                .images()
                .map(|(_, r)| Value::Object(r.to_json()))
                .collect(),
        )
    } else {
        Value::Object(stack.merged())
    };
    print_json(&json)?;
    super::report::fail_on_bad_records(&stack)?;
    Ok(exit::OK)
}

/// Pretty JSON on stdout, with a final newline.
pub(super) fn print_json(json: &impl serde::Serialize) -> Result<(), ContainerError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, json)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .map_err(ContainerError::Output)
}
