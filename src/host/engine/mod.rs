//! The Docker engine, behind one wall: the only module tree in the crate
//! that imports bollard.
//!
//! `connect.rs` reaches the engine an endpoint names (unix, tcp, TLS,
//! ssh through our own transport in `ssh.rs`, the system's ssh client
//! running `docker system dial-stdio`) and negotiates the API version so
//! old and new engines work; each
//! kind of object the engine holds has its own file (`images.rs`,
//! `containers.rs`, `exec.rs`, `health.rs`, `archive.rs`; a Swarm's
//! `services.rs`, `tasks.rs` and `nodes.rs`; container events in
//! `events.rs`), and every
//! call has a deadline (`deadline.rs`).
//! Engine errors are turned into domain outcomes in `error.rs`: a 404 is
//! "no such" object of the kind asked about, a failed connection is
//! "engine unreachable". Callers see only [`Engine`] and [`EngineError`],
//! never a bollard type. It knows nothing about records.

mod archive;
mod connect;
mod containers;
mod deadline;
mod error;
mod events;
mod exec;
mod health;
mod images;
mod nodes;
mod services;
mod ssh;
mod tasks;

pub use archive::{ArchiveLimits, ArchivedFile};
pub use connect::CONNECT_DEADLINE;
pub use containers::{ContainerDetails, ContainerSummary, Listing, RunState};
pub use deadline::CALL_DEADLINE;
pub use error::{EngineError, ObjectKind};
pub use events::{ContainerEvent, EventKind};
pub use exec::{Captured, ExecFinished, ExecOutcome, ExecRequest, StreamKind};
pub use health::Health;
pub use images::{ImageDetails, ImageSummary};
pub use nodes::{NodeSummary, SwarmMembership};
pub use services::{ServiceMode, ServiceSummary};
pub use tasks::TaskSummary;

use bollard::Docker;

/// A connection to one Docker engine, under its endpoint's name.
// Clone shares the one connection pool (bollard clones an Arc).
#[derive(Clone)]
pub struct Engine {
    docker: Docker,
    name: String,
    url: String,
}
