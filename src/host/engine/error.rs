//! What went wrong talking to an engine, in the caller's terms.
//!
//! Every engine call names the kind of object it was about, so a 404
//! says which thing is missing: a removed container is not a missing
//! image, and an exec instance that is gone is neither. Every error names
//! its engine too, so a message about one of many engines says which
//! (callers add the container or image, not the engine). Nothing outside
//! [`super`] sees a bollard error except as the source of
//! [`EngineError::Api`].

use bollard::errors::Error as BollardError;
use std::fmt;

/// The kind of engine object an operation was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Image,
    Container,
    /// An exec instance inside a container.
    Exec,
    /// A Swarm service.
    Service,
    /// A Swarm task (one replica of a service, on one node).
    Task,
    /// A Swarm node.
    Node,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Image => "image",
            ObjectKind::Container => "container",
            ObjectKind::Exec => "exec instance",
            ObjectKind::Service => "service",
            ObjectKind::Task => "task",
            ObjectKind::Node => "node",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A connected engine stopped answering (its connection failed).
    #[error(
        "cannot reach engine `{engine}`: {reason}; is it running, and may this user \
         use its socket (or DOCKER_HOST)?"
    )]
    Unreachable { engine: String, reason: String },

    /// Connecting to a named engine failed on the network: refused, no
    /// route, no answer within the connect deadline, or no socket.
    #[error("engine `{engine}` ({url}) is unreachable: {reason}")]
    EngineUnreachable {
        engine: String,
        url: String,
        reason: String,
    },

    /// The TLS handshake failed: one side refused the other's
    /// certificate (wrong CA, no or bad client certificate), or one side
    /// speaks TLS and the other does not.
    #[error("engine `{engine}` ({url}) refused TLS: {reason}")]
    TlsRefused {
        engine: String,
        url: String,
        reason: String,
    },

    /// The endpoint's TLS material cannot be used as given (no CA,
    /// verification switched off, unreadable or malformed files).
    #[error("engine `{engine}` ({url}): unusable TLS settings: {reason}")]
    TlsUnsupported {
        engine: String,
        url: String,
        reason: String,
    },

    /// The engine refused the client's API version, or reported none.
    #[error("engine `{engine}` ({url}) rejected the API version: {reason}")]
    VersionRejected {
        engine: String,
        url: String,
        reason: String,
    },

    /// ssh could not log in, or the far side could not run `docker
    /// system dial-stdio`.
    #[error("engine `{engine}` ({url}): ssh failed: {reason}")]
    SshFailed {
        engine: String,
        url: String,
        reason: String,
    },

    /// The engine answered 404 about `name`, an object of `kind`.
    #[error("{}", not_found(engine, *kind, name))]
    NotFound {
        engine: String,
        kind: ObjectKind,
        name: String,
    },

    /// A Swarm request (services, tasks, nodes) went to an engine that
    /// is not a Swarm manager: a worker, or no Swarm at all.
    #[error(
        "engine `{engine}` is not a Swarm manager, so it cannot {operation} {kind}s ({reason})"
    )]
    NotSwarmManager {
        engine: String,
        operation: &'static str,
        kind: ObjectKind,
        reason: String,
    },

    #[error("engine `{engine}` did not {operation} {kind} `{name}` within {after:?}")]
    TimedOut {
        engine: String,
        operation: &'static str,
        kind: ObjectKind,
        name: String,
        after: std::time::Duration,
    },

    #[error("no `{path}` in container `{container}` of engine `{engine}`")]
    NoSuchPath {
        engine: String,
        container: String,
        path: String,
    },

    #[error(
        "`{path}` of container `{container}` of engine `{engine}` is more than {limit} bytes \
         as an archive"
    )]
    ArchiveTooLarge {
        engine: String,
        container: String,
        path: String,
        limit: u64,
    },

    #[error(
        "the archive of `{path}` from container `{container}` of engine `{engine}` is not \
         usable: {reason}"
    )]
    BadArchive {
        engine: String,
        container: String,
        path: String,
        reason: String,
    },

    #[error("engine `{engine}` refused to {operation} {kind} `{name}`: {source}")]
    Api {
        engine: String,
        operation: &'static str,
        kind: ObjectKind,
        name: String,
        source: Box<BollardError>,
    },
}

/// What a 404 means for each kind, with what the user can do about it.
fn not_found(engine: &str, kind: ObjectKind, name: &str) -> String {
    match kind {
        ObjectKind::Image => {
            format!("no such image `{name}` in engine `{engine}` (pull or build it first)")
        }
        ObjectKind::Container => {
            format!("no such container `{name}` in engine `{engine}` (it may have been removed)")
        }
        ObjectKind::Exec => format!(
            "exec instance `{name}` is gone from engine `{engine}` (its container may have \
             stopped or been removed)"
        ),
        ObjectKind::Service => format!("no such service `{name}` in the Swarm"),
        ObjectKind::Task => {
            format!("no such task `{name}` in the Swarm (it may have been removed)")
        }
        ObjectKind::Node => format!("no such node `{name}` in the Swarm (it may have left)"),
    }
}

