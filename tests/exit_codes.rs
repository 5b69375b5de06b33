//! The exit codes are documented where users look, and nowhere wrongly:
//! the tables of docs/exit-codes.md, the constants of src/exit.rs and the
//! "Exit codes:" lists in the programs' `--help` name the same codes.
//!
//! Nothing here lists codes by hand: the test parses src/exit.rs, the
//! Markdown tables and the help texts, so a code added in one place and
//! forgotten in another fails it, whoever adds it.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(relative: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(relative))
        .unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

/// The `pub const NAME: u8 = N;` items of src/exit.rs, by module path:
/// "" for the top level, "nagios" for `pub mod nagios { ... }`.
fn exit_constants() -> BTreeMap<String, BTreeMap<String, u8>> {
    let source = read("src/exit.rs");
    let mut modules: BTreeMap<String, BTreeMap<String, u8>> = BTreeMap::new();
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("").trim();
        if let Some(name) = code
            .strip_prefix("pub mod ")
            .and_then(|rest| rest.strip_suffix('{'))
        {
            stack.push((name.trim().to_string(), depth));
        }
        if let Some(rest) = code.strip_prefix("pub const ") {
            let (name, rest) = rest
                .split_once(':')
                .unwrap_or_else(|| panic!("src/exit.rs: cannot read `{line}`"));
            let value = rest
                .split_once('=')
                .and_then(|(ty, value)| (ty.trim() == "u8").then_some(value))
                .and_then(|value| value.trim().trim_end_matches(';').parse::<u8>().ok())
                .unwrap_or_else(|| {
                    panic!("src/exit.rs: `{line}` is not `pub const NAME: u8 = NUMBER;`")
                });
            let module = stack
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join("::");
            let previous = modules
                .entry(module)
                .or_default()
                .insert(name.trim().to_string(), value);
            assert!(previous.is_none(), "src/exit.rs defines {name} twice");
        }
        depth += code.matches('{').count();
        depth -= code.matches('}').count();
        while stack
            .last()
            .is_some_and(|(_, opened_at)| depth <= *opened_at)
        {
            stack.pop();
        }
    }
    assert!(
        modules.get("").is_some_and(|top| top.len() > 5),
        "src/exit.rs: found too few constants to be right: {modules:?}"
    );
    modules
}

/// One row of an exit-code table.
#[derive(Debug, Clone)]
struct Row {
    /// The code cell as written: `64`, `128+N`, `1–63, …`.
    code: String,
    /// The name or state cell: `EX_USAGE`, `signal`, `WARNING`.
    name: String,
}

impl Row {
    /// The code this row documents: `64` for `64`, the base for `128+N`;
    /// None for the pass-through row, which documents no code of ours.
    fn number(&self) -> Option<u8> {
        if self.name == "(passed through)" {
            return None;
        }
        let digits = self.code.strip_suffix("+N").unwrap_or(&self.code);
        Some(digits.parse().unwrap_or_else(|_| {
            panic!(
                "docs/exit-codes.md: the code cell `{}` is neither a number, NUMBER+N, \
                 nor the `(passed through)` row",
                self.code
            )
        }))
    }
}

/// Every table of a Markdown document whose first column is `code`, by
/// the headings above it (`["`container`", "MONITOR"]`).
fn code_tables(markdown: &str) -> Vec<(Vec<String>, Vec<Row>)> {
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut tables: Vec<(Vec<String>, Vec<Row>)> = Vec::new();
    let mut in_table = false;
    let mut fenced = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced {
            continue;
        }
        if let Some(level) = line
            .find(|c| c != '#')
            .filter(|&n| n > 0 && line.starts_with('#'))
        {
            headings.retain(|(l, _)| *l < level);
            headings.push((level, line[level..].trim().to_string()));
            in_table = false;
            continue;
        }
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let cells: Vec<String> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect();
        if !in_table {
            in_table = true;
            if cells.first().map(String::as_str) == Some("code") {
                let path = headings.iter().map(|(_, h)| h.clone()).collect();
                tables.push((path, Vec::new()));
            } else {
                // A table about something else: mark it so its rows are skipped.
                tables.push((vec!["<not a code table>".into()], Vec::new()));
            }
            continue;
        }
        if cells
            .iter()
            .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'))
        {
            continue;
        }
        if let Some((_, rows)) = tables.last_mut() {
            rows.push(Row {
                code: cells[0].clone(),
                name: cells.get(1).cloned().unwrap_or_default(),
            });
        }
    }
    tables.retain(|(path, rows)| {
        path.first().map(String::as_str) != Some("<not a code table>") && !rows.is_empty()
    });
    tables
}

