//! The Docker engine, behind one wall: the only module in the crate that
//! imports bollard.
//!
//! It connects to the local engine (the Unix socket, or `DOCKER_HOST` as
//! the docker CLI reads it), negotiates the API version so old engines
//! work, and turns engine errors into domain outcomes: a 404 is "no such
//! image", a failed connection is "engine unreachable". Callers see only
//! [`Engine`] and [`EngineError`]. It knows nothing about records.

use bollard::errors::Error as BollardError;
use bollard::Docker;
use std::collections::BTreeMap;

/// A connection to the local Docker engine.
pub struct Engine {
    docker: Docker,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "cannot reach the Docker engine: {reason}; is it running, and may this user \
         use its socket (or DOCKER_HOST)?"
    )]
    Unreachable { reason: String },

    #[error("no such image `{image}` in the Docker engine (pull or build it first)")]
    NoSuchImage { image: String },

    #[error("the Docker engine refused to {operation} `{target}`: {source}")]
    Api {
        operation: &'static str,
        target: String,
        source: BollardError,
    },
}

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

    /// The labels of a local image; empty when it has none.
    pub async fn image_labels(&self, image: &str) -> Result<BTreeMap<String, String>, EngineError> {
        let inspect = self
            .docker
            .inspect_image(image)
            .await
            .map_err(|e| classify(e, "inspect image", image))?;
        Ok(inspect
            .config
            .and_then(|config| config.labels)
            .map(|labels| labels.into_iter().collect())
            .unwrap_or_default())
    }
}

/// Turns a bollard error from an operation on `target` into its domain
/// outcome.
fn classify(error: BollardError, operation: &'static str, target: &str) -> EngineError {
    match error {
        BollardError::DockerResponseServerError {
            status_code: 404, ..
        } => EngineError::NoSuchImage {
            image: target.to_owned(),
        },
        BollardError::IOError { .. }
        | BollardError::HyperResponseError { .. }
        | BollardError::HyperLegacyError { .. }
        | BollardError::SocketNotFoundError(_)
        | BollardError::RequestTimeoutError => EngineError::Unreachable {
            reason: error.to_string(),
        },
        source => EngineError::Api {
            operation,
            target: target.to_owned(),
            source,
        },
    }
}
