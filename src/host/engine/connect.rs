//! Reaching an engine: the local defaults (the Unix socket, or
//! `DOCKER_HOST` as the docker CLI reads it), with the API version
//! negotiated rather than pinned, so both old and new engines answer.

use super::error::EngineError;
use super::Engine;
use bollard::errors::Error as BollardError;
use bollard::Docker;

impl Engine {
    /// Connects to the local engine and agrees on an API version.
    pub async fn connect() -> Result<Engine, EngineError> {
        let unreachable = |e: BollardError| EngineError::Unreachable {
            reason: e.to_string(),
        };
        let docker = Docker::connect_with_local_defaults()
            .map_err(unreachable)?
            .negotiate_version()
            .await
            .map_err(unreachable)?;
        Ok(Engine { docker })
    }
}
