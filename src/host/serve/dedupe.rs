//! Deliveries already handled, so a redelivery or a retry runs nothing.
//!
//! Keys are `HOOK` plus the forge's delivery id. Memory is bounded: the
//! oldest keys are forgotten past the capacity. With a state directory
//! every key is also appended to `deliveries.log` there and reloaded at
//! start, so a restart does not forget; the file is rewritten with only
//! the remembered keys whenever it grows past twice the capacity. A
//! torn last line (a crash mid-write) is ignored.

use std::collections::{HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub const FILE_NAME: &str = "deliveries.log";

pub struct Deliveries {
    inner: Mutex<Inner>,
}

struct Inner {
    seen: HashSet<String>,
    order: VecDeque<String>,
    capacity: usize,
    file: Option<(PathBuf, File, usize)>,
}

impl Deliveries {
    /// Remembers up to `capacity` deliveries, on disk in `state_dir`
    /// when one is given.
    pub fn open(state_dir: Option<&Path>, capacity: usize) -> std::io::Result<Deliveries> {
        let mut inner = Inner {
            seen: HashSet::new(),
            order: VecDeque::new(),
            capacity,
            file: None,
        };
        if let Some(dir) = state_dir {
            let path = dir.join(FILE_NAME);
            let mut text = String::new();
            match File::open(&path) {
                Ok(f) => {
                    // Keys are at most ~330 bytes; twice the capacity of
                    // lines is the most a compacted file holds.
                    let bound = (capacity as u64).saturating_mul(2 * 400);
                    f.take(bound).read_to_string(&mut text)?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            let complete = match text.rfind('\n') {
                Some(end) => &text[..end],
                None => "",
            };
            for key in complete.lines().filter(|l| !l.is_empty()) {
                inner.remember(key.to_owned());
            }
            inner.compact_to(&path)?;
        }
        Ok(Deliveries {
            inner: Mutex::new(inner),
        })
    }

    /// Whether `key` was handled before.
    pub fn contains(&self, key: &str) -> bool {
        self.lock().seen.contains(key)
    }

    /// Records `key`; false when it was already there (another request
    /// with the same delivery got in first).
    pub fn insert(&self, key: &str) -> bool {
        let mut inner = self.lock();
        if inner.seen.contains(key) {
            return false;
        }
        inner.remember(key.to_owned());
        let mut compact = None;
        let capacity = inner.capacity;
        if let Some((path, file, lines)) = &mut inner.file {
            if writeln!(file, "{key}").is_err() {
                crate::host::warn(format_args!(
                    "cannot append to `{}`; this delivery is remembered in memory only",
                    path.display()
                ));
            }
            *lines += 1;
            if *lines > 2 * capacity {
                compact = Some(path.clone());
            }
        }
        if let Some(path) = compact {
            if let Err(e) = inner.compact_to(&path) {
                crate::host::warn(format_args!("cannot rewrite `{}`: {e}", path.display()));
            }
        }
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave the set half-updated in a way
        // that matters: keep serving.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Inner {
    fn remember(&mut self, key: String) {
        if self.seen.insert(key.clone()) {
            self.order.push_back(key);
        }
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
    }

    /// Rewrites the file with the remembered keys (write, then rename).
    fn compact_to(&mut self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("log.tmp");
        let mut text = String::new();
        for key in &self.order {
            text.push_str(key);
            text.push('\n');
        }
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)?;
        let file = OpenOptions::new().append(true).open(path)?;
        self.file = Some((path.to_path_buf(), file, self.order.len()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_bounded_and_oldest_forgotten() {
        let d = Deliveries::open(None, 2).unwrap();
        assert!(d.insert("a") && d.insert("b") && !d.insert("a"));
        assert!(d.insert("c"));
        assert!(!d.contains("a") && d.contains("b") && d.contains("c"));
    }

    #[test]
    fn keys_survive_a_reopen_and_a_torn_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let d = Deliveries::open(Some(dir.path()), 3).unwrap();
        for k in ["a", "b", "c", "d", "e", "f", "g"] {
            d.insert(k);
        }
        drop(d);
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(FILE_NAME))
            .unwrap();
        f.write_all(b"tor").unwrap();
        let d = Deliveries::open(Some(dir.path()), 3).unwrap();
        assert!(d.contains("g") && d.contains("e") && !d.contains("d") && !d.contains("tor"));
    }
}
