//! How long ago something happened, in its largest whole unit, for the
//! listings of `waybill ls` and the fleet page alike.

/// A duration in its largest whole unit: `45s`, `12m`, `5h`, `3d`.
/// A negative one (a clock ahead of ours) is `0s`.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_shown_in_their_largest_whole_unit() {
        assert_eq!(age(-5), "0s");
        assert_eq!(age(90), "90s");
        assert_eq!(age(600), "10m");
        assert_eq!(age(3 * 3600), "3h");
        assert_eq!(age(5 * 86400), "5d");
    }
}
