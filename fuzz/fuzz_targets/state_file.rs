//! The runtime state file reader, `StateDir::read` and `update`, on
//! arbitrary bytes in `state.json`: a file in the container's writable
//! layer, which any process in the container may have written.
//!
//! It must never panic. Reading never changes the file; an update always
//! leaves a state file that reads back (a corrupt one is moved aside).

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;
use waybill::container::state::StateDir;

/// One scratch state directory per fuzzing process.
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("waybill-fuzz-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("make a scratch state directory");
        dir
    })
}

fuzz_target!(|bytes: &[u8]| {
    let dir = dir();
    // Quarantined copies of earlier inputs would pile up: start clean.
    for entry in std::fs::read_dir(dir).expect("list the scratch directory") {
        let _ = std::fs::remove_file(entry.expect("an entry").path());
    }
    let state_file = dir.join("state.json");
    std::fs::write(&state_file, bytes).expect("write state.json");
    let state = StateDir::new(dir);
    let _ = state.read();
    assert_eq!(
        std::fs::read(&state_file).expect("state.json is still there"),
        bytes,
        "reading changed the state file"
    );
    state.update_or_warn("a fuzzed start", |s| {
        let _ = s.count_start(1);
    });
    assert!(
        matches!(state.read(), Ok(Some(_))),
        "after an update the state file does not read back"
    );
});
