//! The effective metadata of a stack: its records folded leaf first (see
//! [`Record::fill_from`]).

use super::Stack;
use crate::record::Record;

impl Stack {
    /// The merged record, as `container --metadata` prints it; `None`
    /// when no record in the stack could be read.
    pub fn merged(&self) -> Option<Record> {
        let mut records = self.images().rev().map(|(_, record)| record);
        let mut merged = records.next()?.clone();
        for older in records {
            merged.fill_from(older);
        }
        Some(merged)
    }
}
