//! The README's first command, and the example records it examines, do
//! what the README says they do.

mod common;

use std::path::Path;

const EXAMPLE_META_DIR: &str = "examples/blocklist/metadata";

#[test]
fn readme_first_command_examines_the_example_stack() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let first_command = readme
        .lines()
        .find(|l| l.starts_with("cargo "))
        .expect("README.md gives a cargo command");
    let args = first_command
        .split_once(" -- ")
        .expect("the first command passes arguments to `container`")
        .1;
    assert_eq!(args, format!("--meta-dir {EXAMPLE_META_DIR} --examine"));

    let out = common::container_cmd()
        .current_dir(root)
        .env_clear()
        .args(args.split(' '))
        .env("CONTAINER_STATE_DIR", tempfile::tempdir().unwrap().path())
        .assert()
        .success();
    let report = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    let base = report
        .find("Metadata for image waybill-base")
        .expect(&report);
    let service = report.find("Metadata for image blocklist").expect(&report);
    assert!(base < service, "{report}");
    for action in ["START", "UPDATE", "VALIDATE", "MONITOR", "METRICS"] {
        assert!(
            report.contains(&format!("{action:>24}: /srv/")),
            "{action} is not declared by the example:\n{report}"
        );
    }
}

#[test]
fn readme_test_command_is_the_one_ci_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let test_command = readme
        .lines()
        .filter(|l| l.starts_with("cargo "))
        .nth(1)
        .expect("README.md gives a test command second");
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(
        ci.contains(test_command),
        ".ci/run does not run `{test_command}`"
    );
}
