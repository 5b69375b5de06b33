//! Free-form JSON inside a record (`user_metadata`, methods, unknown
//! fields), read with the record's rules: no object holds a key twice,
//! and nothing nests deeper than [`MAX_DEPTH`].
//!
//! serde_json's own `Value` reader keeps the last of two equal keys
//! without a word, so two readers of one record (this tool and `jq`, say)
//! could disagree on what it says; here a duplicate is an error naming
//! its path, at every depth. The depth is checked before serde_json's own
//! recursion limit (128) is reached, so the message names the field
//! instead of calling the record broken JSON. This module builds values
//! only; what a field's value must be is decided in [`super::de`].

use super::limits::MAX_DEPTH;
use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Where a value sits in the record, for messages: `user_metadata.team`,
/// `extra[1].k`. A chain of borrowed keys on the reader's stack, so
/// nothing is allocated unless a message is written.
#[derive(Clone, Copy)]
pub(super) enum Place<'a> {
    /// A field of the record itself.
    Field(&'a str),
    Key(&'a Place<'a>, &'a str),
    Index(&'a Place<'a>, usize),
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Field(name) => escaped(f, name),
            Place::Key(parent, key) => {
                write!(f, "{parent}.")?;
                escaped(f, key)
            }
            Place::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// How much of each key a path in a message shows: a path 64 keys deep
/// stays short even when the keys are long.
const KEY_CHARS_SHOWN: usize = 40;

/// Keys are text from the record's author: control characters are
/// written as escapes, so a message cannot rewrite the terminal, and a
/// long key is cut short, so a message stays small.
fn escaped(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    if text.chars().nth(KEY_CHARS_SHOWN).is_some() {
        let shown: String = text.chars().take(KEY_CHARS_SHOWN).collect();
        escaped(f, &shown)?;
        return f.write_str("…");
    }
    for c in text.chars() {
        if c.is_control() {
            write!(f, "{}", c.escape_default())?;
        } else {
            fmt::Write::write_char(f, c)?;
        }
    }
    Ok(())
}

/// Reads one JSON value at `place`, which is `level` levels deep if it
/// is an object or an array (a field of the record is at level 2).
pub(super) struct ValueSeed<'a> {
    pub place: Place<'a>,
    pub level: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl ValueSeed<'_> {
    fn enter<E: Error>(&self) -> Result<(), E> {
        if self.level > MAX_DEPTH {
            Err(E::custom(format_args!(
                "nested deeper than {MAX_DEPTH} levels at `{}`",
                self.place
            )))
        } else {
            Ok(())
        }
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // As serde_json's own reader does: JSON text has no NaN or
        // infinity, so this only drops what cannot occur.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.enter()?;
        let mut items = Vec::new();
        loop {
            let seed = ValueSeed {
                place: Place::Index(&self.place, items.len()),
                level: self.level + 1,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.enter()?;
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let place = Place::Key(&self.place, &key);
            if object.contains_key(&key) {
                return Err(A::Error::custom(format_args!("duplicate key `{place}`")));
            }
            let value = map.next_value_seed(ValueSeed {
                place,
                level: self.level + 1,
            })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Value, serde_json::Error> {
        let mut parser = serde_json::Deserializer::from_str(text);
        ValueSeed {
            place: Place::Field("f"),
            level: 2,
        }
        .deserialize(&mut parser)
    }

    #[test]
    fn reads_what_serde_json_reads() {
        let text = r#"{"a":[1,-2,3.5,"x",null,true,{"b":{}}],"c":"\u00e9"}"#;
        assert_eq!(
            read(text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
    }

    #[test]
    fn duplicate_keys_are_named_by_their_path() {
        let err = read(r#"{"a":[{"k":1,"k":2}]}"#).unwrap_err().to_string();
        assert!(err.starts_with("duplicate key `f.a[0].k`"), "{err}");
    }

    #[test]
    fn control_characters_in_keys_are_escaped_in_messages() {
        let err = read("{\"\\u001b]0;x\":1,\"\\u001b]0;x\":2}")
            .unwrap_err()
            .to_string();
        assert!(!err.contains('\u{1b}'), "{err:?}");
        assert!(err.contains(r"f.\u{1b}]0;x"), "{err}");
    }

    #[test]
    fn depth_counts_objects_and_arrays_alike() {
        // Level 2 is the field itself; MAX_DEPTH - 1 containers fit.
        let fits = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(read(&fits).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let err = read(&deep).unwrap_err().to_string();
        assert!(
            err.contains("nested deeper than 64 levels at `f[0][0]"),
            "{err}"
        );
    }

    #[test]
    fn messages_stay_short_however_long_the_keys() {
        // Regression: the path of a too-deep value repeated every long key
        // whole, so a 1 MiB record gave a message of most of a megabyte.
        let key = "k".repeat(10_000);
        let deep = format!(
            "{}0{}",
            format!("{{\"{key}\":").repeat(MAX_DEPTH),
            "}".repeat(MAX_DEPTH)
        );
        let err = read(&deep).unwrap_err().to_string();
        assert!(err.contains("nested deeper than 64 levels"), "{err}");
        assert!(
            err.len() < 64 * (KEY_CHARS_SHOWN + 8) + 200,
            "{}",
            err.len()
        );
    }
}
