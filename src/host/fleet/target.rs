//! An engine as the fleet sees it: a connection and the name every
//! output row shows for it, and connecting to every engine a command was
//! given at once.

use crate::host::endpoint::Endpoint;
use crate::host::engine::{Engine, EngineError};

pub struct EngineTarget {
    /// How rows name this engine: `default`, a context name, a host.
    pub name: String,
    pub engine: Engine,
}

/// An engine that could not be reached, with why.
pub struct Unreached {
    pub name: String,
    pub error: EngineError,
}

/// Connects to every endpoint concurrently. One engine that is down,
/// refuses TLS or rejects the API version is an [`Unreached`] entry; the
/// others are still connected. Both lists keep the endpoints' order.
pub async fn connect_all(endpoints: &[Endpoint]) -> (Vec<EngineTarget>, Vec<Unreached>) {
    let attempts =
        futures_util::future::join_all(endpoints.iter().map(|endpoint| async move {
            (endpoint.name.clone(), Engine::connect(endpoint).await)
        }))
        .await;
    let mut reached = Vec::new();
    let mut unreached = Vec::new();
    for (name, outcome) in attempts {
        match outcome {
            Ok(engine) => reached.push(EngineTarget { name, engine }),
            Err(error) => unreached.push(Unreached { name, error }),
        }
    }
    (reached, unreached)
}
