//! The `io.waybill.stack` image label: every record of the ancestry,
//! oldest first, as one compact JSON array.
//!
//! A derived image's stack is its base image's stack followed by its own
//! record, so `docker inspect` on any image shows its whole ancestry
//! without running it. This module parses and renders the label value;
//! reading it from an image is [`crate::host::engine`], and the records
//! themselves are [`crate::record`] (the only record format).

use crate::host::error::HostError;
use crate::record::{json_kind, Record};
use serde_json::value::RawValue;
use serde_json::Value;

/// The label holding the ancestry's records.
pub const STACK_LABEL: &str = "io.waybill.stack";
/// The label holding this image's own record.
pub const RECORD_LABEL: &str = "io.waybill.record";

/// Parses a base image's stack label, validating every record as
/// `container` would; `image` names the image in errors.
///
/// Each record is cut from the label's text as it is and read by
/// [`Record::from_slice`], the same gate as a record file, rather than
/// from a parsed JSON tree: parsing into a tree would already have
/// dropped a duplicate key without a word.
pub fn parse(image: &str, text: &str) -> Result<Vec<Record>, HostError> {
    let bad = |reason: String| HostError::BadBaseStack {
        image: image.to_owned(),
        reason,
    };
    if !text.trim_start().starts_with('[') {
        return Err(bad(match serde_json::from_str::<Value>(text) {
            Ok(other) => format!("expected a JSON array, found {}", json_kind(&other)),
            Err(e) => format!("not valid JSON: {e}"),
        }));
    }
    let items: Vec<&RawValue> =
        serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            Record::from_slice(item.get().as_bytes())
                .map_err(|e| bad(format!("record {}: {e}", i + 1)))
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
        let parsed = parse("img", &text).unwrap();
        let projects: Vec<_> = parsed.iter().map(|r| r.project.as_str()).collect();
        assert_eq!(projects, ["base", "web"]);
    }

    #[test]
    fn unknown_fields_of_base_records_survive() {
        let parsed = parse("img", r#"[{"project":"base","future_field":[1,2]}]"#).unwrap();
        let text = render(&parsed, &record("web"));
        assert!(text.contains(r#""future_field":[1,2]"#), "{text}");
    }

    #[test]
    fn malformed_stacks_name_the_image_and_the_record() {
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
            let err = parse("registry/base:1", bad).unwrap_err().to_string();
            assert!(err.contains("`registry/base:1`"), "{err}");
            assert!(err.contains(expect), "{err}");
        }
    }
}