/// `error` and its sources as one line: bollard's own messages ("client
/// error (Connect)") leave the cause to the source chain.
pub(super) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// Turns a bollard error from `operation` on the `kind` object `name`
/// of `engine` into its domain outcome.
pub(super) fn classify(
    error: BollardError,
    engine: &str,
    operation: &'static str,
    kind: ObjectKind,
    name: &str,
) -> EngineError {
    match error {
        BollardError::DockerResponseServerError {
            status_code: 404, ..
        } => EngineError::NotFound {
            engine: engine.to_owned(),
            kind,
            name: name.to_owned(),
        },
        // 503 from /services, /tasks or /nodes: "This node is not a swarm
        // manager. …" (a worker), or "… is not part of a swarm".
        BollardError::DockerResponseServerError {
            status_code: 503,
            ref message,
        } if matches!(
            kind,
            ObjectKind::Service | ObjectKind::Task | ObjectKind::Node
        ) =>
        {
            EngineError::NotSwarmManager {
                engine: engine.to_owned(),
                operation,
                kind,
                reason: first_sentence(message),
            }
        }
        BollardError::IOError { .. }
        | BollardError::HyperResponseError { .. }
        | BollardError::HyperLegacyError { .. }
        | BollardError::SocketNotFoundError(_)
        | BollardError::RequestTimeoutError => EngineError::Unreachable {
            engine: engine.to_owned(),
            reason: error.to_string(),
        },
        source => EngineError::Api {
            engine: engine.to_owned(),
            operation,
            kind,
            name: name.to_owned(),
            source: Box::new(source),
        },
    }
}

/// The engine's own explanation up to its first full stop (its advice
/// that follows names docker CLI commands).
fn first_sentence(message: &str) -> String {
    let message = message.trim();
    message
        .split_once(". ")
        .map_or(message, |(first, _)| first)
        .trim_end_matches('.')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_found_error() -> BollardError {
        BollardError::DockerResponseServerError {
            status_code: 404,
            message: "No such object".into(),
        }
    }

    #[test]
    fn a_404_names_the_kind_of_object_that_is_missing() {
        let image = classify(
            not_found_error(),
            "e1",
            "inspect",
            ObjectKind::Image,
            "base:1",
        );
        assert_eq!(
            image.to_string(),
            "no such image `base:1` in engine `e1` (pull or build it first)"
        );
        let container = classify(
            not_found_error(),
            "e1",
            "inspect",
            ObjectKind::Container,
            "web",
        );
        assert!(
            container
                .to_string()
                .starts_with("no such container `web` in engine `e1`"),
            "{container}"
        );
        let exec = classify(not_found_error(), "e1", "start", ObjectKind::Exec, "3f2a");
        assert!(
            exec.to_string()
                .starts_with("exec instance `3f2a` is gone from engine `e1`"),
            "{exec}"
        );
        for error in [image, container, exec] {
            assert!(matches!(error, EngineError::NotFound { .. }), "{error:?}");
        }
    }

    #[test]
    fn other_refusals_name_the_operation_and_the_object() {
        let error = BollardError::DockerResponseServerError {
            status_code: 409,
            message: "container is paused".into(),
        };
        let error = classify(error, "e1", "exec in", ObjectKind::Container, "web");
        assert!(
            error
                .to_string()
                .starts_with("engine `e1` refused to exec in container `web`: "),
            "{error}"
        );
        let lost = classify(
            BollardError::RequestTimeoutError,
            "e1",
            "list",
            ObjectKind::Container,
            "*",
        );
        assert!(
            lost.to_string().starts_with("cannot reach engine `e1`: "),
            "{lost}"
        );
    }

    #[test]
    fn a_worker_refusing_swarm_requests_is_not_a_swarm_manager() {
        let error = BollardError::DockerResponseServerError {
            status_code: 503,
            message: "This node is not a swarm manager. Worker nodes can't be used to view or \
                      modify cluster state. Please run this command on a manager node or promote \
                      the current node to a manager."
                .into(),
        };
        let error = classify(error, "m1", "list", ObjectKind::Service, "*");
        assert!(
            matches!(error, EngineError::NotSwarmManager { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "engine `m1` is not a Swarm manager, so it cannot list services (This node is not a \
             swarm manager)"
        );
        let missing = classify(
            not_found_error(),
            "m1",
            "inspect",
            ObjectKind::Service,
            "web",
        );
        assert_eq!(missing.to_string(), "no such service `web` in the Swarm");
    }
}
