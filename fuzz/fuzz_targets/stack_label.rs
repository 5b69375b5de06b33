//! The `io.waybill.stack` label reader, `record::stack_label::parse`, on
//! arbitrary text: the label of a base image, which anyone may have
//! built.
//!
//! It must never panic. A stack it accepts, rendered again the way
//! `waybill stamp` writes a derived image's label, is accepted again and
//! holds the same records.

#![no_main]

use libfuzzer_sys::fuzz_target;
use waybill::record::stack_label::{parse, render};

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(records) = parse(text) else {
        return;
    };
    let Some((last, base)) = records.split_last() else {
        return;
    };
    let label = render(base, last);
    let again = parse(&label)
        .unwrap_or_else(|e| panic!("a rendered stack is refused: {e}\nlabel: {label}"));
    let json = |records: &[waybill::record::Record]| -> Vec<_> {
        records.iter().map(|r| r.to_json()).collect()
    };
    assert_eq!(
        json(&again),
        json(&records),
        "the round trip changed the stack"
    );
});
