//! The seed format's `build_time`: `"YYYY-MM-DD HH:MM:SS"` in UTC.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Serialize, Serializer};
use std::fmt;

/// The layout of `build_time` and of every human-readable time waybill prints.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// A UTC wall-clock time with second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BuildTime(NaiveDateTime);

impl BuildTime {
    /// Parses `"2015-03-30 06:02:10"`.
    pub fn parse(text: &str) -> Result<BuildTime, String> {
        NaiveDateTime::parse_from_str(text, FORMAT)
            .map(BuildTime)
            .map_err(|e| format!("`{text}` is not a time in the form YYYY-MM-DD HH:MM:SS ({e})"))
    }

    /// The time `epoch` seconds after 1970-01-01 00:00:00 UTC.
    pub fn from_epoch(epoch: i64) -> Option<BuildTime> {
        DateTime::<Utc>::from_timestamp(epoch, 0).map(|t| BuildTime(t.naive_utc()))
    }

    /// Seconds since the epoch.
    pub fn epoch(self) -> i64 {
        self.0.and_utc().timestamp()
    }
}

impl fmt::Display for BuildTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format(FORMAT))
    }
}

impl Serialize for BuildTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_time_round_trips_with_its_epoch() {
        let time = BuildTime::parse("2015-03-30 06:02:10").unwrap();
        assert_eq!(time.epoch(), 1427695330);
        assert_eq!(time.to_string(), "2015-03-30 06:02:10");
        assert_eq!(BuildTime::from_epoch(1427695330), Some(time));
    }

    #[test]
    fn rejects_other_layouts() {
        for bad in ["2015-03-30T06:02:10Z", "2015-03-30", "yesterday", ""] {
            assert!(BuildTime::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
