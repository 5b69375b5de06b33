//! Reading a `--*-method` flag into a record [`Method`].
//!
//! A value starting with `[` is a JSON array of strings (an argv); any
//! other value is one path, never split on spaces. Neither form is ever
//! run through a shell. Validation is the record's own
//! ([`Method::from_json`]), so a flag accepts exactly what a record may
//! hold.

use crate::record::Method;
use serde_json::Value;

/// Parses a method flag's value; the error is shown by clap as a usage
/// error.
pub fn parse_method(text: &str) -> Result<Method, String> {
    let value = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Value>(text)
            .map_err(|e| format!("`{text}` starts with `[` but is not a JSON array: {e}"))?
    } else {
        if text.chars().any(char::is_control) {
            return Err("the method path contains a control character".into());
        }
        Value::String(text.to_owned())
    };
    Method::from_json(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_value_is_one_path() {
        assert_eq!(
            parse_method("/srv/bin/start --fast"),
            Ok(Method::Path("/srv/bin/start --fast".into()))
        );
    }

    #[test]
    fn a_bracketed_value_is_an_argv() {
        assert_eq!(
            parse_method(r#"["/usr/sbin/httpd", "-f", "-p", "8080"]"#),
            Ok(Method::Argv(vec![
                "/usr/sbin/httpd".into(),
                "-f".into(),
                "-p".into(),
                "8080".into()
            ]))
        );
    }

    #[test]
    fn bad_methods_are_refused() {
        for bad in [
            "",
            "[",
            "[]",
            "[1]",
            r#"["/bin/x", 2]"#,
            "[\"\"]",
            "/bin/x\n",
        ] {
            assert!(parse_method(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
