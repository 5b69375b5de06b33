//! `waybill serve` refuses a bad configuration before it listens: the
//! error names the file, the line and the key, and the exit code is the
//! documented one.

#![cfg(feature = "host")]

mod common;

use predicates::prelude::*;

fn write(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("serve.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn an_unknown_key_is_refused_with_file_line_and_key_and_nothing_listens() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "listen = \"127.0.0.1:0\"\n\n[[hook]]\nname = \"web\"\nforge = \"github\"\nsecret_env = \"S\"\nmatch_push = true\nbacth = 2\n",
    );
    common::waybill_cmd()
        .args(["serve", "--config"])
        .arg(&path)
        .env("S", "x")
        .timeout(common::PATIENCE)
        .assert()
        .code(78)
        .stderr(predicate::str::contains(format!("{}:8:", path.display())))
        .stderr(predicate::str::contains("bacth"))
        .stderr(predicate::str::contains("serving on").not());
}

#[test]
fn an_inline_or_unset_secret_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "[[hook]]\nname = \"web\"\nforge = \"gitlab\"\nsecret_env = \"WAYBILL_TEST_UNSET_VAR\"\nproject = \"p\"\n",
    );
    common::waybill_cmd()
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&path)
        .env_remove("WAYBILL_TEST_UNSET_VAR")
        .timeout(common::PATIENCE)
        .assert()
        .code(78)
        .stderr(predicate::str::contains(":4:"))
        .stderr(predicate::str::contains("secret_env"))
        .stderr(predicate::str::contains("WAYBILL_TEST_UNSET_VAR"));
}

#[test]
fn a_missing_config_file_is_66_and_no_listen_address_is_78() {
    let dir = tempfile::tempdir().unwrap();
    common::waybill_cmd()
        .args(["serve", "--config"])
        .arg(dir.path().join("absent.toml"))
        .timeout(common::PATIENCE)
        .assert()
        .code(66)
        .stderr(predicate::str::contains("absent.toml"));
    let path = write(dir.path(), "");
    common::waybill_cmd()
        .args(["serve", "--config"])
        .arg(&path)
        .timeout(common::PATIENCE)
        .assert()
        .code(78)
        .stderr(predicate::str::contains("--listen"));
}

#[test]
fn an_address_in_use_is_71() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "");
    common::waybill_cmd()
        .args(["serve", "--listen", &addr, "--config"])
        .arg(&path)
        .timeout(common::PATIENCE)
        .assert()
        .code(71)
        .stderr(predicate::str::contains(addr.as_str()));
}
