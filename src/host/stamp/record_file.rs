//! `--record FILE`: the record an earlier `waybill stamp --output FILE`
//! wrote, read back so the labels describe exactly the record filed in
//! the image.
//!
//! The file goes through [`crate::record::read_file`], the gate
//! `container record` uses too, so a file the image build would refuse is
//! refused here first, with the same field-named reason. This module
//! deliberately consults nothing else: not git, not the CI environment,
//! not `SOURCE_DATE_EPOCH` or the clock. A second reading of those is
//! what made the labels disagree with the record (a dirty tree from the
//! record file itself, a later clock).

use crate::host::error::HostError;
use crate::host::warn;
use crate::record::{read_file, ReadError, Record};
use std::path::Path;

/// Reads and validates the record in `path`.
pub fn read(path: &Path) -> Result<Record, HostError> {
    let record = read_file(path, &mut Vec::new()).map_err(|e| match e {
        ReadError::Io(source) => HostError::RecordUnreadable {
            path: path.to_path_buf(),
            source,
        },
        ReadError::Invalid(source) => HostError::RecordInvalid {
            path: path.to_path_buf(),
            source,
        },
    })?;
    if let Some(warning) = record.newer_schema_warning() {
        warn(format!("`{}`: {warning}", path.display()));
    }
    Ok(record)
}
