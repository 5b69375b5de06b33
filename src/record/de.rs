//! Reading a record straight from JSON, one field at a time.
//!
//! Each known field is parsed directly into its type as the parser meets
//! it, so no intermediate JSON tree is built: `container --metadata`
//! spends most of its time here. When a field does not fit, the parser's
//! error (with its line and column) is kept and the field's name is noted
//! beside it, so the message can say which field it was. Fields this
//! version does not know are kept as they are.
//!
//! The limits of [`super::limits`] are checked here too: a key may occur
//! once, free-form values are read by [`ValueSeed`] (no duplicate keys or
//! excessive nesting inside them either), and `project` must fit a file
//! name.

use super::limits::{MAX_DESCRIPTION_CHARS, MAX_LICENSES_CHARS, MAX_PROJECT_CHARS};
use super::value::{Place, ValueSeed};
use super::{json_kind, BuildTime, Method, Record};
use serde::de::{Deserialize, Error as _, MapAccess, Visitor};
use serde::Deserializer;
use serde_json::Value;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt;

/// Reads one record from any serde_json deserializer: a text parser (for
/// record files, with positions) or a [`Value`] (for label stacks).
/// `failed` is left naming the field an error came from, if any.
pub(super) fn read<'de, D: Deserializer<'de>>(
    deserializer: D,
    failed: &Cell<Option<&'static str>>,
) -> Result<Record, D::Error> {
    deserializer.deserialize_map(RecordVisitor { failed })
}

/// A record nested in other JSON (the examine report read back by the
/// host) passes the same field-by-field reader and the same checks as a
/// record file; errors name the field. The whole-file limits (size,
/// UTF-8) are the enclosing reader's.
impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Record, D::Error> {
        let failed = Cell::new(None);
        read(deserializer, &failed).map_err(|e| match failed.get() {
            Some(field) => D::Error::custom(format_args!("field `{field}`: {e}")),
            None => e,
        })
    }
}

struct RecordVisitor<'a> {
    failed: &'a Cell<Option<&'static str>>,
}

impl<'de> Visitor<'de> for RecordVisitor<'_> {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object holding one image record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let mut record = Record::default();
        let mut project: Option<String> = None;
        let mut seen = BTreeSet::new();
        let map = &mut map;
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(A::Error::custom(format_args!(
                    "duplicate key `{}`",
                    Place::Field(&key)
                )));
            }
            // `null` means not set, for known fields; unknown ones are
            // kept exactly as written.
            match key.as_str() {
                "schema_version" => {
                    record.schema_version =
                        self.checked(map, "schema_version", |version: u64| match version {
                            0 => Err("expected a schema version of 1 or more, found 0".into()),
                            _ => Ok(version),
                        })?
                }
                "project" => project = self.value(map, "project")?,
                "image_name" => record.image_name = self.value(map, "image_name")?,
                "image_tag_names" => record.image_tag_names = self.value(map, "image_tag_names")?,
                "build_time" => {
                    record.build_time =
                        self.checked(map, "build_time", |text: String| BuildTime::parse(&text))?
                }
                "build_time_stamp" => {
                    record.build_time_stamp = self.value(map, "build_time_stamp")?
                }
                "gitref" => record.gitref = self.value(map, "gitref")?,
                "git_branch" => record.git_branch = self.value(map, "git_branch")?,
                "git_dirty" => record.git_dirty = self.value(map, "git_dirty")?,
                "git_describe" => record.git_describe = self.value(map, "git_describe")?,
                "git_tags" => record.git_tags = self.value(map, "git_tags")?,
                "git_commit_time_stamp" => {
                    record.git_commit_time_stamp = self.value(map, "git_commit_time_stamp")?
                }
                "git_shallow" => record.git_shallow = self.value(map, "git_shallow")?,
                "ci" => record.ci = self.value(map, "ci")?,
                "ci_system" => record.ci_system = self.value(map, "ci_system")?,
                "build_cause" => record.build_cause = self.value(map, "build_cause")?,
                "build_tag" => record.build_tag = self.value(map, "build_tag")?,
                "build_id" => record.build_id = self.value(map, "build_id")?,
                "build_url" => record.build_url = self.value(map, "build_url")?,
                "source_url" => record.source_url = self.value(map, "source_url")?,
                "description" => {
                    record.description = self.checked(map, "description", check_description)?
                }
                "licenses" => record.licenses = self.checked(map, "licenses", check_licenses)?,
                "start_method" => record.start_method = self.method(map, "start_method")?,
                "update_method" => record.update_method = self.method(map, "update_method")?,
                "validate_method" => {
                    record.validate_method = self.method(map, "validate_method")?
                }
                "monitor_method" => record.monitor_method = self.method(map, "monitor_method")?,
                "metrics_method" => record.metrics_method = self.method(map, "metrics_method")?,
                "update_timeout" => record.update_timeout = self.timeout(map, "update_timeout")?,
                "validate_timeout" => {
                    record.validate_timeout = self.timeout(map, "validate_timeout")?
                }
                "monitor_timeout" => {
                    record.monitor_timeout = self.timeout(map, "monitor_timeout")?
                }
                "metrics_timeout" => {
                    record.metrics_timeout = self.timeout(map, "metrics_timeout")?
                }
                "validate" => record.validate = self.value(map, "validate")?,
                "user_metadata" => {
                    record.user_metadata = match self.json(map, "user_metadata")? {
                        Value::Null => None,
                        Value::Object(object) => Some(object),
                        other => {
                            self.failed.set(Some("user_metadata"));
                            return Err(A::Error::custom(format_args!(
                                "expected an object, found {}",
                                json_kind(&other)
                            )));
                        }
                    }
                }
                _ => {
                    let value = map.next_value_seed(ValueSeed {
                        place: Place::Field(&key),
                        level: 2,
                    })?;
                    record.unknown.insert(key, value);
                }
            }
        }
        let refuse = |reason: String| {
            self.failed.set(Some("project"));
            Err(A::Error::custom(reason))
        };
        match project {
            None => Err(A::Error::custom("record has no `project` field")),
            Some(p) if p.is_empty() => refuse("must not be empty".into()),
            Some(p) if p.chars().count() > MAX_PROJECT_CHARS => refuse(format!(
                "is {} characters long, over the limit of {MAX_PROJECT_CHARS}: the record is \
                 filed as `NNNN-<project>.json`, and a file name has at most 255 bytes",
                p.chars().count()
            )),
            Some(p) => Ok(Record {
                project: p,
                ..record
            }),
        }
    }
}

