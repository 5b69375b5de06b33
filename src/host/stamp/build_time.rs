//! The build time a stamp records: `SOURCE_DATE_EPOCH` when set, else the
//! clock.
//!
//! Follows the reproducible-builds specification: the variable holds a
//! decimal count of seconds since the epoch, and a malformed value is an
//! error, never silently replaced by the clock. An empty value counts as
//! unset, as `${SOURCE_DATE_EPOCH:-...}` in a shell treats it. A time
//! after 9999-12-31 23:59:59 UTC is refused too: a record's `build_time`
//! has four digits for the year ([`BuildTime::RANGE`]). The clock is a
//! seam so tests control it; this module does not format labels.

use crate::host::env::Env;
use crate::host::error::HostError;
use crate::record::BuildTime;

/// The variable the reproducible-builds specification defines.
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// Where "now" comes from.
pub trait Clock {
    /// Seconds since 1970-01-01 00:00:00 UTC.
    fn now(&self) -> i64;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        chrono::Utc::now().timestamp()
    }
}

/// The build time: `SOURCE_DATE_EPOCH` if set, else `clock`.
pub fn build_time(env: &Env, clock: &dyn Clock) -> Result<BuildTime, HostError> {
    let malformed = |value: &str, reason: &str| HostError::SourceDateEpoch {
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    match env.raw(SOURCE_DATE_EPOCH) {
        None | Some("") => {
            let now = clock.now();
            BuildTime::from_epoch(now).ok_or_else(|| HostError::Clock { epoch: now })
        }
        Some(value) => {
            if !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed(
                    value,
                    "expected a decimal number of seconds since 1970-01-01 00:00:00 UTC",
                ));
            }
            value
                .parse::<i64>()
                .ok()
                .and_then(BuildTime::from_epoch)
                .ok_or_else(|| {
                    malformed(
                        value,
                        &format!(
                            "the time is outside {}, the range a record's `build_time` can hold",
                            BuildTime::RANGE
                        ),
                    )
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(i64);
    impl Clock for Fixed {
        fn now(&self) -> i64 {
            self.0
        }
    }

    fn env(value: Option<&str>) -> Env {
        value.map(|v| (SOURCE_DATE_EPOCH, v)).into_iter().collect()
    }

    #[test]
    fn source_date_epoch_wins_over_the_clock() {
        let time = build_time(&env(Some("1427695330")), &Fixed(5)).unwrap();
        assert_eq!(time.to_string(), "2015-03-30 06:02:10");
    }

    #[test]
    fn the_last_second_of_year_9999_is_usable() {
        let time = build_time(&env(Some("253402300799")), &Fixed(5)).unwrap();
        assert_eq!(time.to_string(), "9999-12-31 23:59:59");
    }

    #[test]
    fn unset_or_empty_uses_the_clock() {
        for e in [env(None), env(Some(""))] {
            assert_eq!(build_time(&e, &Fixed(86400)).unwrap().epoch(), 86400);
        }
    }

    #[test]
    fn malformed_values_are_errors_naming_the_variable() {
        for bad in [
            "yesterday",
            "-1",
            "1.5",
            " 12",
            "1e9",
            "99999999999999999999",
            // Year 10000: `build_time` has four digits for the year.
            "253402300800",
        ] {
            let err = build_time(&env(Some(bad)), &Fixed(0)).unwrap_err();
            assert!(err.to_string().contains(SOURCE_DATE_EPOCH), "{err}");
        }
    }
}
