//! The `io.waybill.stack` image label: every record of the ancestry,
//! oldest first, as one compact JSON array.
//!
//! A derived image's stack is its base image's stack followed by its own
//! record, so `docker inspect` on any image shows its whole ancestry
//! without running it. This module parses and renders the label value,
//! for stamping (which extends a base image's stack) and for discovery
//! (which reads it); reading labels from an image is the host's engine
//! layer, and the records themselves are [`crate::record`].

use super::{json_kind, Record, RecordError};
use serde_json::value::RawValue;
use serde_json::Value;

/// Why a stack label's value could not be read. The caller names the
/// image or container the label came from.
#[derive(Debug, thiserror::Error)]
pub enum StackLabelError {
    #[error("not valid JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("expected a JSON array, found {found}")]
    NotAnArray { found: &'static str },
    /// `index` counts from 1, oldest first.
    #[error("record {index}: {source}")]
    Record { index: usize, source: RecordError },
}

/// The label holding the ancestry's records.
pub const STACK_LABEL: &str = "io.waybill.stack";
/// The label holding this image's own record.
pub const RECORD_LABEL: &str = "io.waybill.record";

/// Parses a stack label, validating every record as `container` would.
///
/// Each record is cut from the label's text as it is and read by
/// [`Record::from_slice`], the same gate as a record file, rather than
/// from a parsed JSON tree: parsing into a tree would already have
/// dropped a duplicate key without a word.
pub fn parse(text: &str) -> Result<Vec<Record>, StackLabelError> {
    if !text.trim_start().starts_with('[') {
        return Err(match serde_json::from_str::<Value>(text) {
            Ok(other) => StackLabelError::NotAnArray {
                found: json_kind(&other),
            },
            Err(e) => StackLabelError::NotJson(e),
        });
    }
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(StackLabelError::NotJson)?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            Record::from_slice(item.get().as_bytes()).map_err(|source| StackLabelError::Record {
                index: i + 1,
                source,
            })
        })
        .collect()
}

/// Why serializing records cannot fail: they hold only strings, numbers,
/// booleans and maps with string keys, so serde_json has nothing to refuse.
const SERIALIZES: &str = "a Record always serializes to JSON";

/// The compact, single-line JSON array of `base` followed by `record`,
/// each in the record's field order.
pub fn render(base: &[Record], record: &Record) -> String {
    let records: Vec<&Record> = base.iter().chain(std::iter::once(record)).collect();
    serde_json::to_string(&records).expect(SERIALIZES)
}

/// This record alone, compact and single-line.
pub fn render_record(record: &Record) -> String {
    serde_json::to_string(record).expect(SERIALIZES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(project: &str) -> Record {
        Record {
            project: project.into(),
            ..Record::default()
        }
    }

    #[test]
    fn stack_round_trips_and_appends_this_record_last() {
        let text = render(&[record("base")], &record("web"));
        assert!(!text.contains('\n'));
        let parsed = parse(&text).unwrap();
        let projects: Vec<_> = parsed.iter().map(|r| r.project.as_str()).collect();
        assert_eq!(projects, ["base", "web"]);
    }

    #[test]
    fn unknown_fields_of_base_records_survive() {
        let parsed = parse(r#"[{"project":"base","future_field":[1,2]}]"#).unwrap();
        let text = render(&parsed, &record("web"));
        assert!(text.contains(r#""future_field":[1,2]"#), "{text}");
    }

    #[test]
    fn malformed_stacks_name_the_record() {
        for (bad, expect) in [
            ("{", "not valid JSON"),
            (r#"{"project":"x"}"#, "expected a JSON array"),
            ("[", "not valid JSON"),
            (
                r#"[{"project":"x"}, 5]"#,
                "record 2: record must be a JSON object",
            ),
            (r#"[{"project":""}]"#, "record 1: field `project`"),
            (
                r#"[{"project":"x","update_timeout":0}]"#,
                "record 1: field `update_timeout`",
            ),
            // Regression: parsing the label into a JSON tree first kept
            // the last of two keys without a word.
            (
                r#"[{"project":"x"},{"project":"y","project":"z"}]"#,
                "record 2: duplicate key `project`",
            ),
        ] {
            let err = parse(bad).unwrap_err().to_string();
            assert!(err.contains(expect), "{err}");
        }
    }
}
