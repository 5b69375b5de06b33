//! `container --start`: the ENTRYPOINT supervisor.

use super::{ContainerError, Context};
use crate::record::Action;

pub fn run(_ctx: &Context, _command: &[String]) -> Result<u8, ContainerError> {
    Err(ContainerError::NotDeclared {
        action: Action::Start,
    })
}
