use super::*;
use serde_json::json;

/// The seed's `container --metadata` example, with its missing comma
/// after `update_method` restored and its trailing comma removed.
const SEED: &str = include_str!("../../tests/fixtures/seed-rbldnsd.json");

#[test]
fn seed_record_is_read_as_written() {
    let record = Record::from_slice(SEED.as_bytes()).unwrap();
    assert_eq!(record.project, "rbldnsd");
    assert_eq!(record.image_name.as_deref(), Some("ripienaar/rbldnsd"));
    assert_eq!(record.build_time_stamp, Some(1427691730));
    assert_eq!(
        record.build_time.unwrap().to_string(),
        "2015-03-30 06:02:10"
    );
    assert_eq!(record.ci, Some(true));
    assert_eq!(record.validate, Some(true));
    assert_eq!(
        record.method(Action::Start),
        Some(&Method::Path("/srv/support/bin/start.sh".into()))
    );
    assert!(record.unknown.is_empty());
}

#[test]
fn seed_record_round_trips_to_the_same_json() {
    let record = Record::from_slice(SEED.as_bytes()).unwrap();
    let original: Value = serde_json::from_str(SEED).unwrap();
    assert_eq!(Value::Object(record.to_json()), original);
}

#[test]
fn seed_blog_example_with_its_missing_comma_is_malformed() {
    let broken = SEED.replace(
        "\"update_method\": \"/srv/support/bin/update.sh\",",
        "\"update_method\": \"/srv/support/bin/update.sh\"",
    );
    let err = Record::from_slice(broken.as_bytes()).unwrap_err();
    assert_eq!(err.position(), Some((5, 3)), "{err}");
}

