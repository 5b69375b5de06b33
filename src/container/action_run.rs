//! UPDATE, VALIDATE, MONITOR and METRICS: run the declared method once.

use super::cli::TimeoutArg;
use super::{ContainerError, Context};
use crate::record::Action;
use std::time::Duration;

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

pub fn run(_ctx: &Context, action: Action, _options: &Options) -> Result<u8, ContainerError> {
    Err(ContainerError::NotDeclared { action })
}
