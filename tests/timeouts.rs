//! Every process a test runs has a deadline, so a hung binary fails its
//! test instead of hanging CI. This guards the easy way to forget one:
//! an assert_cmd command made directly, without `.timeout()`.
//!
//! assert_cmd commands come from `common::timed` (or `container_cmd`,
//! `waybill_cmd`), which preset the timeout; std commands go through
//! `common::deadline` (or the Docker harness's `run`), which kill past a
//! deadline. This test reads the test sources; it does not run them.

use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every .rs file under tests/, but this one and the helper that makes
/// timed commands.
fn test_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![Path::new(ROOT).join("tests")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("read a tests directory") {
            let path = entry.expect("read a tests directory").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let exempt = [
        Path::new(ROOT).join("tests/timeouts.rs"),
        Path::new(ROOT).join("tests/common/mod.rs"),
    ];
    files.retain(|f| !exempt.contains(f));
    files.sort();
    files
}

#[test]
fn assert_cmd_commands_are_made_with_a_timeout() {
    let mut problems = Vec::new();
    for file in test_sources() {
        let text = fs::read_to_string(&file).expect("read a test source");
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let direct = code.contains("assert_cmd::Command::new(")
                || code.contains("Command::cargo_bin(")
                || code.contains("cargo_bin_cmd!(");
            // The whole statement counts, as rustfmt spreads a chain over
            // lines: from the command to the `;` that ends it.
            let statement: String = lines[index..]
                .iter()
                .map(|l| l.split("//").next().unwrap_or(""))
                .scan(false, |ended, l| {
                    if *ended {
                        return None;
                    }
                    *ended = l.contains(';');
                    Some(l)
                })
                .collect();
            if direct && !statement.contains(".timeout(") {
                problems.push(format!(
                    "{}:{}: {}",
                    file.strip_prefix(ROOT).unwrap_or(&file).display(),
                    index + 1,
                    line.trim()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "assert_cmd commands made without a timeout; use common::timed(PROGRAM), \
         common::container_cmd() or common::waybill_cmd() (tests/common/mod.rs):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_guard_sees_the_test_sources() {
    let files = test_sources();
    assert!(
        files.iter().any(|f| f.ends_with("container_actions.rs")),
        "{files:?}"
    );
}
