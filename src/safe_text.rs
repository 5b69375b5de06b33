//! Untrusted text made safe to show on a terminal.
//!
//! Record fields, file names, label values and messages that quote them
//! are written by others. Shown raw, an escape sequence in one could set
//! the terminal's title, clear the screen, move the cursor back over a
//! line, or reorder what the reader sees. Every text report passes such
//! text through here; JSON output never does, because JSON must stay
//! exact (serde_json escapes C0 itself).
//!
//! Replaced with a visible escape:
//!
//! - C0 controls (U+0000–U+001F): `\0`, `\t`, `\n`, `\r`, else `\x1b`;
//!   a renderer adds its own line ends after escaping;
//! - DEL: `\x7f`;
//! - C1 controls (U+0080–U+009F, which some terminals read as CSI and
//!   OSC): `\u{9b}`;
//! - the bidirectional embedding, override and isolate controls
//!   (U+202A–U+202E, U+2066–U+2069), which reorder the text after them
//!   ("Trojan Source", CVE-2021-42574), and the line and paragraph
//!   separators U+2028 and U+2029: `\u{202e}`.
//!
//! Left alone: every other character, including the implicit direction
//! marks (U+200E, U+200F, U+061C), which right-to-left text needs and
//! which only affect neighbouring punctuation, and the backslash itself.
//! The escaping is for safe display, not a reversible encoding: text that
//! already reads `\x1b` is shown as it is, and `--json` is the exact form.
//!
//! This module only escapes; where text is printed is
//! [`crate::output`]'s business.

use std::borrow::Cow;
use std::fmt::{self, Write};

/// Whether `c` is replaced by an escape when shown.
pub fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// `text` with every unsafe character escaped; borrowed when there is
/// nothing to escape, which is the usual case.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    // Writing to a String cannot fail.
    let _ = Escaper(&mut out).write_str(text);
    Cow::Owned(out)
}

/// Shows a value's `Display` output with unsafe characters escaped,
/// without allocating: `format!("error: {}", Escaped(&err))`. Width and
/// alignment flags are not applied.
pub struct Escaped<T>(pub T);

impl<T: fmt::Display> fmt::Display for Escaped<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(Escaper(f), "{}", self.0)
    }
}

/// A writer that escapes what passes through it. Formatting hands it
/// whole `str`s, so a character is never split between two calls.
struct Escaper<W>(W);

impl<W: Write> Write for Escaper<W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut rest = text;
        while let Some(at) = rest.find(is_unsafe) {
            self.0.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            match c {
                '\0' => self.0.write_str("\\0")?,
                '\t' => self.0.write_str("\\t")?,
                '\n' => self.0.write_str("\\n")?,
                '\r' => self.0.write_str("\\r")?,
                '\u{0}'..='\u{7f}' => write!(self.0, "\\x{:02x}", u32::from(c))?,
                _ => write!(self.0, "\\u{{{:x}}}", u32::from(c))?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        let text = "rbldnsd: ünïcode, \\ backslash, \u{200f}RLM, tabs? no";
        assert!(matches!(escape(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn c0_del_and_c1_become_visible_escapes() {
        assert_eq!(
            escape("a\u{1b}]0;title\u{7}b\rc\u{8}d\0e\u{7f}f\u{9b}g\th\ni"),
            "a\\x1b]0;title\\x07b\\rc\\x08d\\0e\\x7ff\\u{9b}g\\th\\ni"
        );
        assert_eq!(escape("\u{80}\u{9f}"), "\\u{80}\\u{9f}");
    }

    #[test]
    fn bidi_controls_and_separators_are_escaped() {
        assert_eq!(
            escape("x\u{202e}y\u{2066}z\u{2069}\u{2028}"),
            "x\\u{202e}y\\u{2066}z\\u{2069}\\u{2028}"
        );
    }

    #[test]
    fn escaped_display_matches_escape() {
        let text = "ok \u{1b}[2J \u{202a} done";
        assert_eq!(Escaped(text).to_string(), escape(text));
        assert_eq!(
            format!("error: {}", Escaped(format_args!("`{}`", "\u{1b}"))),
            "error: `\\x1b`"
        );
    }

    #[test]
    fn every_unsafe_character_is_gone_after_escaping() {
        let all: String = (0..=0x10ffff).filter_map(char::from_u32).collect();
        assert!(!escape(&all).contains(is_unsafe));
    }
}
