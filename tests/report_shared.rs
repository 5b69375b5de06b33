//! One report, two programs: the JSON that the real `container
//! --examine --json` prints, read back with `Report::from_json` (as the
//! host will read it from inside a container) and rendered with the
//! shared renderer, is byte for byte the text `container --examine`
//! prints.

use assert_cmd::Command;
use std::fs;
use std::path::Path;
use std::time::Duration;
use waybill::report::{self, Report};

/// Generous: machines are noisy; a hung binary still fails the test.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The seed's `--metadata` example with its missing comma restored.
const SEED: &str = include_str!("fixtures/seed-rbldnsd.json");

const BASE: &str = r#"{"project":"centos_base","image_name":"ripienaar/centos_base",
 "ci":true,"build_time":"2015-03-24 03:25:01","build_time_stamp":1427167501,
 "update_method":["/base/update.sh","--all"],"update_timeout":30,
 "user_metadata":{"owner":{"team":"ops","escape":"\u001b[2J"}},
 "from_the_future":{"a":[1,2]}}"#;

fn examine(dir: &Path, json: bool) -> Vec<u8> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_container"));
    cmd.env_clear()
        .env("CONTAINER_META_DIR", dir.join("meta"))
        .env("CONTAINER_STATE_DIR", dir.join("state"))
        .env("WAYBILL_DEPLOYED_BY", "alice")
        .arg("--examine")
        .timeout(TIMEOUT);
    if json {
        cmd.arg("--json");
    }
    cmd.assert().success().get_output().stdout.clone()
}

#[test]
fn the_host_renders_a_containers_json_report_as_the_container_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let meta = dir.path().join("meta");
    fs::create_dir_all(&meta).unwrap();
    fs::write(meta.join("0001-centos_base.json"), BASE).unwrap();
    fs::write(meta.join("0002-rbldnsd.json"), SEED).unwrap();

    let text = examine(dir.path(), false);
    let json = examine(dir.path(), true);
    let report = Report::from_json(&json).unwrap();
    assert_eq!(report.images.len(), 2);
    assert_eq!(report::render(&report), String::from_utf8(text).unwrap());
    // And the JSON the host would print again is the container's.
    let mut again = serde_json::to_vec_pretty(&report).unwrap();
    again.push(b'\n');
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(json).unwrap()
    );
}
