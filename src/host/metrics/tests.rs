//! The merge on tricky inputs. Each expected output is written out in
//! full: the merged text is a format other programs read.

use super::*;
use crate::report::{ActionResult, Outcome};
use std::collections::BTreeMap;

fn origin(engine: &str, container: &str) -> Origin {
    Origin {
        engine: engine.into(),
        container: container.into(),
        project: Some("shop".into()),
        image: "shop/web:1".into(),
    }
}

fn merge(inputs: &[(&Origin, &str)]) -> Merged {
    let mut merger = Merger::new();
    for (origin, text) in inputs {
        merger.add(origin, text.as_bytes());
    }
    merger.finish()
}

/// The merged text must itself be a valid exposition.
fn assert_valid(merged: &Merged) {
    if let Err(bad) = crate::prometheus::validate(merged.text.as_bytes()) {
        panic!(
            "merged output invalid at line {}: {}\n{}",
            bad.line, bad.reason, merged.text
        );
    }
}

const L: &str = "engine=\"e1\",container=\"web-1\",project=\"shop\",image=\"shop/web:1\"";
const L2: &str = "engine=\"e1\",container=\"web-2\",project=\"shop\",image=\"shop/web:1\"";

#[test]
fn every_sample_gets_the_origin_labels_and_help_and_type_appear_once() {
    let (a, b) = (origin("e1", "web-1"), origin("e1", "web-2"));
    let text = "# HELP hits_total Hits.\n# TYPE hits_total counter\nhits_total{path=\"/\"} 3 1700000000000\n";
    let merged = merge(&[(&a, text), (&b, text)]);
    assert!(merged.problems.is_empty(), "{:?}", merged.problems);
    assert_eq!(
        merged.text,
        format!(
            "# HELP hits_total Hits.\n# TYPE hits_total counter\n\
             hits_total{{{L},path=\"/\"}} 3 1700000000000\n\
             hits_total{{{L2},path=\"/\"}} 3 1700000000000\n"
        )
    );
    assert_valid(&merged);
}

