use super::*;
use serde_json::json;
use std::fs;

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        fs::write(dir.path().join(name), body).unwrap();
    }
    dir
}

#[test]
fn order_comes_from_position_not_build_time() {
    // The base was rebuilt after the service: its build time is newer.
    let dir = dir_with(&[
        (
            "0002-web.json",
            r#"{"project":"web","build_time_stamp":100}"#,
        ),
        (
            "0001-base.json",
            r#"{"project":"base","build_time_stamp":200}"#,
        ),
        (
            "0010-leaf.json",
            r#"{"project":"leaf","build_time_stamp":100}"#,
        ),
    ]);
    let stack = Stack::load(dir.path()).unwrap();
    let names: Vec<_> = stack.images().map(|(_, r)| r.project.as_str()).collect();
    assert_eq!(names, ["base", "web", "leaf"]);
}

#[test]
fn files_without_a_position_come_last_by_name() {
    let dir = dir_with(&[
        ("zz.json", r#"{"project":"zz"}"#),
        ("aa.json", r#"{"project":"aa"}"#),
        ("0001-base.json", r#"{"project":"base"}"#),
    ]);
    let stack = Stack::load(dir.path()).unwrap();
    let names: Vec<_> = stack.images().map(|(_, r)| r.project.as_str()).collect();
    assert_eq!(names, ["base", "aa", "zz"]);
}

#[test]
fn leaf_most_method_wins_and_names_its_image() {
    let dir = dir_with(&[
        (
            "0001-base.json",
            r#"{"project":"base","update_method":"/base/update","validate_method":"/base/validate"}"#,
        ),
        (
            "0002-web.json",
            r#"{"project":"web","update_method":["/web/update","--now"]}"#,
        ),
    ]);
    let stack = Stack::load(dir.path()).unwrap();
    let (method, entry) = stack.effective_method(Action::Update).unwrap();
    assert_eq!(method.program(), "/web/update");
    assert_eq!(entry.file_name, "0002-web.json");
    let (method, entry) = stack.effective_method(Action::Validate).unwrap();
    assert_eq!(method.program(), "/base/validate");
    assert_eq!(entry.file_name, "0001-base.json");
    assert!(stack.effective_method(Action::Start).is_none());
}

#[test]
fn bad_record_does_not_hide_the_good_ones() {
    let dir = dir_with(&[
        ("0001-base.json", r#"{"project":"base"}"#),
        ("0002-bad.json", "{\"project\": \"bad\"\n \"x\": 1}"),
        ("0003-web.json", r#"{"project":"web"}"#),
    ]);
    let stack = Stack::load(dir.path()).unwrap();
    assert_eq!(stack.images().count(), 2);
    let (entry, error) = stack.bad_entries().next().unwrap();
    assert_eq!(entry.file_name, "0002-bad.json");
    assert_eq!(error.position(), Some((2, 2)));
}

#[test]
fn merged_metadata_overlays_leaf_last_and_merges_user_metadata() {
    let dir = dir_with(&[
        (
            "0001-base.json",
            r#"{"project":"base","ci":true,"user_metadata":{"team":"ops","os":{"name":"busybox"}}}"#,
        ),
        (
            "0002-web.json",
            r#"{"project":"web","user_metadata":{"os":{"version":"1.35"}}}"#,
        ),
    ]);
    let merged = Stack::load(dir.path()).unwrap().merged().unwrap().to_json();
    assert_eq!(merged["project"], json!("web"));
    assert_eq!(merged["ci"], json!(true));
    assert_eq!(
        merged["user_metadata"],
        json!({"team":"ops","os":{"name":"busybox","version":"1.35"}})
    );
}

#[test]
fn directory_problems_are_named() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Stack::load(dir.path()),
        Err(StackError::Empty { .. })
    ));
    assert!(matches!(
        Stack::load(&dir.path().join("nope")),
        Err(StackError::Missing { .. })
    ));
    let file = dir.path().join("file");
    fs::write(&file, "{}").unwrap();
    assert!(matches!(
        Stack::load(&file),
        Err(StackError::NotADirectory { .. })
    ));
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::os::unix::fs::symlink(&a, &b).unwrap();
    std::os::unix::fs::symlink(&b, &a).unwrap();
    assert!(matches!(
        Stack::load(&a),
        Err(StackError::SymlinkLoop { .. })
    ));
}

#[test]
fn subdirectories_are_skipped_not_counted() {
    let dir = dir_with(&[("0001-base.json", r#"{"project":"base"}"#)]);
    fs::create_dir(dir.path().join("notes")).unwrap();
    let stack = Stack::load(dir.path()).unwrap();
    assert_eq!(stack.entries.len(), 1);
    assert_eq!(stack.skipped[0].0, "notes");
}

#[test]
fn a_stack_from_records_orders_and_names_them_as_a_directory_would() {
    let records = ["base", "web/app"].map(|project| Record {
        project: project.into(),
        ..Record::default()
    });
    let stack = Stack::from_records("label io.waybill.stack", records).unwrap();
    let names: Vec<_> = stack
        .images()
        .map(|(e, r)| (e.position, e.file_name.as_str(), r.project.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (Some(1), "0001-base.json", "base"),
            (Some(2), "0002-web-app.json", "web/app")
        ]
    );
    let none = Stack::from_records("label `io.waybill.stack`", Vec::new()).unwrap_err();
    assert_eq!(
        none.to_string(),
        "label `io.waybill.stack` holds no image records"
    );
}

#[test]
fn stack_errors_do_not_name_the_container_tool() {
    // The host reads stacks too: advice about `container`'s options is
    // the container side's to add.
    let dir = tempfile::tempdir().unwrap();
    let missing = Stack::load(&dir.path().join("nope")).unwrap_err();
    let empty = Stack::load(dir.path()).unwrap_err();
    for error in [missing, empty] {
        let text = error.to_string();
        for word in ["--meta-dir", "CONTAINER_META_DIR", "container record"] {
            assert!(!text.contains(word), "{text}");
        }
    }
}
