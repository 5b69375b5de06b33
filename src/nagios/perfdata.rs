//! Performance data in a Nagios plugin's output, checked against the
//! plugin guidelines (monitoring-plugins.org, "Performance data" and
//! "Plugin output"):
//!
//! - the first line is `TEXT [| PERFDATA]`; later lines are long text
//!   until one holds a `|`, after which it and every following line are
//!   performance data: `LONG TEXT | PERFDATA` then `PERFDATA` lines;
//! - performance data is a blank-separated list of
//!   `'label'=value[UOM];[warn];[crit];[min];[max]`: a label quoted with
//!   `'` (a quote inside written `''`) or, without blanks, `=` or `'`,
//!   unquoted; trailing `;` fields may be left out and any may be empty;
//! - value, min and max are numbers of the class `[-0-9.]`; the value
//!   may instead be `U` (undetermined); the unit is one of `s`, `ms`,
//!   `us`, `%`, `B`, `KB`, `MB`, `GB`, `TB` and `c`;
//! - warn and crit are ranges: `[@]start:end`, `[@]end` (from 0),
//!   `[@]start:` (to infinity), `~` for minus infinity; start ≤ end.
//!
//! It works on bytes: a label may hold any character, and nothing here
//! needs text. It does not check that min and max bound the value, nor
//! that a plugin's thresholds match its exit code.

/// The first malformed performance data in an output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPerfdata {
    /// 1-based line of the output.
    pub line: usize,
    pub reason: String,
}

/// The units of measurement the guidelines name.
const UNITS: [&[u8]; 10] = [
    b"s", b"ms", b"us", b"%", b"B", b"KB", b"MB", b"GB", b"TB", b"c",
];

/// Checks every piece of performance data in a plugin's whole output.
pub fn check(output: &[u8]) -> Result<(), BadPerfdata> {
    let mut in_perfdata = false;
    for (i, line) in output.split(|&b| b == b'\n').enumerate() {
        let perfdata = if in_perfdata {
            line
        } else if let Some(bar) = line.iter().position(|&b| b == b'|') {
            // On the first line the data ends with the line; on a later
            // one, every line after it is data too.
            in_perfdata = i > 0;
            &line[bar + 1..]
        } else {
            continue;
        };
        check_list(perfdata).map_err(|reason| BadPerfdata {
            line: i + 1,
            reason,
        })?;
    }
    Ok(())
}

fn is_blank(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r')
}

