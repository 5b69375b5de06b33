//! A container's Docker HEALTHCHECK, as a rollout needs it: the status
//! and which probe said so. A rollout waits for a probe that ran after
//! its UPDATE; comparing probes by their identity rather than by clock
//! time keeps a remote engine's clock out of it.

use super::error::EngineError;
use super::Engine;
use super::RunState;

/// The health of one container at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub state: RunState,
    /// `starting`, `healthy` or `unhealthy`; None without a HEALTHCHECK.
    pub status: Option<String>,
    /// The newest probe's start and end times, as the engine wrote them:
    /// an identity for "the same probe", never compared as times.
    pub last_probe: Option<String>,
    /// The newest probe's exit code and the tail of its output.
    pub last_exit: Option<i64>,
    pub last_output: Option<String>,
}

impl Engine {
    /// The container's run state and HEALTHCHECK facts.
    pub async fn health(&self, container: &str) -> Result<Health, EngineError> {
        let c = self.inspect_raw(container).await?;
        let state = c.state.unwrap_or_default();
        let run_state = RunState::parse(&state.status.map(|s| s.to_string()).unwrap_or_default());
        let health = state.health.unwrap_or_default();
        let status = health
            .status
            .map(|s| s.to_string())
            .filter(|s| !s.is_empty() && s != "none");
        let last = health.log.unwrap_or_default().into_iter().last();
        Ok(Health {
            state: run_state,
            status,
            last_probe: last.as_ref().map(|p| {
                format!(
                    "{}..{}",
                    p.start.as_ref().map(|d| d.to_string()).unwrap_or_default(),
                    p.end.as_ref().map(|d| d.to_string()).unwrap_or_default()
                )
            }),
            last_exit: last.as_ref().and_then(|p| p.exit_code),
            last_output: last.and_then(|p| p.output),
        })
    }
}
