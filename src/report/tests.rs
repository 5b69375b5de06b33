use super::*;
use crate::record::Action;
use serde_json::json;

fn record(project: &str) -> Record {
    Record::from_slice(
        json!({
            "project": project,
            "update_method": ["/bin/update", "--now"],
            "update_timeout": 30,
            "user_metadata": {"team": {"email": "ops@example.org"}},
            "future_field": [1, 2]
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap()
}

fn report() -> Report {
    let base = record("base");
    let update = EffectiveMethod {
        method: base.method(Action::Update).unwrap().clone(),
        timeout_seconds: Some(30),
        source: ImageRef {
            position: Some(1),
            file: "0001-base.json".into(),
            project: "base".into(),
        },
    };
    let mut runtime = Runtime {
        start_count: 2,
        first_started_at: Some(1_427_691_757),
        ..Runtime::default()
    };
    runtime.last.insert(
        "update".into(),
        ActionResult {
            at: 1_427_691_800,
            outcome: Outcome::TimedOut,
            exit_code: 75,
            duration_ms: 30_000,
            revision: Some("e1b0a445744fec5e584919711cafd8f4cebdee0e".into()),
            git_ref: Some("refs/heads/main".into()),
            repository: Some("https://git.example/app.git".into()),
        },
    );
    runtime
        .deploy
        .insert("WAYBILL_DEPLOY_ENV".into(), "production".into());
    Report {
        report_version: REPORT_VERSION,
        meta_dir: "/etc/waybill/metadata.d".into(),
        runtime,
        methods: Action::ALL
            .iter()
            .map(|a| {
                let m = (*a == Action::Update).then(|| update.clone());
                (a.key().to_owned(), m)
            })
            .collect(),
        images: vec![ImageReport {
            position: Some(1),
            file: "0001-base.json".into(),
            record: base,
        }],
        problems: vec![Problem {
            file: "0002-bad.json".into(),
            path: "/etc/waybill/metadata.d/0002-bad.json".into(),
            error: "record is not valid JSON".into(),
            line: Some(1),
            column: Some(2),
        }],
        warnings: vec!["a warning".into()],
    }
}

fn with(report: &Report, change: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut value = serde_json::to_value(report).unwrap();
    change(&mut value);
    serde_json::to_vec(&value).unwrap()
}

#[test]
fn a_report_read_back_is_the_report_and_renders_the_same() {
    let original = report();
    let bytes = serde_json::to_vec_pretty(&original).unwrap();
    let back = Report::from_json(&bytes).unwrap();
    assert_eq!(back, original);
    assert_eq!(render(&back), render(&original));
}

#[test]
fn the_pushed_revision_of_the_last_update_is_shown() {
    let text = render(&report());
    for line in [
        "Pushed Revision: e1b0a445744fec5e584919711cafd8f4cebdee0e\n",
        "Pushed Ref: refs/heads/main\n",
        "Pushed Repository: https://git.example/app.git",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

#[test]
fn an_older_report_version_says_the_container_tool_is_older() {
    let bytes = with(&report(), |v| v["report_version"] = json!(0));
    let err = Report::from_json(&bytes).unwrap_err();
    assert!(matches!(err, ReportError::Older { found: 0 }), "{err:?}");
    assert!(err.to_string().contains("older"), "{err}");
}

#[test]
fn a_newer_report_version_says_to_upgrade_waybill_even_if_its_shape_changed() {
    // A newer shape would not parse as this one: the version is checked
    // first, so the message is about the version, not some field.
    let bytes = serde_json::to_vec(&json!({"report_version": 2, "images": "changed"})).unwrap();
    let err = Report::from_json(&bytes).unwrap_err();
    assert!(matches!(err, ReportError::Newer { found: 2 }), "{err:?}");
    assert!(err.to_string().contains("upgrade waybill"), "{err}");
}

#[test]
fn output_without_a_version_or_not_json_is_not_a_report() {
    let err = Report::from_json(br#"{"project": "x"}"#).unwrap_err();
    assert!(matches!(err, ReportError::NoVersion), "{err:?}");
    let err = Report::from_json(b"container: error: no such file").unwrap_err();
    assert!(matches!(err, ReportError::NotJson(_)), "{err:?}");
    let err = Report::from_json(b"").unwrap_err();
    assert!(matches!(err, ReportError::NotJson(_)), "{err:?}");
    let err = Report::from_json(b"[1, {}, [], [], [], []]").unwrap_err();
    assert!(
        matches!(err, ReportError::NotAnObject { found: "an array" }),
        "{err:?}"
    );
    let err = Report::from_json(br#"{"report_version": "1"}"#).unwrap_err();
    assert!(matches!(err, ReportError::BadVersion { .. }), "{err:?}");
}

#[test]
fn records_in_a_report_pass_the_record_checks_naming_the_field() {
    let bytes = with(&report(), |v| {
        v["images"][0]["record"]["update_timeout"] = json!(0)
    });
    let err = Report::from_json(&bytes).unwrap_err().to_string();
    assert!(err.contains("field `update_timeout`"), "{err}");
    assert!(err.contains("above 0"), "{err}");

    let bytes = with(&report(), |v| {
        v["images"][0]["record"]["project"] = json!("")
    });
    let err = Report::from_json(&bytes).unwrap_err().to_string();
    assert!(err.contains("field `project`: must not be empty"), "{err}");

    let bytes = with(&report(), |v| {
        v["images"][0]["record"]["start_method"] = json!(["/bin/a\u{0}"])
    });
    let err = Report::from_json(&bytes).unwrap_err().to_string();
    assert!(err.contains("field `start_method`"), "{err}");
}

#[test]
fn a_duplicate_key_in_a_reported_record_is_refused() {
    let text = serde_json::to_string(&report()).unwrap().replacen(
        r#""future_field":[1,2]"#,
        r#""future_field":[1,2],"project":"evil""#,
        1,
    );
    let err = Report::from_json(text.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("duplicate key `project`"), "{err}");
}

#[test]
fn an_oversized_report_is_refused_before_parsing() {
    let bytes = vec![b' '; MAX_REPORT_BYTES + 1];
    let err = Report::from_json(&bytes).unwrap_err();
    assert!(matches!(err, ReportError::TooLarge { .. }), "{err:?}");
}

#[test]
fn a_reported_record_over_the_record_size_limit_is_refused() {
    let big = "x".repeat(crate::record::MAX_RECORD_BYTES as usize);
    let bytes = with(&report(), |v| {
        v["images"][0]["record"]["future_field"] = json!(big)
    });
    let err = Report::from_json(&bytes).unwrap_err().to_string();
    assert!(err.contains("over the 1 MiB limit"), "{err}");
}
