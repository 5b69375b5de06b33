//! `--record FILE`: the record an earlier `waybill stamp --output FILE`
//! wrote, read back so the labels describe exactly the record filed in
//! the image.
//!
//! The file goes through [`Record::from_slice`], the gate
//! `container record` uses too, so a file the image build would refuse is
//! refused here first, with the same field-named reason. This module
//! deliberately consults nothing else: not git, not the CI environment,
//! not `SOURCE_DATE_EPOCH` or the clock. A second reading of those is
//! what made the labels disagree with the record (a dirty tree from the
//! record file itself, a later clock).

use crate::host::error::HostError;
use crate::host::warn;
use crate::record::{Record, RecordError, MAX_RECORD_BYTES};
use std::fs;
use std::io::Read;
use std::path::Path;

/// Reads and validates the record in `path`.
pub fn read(path: &Path) -> Result<Record, HostError> {
    let mut bytes = Vec::new();
    // One byte past the limit is enough to know the file is too large,
    // without reading all of it.
    fs::File::open(path)
        .and_then(|f| f.take(MAX_RECORD_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|source| HostError::RecordUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
    let invalid = |source| HostError::RecordInvalid {
        path: path.to_path_buf(),
        source,
    };
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        let size = fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Err(invalid(RecordError::TooLarge { size }));
    }
    let record = Record::from_slice(&bytes).map_err(invalid)?;
    if let Some(warning) = record.newer_schema_warning() {
        warn(format!("`{}`: {warning}", path.display()));
    }
    Ok(record)
}
