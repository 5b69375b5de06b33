//! A record's facts as image labels (`--format labels`) and as build
//! arguments (`--format build-args`), one docker CLI argument per line.
//!
//! The OCI annotation keys map onto record fields (docs/stamping.md has
//! the table). Every OCI label is always written, empty when the record
//! has no value, because labels are inherited: a base image's
//! `org.opencontainers.image.source` must not survive into a derived
//! image that has none. Every value is single-line, so
//! `mapfile -t args < <(waybill stamp ... --format labels)` yields one
//! argument per label with no quoting. This module formats only; the
//! record and the stack come from [`super`].

use crate::record::Record;
use chrono::{DateTime, SecondsFormat};

use crate::record::stack_label::{RECORD_LABEL, STACK_LABEL};

/// What the labels are made from.
pub struct Facts<'a> {
    pub record: &'a Record,
    /// `--url`; the record's `source_url` when `None`.
    pub url: Option<&'a str>,
    /// The `io.waybill.stack` label's value.
    pub stack: &'a str,
    /// The `io.waybill.record` label's value.
    pub record_json: &'a str,
}

/// One fact, under its label key and its build-argument name.
struct Fact {
    label: &'static str,
    build_arg: &'static str,
    value: String,
}

/// The `ARG` names `--format build-args` writes, in output order.
pub const BUILD_ARG_NAMES: [&str; 10] = [
    "WAYBILL_CREATED",
    "WAYBILL_REVISION",
    "WAYBILL_SOURCE",
    "WAYBILL_URL",
    "WAYBILL_VERSION",
    "WAYBILL_TITLE",
    "WAYBILL_DESCRIPTION",
    "WAYBILL_LICENSES",
    "WAYBILL_STACK",
    "WAYBILL_RECORD",
];

/// The label keys, in the same order as [`BUILD_ARG_NAMES`]: the eight
/// OCI annotations docker/metadata-action writes, then waybill's own.
const LABEL_KEYS: [&str; 10] = [
    "org.opencontainers.image.created",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.source",
    "org.opencontainers.image.url",
    "org.opencontainers.image.version",
    "org.opencontainers.image.title",
    "org.opencontainers.image.description",
    "org.opencontainers.image.licenses",
    STACK_LABEL,
    RECORD_LABEL,
];

fn facts(facts: &Facts<'_>) -> [Fact; 10] {
    let record = facts.record;
    let created = record
        .build_time
        .and_then(|t| DateTime::from_timestamp(t.epoch(), 0))
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default();
    let version = record
        .git_describe
        .clone()
        .or_else(|| record.git_tags.as_ref().and_then(|t| t.first().cloned()))
        .unwrap_or_default();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    // As docker/metadata-action: the repository's web page, which is
    // also the source.
    let url = facts
        .url
        .map(str::to_owned)
        .unwrap_or_else(|| text(&record.source_url));
    let values = [
        created,
        text(&record.gitref),
        text(&record.source_url),
        url,
        version,
        record.project.clone(),
        text(&record.description),
        text(&record.licenses),
        facts.stack.to_owned(),
        facts.record_json.to_owned(),
    ];
    let mut values = values.into_iter();
    std::array::from_fn(|i| Fact {
        label: LABEL_KEYS[i],
        build_arg: BUILD_ARG_NAMES[i],
        value: values.next().unwrap_or_default(),
    })
}

/// `--label=KEY=VALUE` lines.
pub fn labels(f: &Facts<'_>) -> String {
    facts(f)
        .iter()
        .map(|f| format!("--label={}={}\n", f.label, one_line(&f.value)))
        .collect()
}

/// `--build-arg=NAME=VALUE` lines.
pub fn build_args(f: &Facts<'_>) -> String {
    facts(f)
        .iter()
        .map(|f| format!("--build-arg={}={}\n", f.build_arg, one_line(&f.value)))
        .collect()
}

