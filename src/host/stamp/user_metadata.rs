//! The record's `user_metadata`, from `--meta-json FILE` and
//! `--meta KEY=VALUE` flags.
//!
//! The file must hold a JSON object; it is read first. Each `--meta` then
//! sets one string value, in order, so later flags win. A dotted key
//! `a.b.c` sets a nested value, creating objects on the way; it is an
//! error when a step on the way already holds something that is not an
//! object. Keys that themselves contain dots, and values that are not
//! strings, need the file.
//!
//! The file is read as the record reader reads `user_metadata`
//! ([`field_value_from_slice`]): no key twice in one object, no deeper
//! than a record may nest, and no more than a whole record may hold, so
//! its errors are the ones `container record` would give. Whether the
//! finished record fits is checked once it is built ([`super::stamp_with`]);
//! this module does not validate what authors put in their metadata
//! beyond that.

use crate::host::error::HostError;
use crate::record::{field_value_from_slice, MAX_RECORD_BYTES};
use serde_json::{Map, Value};
use std::io::Read;
use std::path::Path;

/// One `--meta` flag: the key's dotted path and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaPair {
    pub key: Vec<String>,
    pub value: String,
}

/// Parses `KEY=VALUE`; the error is shown by clap as a usage error.
pub fn parse_meta_pair(text: &str) -> Result<MetaPair, String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))?;
    let key: Vec<String> = key.split('.').map(str::to_owned).collect();
    if key.iter().any(|segment| segment.trim().is_empty()) {
        return Err(format!(
            "the key in `{text}` has an empty part; write KEY or KEY.SUBKEY"
        ));
    }
    Ok(MetaPair {
        key,
        value: value.to_owned(),
    })
}

/// The combined user metadata, or `None` when there is none.
pub fn build(
    file: Option<&Path>,
    pairs: &[MetaPair],
) -> Result<Option<Map<String, Value>>, HostError> {
    let mut metadata = match file {
        Some(path) => read_file(path)?,
        None => Map::new(),
    };
    for pair in pairs {
        set(&mut metadata, pair)?;
    }
    Ok((!metadata.is_empty() || file.is_some()).then_some(metadata))
}

fn read_file(path: &Path) -> Result<Map<String, Value>, HostError> {
    let invalid = |reason: String| HostError::MetaJsonInvalid {
        path: path.to_path_buf(),
        reason,
    };
    let mut bytes = Vec::new();
    // One byte past the limit is enough to know the file cannot fit in
    // a record, without reading all of it.
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_RECORD_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|source| HostError::MetaJsonUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return Err(invalid(
            "it is over 1 MiB, the most a whole record may hold".into(),
        ));
    }
    match field_value_from_slice("user_metadata", &bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(invalid(format!(
            "expected a JSON object, found {}",
            crate::record::json_kind(&other)
        ))),
        Err(e) => Err(invalid(e.to_string())),
    }
}

fn set(metadata: &mut Map<String, Value>, pair: &MetaPair) -> Result<(), HostError> {
    let Some((leaf, parents)) = pair.key.split_last() else {
        return Ok(());
    };
    let mut object = metadata;
    for (depth, segment) in parents.iter().enumerate() {
        let slot = object
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        object = match slot {
            Value::Object(inner) => inner,
            other => {
                return Err(HostError::MetaConflict {
                    key: pair.key.join("."),
                    prefix: pair.key[..=depth].join("."),
                    found: crate::record::json_kind(other),
                })
            }
        };
    }
    object.insert(leaf.clone(), Value::String(pair.value.clone()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(texts: &[&str]) -> Vec<MetaPair> {
        texts.iter().map(|t| parse_meta_pair(t).unwrap()).collect()
    }

    #[test]
    fn dotted_keys_nest_and_later_flags_win() {
        let meta = build(
            None,
            &pairs(&["team=web", "owner.email=a@b", "owner.name=A", "team=ops"]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            Value::Object(meta),
            json!({"team": "ops", "owner": {"email": "a@b", "name": "A"}})
        );
    }

    #[test]
    fn values_may_contain_equals_signs() {
        assert_eq!(pairs(&["q=a=b"])[0].value, "a=b");
    }

    #[test]
    fn malformed_pairs_are_refused() {
        for bad in ["novalue", "=x", "a..b=x", ".a=x", "a.=x"] {
            assert!(parse_meta_pair(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn nesting_under_a_string_is_a_conflict() {
        let err = build(None, &pairs(&["a=1", "a.b=2"])).unwrap_err();
        assert!(err.to_string().contains("`a`"), "{err}");
    }

    #[test]
    fn meta_json_is_read_with_the_record_rules() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.json");
        for (text, needle) in [
            (
                r#"{"a":{"b":1,"b":2}}"#,
                "duplicate key `user_metadata.a.b`",
            ),
            ("[1]", "expected a JSON object, found an array"),
            ("{", "EOF"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = build(Some(&path), &[]).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
        std::fs::write(&path, vec![b' '; MAX_RECORD_BYTES as usize + 1]).unwrap();
        let err = build(Some(&path), &[]).unwrap_err().to_string();
        assert!(err.contains("over 1 MiB"), "{err}");
    }

    #[test]
    fn no_flags_means_no_metadata() {
        assert_eq!(build(None, &[]).unwrap(), None);
    }
}
