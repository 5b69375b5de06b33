//! Why the metadata directory, or one file in it, could not be used.
//!
//! Messages speak of directories and records only: how the caller was
//! told which directory to read (`container --meta-dir`, an environment
//! variable, an image on the host) is the caller's to add.

use crate::record::RecordError;
use std::io;
use std::path::{Path, PathBuf};

/// The metadata directory as a whole cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("metadata directory `{}` does not exist", dir.display())]
    Missing { dir: PathBuf },
    #[error("metadata path `{}` is not a directory", dir.display())]
    NotADirectory { dir: PathBuf },
    #[error("metadata directory `{}` is a symlink loop", dir.display())]
    SymlinkLoop { dir: PathBuf },
    #[error("failed to read metadata directory `{}`: {source}", dir.display())]
    Unreadable { dir: PathBuf, source: io::Error },
    #[error("metadata directory `{}` holds no image records", dir.display())]
    Empty { dir: PathBuf },
    /// [`super::Stack::from_records`] was given none.
    #[error("{} holds no image records", origin.display())]
    NoRecords { origin: PathBuf },
}

impl StackError {
    pub(super) fn from_io(dir: &Path, source: io::Error) -> StackError {
        let dir = dir.to_path_buf();
        match source.raw_os_error() {
            Some(code) if code == nix::libc::ENOENT => StackError::Missing { dir },
            Some(code) if code == nix::libc::ENOTDIR => StackError::NotADirectory { dir },
            Some(code) if code == nix::libc::ELOOP => StackError::SymlinkLoop { dir },
            _ => StackError::Unreadable { dir, source },
        }
    }
}

/// One file in the metadata directory could not be used as a record.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("cannot read it: {0}")]
    Read(io::Error),
    #[error("{0}")]
    Record(RecordError),
}

impl EntryError {
    /// Line and column, when the parser reported them.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            EntryError::Record(e) => e.position(),
            EntryError::Read(_) => None,
        }
    }
}
