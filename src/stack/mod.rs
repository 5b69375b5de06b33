//! The metadata directory: every image record in the ancestry, in order.
//!
//! Each image files one record, named `NNNN-<project>.json` where `NNNN`
//! is its position in the ancestry (base first). Order comes only from
//! that position, never from build times, so rebuilding a base image
//! later, or building two images in the same second, cannot reorder the
//! stack. Every regular file counts as a record; files without a position
//! sort after the numbered ones, by name.
//!
//! A bad record never hides the good ones: loading keeps going and keeps
//! the error next to the file it came from. This module only reads; adding
//! a record is [`crate::container::filing`].

mod error;
mod file_name;
mod merge;

pub use error::{EntryError, StackError};
pub use file_name::{position_of, prefix_of, record_file_name, Prefix, MAX_FILE_NAME_BYTES};

use crate::record::{read_file, Action, Method, ReadError, Record};
use std::fs;
use std::path::{Path, PathBuf};

/// The default metadata directory inside an image.
pub const DEFAULT_META_DIR: &str = "/etc/waybill/metadata.d";

/// One file of the metadata directory and what came of reading it.
#[derive(Debug)]
pub struct Entry {
    pub path: PathBuf,
    pub file_name: String,
    /// The ancestry position from the file name, when it has one.
    pub position: Option<u32>,
    pub outcome: Result<Record, EntryError>,
}

impl Entry {
    pub fn record(&self) -> Option<&Record> {
        self.outcome.as_ref().ok()
    }
}

/// The records of every image in the ancestry, oldest first.
#[derive(Debug)]
pub struct Stack {
    pub dir: PathBuf,
    pub entries: Vec<Entry>,
    /// Directory entries that are not regular files, with the reason they
    /// were passed over.
    pub skipped: Vec<(String, String)>,
}

impl Stack {
    /// Reads every record in `dir`. Fails only when the directory itself
    /// cannot be used; a bad record is kept as an [`EntryError`].
    pub fn load(dir: &Path) -> Result<Stack, StackError> {
        let listing = fs::read_dir(dir).map_err(|source| StackError::from_io(dir, source))?;
        // Names first, in ancestry order; records are read afterwards, so
        // the (large) parsed records are never moved by the sort.
        let mut found = Vec::new();
        for item in listing {
            let item = item.map_err(|source| StackError::from_io(dir, source))?;
            let file_name = item.file_name().to_string_lossy().into_owned();
            found.push((position_of(&file_name), file_name, item));
        }
        found.sort_by(|(a_pos, a_name, _), (b_pos, b_name, _)| {
            (a_pos.unwrap_or(u32::MAX), a_name).cmp(&(b_pos.unwrap_or(u32::MAX), b_name))
        });

        let mut entries = Vec::with_capacity(found.len());
        let mut skipped = Vec::new();
        // One read buffer for every file: records are small, and growing
        // a fresh buffer for each one costs more than parsing it.
        let mut buffer = Vec::with_capacity(READ_BUFFER_BYTES);
        for (position, file_name, item) in found {
            let path = item.path();
            // The directory entry's type costs no system call; only a
            // symlink is followed to see what it names. A dangling or
            // looping link is an unreadable record, not a reason to stop.
            let file_type = match item.file_type() {
                Ok(t) if t.is_symlink() => fs::metadata(&path).map(|m| m.file_type()),
                other => other,
            };
            let outcome = match file_type {
                Ok(t) if t.is_file() => read_record(&path, &mut buffer),
                Ok(t) => {
                    let kind = if t.is_dir() {
                        "a directory"
                    } else {
                        "not a regular file"
                    };
                    skipped.push((file_name, format!("{kind}, not a record")));
                    continue;
                }
                Err(source) => Err(EntryError::Read(source)),
            };
            entries.push(Entry {
                position,
                path,
                file_name,
                outcome,
            });
        }
        if entries.is_empty() {
            return Err(StackError::Empty {
                dir: dir.to_path_buf(),
            });
        }
        Ok(Stack {
            dir: dir.to_path_buf(),
            entries,
            skipped,
        })
    }

    /// A stack of records that come from somewhere other than a metadata
    /// directory (an image's `io.waybill.stack` label, a report read back
    /// from a container), oldest first. Each gets the position and file
    /// name it would have in a directory; `origin` stands in for the
    /// directory in paths and messages.
    pub fn from_records(
        origin: impl Into<PathBuf>,
        records: impl IntoIterator<Item = Record>,
    ) -> Result<Stack, StackError> {
        let dir = origin.into();
        let entries: Vec<Entry> = records
            .into_iter()
            .enumerate()
            .map(|(index, record)| {
                // Past u32::MAX records the position is unknown, as for
                // a file without one; order is still the given order.
                let position = u32::try_from(index + 1).ok();
                let file_name = record_file_name(position.unwrap_or(u32::MAX), &record.project);
                Entry {
                    path: dir.join(&file_name),
                    file_name,
                    position,
                    outcome: Ok(record),
                }
            })
            .collect();
        if entries.is_empty() {
            return Err(StackError::NoRecords { origin: dir });
        }
        Ok(Stack {
            dir,
            entries,
            skipped: Vec::new(),
        })
    }

    /// The records that parsed, oldest first, with their entries.
    pub fn images(&self) -> impl DoubleEndedIterator<Item = (&Entry, &Record)> {
        self.entries
            .iter()
            .filter_map(|e| e.record().map(|r| (e, r)))
    }

    /// The entries whose record could not be used.
    pub fn bad_entries(&self) -> impl Iterator<Item = (&Entry, &EntryError)> {
        self.entries
            .iter()
            .filter_map(|e| e.outcome.as_ref().err().map(|err| (e, err)))
    }

    pub fn has_bad_records(&self) -> bool {
        self.bad_entries().next().is_some()
    }

    /// The method that applies for `action`: the one declared by the
    /// leaf-most image that declares one, with that image's entry.
    pub fn effective_method(&self, action: Action) -> Option<(&Method, &Entry)> {
        self.effective(|r| r.method(action))
    }

    /// The timeout that applies for `action`, from the leaf-most image
    /// that declares one.
    pub fn effective_timeout(&self, action: Action) -> Option<u64> {
        self.effective(|r| r.timeout(action)).map(|(t, _)| t)
    }

    fn effective<'a, T>(&'a self, get: impl Fn(&'a Record) -> Option<T>) -> Option<(T, &'a Entry)> {
        self.images()
            .rev()
            .find_map(|(entry, record)| get(record).map(|v| (v, entry)))
    }
}

/// What the shared read buffer starts at: larger than most records.
const READ_BUFFER_BYTES: usize = 16 * 1024;

fn read_record(path: &Path, buffer: &mut Vec<u8>) -> Result<Record, EntryError> {
    read_file(path, buffer).map_err(|e| match e {
        ReadError::Io(source) => EntryError::Read(source),
        ReadError::Invalid(source) => EntryError::Record(source),
    })
}

#[cfg(test)]
mod tests;