#[test]
fn origin_values_are_escaped() {
    let odd = Origin {
        engine: "tcp://h:2375".into(),
        container: "a\"b\\c\nd".into(),
        project: None,
        image: "img".into(),
    };
    let merged = merge(&[(&odd, "up 1\n")]);
    assert_eq!(
        merged.text,
        "# TYPE up untyped\nup{engine=\"tcp://h:2375\",container=\"a\\\"b\\\\c\\nd\",project=\"\",image=\"img\"} 1\n"
    );
    assert_valid(&merged);
    let parsed = crate::prometheus::Parser::new(merged.text.as_bytes())
        .filter_map(|l| match l.unwrap().item {
            crate::prometheus::Item::Sample(s) => {
                Some(s.labels.iter().nth(1).unwrap().value().into_owned())
            }
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(parsed, ["a\"b\\c\nd"]);
}

#[test]
fn a_label_of_the_same_name_is_kept_as_exported() {
    let a = origin("e1", "web-1");
    let text = "x{engine=\"nginx\",image=\"\",le_x=\"a\\\"b\",exported_engine=\"old\",container=\"c\"} 1\n";
    let merged = merge(&[(&a, text)]);
    // `image=""` is no label to Prometheus and is dropped; `engine`
    // finds `exported_engine` taken and moves one prefix further;
    // shorter names are placed first, as Prometheus does.
    assert_eq!(
        merged.text,
        format!(
            "# TYPE x untyped\nx{{{L},le_x=\"a\\\"b\",exported_engine=\"old\",\
             exported_exported_engine=\"nginx\",exported_container=\"c\"}} 1\n"
        )
    );
    assert_valid(&merged);
}

#[test]
fn a_type_conflict_leaves_out_the_later_containers_family_only() {
    let (a, b) = (origin("e1", "web-1"), origin("e1", "web-2"));
    let merged = merge(&[
        (&a, "# TYPE q gauge\nq 1\nother 2\n"),
        (&b, "# TYPE q counter\nq 5\nother 3\n"),
    ]);
    assert_eq!(
        merged.text,
        format!(
            "# TYPE q gauge\nq{{{L}}} 1\n# TYPE other untyped\nother{{{L}}} 2\nother{{{L2}}} 3\n"
        )
    );
    assert_eq!(
        merged.problems,
        [MergeProblem {
            engine: "e1".into(),
            container: "web-2".into(),
            kind: ProblemKind::TypeConflict {
                family: "q".into(),
                found: "counter",
                kept: "gauge",
                kept_by: "e1/web-1".into(),
            },
        }]
    );
    assert_eq!(
        merged.problems[0].to_string(),
        "e1/web-2: family `q` left out: it has TYPE counter here, but e1/web-1 gave it TYPE gauge"
    );
}

#[test]
fn a_missing_type_is_untyped_and_conflicts_with_a_declared_one() {
    let (a, b) = (origin("e1", "web-1"), origin("e1", "web-2"));
    let merged = merge(&[(&a, "q 1\n"), (&b, "# TYPE q gauge\nq 2\n")]);
    assert_eq!(merged.text, format!("# TYPE q untyped\nq{{{L}}} 1\n"));
    assert_eq!(merged.problems.len(), 1, "{:?}", merged.problems);
}

#[test]
fn an_unparsable_exposition_is_left_out_entirely() {
    let (a, b) = (origin("e1", "web-1"), origin("e1", "web-2"));
    let merged = merge(&[
        (&a, "good 1\n"),
        (&b, "good 2\nfine 3\nbroken{ 4\nlater 5\n"),
    ]);
    assert_eq!(merged.text, format!("# TYPE good untyped\ngood{{{L}}} 1\n"));
    assert!(
        matches!(&merged.problems[..], [MergeProblem { container, kind: ProblemKind::Unparsable { line: 3, .. }, .. }] if container == "web-2"),
        "{:?}",
        merged.problems
    );
}

#[test]
fn what_a_reader_would_refuse_is_unparsable_too() {
    let a = origin("e1", "web-1");
    for (text, line, reason) in [
        ("# TYPE a gauge\n# TYPE a gauge\na 1\n", 2, "second TYPE"),
        ("a 1\n# TYPE a gauge\n", 2, "after its samples"),
        (
            "a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n",
            2,
            "appears twice",
        ),
        ("a{x=\"\"} 1\na 2\n", 2, "appears twice"),
    ] {
        let merged = merge(&[(&a, text)]);
        assert_eq!(merged.text, "", "{text}");
        match &merged.problems[..] {
            [MergeProblem {
                kind: ProblemKind::Unparsable { line: l, reason: r },
                ..
            }] => {
                assert_eq!(*l, line, "{text}");
                assert!(r.contains(reason), "{text}: {r}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn histogram_and_summary_series_stay_under_their_family() {
    let (a, b) = (origin("e1", "web-1"), origin("e1", "web-2"));
    let histogram = "\
# HELP lat_seconds Latency.
# TYPE lat_seconds histogram
lat_seconds_bucket{le=\"0.1\"} 1
lat_seconds_bucket{le=\"+Inf\"} 2
lat_seconds_sum 0.3
lat_seconds_count 2
# TYPE rpc_seconds summary
rpc_seconds{quantile=\"0.5\"} 0.1
rpc_seconds_sum 1
rpc_seconds_count 4
";
    let merged = merge(&[(&a, histogram), (&b, histogram)]);
    assert!(merged.problems.is_empty(), "{:?}", merged.problems);
    assert_eq!(
        merged.text,
        format!(
            "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n\
             lat_seconds_bucket{{{L},le=\"0.1\"}} 1\nlat_seconds_bucket{{{L},le=\"+Inf\"}} 2\n\
             lat_seconds_sum{{{L}}} 0.3\nlat_seconds_count{{{L}}} 2\n\
             lat_seconds_bucket{{{L2},le=\"0.1\"}} 1\nlat_seconds_bucket{{{L2},le=\"+Inf\"}} 2\n\
             lat_seconds_sum{{{L2}}} 0.3\nlat_seconds_count{{{L2}}} 2\n\
             # TYPE rpc_seconds summary\n\
             rpc_seconds{{{L},quantile=\"0.5\"}} 0.1\nrpc_seconds_sum{{{L}}} 1\nrpc_seconds_count{{{L}}} 4\n\
             rpc_seconds{{{L2},quantile=\"0.5\"}} 0.1\nrpc_seconds_sum{{{L2}}} 1\nrpc_seconds_count{{{L2}}} 4\n"
        )
    );
    assert_valid(&merged);
}

#[test]
fn a_family_named_like_another_familys_series_is_a_clash() {
    let (a, b) = (origin("e1", "web-1"), origin("e1", "web-2"));
    // web-1: histogram `h`; web-2: an untyped `h_count` of its own.
    let merged = merge(&[
        (
            &a,
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        ),
        (&b, "h_count 7\n"),
    ]);
    assert!(
        !merged
            .text
            .contains("h_count{engine=\"e1\",container=\"web-2\""),
        "{}",
        merged.text
    );
    assert_eq!(
        merged.problems[0].kind,
        ProblemKind::NameClash {
            family: "h_count".into(),
            sample: "h_count".into(),
            owner: "h".into(),
            kept_by: "e1/web-1".into(),
        }
    );
    // And the other way round: the untyped family came first.
    let merged = merge(&[
        (&b, "h_count 7\n"),
        (
            &a,
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        ),
    ]);
    assert_eq!(
        merged.text,
        format!("# TYPE h_count untyped\nh_count{{{L2}}} 7\n")
    );
    assert_eq!(merged.problems.len(), 1, "{:?}", merged.problems);
}

#[test]
fn a_sample_without_its_histograms_type_is_a_family_of_its_own() {
    let a = origin("e1", "web-1");
    // No TYPE for `h`: `h_count` is an untyped family, as promtool reads it.
    let merged = merge(&[(&a, "# HELP h H.\nh_count 1\n")]);
    assert_eq!(
        merged.text,
        format!("# TYPE h_count untyped\nh_count{{{L}}} 1\n")
    );
}

#[test]
fn untyped_families_and_comments_and_values_are_kept_as_written() {
    let a = origin("e1", "web-1");
    let merged = merge(&[(
        &a,
        "# a comment\n# HELP odd Back\\\\slash \\n newline.\n# TYPE odd untyped\nodd NaN\nodd{k=\"v\"} +Inf -5\nneg -1e-3\n",
    )]);
    assert_eq!(
        merged.text,
        format!(
            "# HELP odd Back\\\\slash \\n newline.\n# TYPE odd untyped\nodd{{{L}}} NaN\nodd{{{L},k=\"v\"}} +Inf -5\n\
             # TYPE neg untyped\nneg{{{L}}} -1e-3\n"
        )
    );
    assert_valid(&merged);
}

#[test]
fn help_comes_from_the_first_container_that_has_one() {
    let (a, b) = (origin("e1", "web-1"), origin("e1", "web-2"));
    let merged = merge(&[
        (&a, "# TYPE g gauge\ng 1\n"),
        (&b, "# HELP g Second.\n# TYPE g gauge\ng 2\n"),
    ]);
    assert!(
        merged
            .text
            .starts_with("# HELP g Second.\n# TYPE g gauge\n"),
        "{}",
        merged.text
    );
}

#[test]
fn empty_input_merges_to_nothing() {
    let a = origin("e1", "web-1");
    let merged = merge(&[(&a, ""), (&a, "# HELP lonely No samples.\n")]);
    assert_eq!(merged.text, "");
    assert!(merged.problems.is_empty());
}

fn result(outcome: Outcome, exit_code: u8, at: i64) -> ActionResult {
    ActionResult {
        at,
        outcome,
        exit_code,
        duration_ms: 5,
        revision: None,
        git_ref: None,
        repository: None,
    }
}

#[test]
fn status_gauges_come_from_the_last_results() {
    let (a, b, c) = (
        origin("e1", "web-1"),
        origin("e1", "web-2"),
        origin("e1", "web-3"),
    );
    let mut merger = Merger::new();
    let mut last = BTreeMap::new();
    last.insert(
        "monitor".to_string(),
        result(Outcome::Failed, 2, 1700000000),
    );
    last.insert("validate".to_string(), result(Outcome::Ok, 0, 1700000100));
    merger.add_status(&a, &last);
    let mut last = BTreeMap::new();
    last.insert(
        "monitor".to_string(),
        result(Outcome::TimedOut, 124, 1700000200),
    );
    last.insert(
        "validate".to_string(),
        result(Outcome::Failed, 1, 1700000300),
    );
    merger.add_status(&b, &last);
    merger.add_status(&c, &BTreeMap::new()); // never ran: no samples
    let merged = merger.finish();
    assert_eq!(
        merged.text,
        format!(
            "# HELP waybill_monitor_status {}\n# TYPE waybill_monitor_status gauge\n\
             waybill_monitor_status{{{L}}} 2\nwaybill_monitor_status{{{L2}}} 3\n\
             # HELP waybill_monitor_last_run_timestamp_seconds {}\n# TYPE waybill_monitor_last_run_timestamp_seconds gauge\n\
             waybill_monitor_last_run_timestamp_seconds{{{L}}} 1700000000\nwaybill_monitor_last_run_timestamp_seconds{{{L2}}} 1700000200\n\
             # HELP waybill_validate_ok {}\n# TYPE waybill_validate_ok gauge\n\
             waybill_validate_ok{{{L}}} 1\nwaybill_validate_ok{{{L2}}} 0\n\
             # HELP waybill_validate_last_run_timestamp_seconds {}\n# TYPE waybill_validate_last_run_timestamp_seconds gauge\n\
             waybill_validate_last_run_timestamp_seconds{{{L}}} 1700000100\nwaybill_validate_last_run_timestamp_seconds{{{L2}}} 1700000300\n",
            status::FAMILIES[0].1,
            status::FAMILIES[1].1,
            status::FAMILIES[2].1,
            status::FAMILIES[3].1,
        )
    );
    assert_valid(&merged);
}

#[test]
fn a_container_cannot_take_the_status_gauges_names() {
    let a = origin("e1", "web-1");
    let merged = merge(&[(
        &a,
        "# TYPE waybill_validate_ok counter\nwaybill_validate_ok 1\nwaybill_monitor_status 0\n",
    )]);
    assert_eq!(merged.text, "");
    assert_eq!(merged.problems.len(), 2, "{:?}", merged.problems);
    assert_eq!(
        merged.problems[1].to_string(),
        "e1/web-1: family `waybill_monitor_status` left out: it has TYPE untyped here, but waybill gave it TYPE gauge"
    );
}

/// The `text` blocks of a Markdown file, in order.
fn text_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line) {
            (None, "```text") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), line) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_documented_example_holds() {
    let doc = include_str!("../../../docs/fleet-metrics.md");
    let blocks = text_blocks(doc);
    let [_, printed, conflict] = &blocks[..] else {
        panic!("expected three text blocks in docs/fleet-metrics.md: {blocks:?}")
    };
    let web = Origin {
        engine: "default".into(),
        container: "web-1".into(),
        project: Some("shop".into()),
        image: "shop/web:1".into(),
    };
    let pay = Origin {
        engine: "default".into(),
        container: "pay-1".into(),
        project: Some("billing".into()),
        image: "billing/pay:3".into(),
    };
    let web_text = "# TYPE jobs_total counter\njobs_total{engine=\"nginx\"} 5\n";
    let pay_text =
        "# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 2 1700000000000\n";
    let mut merger = Merger::new();
    merger.add(&pay, pay_text.as_bytes());
    let mut last = BTreeMap::new();
    last.insert("validate".to_string(), result(Outcome::Ok, 0, 1764590100));
    merger.add_status(&pay, &last);
    merger.add(&web, web_text.as_bytes());
    let mut last = BTreeMap::new();
    last.insert(
        "monitor".to_string(),
        result(Outcome::Failed, 1, 1764590000),
    );
    merger.add_status(&web, &last);
    let merged = merger.finish();
    assert!(merged.problems.is_empty(), "{:?}", merged.problems);
    assert_eq!(&merged.text, printed);

    let mut merger = Merger::new();
    merger.add(&pay, pay_text.as_bytes());
    merger.add(&web, web_text.replace("counter", "gauge").as_bytes());
    let merged = merger.finish();
    assert_eq!(format!("waybill: {}\n", merged.problems[0]), *conflict);
}

#[test]
fn add_says_whether_anything_was_merged_and_too_large_is_reported() {
    let a = origin("e1", "web-1");
    let mut merger = Merger::new();
    assert!(merger.add(&a, b"# TYPE q gauge\nq 1\n"));
    // A TYPE conflict leaves a family out, not the exposition.
    assert!(merger.add(&a, b"# TYPE q counter\nq 2\nr 1\n"));
    assert!(!merger.add(&a, b"q{\n"));
    assert!(!merger.add(&a, b"\xff 1\n"));
    merger.too_large(&a, 4 << 20);
    let merged = merger.finish();
    assert_eq!(merged.problems.len(), 4, "{:?}", merged.problems);
    assert_eq!(
        merged.problems[3].to_string(),
        "e1/web-1: METRICS output left out: it is over 4194304 bytes"
    );
}
