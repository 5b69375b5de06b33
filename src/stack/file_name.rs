//! Record file names: `NNNN-<project>.json`, where `NNNN` is the image's
//! position in the ancestry: at least four digits, at most `u32::MAX`.

/// The longest file name most Linux file systems allow (`NAME_MAX`).
/// The record's own limit on `project`
/// ([`crate::record::MAX_PROJECT_CHARS`]) keeps every record file name
/// within it.
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// What the leading digits of a file name say about its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    /// No digits before a `-`: the file has no position.
    Unnumbered,
    /// A position in the ancestry.
    At(u32),
    /// A digit run too large for a position. Filing refuses to go past
    /// it rather than wrap or ignore it.
    OutOfRange,
}

/// The leading digits before the first `-`, as in `0002-rbldnsd.json`.
pub fn prefix_of(file_name: &str) -> Prefix {
    let Some((digits, _)) = file_name.split_once('-') else {
        return Prefix::Unnumbered;
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Prefix::Unnumbered;
    }
    // All digits, so the only way to fail is to be too large.
    digits.parse().map_or(Prefix::OutOfRange, Prefix::At)
}

/// The ancestry position encoded in a record file name. A name with no
/// position, or one out of range, has none: it sorts after the numbered
/// records.
pub fn position_of(file_name: &str) -> Option<u32> {
    match prefix_of(file_name) {
        Prefix::At(position) => Some(position),
        Prefix::Unnumbered | Prefix::OutOfRange => None,
    }
}

/// The file name for a record at `position`: the project name reduced to
/// characters that are safe in a file name.
pub fn record_file_name(position: u32, project: &str) -> String {
    let slug: String = project
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug.trim_matches(|c| c == '-' || c == '.');
    let slug = if slug.is_empty() { "image" } else { slug };
    format!("{position:04}-{slug}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_come_from_leading_digits() {
        assert_eq!(position_of("0002-rbldnsd.json"), Some(2));
        assert_eq!(position_of("10000-x.json"), Some(10000));
        assert_eq!(position_of("web.json"), None);
        assert_eq!(position_of("v2-web.json"), None);
        assert_eq!(position_of("-web.json"), None);
    }

    #[test]
    fn positions_past_u32_are_out_of_range_not_wrapped() {
        assert_eq!(prefix_of("4294967295-x.json"), Prefix::At(u32::MAX));
        assert_eq!(prefix_of("4294967296-x.json"), Prefix::OutOfRange);
        assert_eq!(
            prefix_of("99999999999999999999999999-x.json"),
            Prefix::OutOfRange
        );
        assert_eq!(prefix_of("00000000000000000007-x.json"), Prefix::At(7));
        assert_eq!(prefix_of("x-y.json"), Prefix::Unnumbered);
        assert_eq!(position_of("4294967296-x.json"), None);
    }

    #[test]
    fn file_names_are_safe_and_ordered() {
        assert_eq!(record_file_name(1, "centos_base"), "0001-centos_base.json");
        assert_eq!(
            record_file_name(12, "../etc/passwd"),
            "0012-etc-passwd.json"
        );
        assert_eq!(record_file_name(3, "///"), "0003-image.json");
    }

    #[test]
    fn the_longest_project_fits_a_file_name_at_the_highest_position() {
        let project = "p".repeat(crate::record::MAX_PROJECT_CHARS);
        let name = record_file_name(u32::MAX, &project);
        assert_eq!(name.len(), MAX_FILE_NAME_BYTES);
    }
}
