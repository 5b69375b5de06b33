//! What can go wrong with a file, worded to follow the file's name in a
//! caller's message: "refusing state file `…`: it is a FIFO, not a
//! regular file".

use std::fs::FileType;
use std::io;
use std::os::unix::fs::FileTypeExt;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Io(#[from] io::Error),

    /// A file that must be a regular file is something else.
    #[error("it is {kind}, not a regular file")]
    NotRegular { kind: &'static str },

    /// A path to write names something that can be neither replaced nor
    /// written in place.
    #[error("it is {kind}; only a regular file, a FIFO or a device can be written")]
    Unwritable { kind: &'static str },

    #[error("it is larger than the {cap}-byte limit")]
    TooLarge { cap: u64 },

    #[error("its lock was still held by another process after {seconds}s")]
    LockTimeout { seconds: u64 },
}

impl FileError {
    /// An error of `open` with `O_NOFOLLOW`: `ELOOP` there means the last
    /// component is a symbolic link (maybe swapped in since it was looked
    /// at), which is refused like any other file that is not regular.
    pub fn from_nofollow_open(error: io::Error) -> FileError {
        match error.raw_os_error() {
            Some(nix::libc::ELOOP) => FileError::NotRegular {
                kind: "a symbolic link",
            },
            _ => FileError::Io(error),
        }
    }

    /// Whether this is the operating system's "no such file".
    pub fn is_not_found(&self) -> bool {
        matches!(self, FileError::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }
}

/// What a file is, with its article, for a message.
pub fn kind_of(file_type: FileType) -> &'static str {
    if file_type.is_file() {
        "a regular file"
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "an unknown kind of file"
    }
}
