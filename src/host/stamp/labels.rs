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

/// One fact, under its label key and its build-argument name.
struct Fact {
    label: &'static str,
    build_arg: &'static str,
    value: String,
}

/// The `ARG` names `--format build-args` writes, in output order.
pub const BUILD_ARG_NAMES: [&str; 7] = [
    "WAYBILL_CREATED",
    "WAYBILL_REVISION",
    "WAYBILL_SOURCE",
    "WAYBILL_VERSION",
    "WAYBILL_TITLE",
    "WAYBILL_STACK",
    "WAYBILL_RECORD",
];

fn facts(record: &Record, stack: &str, record_json: &str) -> [Fact; 7] {
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
    let [created_arg, revision_arg, source_arg, version_arg, title_arg, stack_arg, record_arg] =
        BUILD_ARG_NAMES;
    [
        Fact {
            label: "org.opencontainers.image.created",
            build_arg: created_arg,
            value: created,
        },
        Fact {
            label: "org.opencontainers.image.revision",
            build_arg: revision_arg,
            value: text(&record.gitref),
        },
        Fact {
            label: "org.opencontainers.image.source",
            build_arg: source_arg,
            value: text(&record.source_url),
        },
        Fact {
            label: "org.opencontainers.image.version",
            build_arg: version_arg,
            value: version,
        },
        Fact {
            label: "org.opencontainers.image.title",
            build_arg: title_arg,
            value: record.project.clone(),
        },
        Fact {
            label: STACK_LABEL,
            build_arg: stack_arg,
            value: stack.to_owned(),
        },
        Fact {
            label: RECORD_LABEL,
            build_arg: record_arg,
            value: record_json.to_owned(),
        },
    ]
}

/// `--label=KEY=VALUE` lines.
pub fn labels(record: &Record, stack: &str, record_json: &str) -> String {
    facts(record, stack, record_json)
        .iter()
        .map(|f| format!("--label={}={}\n", f.label, one_line(&f.value)))
        .collect()
}

/// `--build-arg=NAME=VALUE` lines.
pub fn build_args(record: &Record, stack: &str, record_json: &str) -> String {
    facts(record, stack, record_json)
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

    #[test]
    fn labels_are_one_argument_per_line_with_oci_keys() {
        let out = labels(&record(), "[{}]", "{}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 7);
        assert!(lines.iter().all(|l| l.starts_with("--label=")));
        assert!(lines.contains(&"--label=org.opencontainers.image.created=2015-03-30T06:02:10Z"));
        assert!(lines.contains(&"--label=org.opencontainers.image.version=v1.0-2-gabcdef0"));
        // Written empty so a base image's value is not inherited.
        assert!(lines.contains(&"--label=org.opencontainers.image.source="));
        assert!(lines.contains(&"--label=io.waybill.stack=[{}]"));
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
        assert_eq!(documented.len(), 7, "the ARG table in docs/stamping.md");

        // Every value distinct, so a build argument paired with the wrong
        // label cannot pass.
        let record = Record {
            source_url: Some("https://git.example/o/web".into()),
            ..record()
        };
        let (stack, own) = (r#"[{"project":"web"}]"#, r#"{"project":"web"}"#);
        let labels = labels(&record, stack, own);
        let args = build_args(&record, stack, own);
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
        assert_eq!(values.len(), 7, "values are not distinct: {args}");
    }

    #[test]
    fn version_falls_back_to_a_tag_at_head() {
        let r = Record {
            git_describe: None,
            git_tags: Some(vec!["v2".into()]),
            ..record()
        };
        assert!(labels(&r, "[]", "{}").contains("org.opencontainers.image.version=v2\n"));
    }

    #[test]
    fn newlines_never_split_an_argument() {
        assert_eq!(one_line("a\nb\r"), "a b ");
    }
}
