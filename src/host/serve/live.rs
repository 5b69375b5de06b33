//! A running job's output as it arrives, for the job page's live view
//! (`GET /jobs/{id}/events`).
//!
//! The job runner's observer ([`super::execute`]) appends every output
//! line here and wakes the subscribers; a subscriber reads what it has
//! not seen yet by sequence number. Everything is bounded: a job keeps
//! only the last [`TAIL_LINES`] lines (each cut at [`LINE_BYTES`]), and
//! only the last [`KEPT_JOBS`] jobs are kept at all, finished ones
//! forgotten first. The job record in the history stays the one lasting
//! account; this is only a window onto it while it runs.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Lines kept per job.
pub const TAIL_LINES: usize = 2_000;
/// Bytes kept of one line.
pub const LINE_BYTES: usize = 4 * 1024;
/// Jobs whose live output is kept.
pub const KEPT_JOBS: usize = 64;

/// Every job's live output.
#[derive(Default)]
pub struct Live {
    jobs: Mutex<BTreeMap<u64, Arc<JobLive>>>,
}

/// One job's live output.
pub struct JobLive {
    inner: Mutex<Buffer>,
    /// Bumped on every change; subscribers wait on it.
    changed: watch::Sender<u64>,
}

#[derive(Default)]
struct Buffer {
    /// Sequence number of `lines[0]`.
    first: u64,
    lines: VecDeque<String>,
    done: bool,
}

/// What a subscriber has not seen yet.
pub struct Unseen {
    /// Lines after the caller's position; with `skipped` lines lost to
    /// the bound before them.
    pub lines: Vec<String>,
    pub skipped: u64,
    /// The position to ask from next time.
    pub next: u64,
}

impl Live {
    /// The job's live output, if kept.
    pub fn existing(&self, id: u64) -> Option<Arc<JobLive>> {
        lock(&self.jobs).get(&id).cloned()
    }

    /// The job's live output, made when first asked for.
    pub fn job(&self, id: u64) -> Arc<JobLive> {
        let mut jobs = lock(&self.jobs);
        if let Some(job) = jobs.get(&id) {
            return job.clone();
        }
        while jobs.len() >= KEPT_JOBS {
            let victim = jobs
                .iter()
                .find(|(_, j)| lock(&j.inner).done)
                .or_else(|| jobs.iter().next())
                .map(|(id, _)| *id);
            match victim {
                Some(v) => {
                    if let Some(old) = jobs.remove(&v) {
                        old.finish();
                    }
                }
                None => break,
            }
        }
        let job = Arc::new(JobLive {
            inner: Mutex::new(Buffer::default()),
            changed: watch::channel(0).0,
        });
        jobs.insert(id, job.clone());
        job
    }
}

impl JobLive {
    /// Appends one line (lossy UTF-8, cut at [`LINE_BYTES`]).
    pub fn push(&self, line: &[u8]) {
        let cut = &line[..line.len().min(LINE_BYTES)];
        let text = String::from_utf8_lossy(cut).into_owned();
        let mut b = lock(&self.inner);
        if b.done {
            return;
        }
        b.lines.push_back(text);
        if b.lines.len() > TAIL_LINES {
            b.lines.pop_front();
            b.first += 1;
        }
        drop(b);
        self.changed.send_modify(|n| *n += 1);
    }

    /// Marks the output complete; subscribers end after reading it.
    pub fn finish(&self) {
        lock(&self.inner).done = true;
        self.changed.send_modify(|n| *n += 1);
    }

    /// Lines from position `from` on.
    pub fn since(&self, from: u64) -> Unseen {
        let b = lock(&self.inner);
        let end = b.first + b.lines.len() as u64;
        let start = from.clamp(b.first, end);
        let lines = b
            .lines
            .iter()
            .skip(usize::try_from(start - b.first).unwrap_or(usize::MAX))
            .cloned()
            .collect();
        Unseen {
            lines,
            skipped: start - from.min(start),
            next: end,
        }
    }

    /// A receiver that wakes on every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscriber_reads_only_what_it_has_not_seen_and_the_tail_is_bounded() {
        let live = Live::default();
        let job = live.job(1);
        job.push(b"one");
        job.push(b"two");
        let first = job.since(0);
        assert_eq!(first.lines, ["one", "two"]);
        job.push(b"three");
        let second = job.since(first.next);
        assert_eq!(second.lines, ["three"]);
        for n in 0..TAIL_LINES + 5 {
            job.push(n.to_string().as_bytes());
        }
        let late = job.since(second.next);
        assert_eq!(late.lines.len(), TAIL_LINES);
        assert_eq!(late.skipped, 5);
        job.finish();
        job.push(b"after the end");
        assert!(
            job.since(late.next).lines.is_empty(),
            "nothing after the end"
        );
    }

    #[test]
    fn only_the_last_jobs_are_kept() {
        let live = Live::default();
        for id in 0..(KEPT_JOBS as u64 + 10) {
            live.job(id).finish();
        }
        assert_eq!(lock(&live.jobs).len(), KEPT_JOBS);
    }

    #[test]
    fn a_long_line_is_cut() {
        let live = Live::default();
        let job = live.job(1);
        job.push(&vec![b'a'; LINE_BYTES * 2]);
        assert_eq!(job.since(0).lines[0].len(), LINE_BYTES);
    }
}