/// A blank-separated list of `label=value;...`.
pub fn check_list(mut text: &[u8]) -> Result<(), String> {
    loop {
        let start = text.iter().position(|b| !is_blank(b)).unwrap_or(text.len());
        text = &text[start..];
        if text.is_empty() {
            return Ok(());
        }
        let (label, rest) = split_label(text)?;
        let end = rest.iter().position(is_blank).unwrap_or(rest.len());
        check_fields(&rest[..end]).map_err(|why| format!("`{}`: {why}", show(label)))?;
        text = &rest[end..];
    }
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The label, as written, and what follows its `=`.
fn split_label(text: &[u8]) -> Result<(&[u8], &[u8]), String> {
    let (label, rest) = if let Some(quoted) = text.strip_prefix(b"'") {
        let mut i = 0;
        loop {
            match quoted.get(i) {
                None => return Err(format!("the quoted label `{}` is not closed", show(text))),
                Some(b'\'') if quoted.get(i + 1) == Some(&b'\'') => i += 2,
                Some(b'\'') => break,
                Some(_) => i += 1,
            }
        }
        (&quoted[..i], &quoted[i + 1..])
    } else {
        let end = text
            .iter()
            .position(|&b| b == b'=' || b == b'\'' || is_blank(&b))
            .unwrap_or(text.len());
        (&text[..end], &text[end..])
    };
    let Some(rest) = rest.strip_prefix(b"=") else {
        let word = text.split(is_blank).next().unwrap_or_default();
        return Err(format!(
            "`{}` is not `label=value`; a label with a blank, `=` or `'` must be quoted with `'`",
            show(word)
        ));
    };
    if label.is_empty() {
        return Err("a label is empty".into());
    }
    Ok((label, rest))
}

/// `value[UOM];[warn];[crit];[min];[max]`
fn check_fields(text: &[u8]) -> Result<(), String> {
    let mut split = text.split(|&b| b == b';');
    let fields: [Option<&[u8]>; 5] = std::array::from_fn(|_| split.next());
    if split.next().is_some() {
        return Err("more than five `;`-separated fields".into());
    }
    let value = fields[0].unwrap_or_default();
    if value != b"U" {
        let end = value
            .iter()
            .position(|b| !matches!(b, b'-' | b'.' | b'0'..=b'9'))
            .unwrap_or(value.len());
        let (number, unit) = value.split_at(end);
        if number.is_empty() {
            return Err(format!("`{}` has no numeric value", show(value)));
        }
        number_or(number, "value")?;
        if !unit.is_empty() && !UNITS.contains(&unit) {
            return Err(format!(
                "unknown unit `{}` (s, ms, us, %, B, KB, MB, GB, TB or c)",
                show(unit)
            ));
        }
    }
    for (i, name) in [(1, "warn"), (2, "crit")] {
        match fields[i] {
            Some(range) if !range.is_empty() => check_range(range, name)?,
            _ => {}
        }
    }
    for (i, name) in [(3, "min"), (4, "max")] {
        match fields[i] {
            Some(number) if !number.is_empty() => {
                number_or(number, name)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// A number of the class `[-0-9.]`: `-?` then digits with at most one `.`.
fn number(text: &[u8]) -> Option<f64> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    let dots = digits.iter().filter(|&&b| b == b'.').count();
    let plain = digits.iter().all(|b| b.is_ascii_digit() || *b == b'.');
    if !plain || dots > 1 || !digits.iter().any(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn number_or(text: &[u8], what: &str) -> Result<f64, String> {
    number(text).ok_or_else(|| format!("{what} `{}` is not a number ([-0-9.])", show(text)))
}

/// `[@]start:end`, `[@]end`, `[@]start:`, start `~` for minus infinity.
fn check_range(range: &[u8], what: &str) -> Result<(), String> {
    let bad = || format!("{what} `{}` is not a range ([@]start:end)", show(range));
    let text = range.strip_prefix(b"@").unwrap_or(range);
    let (start, end) = match text.iter().position(|&b| b == b':') {
        Some(colon) => (Some(&text[..colon]), &text[colon + 1..]),
        None => (None, text),
    };
    let start = match start {
        None | Some(b"~") | Some(b"") => None,
        Some(start) => Some(number(start).ok_or_else(bad)?),
    };
    let end = match end {
        b"" if text.contains(&b':') => None,
        end => Some(number(end).ok_or_else(bad)?),
    };
    if let (Some(start), Some(end)) = (start, end) {
        if start > end {
            return Err(format!("{what} `{}` starts above its end", show(range)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(output: &str) -> String {
        check(output.as_bytes()).expect_err(output).reason
    }

    #[test]
    fn accepts_the_guidelines_examples() {
        for good in [
            "OK\n",
            "DISK OK | /=2643MB;5948;5958;0;5968\n",
            "PING ok | rta=0.80ms;100;200;0 pl=0%;20;60;;\n",
            "OK | 'a label'=1 'it''s'=2;@10:20;~:5 x=U\n",
            "OK | a=1\nlong text\nmore | b=2 c=3s\nd=4;5:;10\n",
            "OK |\n",
            "OK | a=-1.5;;;-10;.5\n",
        ] {
            assert_eq!(check(good.as_bytes()), Ok(()), "{good}");
        }
    }

    #[test]
    fn refuses_malformed_data_naming_the_line() {
        assert!(reason("OK | a b=1\n").contains("not `label=value`"));
        assert!(reason("OK | 'a=1\n").contains("not closed"));
        assert!(reason("OK | =1\n").contains("empty"));
        assert!(reason("OK | a=\n").contains("no numeric value"));
        assert!(reason("OK | a=1zz\n").contains("unknown unit"));
        assert!(reason("OK | a=1e5\n").contains("unknown unit"));
        assert!(reason("OK | a=1;2;3;4;5;6\n").contains("five"));
        assert!(reason("OK | a=1;x\n").contains("not a range"));
        assert!(reason("OK | a=1;20:10\n").contains("starts above"));
        assert!(reason("OK | a=1;;;x\n").contains("min `x`"));
        assert!(reason("OK | a=1.2.3\n").contains("not a number"));
        let bad = check(b"OK\ntext\nmore | a=1\nb=oops\n").unwrap_err();
        assert_eq!(bad.line, 4);
        assert!(bad.reason.contains("`b`"), "{}", bad.reason);
    }

    #[test]
    fn long_text_without_a_bar_is_not_data() {
        assert_eq!(check(b"OK | a=1\nfree text = yes; b\n"), Ok(()));
    }
}
