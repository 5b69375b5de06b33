//! Bounded reads of the small files that name engines.
//!
//! Configuration files are a few kilobytes; a huge one is a mistake or an
//! attack, and reading it whole would be unbounded. This file does not
//! parse anything.

use super::EndpointError;
use std::io::Read;
use std::path::Path;

/// The largest `config.json`, `meta.json` or hosts file read (1 MiB).
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The file's text, or `None` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<String>, EndpointError> {
    match read_required(path) {
        Err(EndpointError::Read { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Ok(None)
        }
        other => other.map(Some),
    }
}

/// The file's text; a missing file is an error.
pub fn read_required(path: &Path) -> Result<String, EndpointError> {
    let read_error = |source| EndpointError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read_error)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(EndpointError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_CONFIG_BYTES,
        });
    }
    Ok(text)
}