#[test]
fn unknown_fields_are_kept() {
    let record = Record::from_slice(br#"{"project":"x","owner":{"team":"dns"},"tier":2}"#).unwrap();
    assert_eq!(record.unknown["owner"], json!({"team": "dns"}));
    assert_eq!(record.to_json()["tier"], json!(2));
}

#[test]
fn wrong_type_is_placed_at_the_value() {
    let err = Record::from_slice(b"{\"project\":\"x\",\n \"ci\": \"yes\"}").unwrap_err();
    assert!(
        matches!(
            err,
            RecordError::Invalid {
                field: Some("ci"),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.position(), Some((2, 12)), "{err}");
}

#[test]
fn trailing_text_after_the_record_is_malformed() {
    let err = Record::from_slice(br#"{"project":"x"} {"project":"y"}"#).unwrap_err();
    assert!(matches!(err, RecordError::Syntax(_)), "{err:?}");
}

#[test]
fn duplicate_keys_are_refused_at_any_depth() {
    for (text, needle) in [
        (
            r#"{"project":"x","project":"y"}"#,
            "duplicate key `project`",
        ),
        (
            r#"{"project":"x","ci":true,"ci":true}"#,
            "duplicate key `ci`",
        ),
        (r#"{"a":1,"project":"x","a":1}"#, "duplicate key `a`"),
        (
            r#"{"project":"x","user_metadata":{"a":{"b":1,"b":2}}}"#,
            "field `user_metadata`: duplicate key `user_metadata.a.b`",
        ),
        (
            r#"{"project":"x","z":{"l":[{"q":1,"q":1}]}}"#,
            "duplicate key `z.l[0].q`",
        ),
    ] {
        let err = Record::from_slice(text.as_bytes()).unwrap_err();
        assert!(matches!(err, RecordError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
}

#[test]
fn schema_version_zero_is_refused() {
    let err = Record::from_slice(br#"{"schema_version":0,"project":"x"}"#).unwrap_err();
    assert!(
        err.to_string().starts_with("field `schema_version`: "),
        "{err}"
    );
    assert!(Record::from_slice(br#"{"schema_version":1,"project":"x"}"#).is_ok());
}

#[test]
fn every_free_form_field_is_depth_limited() {
    let deep = format!("{}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    for field in ["user_metadata", "start_method", "update_timeout", "extra"] {
        let text = format!(r#"{{"project":"x","{field}":{deep}}}"#);
        let err = Record::from_slice(text.as_bytes()).unwrap_err().to_string();
        assert!(
            err.contains("nested deeper than 64 levels"),
            "{field}: {err}"
        );
    }
}

#[test]
fn project_is_limited_in_characters() {
    let at_limit = format!(r#"{{"project":"{}"}}"#, "ü".repeat(MAX_PROJECT_CHARS));
    assert!(Record::from_slice(at_limit.as_bytes()).is_ok());
    let over = format!(r#"{{"project":"{}"}}"#, "a".repeat(MAX_PROJECT_CHARS + 1));
    let err = Record::from_slice(over.as_bytes()).unwrap_err().to_string();
    assert!(
        err.starts_with("field `project`: is 240 characters long"),
        "{err}"
    );
}

#[test]
fn a_record_built_in_memory_is_checked_before_it_is_written() {
    let record = Record::from_slice(SEED.as_bytes()).unwrap();
    let text = record.to_file_text().unwrap();
    assert!(text.ends_with("}\n"));
    assert_eq!(Record::from_slice(text.as_bytes()).unwrap(), record);

    let too_long = Record {
        project: "a".repeat(MAX_PROJECT_CHARS + 1),
        ..Record::default()
    };
    let err = too_long.to_file_text().unwrap_err();
    assert!(err.reason().starts_with("field `project`: "), "{err}");
    assert!(!err.reason().contains(" at line "), "{}", err.reason());
}

#[test]
fn a_field_value_read_alone_follows_the_record_rules() {
    let value = field_value_from_slice("user_metadata", br#"{"a":[1,{"b":2}]}"#).unwrap();
    assert_eq!(value, json!({"a": [1, {"b": 2}]}));
    let err = field_value_from_slice("user_metadata", br#"{"a":1,"a":2}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field `user_metadata`: duplicate key `user_metadata.a` at line 1 column 10"
    );
    assert_eq!(
        err.reason(),
        "field `user_metadata`: duplicate key `user_metadata.a`"
    );
}

#[test]
fn wrong_type_names_the_field() {
    let err = Record::from_slice(br#"{"project":"x","build_time_stamp":"yesterday"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("`build_time_stamp`"), "{err}");
    assert!(err.contains("invalid type: string"), "{err}");
}

#[test]
fn missing_or_empty_project_is_refused() {
    let err = Record::from_slice(br#"{"image_name":"x"}"#).unwrap_err();
    assert!(err.to_string().contains("no `project` field"), "{err}");
    assert!(Record::from_slice(br#"{"project":""}"#).is_err());
}

#[test]
fn timeouts_must_be_positive_whole_seconds() {
    assert!(Record::from_slice(br#"{"project":"x","update_timeout":0}"#).is_err());
    assert!(Record::from_slice(br#"{"project":"x","update_timeout":1.5}"#).is_err());
    let record = Record::from_slice(br#"{"project":"x","update_timeout":30}"#).unwrap();
    assert_eq!(record.timeout(Action::Update), Some(30));
}

#[test]
fn non_utf8_is_reported_with_its_position() {
    let err = Record::from_slice(b"{\"project\":\n \"\xff\"}").unwrap_err();
    assert_eq!(err.position(), Some((2, 3)));
}

#[test]
fn oversized_record_is_refused_before_parsing() {
    let big = vec![b' '; MAX_RECORD_BYTES as usize + 1];
    assert!(matches!(
        Record::from_slice(&big),
        Err(RecordError::TooLarge { .. })
    ));
}

#[test]
fn newer_schema_is_read_with_a_warning() {
    let record =
        Record::from_slice(br#"{"schema_version":99,"project":"x","future":true}"#).unwrap();
    assert!(record.newer_schema_warning().is_some());
    assert_eq!(record.unknown["future"], json!(true));
}

#[test]
fn null_means_not_set() {
    let record = Record::from_slice(br#"{"project":"x","start_method":null}"#).unwrap();
    assert_eq!(record.start_method, None);
}

#[test]
fn records_nested_in_other_json_pass_the_same_checks_naming_the_field() {
    let ok: Vec<Record> =
        serde_json::from_str(r#"[{"project":"a","update_method":["/u","-x"]}]"#).unwrap();
    assert_eq!(ok[0].project, "a");
    for (text, expect) in [
        (r#"[{"project":""}]"#, "field `project`: must not be empty"),
        (
            r#"[{"project":"a","update_timeout":0}]"#,
            "field `update_timeout`: expected a whole number of seconds above 0",
        ),
        (
            r#"[{"project":"a","project":"b"}]"#,
            "duplicate key `project`",
        ),
        (r#"[{"image_name":"a"}]"#, "record has no `project` field"),
    ] {
        let err = serde_json::from_str::<Vec<Record>>(text)
            .unwrap_err()
            .to_string();
        assert!(err.contains(expect), "{text}: {err}");
    }
    // A value given as a tree, not text, is read the same way.
    let err = serde_json::from_value::<Record>(serde_json::json!({"project": 5}))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("field `project`: invalid type"), "{err}");
}

#[test]
fn description_and_licenses_are_read_with_their_limits() {
    let good = br#"{"project":"p","description":"A web server, gro\u00dfe","licenses":"MIT OR Apache-2.0"}"#;
    let record = Record::from_slice(good).unwrap();
    assert_eq!(record.description.as_deref(), Some("A web server, große"));
    assert_eq!(record.licenses.as_deref(), Some("MIT OR Apache-2.0"));
    let long = format!(
        r#"{{"project":"p","description":"{}"}}"#,
        "d".repeat(crate::record::limits::MAX_DESCRIPTION_CHARS + 1)
    );
    for (bad, field) in [
        (long.as_str(), "description"),
        (
            r#"{"project":"p","description":"two\nlines"}"#,
            "description",
        ),
        (r#"{"project":"p","licenses":"MIT; echo"}"#, "licenses"),
        (r#"{"project":"p","licenses":""}"#, "licenses"),
    ] {
        let err = Record::from_slice(bad.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with(&format!("field `{field}`: ")), "{err}");
    }
}
