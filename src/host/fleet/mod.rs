//! The fleet: containers on one or more engines, described from the
//! cheapest source that works, and the selectors that pick among them.
//!
//! It knows engines only as named [`EngineTarget`]s and containers only
//! through the engine layer's own types; it never sees bollard. How the
//! list of engines is made (DOCKER_HOST, contexts, a hosts file) is not
//! its business: callers pass it in. Every container gets its own
//! outcome, so one bad label or one paused container is an error row,
//! never a failed run.

mod discover;
mod error;
mod node_records;
mod nodes;
pub mod select;
mod services;
mod source;
mod swarm_task;
mod target;
mod task_targets;

pub use discover::{
    discover, discover_one, stack_from_label, Discovered, EngineAnswer, Found, Options,
    MAX_LABEL_BYTES,
};
pub use error::DiscoveryError;
pub use node_records::records_from_nodes;
pub use nodes::{reach_nodes, NodeEngine, NodeError, Route};
pub use services::{find_services, ServiceView, SwarmView, SwarmsFound, TaskListing};
pub use source::Source;
pub use swarm_task::SwarmTaskOf;
pub use target::{connect_all, EngineTarget, Unreached};
pub use task_targets::{resolve_tasks, ResolvedTask, TaskOutcome};
