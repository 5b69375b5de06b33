//! Reading one record file from disk, within the size limit.
//!
//! Every reader of record files (the metadata directory, `container
//! record`, `waybill stamp --record`) comes through here, so they refuse
//! the same files for the same reasons. A record is a regular file (a
//! symlink to one will do): a FIFO or a device is refused without being
//! read, so naming one never makes the reader wait or read for ever.

use super::{Record, RecordError, MAX_RECORD_BYTES};
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Why a record file could not be used.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(io::Error),
    /// The file was read, but is not a valid record.
    Invalid(RecordError),
}

/// Reads and validates the record in `path`. `buffer` is cleared first
/// and holds the file's bytes afterwards, so a caller can keep them or
/// reuse the allocation for the next file.
pub fn read_file(path: &Path, buffer: &mut Vec<u8>) -> Result<Record, ReadError> {
    let file = open_regular(path).map_err(ReadError::Io)?;
    buffer.clear();
    // One byte past the limit is enough to know a file is too large,
    // without reading all of it.
    (&file)
        .take(MAX_RECORD_BYTES + 1)
        .read_to_end(buffer)
        .map_err(ReadError::Io)?;
    if buffer.len() as u64 > MAX_RECORD_BYTES {
        let size = file.metadata().map_or(buffer.len() as u64, |m| m.len());
        return Err(ReadError::Invalid(RecordError::TooLarge { size }));
    }
    Record::from_slice(buffer).map_err(ReadError::Invalid)
}

/// Opens `path` for reading if it is a regular file. `O_NONBLOCK` makes
/// opening a FIFO return at once instead of waiting for a writer; on a
/// regular file it changes nothing.
fn open_regular(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)?;
    let file_type = file.metadata()?.file_type();
    if !file_type.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "it is {}, not a regular file",
                crate::files::kind_of(file_type)
            ),
        ));
    }
    Ok(file)
}
