//! The seed format's `build_time`: `"YYYY-MM-DD HH:MM:SS"` in UTC.
//!
//! Parsed and printed by hand rather than through chrono's strftime
//! machinery: this one fixed layout does not need it, and leaving it out
//! keeps the static `container` binary inside its size budget. The year
//! has four digits, so a `BuildTime` is always between
//! [`EARLIEST_BUILD_EPOCH`] and [`LATEST_BUILD_EPOCH`].

use super::limits::{EARLIEST_BUILD_EPOCH, LATEST_BUILD_EPOCH};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde::{Serialize, Serializer};
use std::fmt;

/// A UTC wall-clock time with second precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BuildTime(NaiveDateTime);

impl BuildTime {
    /// The times a `BuildTime` can hold, for messages.
    pub const RANGE: &'static str = "0000-01-01 00:00:00 to 9999-12-31 23:59:59 UTC";

    /// Parses `"2015-03-30 06:02:10"`.
    pub fn parse(text: &str) -> Result<BuildTime, String> {
        let bad =
            |why: &str| format!("`{text}` is not a time in the form YYYY-MM-DD HH:MM:SS ({why})");
        let bytes = text.as_bytes();
        let layout_ok = bytes.len() == 19
            && bytes.iter().enumerate().all(|(i, &b)| match i {
                4 | 7 => b == b'-',
                10 => b == b' ',
                13 | 16 => b == b':',
                _ => b.is_ascii_digit(),
            });
        if !layout_ok {
            return Err(bad("wrong layout"));
        }
        // The layout check above guarantees ASCII digits in each range.
        let number = |range: std::ops::Range<usize>| -> u32 {
            text[range]
                .bytes()
                .fold(0, |n, b| n * 10 + u32::from(b - b'0'))
        };
        NaiveDate::from_ymd_opt(number(0..4) as i32, number(5..7), number(8..10))
            .and_then(|date| date.and_hms_opt(number(11..13), number(14..16), number(17..19)))
            .map(BuildTime)
            .ok_or_else(|| bad("no such date or time"))
    }

    /// The time `epoch` seconds after 1970-01-01 00:00:00 UTC; `None`
    /// outside [`BuildTime::RANGE`], where the year would not fit the
    /// layout (a year-10000 time would print as a `build_time` that no
    /// reader accepts).
    pub fn from_epoch(epoch: i64) -> Option<BuildTime> {
        if !(EARLIEST_BUILD_EPOCH..=LATEST_BUILD_EPOCH).contains(&epoch) {
            return None;
        }
        DateTime::<Utc>::from_timestamp(epoch, 0).map(|t| BuildTime(t.naive_utc()))
    }

    /// Seconds since the epoch.
    pub fn epoch(self) -> i64 {
        self.0.and_utc().timestamp()
    }
}

impl fmt::Display for BuildTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (date, time) = (self.0.date(), self.0.time());
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            date.year(),
            date.month(),
            date.day(),
            time.hour(),
            time.minute(),
            time.second()
        )
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
    fn epochs_map_to_times_only_within_four_digit_years() {
        let first = BuildTime::from_epoch(EARLIEST_BUILD_EPOCH).unwrap();
        assert_eq!(first.to_string(), "0000-01-01 00:00:00");
        assert_eq!(BuildTime::parse("0000-01-01 00:00:00"), Ok(first));
        let last = BuildTime::from_epoch(LATEST_BUILD_EPOCH).unwrap();
        assert_eq!(last.to_string(), "9999-12-31 23:59:59");
        assert_eq!(last.epoch(), LATEST_BUILD_EPOCH);
        // Regression: year 10000 printed as `10000-01-01 00:00:00`, which
        // the record reader then refused.
        assert_eq!(BuildTime::from_epoch(LATEST_BUILD_EPOCH + 1), None);
        assert_eq!(BuildTime::from_epoch(EARLIEST_BUILD_EPOCH - 1), None);
        assert_eq!(BuildTime::from_epoch(i64::MAX), None);
    }

    #[test]
    fn rejects_other_layouts() {
        for bad in [
            "2015-03-30T06:02:10Z",
            "2015-03-30",
            "yesterday",
            "",
            "2015-02-30 06:02:10",
            "2015-03-30 24:00:00",
            "2015-03-30 06:02:10 ",
            "+015-03-30 06:02:10",
            "10000-01-01 00:00:00",
        ] {
            assert!(BuildTime::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
