//! An engine as the fleet sees it: a connection and the name every
//! output row shows for it.

use crate::host::engine::Engine;

pub struct EngineTarget {
    /// How rows name this engine: `local`, a context name, a host.
    pub name: String,
    pub engine: Engine,
}
