//! Where a container's description came from, cheapest first.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The `io.waybill.stack` label: list and inspect only, no exec.
    Labels,
    /// One exec of the `container` tool in the running container.
    Exec,
    /// The metadata directory read through the engine's archive endpoint.
    Archive,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Labels => "labels",
            Source::Exec => "exec",
            Source::Archive => "archive",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
