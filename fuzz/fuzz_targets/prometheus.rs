//! The Prometheus text reader, `prometheus::validate` and its `Parser`,
//! on arbitrary bytes: what a METRICS method prints, written by whoever
//! built the image.
//!
//! It must never panic. The parser and the validator must agree: when
//! `validate` accepts a text, the parser yields no bad line, and every
//! sample's label values read back through the format's escapes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use waybill::prometheus::{validate, Item, Parser};

fuzz_target!(|bytes: &[u8]| {
    let valid = validate(bytes).is_ok();
    let mut lines = 0usize;
    for line in Parser::new(bytes) {
        match line {
            Ok(line) => {
                lines += 1;
                if let Item::Sample(sample) = line.item {
                    for label in sample.labels.iter() {
                        let _ = label.value();
                    }
                }
            }
            Err(bad) => {
                assert!(
                    !valid,
                    "validate accepted a text whose line {} the parser refuses: {}",
                    bad.line, bad.reason
                );
                assert!(bad.line >= 1, "line numbers start at 1");
                return;
            }
        }
    }
    assert!(lines <= bytes.len() + 1, "more lines than bytes");
});
