//! The Docker engine, behind one wall: the only module tree in the crate
//! that imports bollard.
//!
//! `connect.rs` reaches the engine an endpoint names (unix, tcp, TLS,
//! ssh) and negotiates the API version so old and new engines work; each
//! kind of object the engine holds has its own file (`images.rs`,
//! `containers.rs`, `exec.rs`, `health.rs`, `archive.rs`; events join them), and every
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
mod exec;
mod health;
mod images;

pub use archive::{ArchiveLimits, ArchivedFile};
pub use connect::CONNECT_DEADLINE;
pub use containers::{ContainerDetails, ContainerSummary, Listing, RunState};
pub use deadline::CALL_DEADLINE;
pub use error::{EngineError, ObjectKind};
pub use exec::{Captured, ExecFinished, ExecOutcome, ExecRequest, StreamKind};
pub use health::Health;
pub use images::{ImageDetails, ImageSummary};

use bollard::Docker;

/// A connection to one Docker engine, under its endpoint's name.
pub struct Engine {
    docker: Docker,
    name: String,
    url: String,
}
