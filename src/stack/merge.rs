//! The effective metadata: every good record folded together, leaf last.
//!
//! A field set by a later (more derived) image replaces the same field of
//! an earlier one. `user_metadata` is the exception: its objects are merged
//! key by key, so a service adds to its base's metadata instead of
//! wiping it.

use super::Stack;
use serde_json::{Map, Value};

impl Stack {
    /// The merged record, as `container --metadata` prints it.
    pub fn merged(&self) -> Map<String, Value> {
        let mut merged = Map::new();
        for (_, record) in self.images() {
            for (key, value) in record.to_json() {
                match (merged.get_mut(&key), value) {
                    (Some(Value::Object(old)), Value::Object(new)) if key == "user_metadata" => {
                        merge_objects(old, new)
                    }
                    (_, value) => {
                        merged.insert(key, value);
                    }
                }
            }
        }
        merged
    }
}

/// Deep merge: objects merge key by key, anything else is replaced.
fn merge_objects(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Object(old)), Value::Object(new)) => merge_objects(old, new),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}
