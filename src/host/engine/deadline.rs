//! Every engine call has a deadline: a hung engine or a stuck stream
//! becomes [`EngineError::TimedOut`] naming what was being done, never a
//! hang of the whole command.

use super::error::{EngineError, ObjectKind};
use std::future::Future;
use std::time::Duration;

/// How long one list or inspect call may take.
pub const CALL_DEADLINE: Duration = Duration::from_secs(30);

/// Runs `call` under `deadline`; on expiry the call is dropped (which
/// closes its connection) and the error names the operation and object.
pub(super) async fn within<T>(
    deadline: Duration,
    engine: &str,
    operation: &'static str,
    kind: ObjectKind,
    name: &str,
    call: impl Future<Output = Result<T, EngineError>>,
) -> Result<T, EngineError> {
    match tokio::time::timeout(deadline, call).await {
        Ok(result) => result,
        Err(_) => Err(EngineError::TimedOut {
            engine: engine.to_owned(),
            operation,
            kind,
            name: name.to_owned(),
            after: deadline,
        }),
    }
}
