//! Gathers the runtime facts of the examine report in this container.
//!
//! They come from the runtime state file (starts and action results), the
//! kernel (hostname) and documented environment variables that a deploy
//! tool sets on the container. The environment is read through a function
//! so tests can supply their own. The model is [`crate::report::Runtime`].

use super::state::State;
use crate::record::Action;
use crate::report::{Runtime, DEPLOY_VARS};

pub fn gather(state: Option<State>, env: impl Fn(&str) -> Option<String>) -> Runtime {
    let state = state.unwrap_or_default();
    let mut runtime = Runtime {
        hostname: nix::unistd::gethostname()
            .ok()
            .map(|h| h.to_string_lossy().into_owned()),
        first_started_at: state.first_started_at,
        last_started_at: state.last_started_at,
        start_count: state.start_count,
        ..Runtime::default()
    };
    // Inserted one by one: collecting into a map sorts first, and each
    // sort's code costs the static `container` kilobytes.
    for action in Action::ALL {
        if let Some(result) = state.last(action) {
            runtime.last.insert(action.key().to_owned(), result.clone());
        }
    }
    for (var, _) in DEPLOY_VARS {
        if let Some(value) = env(var).filter(|v| !v.is_empty()) {
            runtime.deploy.insert(var.to_owned(), value);
        }
    }
    runtime
}
