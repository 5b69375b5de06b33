//! `container --metadata`.
use super::{ContainerError, Context};
pub fn run(_ctx: &Context, _all: bool) -> Result<u8, ContainerError> {
    Ok(0)
}
