//! Where in a TOML file a problem is, as a user looks for it: the line,
//! the column and the key. The toml crate reports a byte span; both
//! config files waybill reads (the hosts file and `waybill serve`'s
//! config) turn it into these the same way. Text only; no parsing.

/// A 1-based line and column (in bytes) of a TOML text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub line: usize,
    pub column: usize,
}

/// The line and column of byte `offset` of `text`.
pub fn place(text: &str, offset: usize) -> Place {
    let before = &text[..char_boundary(text, offset)];
    Place {
        line: before.matches('\n').count() + 1,
        column: before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1,
    }
}

/// The key whose value starts at `offset`, read back from the text: the
/// last `KEY =` before it on its line.
pub fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = char_boundary(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let eq = before.rfind('=')?;
    let key: String = before[..eq]
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || "_-\"'.".contains(*c))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let key = key.trim_matches(|c| c == '"' || c == '\'').to_string();
    (!key.is_empty()).then_some(key)
}

/// `offset`, moved back to a character boundary of `text` if needed.
fn char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn place_and_key_are_read_back_from_the_text() {
        let text = "[a]\nname = \"x\"\n  port = 12\n";
        let offset = text.find("12").unwrap();
        assert_eq!(
            place(text, offset),
            Place {
                line: 3,
                column: 10
            }
        );
        assert_eq!(key_at(text, offset).as_deref(), Some("port"));
        assert_eq!(key_at(text, 0), None);
        // An offset inside a multi-byte character is moved back, never a panic.
        let text = "k = \"é\"";
        assert_eq!(place(text, 6).line, 1);
    }
}
