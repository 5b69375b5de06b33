//! `GET /jobs/{id}/events`: a job's output as server-sent events while
//! it runs, for the job page's script.
//!
//! Events: `status` (the job's status, first and on every change),
//! `line` (one output line, control characters shown escaped, its `id`
//! the position after it, so a reconnecting `EventSource` resumes with
//! `Last-Event-ID`), and `end` (the final status), after which the
//! stream closes. A client may start at `?from=N` (the job page passes
//! what it already shows). The stream ends when the job ends, or, for a
//! job that ended before anyone asked, at once; at most
//! [`MAX_STREAMS`] are open at a time, and a stream that falls behind
//! the job's bounded tail is told how many lines it missed.

use super::auth::viewer;
use super::jobs_html::status_text;
use crate::host::serve::job::Status;
use crate::host::serve::live::JobLive;
use crate::host::serve::State;
use axum::extract::{Path, Query, State as Shared};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Event streams open at once.
pub const MAX_STREAMS: usize = 64;
/// How often a quiet stream rechecks the job's status.
const RECHECK: Duration = Duration::from_secs(1);

#[derive(serde::Deserialize, Default)]
pub struct From {
    from: Option<u64>,
}

/// Counts the open streams; one slot per stream, given back on drop.
pub struct Slot(Arc<State>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.page.streams.fetch_sub(1, Ordering::SeqCst);
    }
}

fn take_slot(state: &Arc<State>) -> Option<Slot> {
    let counter: &AtomicUsize = &state.page.streams;
    let mut open = counter.load(Ordering::SeqCst);
    loop {
        if open >= MAX_STREAMS {
            return None;
        }
        match counter.compare_exchange(open, open + 1, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return Some(Slot(state.clone())),
            Err(now) => open = now,
        }
    }
}

struct Follow {
    state: Arc<State>,
    id: u64,
    live: Option<Arc<JobLive>>,
    changes: Option<tokio::sync::watch::Receiver<u64>>,
    next: u64,
    status: Option<Status>,
    queue: VecDeque<Event>,
    ended: bool,
    _slot: Slot,
}

pub async fn job_events(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<From>,
) -> Response {
    let viewer = viewer(&state, &headers);
    if viewer.session.is_none() && !state.config.page.public {
        return (StatusCode::UNAUTHORIZED, "log in first\n").into_response();
    }
    let Some(job) = id.parse::<u64>().ok().and_then(|id| state.history.get(id)) else {
        return (StatusCode::NOT_FOUND, "no such job\n").into_response();
    };
    let Some(slot) = take_slot(&state) else {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many event streams\n").into_response();
    };
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // A job that ended before anyone watched has no live output to
    // follow; one still queued or running gets it made here.
    let live = if job.status.is_final() {
        state.live.existing(job.id)
    } else {
        Some(state.live.job(job.id))
    };
    let follow = Follow {
        changes: live.as_ref().map(|l| l.subscribe()),
        live,
        id: job.id,
        state,
        next: resume.or(q.from).unwrap_or(0),
        status: None,
        queue: VecDeque::new(),
        ended: false,
        _slot: slot,
    };
    let events = stream::unfold(follow, |mut f| async move {
        let event = f.next_event().await?;
        Some((Ok::<Event, Infallible>(event), f))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

impl Follow {
    /// The next event, waiting for the job when nothing is queued;
    /// `None` once the end has been sent.
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(event);
            }
            if self.ended {
                return None;
            }
            self.poll();
            if !self.queue.is_empty() || self.ended {
                continue;
            }
            match &mut self.changes {
                Some(changes) => {
                    let _ = tokio::time::timeout(RECHECK, changes.changed()).await;
                }
                None => tokio::time::sleep(RECHECK).await,
            }
        }
    }

    /// Queues what is new: lines, a changed status, the end.
    fn poll(&mut self) {
        let status = self.state.history.get(self.id).map(|j| j.status);
        if let Some(live) = &self.live {
            let unseen = live.since(self.next);
            if unseen.skipped > 0 {
                self.queue.push_back(
                    Event::default()
                        .event("line")
                        .data(format!("[{} earlier lines not kept]", unseen.skipped)),
                );
            }
            let mut at = unseen.next - unseen.lines.len() as u64;
            for line in unseen.lines {
                at += 1;
                self.queue.push_back(
                    Event::default()
                        .event("line")
                        .id(at.to_string())
                        .data(crate::safe_text::escape(&line)),
                );
            }
            self.next = unseen.next;
        }
        if status != self.status {
            if let Some(s) = status {
                self.queue
                    .push_back(Event::default().event("status").data(status_text(s)));
            }
            self.status = status;
        }
        // The job is gone from the history, or final. The status was
        // read before the lines, and the runner closes the live buffer
        // before it files the final record, so every line is sent.
        let over = status.map_or(true, Status::is_final);
        if over {
            let last = status.map_or("gone", status_text);
            self.queue
                .push_back(Event::default().event("end").data(last));
            self.ended = true;
        }
    }
}
