//! The job history: bounded in memory, and with a state directory a
//! JSON-lines file (`jobs.jsonl`) that survives a restart.
//!
//! Every change of a job appends its whole record as one line; at start
//! the last line of each id wins. A torn last line (a crash mid-write)
//! is skipped with a warning, and a job the file last saw queued or
//! running was cut short by that crash, so it is recorded interrupted.
//! The file is rewritten with the kept jobs at start and whenever it
//! grows past four lines per kept job. Ids keep counting across
//! restarts. Finished jobs beyond the capacity are forgotten, oldest
//! first; jobs still queued or running never are.

use super::job::{Job, Selection, Status, Trigger};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const FILE_NAME: &str = "jobs.jsonl";
/// The most of the history file read at start: its last 64 MiB.
const MAX_READ: u64 = 64 * 1024 * 1024;

pub struct History {
    inner: Mutex<Inner>,
}

struct Inner {
    jobs: BTreeMap<u64, Job>,
    capacity: usize,
    next_id: u64,
    file: Option<(PathBuf, File, usize)>,
}

impl History {
    /// Opens the history, reloading `state_dir/jobs.jsonl` when given.
    /// `now` is the epoch second used to close jobs a crash cut short.
    pub fn open(state_dir: Option<&Path>, capacity: usize, now: i64) -> std::io::Result<History> {
        let mut inner = Inner {
            jobs: BTreeMap::new(),
            capacity,
            next_id: 1,
            file: None,
        };
        if let Some(dir) = state_dir {
            let path = dir.join(FILE_NAME);
            let text = read_tail(&path)?;
            let ends_complete = text.is_empty() || text.ends_with('\n');
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Job>(line) {
                    Ok(job) => {
                        inner.next_id = inner.next_id.max(job.id + 1);
                        inner.jobs.insert(job.id, job);
                    }
                    Err(e) if i + 1 == lines.len() && !ends_complete => {
                        crate::host::warn(format_args!(
                            "`{}`: skipped a torn last line (a crash mid-write?): {e}",
                            path.display()
                        ));
                    }
                    Err(e) => crate::host::warn(format_args!(
                        "`{}` line {}: skipped, not a job record: {e}",
                        path.display(),
                        i + 1
                    )),
                }
            }
            for job in inner.jobs.values_mut() {
                if !job.status.is_final() {
                    job.status = Status::Interrupted;
                    job.finished = Some(now);
                    job.error = Some("the server stopped before the job finished".into());
                }
            }
            inner.evict();
            inner.compact_to(&path)?;
        }
        Ok(History {
            inner: Mutex::new(inner),
        })
    }

    /// Files a new queued job and returns it.
    pub fn create(
        &self,
        action: &str,
        trigger: Trigger,
        selection: Selection,
        batch: Option<usize>,
        now: i64,
    ) -> Job {
        let mut inner = self.lock();
        let job = Job {
            id: inner.next_id,
            status: Status::Queued,
            action: action.to_owned(),
            trigger,
            selection,
            created: now,
            started: None,
            finished: None,
            results: Vec::new(),
            engine_errors: Vec::new(),
            error: None,
            batch,
        };
        inner.next_id += 1;
        inner.store(job.clone());
        job
    }

    /// Changes job `id` and files the new record; `None` when unknown.
    pub fn update(&self, id: u64, change: impl FnOnce(&mut Job)) -> Option<Job> {
        let mut inner = self.lock();
        let mut job = inner.jobs.get(&id)?.clone();
        change(&mut job);
        inner.store(job.clone());
        Some(job)
    }

    pub fn get(&self, id: u64) -> Option<Job> {
        self.lock().jobs.get(&id).cloned()
    }

    /// Up to `limit` jobs, newest first, with ids below `before`; and the
    /// `before` of the next page, when there is one.
    pub fn page(&self, before: Option<u64>, limit: usize) -> (Vec<Job>, Option<u64>) {
        let inner = self.lock();
        let mut jobs: Vec<Job> = inner
            .jobs
            .range(..before.unwrap_or(u64::MAX))
            .rev()
            .take(limit + 1)
            .map(|(_, job)| job.clone())
            .collect();
        let next = if jobs.len() > limit {
            jobs.truncate(limit);
            jobs.last().map(|j| j.id)
        } else {
            None
        };
        (jobs, next)
    }

    /// Calls `visit` on each job, newest first, until it returns false;
    /// nothing is copied (the fleet page reads every job's results).
    pub fn visit(&self, mut visit: impl FnMut(&Job) -> bool) {
        let inner = self.lock();
        for job in inner.jobs.values().rev() {
            if !visit(job) {
                break;
            }
        }
    }

    /// Jobs not yet finished.
    pub fn unfinished(&self) -> Vec<u64> {
        let inner = self.lock();
        inner
            .jobs
            .values()
            .filter(|j| !j.status.is_final())
            .map(|j| j.id)
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inner {
    fn store(&mut self, job: Job) {
        let mut compact = None;
        let capacity = self.capacity;
        if let Some((path, file, lines)) = &mut self.file {
            let written = serde_json::to_string(&job)
                .map_err(std::io::Error::other)
                .and_then(|mut line| {
                    line.push('\n');
                    file.write_all(line.as_bytes())
                });
            if let Err(e) = written {
                crate::host::warn(format_args!(
                    "cannot append job {} to `{}`: {e}",
                    job.id,
                    path.display()
                ));
            }
            *lines += 1;
            if *lines > 4 * capacity.max(16) {
                compact = Some(path.clone());
            }
        }
        self.jobs.insert(job.id, job);
        self.evict();
        if let Some(path) = compact {
            if let Err(e) = self.compact_to(&path) {
                crate::host::warn(format_args!("cannot rewrite `{}`: {e}", path.display()));
            }
        }
    }

    fn evict(&mut self) {
        while self.jobs.len() > self.capacity {
            let oldest_final = self
                .jobs
                .values()
                .find(|j| j.status.is_final())
                .map(|j| j.id);
            match oldest_final {
                Some(id) => {
                    self.jobs.remove(&id);
                }
                None => break,
            }
        }
    }

    fn compact_to(&mut self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("jsonl.tmp");
        let mut text = String::new();
        for job in self.jobs.values() {
            text.push_str(&serde_json::to_string(job).map_err(std::io::Error::other)?);
            text.push('\n');
        }
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)?;
        let file = OpenOptions::new().append(true).open(path)?;
        self.file = Some((path.to_path_buf(), file, self.jobs.len()));
        Ok(())
    }
}