impl RecordVisitor<'_> {
    /// The next value, parsed as `T`; on failure `failed` names `field`.
    fn value<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
        &self,
        map: &mut A,
        field: &'static str,
    ) -> Result<T, A::Error> {
        self.failed.set(Some(field));
        let value = map.next_value()?;
        self.failed.set(None);
        Ok(value)
    }

    /// The next value, any JSON, read by [`ValueSeed`] with its limits.
    fn json<'de, A: MapAccess<'de>>(
        &self,
        map: &mut A,
        field: &'static str,
    ) -> Result<Value, A::Error> {
        self.failed.set(Some(field));
        let value = map.next_value_seed(ValueSeed {
            place: Place::Field(field),
            level: 2,
        })?;
        self.failed.set(None);
        Ok(value)
    }

    /// The next value, parsed as `T` and then checked by `convert`.
    fn checked<'de, T: Deserialize<'de>, U, A: MapAccess<'de>>(
        &self,
        map: &mut A,
        field: &'static str,
        convert: impl FnOnce(T) -> Result<U, String>,
    ) -> Result<Option<U>, A::Error> {
        match self.value::<Option<T>, A>(map, field)? {
            None => Ok(None),
            Some(raw) => convert(raw).map(Some).map_err(|reason| {
                self.failed.set(Some(field));
                A::Error::custom(reason)
            }),
        }
    }

    fn method<'de, A: MapAccess<'de>>(
        &self,
        map: &mut A,
        field: &'static str,
    ) -> Result<Option<Method>, A::Error> {
        match self.json(map, field)? {
            Value::Null => Ok(None),
            value => Method::from_json(&value).map(Some).map_err(|reason| {
                self.failed.set(Some(field));
                A::Error::custom(reason)
            }),
        }
    }

    fn timeout<'de, A: MapAccess<'de>>(
        &self,
        map: &mut A,
        field: &'static str,
    ) -> Result<Option<u64>, A::Error> {
        let value = self.json(map, field)?;
        match value.as_u64() {
            _ if value.is_null() => Ok(None),
            Some(seconds) if seconds > 0 => Ok(Some(seconds)),
            _ => {
                self.failed.set(Some(field));
                Err(A::Error::custom(format_args!(
                    "expected a whole number of seconds above 0, found {}",
                    match value {
                        Value::Number(n) => n.to_string(),
                        other => json_kind(&other).to_owned(),
                    }
                )))
            }
        }
    }
}

/// A `description`: one line (it becomes a label value and a line of the
/// examine report), no control characters, within its length.
pub fn check_description(text: String) -> Result<String, String> {
    if text.chars().any(char::is_control) {
        return Err("expected one line of text without control characters".into());
    }
    within(text, MAX_DESCRIPTION_CHARS)
}

/// A `licenses` SPDX expression: its characters (letters, digits, `.`,
/// `-`, `+`, `:`, parentheses and spaces for `AND`, `OR`, `WITH`), not
/// its grammar, and within its length.
pub fn check_licenses(text: String) -> Result<String, String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || " .-+:()".contains(c);
    if !text.chars().all(allowed) || text.trim().is_empty() {
        return Err(
            "expected an SPDX license expression: letters, digits, `.-+:()` and spaces".into(),
        );
    }
    within(text, MAX_LICENSES_CHARS)
}

fn within(text: String, max: usize) -> Result<String, String> {
    let chars = text.chars().count();
    if chars > max {
        return Err(format!("expected at most {max} characters, found {chars}"));
    }
    Ok(text)
}