/// The tables of docs/exit-codes.md, keyed by what they cover:
/// `container`, `container MONITOR`, `waybill stamp`, ...
fn documented() -> BTreeMap<String, Vec<Row>> {
    let mut by_scope = BTreeMap::new();
    for (headings, rows) in code_tables(&read("docs/exit-codes.md")) {
        let scope = if headings.iter().any(|h| h.contains("MONITOR")) {
            "container MONITOR".to_string()
        } else {
            // The innermost heading naming a program: `container` or
            // `waybill stamp` (back-quoted in the document).
            headings
                .iter()
                .rev()
                .find_map(|h| {
                    let name = h.trim_matches('`');
                    (name.starts_with("container") || name.starts_with("waybill"))
                        .then(|| name.to_string())
                })
                .unwrap_or_else(|| {
                    panic!("docs/exit-codes.md: a code table under {headings:?} names no program")
                })
        };
        let previous = by_scope.insert(scope.clone(), rows);
        assert!(
            previous.is_none(),
            "docs/exit-codes.md has two code tables for {scope}"
        );
    }
    by_scope
}

fn numbers(rows: &[Row]) -> BTreeSet<u8> {
    rows.iter().filter_map(Row::number).collect()
}

/// The name a documented row should have for the constant `name`:
/// `EX_USAGE` for USAGE, `timeout` for TIMEOUT, `signal` for the base of
/// 128+N.
fn name_matches(row: &Row, constant: &str) -> bool {
    if row.code.ends_with("+N") {
        return constant == "SIGNALED_BASE";
    }
    let documented = row.name.strip_prefix("EX_").unwrap_or(&row.name);
    documented.eq_ignore_ascii_case(constant)
}

