//! `--service NAME` (repeatable, globs) and `--by node|task` of the
//! action commands: a Swarm service's running tasks as the targets of
//! `waybill update|validate|monitor|metrics`, run by the one runner
//! ([`crate::host::actions`]) like any container.
//!
//! Only arguments and glue: which tasks a service selector stands for is
//! [`actions::select_service_tasks`], the same code `waybill serve`'s
//! jobs use. With `--batch N`, `--by node` (the default) rolls N nodes at
//! a time, `--by task` N tasks at a time.

use super::select_args::SelectArgs;
use crate::host::actions::{self, RunOptions, Selection};
use crate::host::endpoint::{self, EndpointArgs};
use crate::host::env::Env;
use crate::host::fleet::connect_all;
use crate::host::fleet::select::Selector;
use crate::host::HostError;
use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Default, Args)]
pub struct ServiceArgs {
    /// A Swarm service (name, id prefix or glob), through the managers
    /// among the engines: its running tasks are the targets (repeatable)
    #[arg(long = "service", value_name = "NAME", conflicts_with = "names")]
    pub services: Vec<String>,
    /// With --service and --batch: roll N nodes at a time (`node`) or N
    /// tasks at a time (`task`)
    #[arg(long, value_enum, default_value_t = By::Node, requires = "services")]
    pub by: By,
}

/// The unit of a Swarm rollout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum By {
    #[default]
    Node,
    Task,
}

impl ServiceArgs {
    pub fn is_given(&self) -> bool {
        !self.services.is_empty()
    }

    pub fn apply(&self, options: &mut RunOptions) {
        options.batch_by_engine = self.is_given() && self.by == By::Node;
    }
}

/// The tasks of the services `args` names (filtered by `select`'s
/// project, label, source and branch), as runner targets, through the
/// one service selection of [`actions::select_service_tasks`]; with
/// `state`, each target's runtime state too (`waybill metrics`).
pub async fn select(
    args: &ServiceArgs,
    select: &SelectArgs,
    engines: &EndpointArgs,
    env: &Env,
    state: bool,
) -> Result<Selection, HostError> {
    let mut given = select.selector();
    let mut selector = Selector::new(args.services.clone()).with_source(select.source.clone());
    selector.project = given.project.take();
    selector.labels = std::mem::take(&mut given.labels);
    selector.branch = given.branch.take();
    let endpoints = endpoint::resolve(engines, env)?;
    let settings = endpoint::swarm_settings(engines, env)?;
    let (reached, unreached) = connect_all(&endpoints).await;
    Ok(actions::select_service_tasks(reached, unreached, &selector, &settings, state).await)
}
