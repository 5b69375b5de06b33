//! Folding an older image's record under a newer one's: the effective
//! metadata that `container --metadata` prints.
//!
//! The leaf's value of every field wins; a field the leaf leaves unset is
//! taken from the nearest ancestor that sets it. `user_metadata` objects
//! and unknown fields are merged key by key rather than replaced, so a
//! service adds to its base's metadata instead of wiping it.

use super::Record;
use serde_json::{Map, Value};

impl Record {
    /// Fills every field this record leaves unset from `older`, an
    /// ancestor's record. Called leaf first, walking towards the base.
    pub fn fill_from(&mut self, older: &Record) {
        macro_rules! fill {
            ($($field:ident),* $(,)?) => {
                $(if self.$field.is_none() {
                    self.$field.clone_from(&older.$field);
                })*
            };
        }
        fill!(
            schema_version,
            image_name,
            image_tag_names,
            build_time,
            build_time_stamp,
            gitref,
            git_branch,
            git_dirty,
            git_describe,
            git_tags,
            git_commit_time_stamp,
            git_shallow,
            ci,
            ci_system,
            build_cause,
            build_tag,
            build_id,
            build_url,
            source_url,
            description,
            licenses,
            start_method,
            update_method,
            validate_method,
            monitor_method,
            metrics_method,
            update_timeout,
            validate_timeout,
            monitor_timeout,
            metrics_timeout,
            validate,
        );
        match (&mut self.user_metadata, &older.user_metadata) {
            (Some(newer), Some(older)) => fill_object(newer, older),
            (None, Some(older)) => self.user_metadata = Some(older.clone()),
            _ => {}
        }
        for (key, value) in &older.unknown {
            self.unknown
                .entry(key.clone())
                .or_insert_with(|| value.clone());
        }
    }
}

/// Deep fill: keys missing from `newer` come from `older`; where both
/// hold objects, recurse; otherwise `newer` wins.
fn fill_object(newer: &mut Map<String, Value>, older: &Map<String, Value>) {
    for (key, old) in older {
        match (newer.get_mut(key), old) {
            (Some(Value::Object(new)), Value::Object(old)) => fill_object(new, old),
            (Some(_), _) => {}
            (None, old) => {
                newer.insert(key.clone(), old.clone());
            }
        }
    }
}