#[test]
fn every_exit_constant_is_documented_with_its_number_and_name() {
    let constants = exit_constants();
    let docs = documented();
    let program_rows: Vec<&Row> = docs
        .iter()
        .filter(|(scope, _)| !scope.ends_with("MONITOR"))
        .flat_map(|(_, rows)| rows)
        .collect();
    let mut problems = Vec::new();
    for (name, value) in &constants[""] {
        let rows: Vec<&&Row> = program_rows
            .iter()
            .filter(|row| row.number() == Some(*value))
            .collect();
        if rows.is_empty() {
            problems.push(format!(
                "{name} = {value} (src/exit.rs) is in no table of docs/exit-codes.md"
            ));
        }
        for row in rows {
            if !name_matches(row, name) {
                problems.push(format!(
                    "docs/exit-codes.md documents {} as `{}`, but src/exit.rs calls {value} {name}",
                    row.code, row.name
                ));
            }
        }
    }
    let nagios = constants
        .get("nagios")
        .expect("src/exit.rs has the MONITOR codes in `pub mod nagios`");
    let monitor = docs
        .get("container MONITOR")
        .expect("docs/exit-codes.md has a MONITOR table");
    for (name, value) in nagios {
        if !monitor
            .iter()
            .any(|row| row.number() == Some(*value) && row.name == *name)
        {
            problems.push(format!(
                "nagios::{name} = {value} is not in the MONITOR table of docs/exit-codes.md"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_table_documents_a_code_that_src_exit_does_not_define() {
    let constants = exit_constants();
    let defined: BTreeSet<u8> = constants[""].values().copied().collect();
    let nagios: BTreeSet<u8> = constants["nagios"].values().copied().collect();
    let mut problems = Vec::new();
    for (scope, rows) in documented() {
        let known = if scope.ends_with("MONITOR") {
            &nagios
        } else {
            &defined
        };
        for row in &rows {
            if let Some(number) = row.number() {
                if !known.contains(&number) {
                    problems.push(format!(
                        "docs/exit-codes.md ({scope}) documents {} `{}`, which src/exit.rs does not define",
                        row.code, row.name
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The codes a help text's "Exit codes:" paragraph names, and the ones
/// its "MONITOR follows Nagios:" sentence names. A code is the number
/// (or NUMBER+N) that starts a `;`-separated item of the paragraph.
fn help_codes(help: &str, program: &str) -> (BTreeSet<u8>, BTreeSet<u8>) {
    let start = help
        .find("Exit codes:")
        .unwrap_or_else(|| panic!("`{program} --help` has no \"Exit codes:\" paragraph:\n{help}"));
    let paragraph = help[start + "Exit codes:".len()..]
        .split("\n\n")
        .next()
        .unwrap_or("")
        .replace('\n', " ");
    let first_number = |item: &str| -> Option<u8> {
        let token = item.split_whitespace().next()?;
        token
            .strip_suffix("+N")
            .unwrap_or(token)
            .trim_end_matches([',', '.', ':'])
            .parse()
            .ok()
    };
    let mut codes = BTreeSet::new();
    let mut monitor = BTreeSet::new();
    for sentence in paragraph.split(". ") {
        let sentence = sentence.trim();
        if let Some(rest) = sentence.strip_prefix("MONITOR follows Nagios:") {
            monitor.extend(rest.split(',').filter_map(first_number));
        } else {
            codes.extend(sentence.split(';').filter_map(first_number));
        }
    }
    (codes, monitor)
}

#[track_caller]
fn help_of(mut cmd: assert_cmd::Command, program: &str) -> String {
    let out = cmd.arg("--help").assert().success();
    String::from_utf8_lossy(&out.get_output().stdout).into_owned()
        + &format!("\n\n(from `{program} --help`)")
}

#[test]
fn container_help_names_the_documented_codes() {
    let help = help_of(common::container_cmd(), "container");
    let (codes, monitor) = help_codes(&help, "container");
    let docs = documented();
    assert_eq!(
        codes,
        numbers(&docs["container"]),
        "`container --help` (left) and the `container` table of docs/exit-codes.md (right) \
         name different codes:\n{help}"
    );
    assert_eq!(
        monitor,
        numbers(&docs["container MONITOR"]),
        "`container --help` (left) and the MONITOR table (right) differ:\n{help}"
    );
}

#[cfg(feature = "host")]
#[test]
fn waybill_help_names_the_documented_codes() {
    let docs = documented();
    let waybill_scopes: Vec<&String> = docs.keys().filter(|s| s.starts_with("waybill")).collect();
    assert!(
        !waybill_scopes.is_empty(),
        "docs/exit-codes.md has no `waybill ...` table"
    );
    // `waybill --help` covers every subcommand's codes.
    let all: BTreeSet<u8> = waybill_scopes
        .iter()
        .flat_map(|scope| numbers(&docs[*scope]))
        .collect();
    let help = help_of(common::waybill_cmd(), "waybill");
    assert_eq!(
        help_codes(&help, "waybill").0,
        all,
        "`waybill --help` (left) and the waybill tables of docs/exit-codes.md (right) differ:\n{help}"
    );
    // `waybill SUBCOMMAND --help` covers that subcommand's table.
    for scope in waybill_scopes {
        let words: Vec<&str> = scope.split_whitespace().skip(1).collect();
        let mut cmd = common::waybill_cmd();
        cmd.args(&words);
        let help = help_of(cmd, scope);
        assert_eq!(
            help_codes(&help, scope).0,
            numbers(&docs[scope]),
            "`{scope} --help` (left) and its table in docs/exit-codes.md (right) differ:\n{help}"
        );
    }
}

#[test]
fn stamping_guide_lists_the_same_codes_as_the_reference() {
    let guide = code_tables(&read("docs/stamping.md"));
    let docs = documented();
    assert_eq!(
        guide.len(),
        1,
        "docs/stamping.md should have one exit-code table"
    );
    assert_eq!(
        numbers(&guide[0].1),
        numbers(&docs["waybill stamp"]),
        "docs/stamping.md (left) and docs/exit-codes.md's `waybill stamp` table (right) differ"
    );
}

#[test]
fn the_parsers_read_what_they_are_meant_to() {
    // Guards the guard: a parser that reads nothing would pass the tests
    // above vacuously.
    let constants = exit_constants();
    assert_eq!(constants[""].get("USAGE"), Some(&64));
    assert_eq!(constants["nagios"].get("UNKNOWN"), Some(&3));
    let docs = documented();
    assert!(numbers(&docs["container"]).contains(&64), "{docs:?}");
    assert!(numbers(&docs["container"]).contains(&128), "{docs:?}");
    let (codes, monitor) = help_codes(
        "x\n\nExit codes: 0 ok; passed through;\n64 usage (a, b); 128+N killed.\n\
         MONITOR follows Nagios: 0 OK, 3 UNKNOWN.\nSee docs.\n\nafter",
        "example",
    );
    assert_eq!(codes, BTreeSet::from([0, 64, 128]));
    assert_eq!(monitor, BTreeSet::from([0, 3]));
}
