//! How an action is run: a path executed directly, or an argv array.
//!
//! Neither form goes through a shell. A string is one path, never split on
//! spaces; write an array when the method needs arguments. Neither may
//! hold a NUL byte, which exec cannot pass.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// Why a NUL byte is refused: the kernel takes C strings, so the method
/// could be filed but never run.
const NO_EXEC: &str = "(exec cannot pass one)";

/// A declared method, as written in a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// `"start_method": "/srv/support/bin/start.sh"`
    Path(String),
    /// `"start_method": ["/usr/sbin/httpd", "-f", "-p", "8080"]`
    Argv(Vec<String>),
}

impl Method {
    /// Reads a method from a record field, explaining what is wrong if it
    /// is neither a non-empty string nor a non-empty array of strings.
    pub fn from_json(value: &Value) -> Result<Method, String> {
        match value {
            Value::String(path) if path.is_empty() => Err("the method path is empty".into()),
            Value::String(path) if path.contains('\0') => {
                Err(format!("the method path contains a NUL byte {NO_EXEC}"))
            }
            Value::String(path) => Ok(Method::Path(path.clone())),
            Value::Array(items) if items.is_empty() => Err("the method argv is empty".into()),
            Value::Array(items) => {
                let argv = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Value::String(s) if s.contains('\0') => {
                            Err(format!("argv element {i} contains a NUL byte {NO_EXEC}"))
                        }
                        Value::String(s) => Ok(s.clone()),
                        other => Err(format!(
                            "argv element {i} must be a string, found {}",
                            crate::record::json_kind(other)
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if argv[0].is_empty() {
                    return Err("the method's program (argv[0]) is empty".into());
                }
                Ok(Method::Argv(argv))
            }
            other => Err(format!(
                "expected a path string or an array of strings, found {}",
                crate::record::json_kind(other)
            )),
        }
    }

    /// The program and its arguments.
    pub fn argv(&self) -> Vec<String> {
        match self {
            Method::Path(path) => vec![path.clone()],
            Method::Argv(argv) => argv.clone(),
        }
    }

    /// The program that is executed.
    pub fn program(&self) -> &str {
        match self {
            Method::Path(path) => path,
            Method::Argv(argv) => &argv[0],
        }
    }
}

impl fmt::Display for Method {
    /// A one-line rendering for reports: the path, or the argv joined with
    /// spaces, quoting any argument that would otherwise be ambiguous.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::Path(path) => f.write_str(path),
            Method::Argv(argv) => {
                for (i, arg) in argv.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '"') {
                        write!(f, "{arg:?}")?;
                    } else {
                        f.write_str(arg)?;
                    }
                }
                Ok(())
            }
        }
    }
}

impl Serialize for Method {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Method::Path(path) => serializer.serialize_str(path),
            Method::Argv(argv) => argv.serialize(serializer),
        }
    }
}

/// For a method read on its own (the examine report's effective
/// methods); inside a record, the record reader reads methods itself.
impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Method, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Method::from_json(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_is_one_path_even_with_spaces() {
        let method = Method::from_json(&json!("/srv/bin/start.sh --fast")).unwrap();
        assert_eq!(method.argv(), vec!["/srv/bin/start.sh --fast"]);
    }

    #[test]
    fn array_is_argv() {
        let method = Method::from_json(&json!(["/bin/sh", "-c", "echo hi"])).unwrap();
        assert_eq!(method.program(), "/bin/sh");
        assert_eq!(method.to_string(), "/bin/sh -c \"echo hi\"");
    }

    #[test]
    fn rejects_empty_and_mistyped_methods() {
        for bad in [
            json!(""),
            json!([]),
            json!([""]),
            json!([1]),
            json!(5),
            json!({}),
        ] {
            assert!(Method::from_json(&bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn nul_bytes_are_refused_naming_the_argv_element() {
        let err = Method::from_json(&json!("/bin/a\u{0}b")).unwrap_err();
        assert!(err.contains("path contains a NUL byte"), "{err}");
        let err = Method::from_json(&json!(["/bin/a", "x", "y\u{0}"])).unwrap_err();
        assert!(err.contains("argv element 2 contains a NUL byte"), "{err}");
    }
}
