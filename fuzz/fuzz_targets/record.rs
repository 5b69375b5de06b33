//! The record reader, `Record::from_slice`, on arbitrary bytes: the
//! bytes of a file in /etc/waybill/metadata.d, written by whoever built
//! an ancestor image.
//!
//! It must never panic. A record it accepts must survive a round trip:
//! its own JSON (what `--metadata` prints and `stamp` writes) is accepted
//! again and reads back the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use waybill::record::Record;

fuzz_target!(|bytes: &[u8]| {
    let Ok(record) = Record::from_slice(bytes) else {
        return;
    };
    let json = record.to_json();
    let text = serde_json::to_vec(&json).expect("a record's JSON serializes");
    let again = Record::from_slice(&text).unwrap_or_else(|e| {
        panic!(
            "a record's own JSON is refused: {e}\njson: {}",
            String::from_utf8_lossy(&text)
        )
    });
    assert_eq!(again.to_json(), json, "the round trip changed the record");
});
