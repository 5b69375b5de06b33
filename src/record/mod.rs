//! The image record: one JSON object per image in the ancestry.
//!
//! This is the only place that defines the on-disk and wire format. The
//! 2015 flat format (`project`, `image_name`, `gitref`, `start_method`, ...)
//! is read as written, with no conversion step; the newer fields are all
//! optional, and fields this version does not know are kept and shown.
//!
//! Parsing is done field by field rather than with a derived
//! `Deserialize`, so that a wrong type is reported with the field's name.
//! Reading files and directories lives in [`crate::stack`].

mod action;
mod build_time;
mod error;
mod fill;
mod method;

pub use action::Action;
pub use build_time::BuildTime;
pub use error::RecordError;
pub use method::Method;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The newest `schema_version` this build understands. A record without a
/// `schema_version` is a 2015-format record and is read the same way.
pub const SCHEMA_VERSION: u64 = 1;

/// The largest record file waybill reads.
pub const MAX_RECORD_BYTES: u64 = 1024 * 1024;

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
        let value: Value = serde_json::from_str(text).map_err(|source| RecordError::Syntax {
            line: source.line(),
            column: source.column(),
            source,
        })?;
        match value {
            Value::Object(map) => Record::from_map(map),
            other => Err(RecordError::NotAnObject {
                found: json_kind(&other),
            }),
        }
    }

    /// Builds a record from a parsed JSON object, field by field.
    pub fn from_map(mut map: Map<String, Value>) -> Result<Record, RecordError> {
        let mut fields = Fields(&mut map);
        let record = Record {
            schema_version: fields.take("schema_version")?,
            project: fields
                .take("project")?
                .ok_or(RecordError::Missing { field: "project" })?,
            image_name: fields.take("image_name")?,
            image_tag_names: fields.take("image_tag_names")?,
            build_time: fields.take_with("build_time", |v| match v {
                Value::String(s) => BuildTime::parse(&s),
                other => Err(format!("expected a string, found {}", json_kind(&other))),
            })?,
            build_time_stamp: fields.take("build_time_stamp")?,
            gitref: fields.take("gitref")?,
            git_branch: fields.take("git_branch")?,
            git_dirty: fields.take("git_dirty")?,
            git_describe: fields.take("git_describe")?,
            git_tags: fields.take("git_tags")?,
            git_commit_time_stamp: fields.take("git_commit_time_stamp")?,
            git_shallow: fields.take("git_shallow")?,
            ci: fields.take("ci")?,
            ci_system: fields.take("ci_system")?,
            build_cause: fields.take("build_cause")?,
            build_tag: fields.take("build_tag")?,
            build_id: fields.take("build_id")?,
            build_url: fields.take("build_url")?,
            source_url: fields.take("source_url")?,
            start_method: fields.take_method(Action::Start)?,
            update_method: fields.take_method(Action::Update)?,
            validate_method: fields.take_method(Action::Validate)?,
            monitor_method: fields.take_method(Action::Monitor)?,
            metrics_method: fields.take_method(Action::Metrics)?,
            update_timeout: fields.take_timeout(Action::Update)?,
            validate_timeout: fields.take_timeout(Action::Validate)?,
            monitor_timeout: fields.take_timeout(Action::Monitor)?,
            metrics_timeout: fields.take_timeout(Action::Metrics)?,
            validate: fields.take("validate")?,
            user_metadata: fields.take("user_metadata")?,
            unknown: BTreeMap::new(),
        };
        if record.project.is_empty() {
            return Err(RecordError::Invalid {
                field: "project".into(),
                reason: "must not be empty".into(),
            });
        }
        Ok(Record {
            unknown: map.into_iter().collect(),
            ..record
        })
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

/// Removes known fields from the object one at a time, so whatever is
/// left over is the record's unknown fields.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Fields<'_> {
    fn take_with<T>(
        &mut self,
        field: &'static str,
        convert: impl FnOnce(Value) -> Result<T, String>,
    ) -> Result<Option<T>, RecordError> {
        match self.0.remove(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => convert(value)
                .map(Some)
                .map_err(|reason| RecordError::Invalid {
                    field: field.into(),
                    reason,
                }),
        }
    }

    fn take<T: DeserializeOwned>(&mut self, field: &'static str) -> Result<Option<T>, RecordError> {
        self.take_with(field, |value| {
            let found = json_kind(&value);
            serde_json::from_value(value).map_err(|e| format!("{e}, found {found}"))
        })
    }

    fn take_method(&mut self, action: Action) -> Result<Option<Method>, RecordError> {
        self.take_with(action.method_field(), |value| Method::from_json(&value))
    }

    fn take_timeout(&mut self, action: Action) -> Result<Option<u64>, RecordError> {
        let field = action
            .timeout_field()
            .expect("only actions with a timeout field");
        self.take_with(field, |value| match value.as_u64() {
            Some(seconds) if seconds > 0 => Ok(seconds),
            _ => Err(format!(
                "expected a whole number of seconds above 0, found {value}"
            )),
        })
    }
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
