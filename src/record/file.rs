//! Reading one record file from disk, within the size limit.
//!
//! Every reader of record files (the metadata directory, `container
//! record`, `waybill stamp --record`) comes through here, so they refuse
//! the same files for the same reasons.

use super::{Record, RecordError, MAX_RECORD_BYTES};
use std::fs::File;
use std::io::{self, Read};
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
    let file = File::open(path).map_err(ReadError::Io)?;
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