/// Values are single-line by construction (validated names, compact
/// JSON, git ref names); this is the last guard, so a line of output is
/// always exactly one argument.
fn one_line(value: &str) -> String {
    value.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::BuildTime;

    fn record() -> Record {
        Record {
            project: "web".into(),
            build_time: BuildTime::from_epoch(1427695330),
            gitref: Some("a".repeat(40)),
            git_describe: Some("v1.0-2-gabcdef0".into()),
            ..Record::default()
        }
    }

    fn of<'a>(record: &'a Record, stack: &'a str, own: &'a str) -> Facts<'a> {
        Facts {
            record,
            url: None,
            stack,
            record_json: own,
        }
    }

    #[test]
    fn labels_are_one_argument_per_line_with_oci_keys() {
        let out = labels(&of(&record(), "[{}]", "{}"));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 10);
        assert!(lines.iter().all(|l| l.starts_with("--label=")));
        assert!(lines.contains(&"--label=org.opencontainers.image.created=2015-03-30T06:02:10Z"));
        assert!(lines.contains(&"--label=org.opencontainers.image.version=v1.0-2-gabcdef0"));
        // Written empty so a base image's value is not inherited.
        assert!(lines.contains(&"--label=org.opencontainers.image.source="));
        assert!(lines.contains(&"--label=io.waybill.stack=[{}]"));
        assert!(lines.contains(&"--label=org.opencontainers.image.description="));
        assert!(lines.contains(&"--label=org.opencontainers.image.licenses="));
    }

    #[test]
    fn url_is_the_source_unless_given() {
        let r = Record {
            source_url: Some("https://git.example/o/web".into()),
            ..record()
        };
        let out = labels(&of(&r, "[]", "{}"));
        assert!(out.contains("--label=org.opencontainers.image.url=https://git.example/o/web\n"));
        let given = Facts {
            url: Some("https://web.example/"),
            ..of(&r, "[]", "{}")
        };
        assert!(
            labels(&given).contains("--label=org.opencontainers.image.url=https://web.example/\n")
        );
    }

    /// `(KEY, VALUE)` of each `PREFIXKEY=VALUE` line, in order.
    fn pairs<'a>(out: &'a str, prefix: &str) -> Vec<(&'a str, &'a str)> {
        out.lines()
            .map(|line| {
                let rest = line.strip_prefix(prefix).expect("the line's prefix");
                rest.split_once('=').expect("KEY=VALUE")
            })
            .collect()
    }

    // Regression: this test compared the output's names with the constant
    // that produced them, so it could not fail. It now checks the names
    // against the table users read, and that each build argument carries
    // the value of the label the table says it is for.
    #[test]
    fn build_args_carry_each_labels_value_under_the_documented_name() {
        const DOCS: &str = include_str!("../../../docs/stamping.md");
        let documented: Vec<(&str, &str)> = DOCS
            .lines()
            .filter(|line| line.starts_with("| `WAYBILL_"))
            .map(|line| {
                let cells: Vec<&str> = line
                    .split('|')
                    .map(|c| c.trim().trim_matches('`'))
                    .collect();
                (cells[1], cells[2])
            })
            .collect();
        assert_eq!(documented.len(), 10, "the ARG table in docs/stamping.md");

        // Every value distinct, so a build argument paired with the wrong
        // label cannot pass.
        let record = Record {
            source_url: Some("https://git.example/o/web".into()),
            description: Some("A web server".into()),
            licenses: Some("MIT OR Apache-2.0".into()),
            ..record()
        };
        let (stack, own) = (r#"[{"project":"web"}]"#, r#"{"project":"web"}"#);
        let facts = Facts {
            url: Some("https://web.example/"),
            ..of(&record, stack, own)
        };
        let labels = labels(&facts);
        let args = build_args(&facts);
        let label_values = pairs(&labels, "--label=");
        let arg_values = pairs(&args, "--build-arg=");

        let arg_names: Vec<&str> = arg_values.iter().map(|(name, _)| *name).collect();
        let documented_names: Vec<&str> = documented.iter().map(|(name, _)| *name).collect();
        assert_eq!(arg_names, documented_names);
        for (arg, label) in documented {
            let label_value = label_values.iter().find(|(key, _)| *key == label);
            let arg_value = arg_values.iter().find(|(name, _)| *name == arg);
            assert_eq!(
                arg_value.map(|(_, v)| v),
                label_value.map(|(_, v)| v),
                "{arg} should carry the value of {label}"
            );
        }
        let values: std::collections::BTreeSet<&str> =
            arg_values.iter().map(|(_, value)| *value).collect();
        assert_eq!(values.len(), 10, "values are not distinct: {args}");
    }

    #[test]
    fn version_falls_back_to_a_tag_at_head() {
        let r = Record {
            git_describe: None,
            git_tags: Some(vec!["v2".into()]),
            ..record()
        };
        assert!(labels(&of(&r, "[]", "{}")).contains("org.opencontainers.image.version=v2\n"));
    }

    #[test]
    fn newlines_never_split_an_argument() {
        assert_eq!(one_line("a\nb\r"), "a b ");
    }
}
