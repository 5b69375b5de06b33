//! Where the fleet page's rows come from: the configured engines,
//! listed through [`crate::host::fleet::discover`] exactly as `waybill
//! ls --all` lists them, and the job history for the last results.
//!
//! A listing costs an engine call per engine (and an exec for a
//! container without the stack label), so it is kept for
//! [`MAX_AGE`] and made by one request at a time: a burst of page loads
//! costs one listing, not one each. The history is read fresh for every
//! page, so a job that just ended shows at once.

use super::view::{EngineFailure, FleetView, LastResults};
use crate::host::engine::Listing;
use crate::host::fleet::select::Selector;
use crate::host::fleet::{self, connect_all, EngineAnswer, Options};
use crate::host::serve::State;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long one listing of the engines serves page loads.
pub const MAX_AGE: Duration = Duration::from_secs(5);

/// The engines' answers, as listed at one time.
pub struct Listed {
    pub answers: Vec<EngineAnswer>,
    pub unreached: Vec<EngineFailure>,
}

#[derive(Default)]
pub struct FleetCache {
    last: tokio::sync::Mutex<Option<(Instant, Arc<Listed>)>>,
}

impl FleetCache {
    /// The current listing: the kept one while fresh, else a new one.
    pub async fn get(&self, state: &State) -> Arc<Listed> {
        let mut last = self.last.lock().await;
        if let Some((at, listed)) = last.as_ref() {
            if at.elapsed() < MAX_AGE {
                return listed.clone();
            }
        }
        let listed = Arc::new(list(state).await);
        *last = Some((Instant::now(), listed.clone()));
        listed
    }

    /// Forgets the kept listing (after an action changed the fleet).
    pub async fn clear(&self) {
        *self.last.lock().await = None;
    }
}

async fn list(state: &State) -> Listed {
    let (targets, unreached) = connect_all(&state.config.endpoints).await;
    let options = Options {
        listing: Listing::All,
        state: false,
    };
    let answers = fleet::discover(&targets, options, &Selector::default()).await;
    Listed {
        answers,
        unreached: unreached.into_iter().map(EngineFailure::from).collect(),
    }
}

/// Every container's last results, from the whole kept history.
pub fn last_results(state: &State) -> LastResults {
    let mut lasts = LastResults::default();
    state.history.visit(|job| {
        lasts.add(job);
        true
    });
    lasts
}

/// The fleet as the page shows it now.
pub async fn fleet_view(state: &State) -> FleetView {
    let listed = state.page.fleet.get(state).await;
    FleetView::build(&listed.answers, &listed.unreached, &last_results(state))
}
