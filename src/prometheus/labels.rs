//! A sample's labels, `{name="value",...}`: checked once when the line is
//! parsed, then read again lazily from the text, so a sample never
//! allocates for its labels.

use super::parser::is_blank;
use std::borrow::Cow;
use std::collections::HashSet;

/// A label-name set larger than this is dropped after its sample instead
/// of cleared: clearing costs its capacity, and a thousand short samples
/// after one with a million labels must not pay for it each time.
const KEEP_NAME_SET: usize = 64;

/// The labels of one sample, borrowed from the exposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels<'a> {
    /// From after the `{` up to and including the `}`, already checked.
    checked: &'a str,
}

/// One label: its name, and its value as written between the quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label<'a> {
    pub name: &'a str,
    /// Escapes (`\\`, `\"`, `\n`) included.
    pub raw_value: &'a str,
}

impl<'a> Label<'a> {
    /// The value with its escapes undone.
    pub fn value(&self) -> Cow<'a, str> {
        super::unescape(self.raw_value)
    }
}

impl<'a> Labels<'a> {
    /// A sample written without braces.
    pub const EMPTY: Labels<'static> = Labels { checked: "}" };

    /// The text between the braces, as written.
    pub fn raw(&self) -> &'a str {
        &self.checked[..self.checked.len() - 1]
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    pub fn iter(&self) -> Iter<'a> {
        Iter { rest: self.checked }
    }
}

impl<'a> IntoIterator for Labels<'a> {
    type Item = Label<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The labels in the order written.
pub struct Iter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Label<'a>;

    fn next(&mut self) -> Option<Label<'a>> {
        // The text was checked when it was parsed, so this cannot fail.
        match scan(self.rest, "") {
            Ok(Step::Label(label, rest)) => {
                self.rest = rest;
                Some(label)
            }
            Ok(Step::Close(_)) | Err(_) => None,
        }
    }
}

/// Checks `label="value",...}` (the `{` already taken) and returns the
/// labels and what follows the closing brace. `names` is scratch space
/// for finding a repeated label name in linear time.
pub(super) fn parse<'a>(
    text: &'a str,
    metric: &str,
    names: &mut HashSet<&'a str>,
) -> Result<(Labels<'a>, &'a str), String> {
    if names.capacity() > KEEP_NAME_SET {
        *names = HashSet::new();
    } else {
        names.clear();
    }
    let mut rest = text;
    loop {
        match scan(rest, metric)? {
            Step::Close(after) => {
                let checked = &text[..text.len() - after.len()];
                return Ok((Labels { checked }, after));
            }
            Step::Label(label, next) => {
                if !names.insert(label.name) {
                    return Err(format!(
                        "label `{}` appears twice in `{metric}`",
                        label.name
                    ));
                }
                rest = next;
            }
        }
    }
}

enum Step<'a> {
    /// The closing brace, and what follows it.
    Close(&'a str),
    /// A label, and the text after it and its comma.
    Label(Label<'a>, &'a str),
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Reads one label or the closing brace: the one grammar both the check
/// and the iterator use.
fn scan<'a>(text: &'a str, metric: &str) -> Result<Step<'a>, String> {
    let text = text.trim_start_matches(is_blank);
    if let Some(rest) = text.strip_prefix('}') {
        return Ok(Step::Close(rest));
    }
    let end = text.find(|c| !is_label_char(c)).unwrap_or(text.len());
    let name = &text[..end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        let found = if name.is_empty() {
            text.chars()
                .next()
                .map_or("end of line".into(), |c| format!("`{c}`"))
        } else {
            format!("`{name}`")
        };
        return Err(format!(
            "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) in `{metric}`, found {found}"
        ));
    }
    if name == "__name__" {
        return Err(format!("label name `__name__` is reserved, in `{metric}`"));
    }
    let text = text[end..].trim_start_matches(is_blank);
    let text = text
        .strip_prefix('=')
        .ok_or_else(|| format!("expected `=` after label `{name}` in `{metric}`"))?;
    let text = text
        .trim_start_matches(is_blank)
        .strip_prefix('"')
        .ok_or_else(|| format!("the value of label `{name}` in `{metric}` is not quoted"))?;
    let (raw_value, text) =
        quoted(text).map_err(|reason| format!("label `{name}` in `{metric}`: {reason}"))?;
    let text = text.trim_start_matches(is_blank);
    let rest = match text.strip_prefix(',') {
        Some(rest) => rest, // a trailing comma before `}` is allowed
        None if text.starts_with('}') => text,
        None => {
            return Err(format!(
                "expected `,` or `}}` after label `{name}` in `{metric}`"
            ))
        }
    };
    Ok(Step::Label(Label { name, raw_value }, rest))
}

/// Splits a label value after its opening quote into the value and what
/// follows the closing quote. Only `\\`, `\"` and `\n` may be escaped.
fn quoted(text: &str) -> Result<(&str, &str), String> {
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((&text[..i], &text[i + 1..])),
            '\\' => match chars.next() {
                Some((_, '\\' | '"' | 'n')) => {}
                Some((_, other)) => return Err(format!("invalid escape `\\{other}`")),
                None => break,
            },
            _ => {}
        }
    }
    Err("the quoted value is not closed".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> Result<(Labels<'_>, &str), String> {
        parse(text, "m", &mut HashSet::new())
    }

    #[test]
    fn reads_back_what_it_checked() {
        let (labels, rest) = labels(" a = \"1\" , b=\"x\\\"y\", } 7").unwrap();
        assert_eq!(rest, " 7");
        assert_eq!(labels.raw(), " a = \"1\" , b=\"x\\\"y\", ");
        let all: Vec<_> = labels.iter().map(|l| (l.name, l.value())).collect();
        assert_eq!(all, [("a", "1".into()), ("b", "x\"y".into())]);
        assert!(!labels.is_empty());
        assert!(Labels::EMPTY.is_empty());
        assert_eq!(Labels::EMPTY.raw(), "");
    }

    #[test]
    fn a_repeated_name_among_many_is_found() {
        let mut text: String = (0..100_000).map(|i| format!("l{i}=\"\",")).collect();
        text.push_str("l99999=\"\"}");
        let err = labels(&text).unwrap_err();
        assert!(err.contains("`l99999` appears twice"), "{err}");
    }

    #[test]
    fn a_large_name_set_is_not_kept() {
        let mut names = HashSet::new();
        let text: String = (0..1000).map(|i| format!("l{i}=\"\",")).collect::<String>() + "}";
        parse(&text, "m", &mut names).unwrap();
        parse("a=\"\"}", "m", &mut names).unwrap();
        assert!(names.capacity() <= KEEP_NAME_SET, "{}", names.capacity());
    }
}