/// The file's last [`MAX_READ`] bytes, starting at a line; empty when the
/// file does not exist.
fn read_tail(path: &Path) -> std::io::Result<String> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(String::new()),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let skip = len.saturating_sub(MAX_READ);
    file.seek(SeekFrom::Start(skip))?;
    let mut bytes = Vec::new();
    file.take(MAX_READ).read_to_end(&mut bytes)?;
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if skip > 0 {
        let start = text.find('\n').map_or(text.len(), |i| i + 1);
        text.drain(..start);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger() -> Trigger {
        Trigger {
            kind: "operator".into(),
            ..Trigger::default()
        }
    }

    #[test]
    fn pages_go_newest_first() {
        let h = History::open(None, 10, 0).unwrap();
        for _ in 0..5 {
            h.create("validate", trigger(), Selection::default(), None, 0);
        }
        let (page, next) = h.page(None, 2);
        assert_eq!(page.iter().map(|j| j.id).collect::<Vec<_>>(), [5, 4]);
        let (page, next) = h.page(next, 2);
        assert_eq!(page.iter().map(|j| j.id).collect::<Vec<_>>(), [3, 2]);
        let (page, next) = h.page(next, 2);
        assert_eq!((page.len(), next), (1, None));
    }

    #[test]
    fn reload_keeps_ids_marks_unfinished_interrupted_and_skips_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let h = History::open(Some(dir.path()), 10, 0).unwrap();
        let a = h.create("update", trigger(), Selection::default(), None, 1);
        h.update(a.id, |j| j.status = Status::Done);
        let b = h.create("update", trigger(), Selection::default(), None, 2);
        h.update(b.id, |j| j.status = Status::Running);
        drop(h);
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(FILE_NAME))
            .unwrap();
        f.write_all(b"{\"id\":3,\"sta").unwrap();
        let h = History::open(Some(dir.path()), 10, 9).unwrap();
        assert_eq!(h.get(a.id).unwrap().status, Status::Done);
        assert_eq!(h.get(b.id).unwrap().status, Status::Interrupted);
        assert_eq!(
            h.create("update", trigger(), Selection::default(), None, 3)
                .id,
            3
        );
    }

    #[test]
    fn finished_jobs_beyond_capacity_are_forgotten() {
        let h = History::open(None, 2, 0).unwrap();
        for _ in 0..3 {
            let j = h.create("validate", trigger(), Selection::default(), None, 0);
            h.update(j.id, |j| j.status = Status::Done);
        }
        assert!(h.get(1).is_none() && h.get(3).is_some());
    }
}
