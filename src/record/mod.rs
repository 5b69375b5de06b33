//! The image record: one JSON object per image in the ancestry.
//!
//! This is the only place that defines the on-disk and wire format. The
//! 2015 flat format (`project`, `image_name`, `gitref`, `start_method`, ...)
//! is read as written, with no conversion step; the newer fields are all
//! optional, and fields this version does not know are kept and shown.
//!
//! Parsing is done field by field rather than with a derived
//! `Deserialize`, so that a wrong type is reported with the field's name.
//! [`Record::from_slice`] is the one gate every reader and writer of a
//! record goes through; its limits are listed in [`limits`]. Reading
//! directories lives in [`crate::stack`].

mod action;
mod build_time;
mod de;
mod error;
mod file;
mod fill;
pub mod limits;
mod method;
pub mod stack_label;
mod value;

pub use action::Action;
pub use build_time::BuildTime;
pub use de::{check_description, check_licenses};
pub use error::RecordError;
pub use file::{read_file, ReadError};
pub use limits::{MAX_DEPTH, MAX_PROJECT_CHARS, MAX_RECORD_BYTES};
pub use method::Method;

use serde::Serialize;
use serde_json::{Map, Value};
use std::cell::Cell;
use std::collections::BTreeMap;

/// The newest `schema_version` this build understands. A record without a
/// `schema_version` is a 2015-format record and is read the same way.
pub const SCHEMA_VERSION: u64 = 1;

/// One image's metadata. Field order here is the order `--metadata` prints.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Record {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u64>,
    pub project: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_tag_names: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_time: Option<BuildTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_time_stamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gitref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_dirty: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_describe: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_tags: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_commit_time_stamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_shallow: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    /// What the image is, for people: the OCI `description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The image's licences as an SPDX expression: the OCI `licenses`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licenses: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_method: Option<Method>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_method: Option<Method>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_method: Option<Method>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor_method: Option<Method>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_method: Option<Method>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_timeout: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate_timeout: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor_timeout: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_timeout: Option<u64>,
    /// The seed's `validate` flag: the image expects VALIDATE to be run
    /// after builds and deploys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validate: Option<bool>,
    /// Free-form nested JSON supplied by the image's authors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<Map<String, Value>>,
    /// Fields this version does not know, kept so that nothing is lost.
    #[serde(flatten)]
    pub unknown: BTreeMap<String, Value>,
}

impl Record {
    /// Parses and validates a record from the bytes of a record file.
    pub fn from_slice(bytes: &[u8]) -> Result<Record, RecordError> {
        if bytes.len() as u64 > MAX_RECORD_BYTES {
            return Err(RecordError::TooLarge {
                size: bytes.len() as u64,
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let (line, column) = line_column(bytes, e.valid_up_to());
            RecordError::NotUtf8 { line, column }
        })?;
        if !text.trim_start().starts_with('{') {
            // Not an object: say what it is instead, or where the JSON breaks.
            return Err(match serde_json::from_str::<Value>(text) {
                Ok(other) => RecordError::NotAnObject {
                    found: json_kind(&other),
                },
                Err(source) => RecordError::from_json(source, None),
            });
        }
        let failed = Cell::new(None);
        let mut parser = serde_json::Deserializer::from_str(text);
        de::read(&mut parser, &failed)
            .and_then(|record| parser.end().map(|()| record))
            .map_err(|e| RecordError::from_json(e, failed.get()))
    }

    /// The record as a record file holds it, pretty JSON in field order
    /// with a final newline, after passing it through
    /// [`Record::from_slice`]: what this returns, `container record`
    /// accepts. A record built in memory can break the limits (a project
    /// too long to file, metadata nested too deeply); this is where a
    /// writer finds out, with the reason `container record` would give.
    pub fn to_file_text(&self) -> Result<String, RecordError> {
        // A struct of strings, numbers and maps with string keys: serde_json
        // has nothing to refuse.
        let mut text = serde_json::to_string_pretty(self).expect("a Record serializes to JSON");
        text.push('\n');
        Record::from_slice(text.as_bytes())?;
        Ok(text)
    }

    /// The record as a JSON object, unknown fields included.
    pub fn to_json(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            // A struct of strings, numbers and maps always serializes to
            // an object; anything else would be a bug in this module.
            _ => unreachable!("a Record serializes to a JSON object"),
        }
    }

    /// The method this record declares for `action`, if any.
    pub fn method(&self, action: Action) -> Option<&Method> {
        match action {
            Action::Start => self.start_method.as_ref(),
            Action::Update => self.update_method.as_ref(),
            Action::Validate => self.validate_method.as_ref(),
            Action::Monitor => self.monitor_method.as_ref(),
            Action::Metrics => self.metrics_method.as_ref(),
        }
    }

    /// The timeout in seconds this record declares for `action`, if any.
    pub fn timeout(&self, action: Action) -> Option<u64> {
        match action {
            Action::Start => None,
            Action::Update => self.update_timeout,
            Action::Validate => self.validate_timeout,
            Action::Monitor => self.monitor_timeout,
            Action::Metrics => self.metrics_timeout,
        }
    }

    /// A warning when the record was written by a newer waybill.
    pub fn newer_schema_warning(&self) -> Option<String> {
        match self.schema_version {
            Some(version) if version > SCHEMA_VERSION => Some(format!(
                "record uses schema_version {version}, newer than {SCHEMA_VERSION} which this \
                 tool knows; fields it does not know are shown as they are"
            )),
            _ => None,
        }
    }

    /// The name reports use for the image: its project.
    pub fn display_name(&self) -> &str {
        &self.project
    }
}

/// Reads `bytes` as the JSON value of the record field `field` (a
/// `--meta-json` file that becomes `user_metadata`, say) with the rules a
/// record's own free-form values follow: no key twice in an object, and
/// no deeper than [`MAX_DEPTH`] once it sits in the record. Errors name
/// `field` and the path inside it, as the record reader would.
pub fn field_value_from_slice(field: &'static str, bytes: &[u8]) -> Result<Value, RecordError> {
    use serde::de::DeserializeSeed;
    let mut parser = serde_json::Deserializer::from_slice(bytes);
    value::ValueSeed {
        place: value::Place::Field(field),
        level: 2,
    }
    .deserialize(&mut parser)
    .and_then(|value| parser.end().map(|()| value))
    .map_err(|e| RecordError::from_json(e, Some(field)))
}

/// A short name for the kind of a JSON value, for error messages.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// 1-based line and column of a byte offset, as JSON parsers report them.
fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |nl| nl + 1)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
