//! `waybill stamp --output PATH` on every kind of path: a regular file is
//! replaced atomically; a FIFO, a device or standard output is written in
//! place, as a shell redirection would; a symlink is followed and its
//! target written, the link kept; a socket or a directory is refused.
//!
//! The real binary, a real git repository, a timeout on every process.

// The `waybill` binary needs the `host` feature.
#![cfg(feature = "host")]

mod stamp_support;

use serde_json::Value;
use stamp_support::{path_var, Repo, EPOCH};
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Long enough for a loaded machine; a hung binary still fails the test.
const TIMEOUT: Duration = Duration::from_secs(60);

/// `waybill stamp --project demo --output OUTPUT` in `repo`, with a timeout.
fn stamp_to(repo: &Repo, output: &Path) -> assert_cmd::assert::Assert {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_waybill"))
        .current_dir(repo.path())
        .env_clear()
        .env("PATH", path_var())
        .env("HOME", repo.path())
        .env(EPOCH.0, EPOCH.1)
        .args(["stamp", "--project", "demo", "--output"])
        .arg(output)
        .timeout(TIMEOUT)
        .assert()
}

#[track_caller]
fn record_in(text: &[u8]) -> Value {
    let value: Value = serde_json::from_slice(text)
        .unwrap_or_else(|e| panic!("not JSON: {e}\n{}", String::from_utf8_lossy(text)));
    assert_eq!(value["project"], "demo", "{value}");
    value
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Makes a character device node like /dev/full (1, 7) at `path`.
fn make_dev_full(path: &Path) {
    nix::sys::stat::mknod(
        path,
        nix::sys::stat::SFlag::S_IFCHR,
        nix::sys::stat::Mode::from_bits_truncate(0o666),
        nix::sys::stat::makedev(1, 7),
    )
    .expect("mknod");
}

#[test]
fn output_replaces_a_regular_file_keeping_its_mode_and_no_temporary() {
    let repo = Repo::new();
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("waybill.json");
    fs::write(&path, "old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    stamp_to(&repo, &path).success();
    record_in(&fs::read(&path).unwrap());
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o7777,
        0o640
    );
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);
}

// Regression: the temporary file was renamed over the symlink itself, so
// the link was lost and its target never written.
#[test]
fn output_through_a_symlink_replaces_the_target_and_keeps_the_link() {
    let repo = Repo::new();
    let out = tempfile::tempdir().unwrap();
    fs::create_dir(out.path().join("real")).unwrap();
    let target = out.path().join("real/waybill.json");
    fs::write(&target, "old").unwrap();
    let link = out.path().join("link.json");
    std::os::unix::fs::symlink("real/waybill.json", &link).unwrap();
    stamp_to(&repo, &link).success();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_link(&link).unwrap(),
        Path::new("real/waybill.json")
    );
    record_in(&fs::read(&target).unwrap());
    // The temporary file went beside the target, and is gone.
    assert_eq!(fs::read_dir(out.path().join("real")).unwrap().count(), 1);
}

#[test]
fn output_through_a_dangling_symlink_creates_the_target() {
    let repo = Repo::new();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("new.json");
    let link = out.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    stamp_to(&repo, &link).success();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    record_in(&fs::read(&target).unwrap());
}

// Regression: a FIFO was replaced by a regular file; its reader waited
// for ever.
#[test]
fn output_to_a_fifo_is_written_in_place() {
    let repo = Repo::new();
    let out = tempfile::tempdir().unwrap();
    let fifo = out.path().join("pipe");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let mut reader = Command::new("cat")
        .arg(&fifo)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn cat");
    let stamped = stamp_to(&repo, &fifo);
    let deadline = Instant::now() + TIMEOUT;
    while reader.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = reader.kill();
            let _ = reader.wait();
            panic!("the FIFO's reader never saw the end of the stamp");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    stamped.success();
    let read = reader.wait_with_output().unwrap();
    record_in(&read.stdout);
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

// Regression: `--output /dev/stdout` renamed a file over the /dev/stdout
// symlink. A private link to the same place stands in for it here, so a
// regression cannot break the machine's own /dev/stdout.
#[test]
fn output_to_a_link_to_standard_output_writes_to_standard_output() {
    let repo = Repo::new();
    let out = tempfile::tempdir().unwrap();
    let link = out.path().join("stdout");
    std::os::unix::fs::symlink("/proc/self/fd/1", &link).unwrap();
    let assert = stamp_to(&repo, &link).success();
    record_in(&assert.get_output().stdout);
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn output_to_dev_stdout_writes_to_standard_output() {
    let repo = Repo::new();
    let assert = stamp_to(&repo, Path::new("/dev/stdout")).success();
    record_in(&assert.get_output().stdout);
}

// Regression: as root, `--output /dev/full` replaced the device node with
// a regular file. The test makes its own node for the same device, so a
// regression cannot replace the machine's /dev/full.
#[test]
fn output_to_a_full_device_is_a_write_error_and_keeps_the_device() {
    if !is_root() {
        eprintln!(
            "SKIPPED output_to_a_full_device_is_a_write_error_and_keeps_the_device: \
             making a device node needs root"
        );
        return;
    }
    let repo = Repo::new();
    let out = tempfile::tempdir().unwrap();
    let full = out.path().join("full");
    make_dev_full(&full);
    stamp_to(&repo, &full)
        .code(73)
        .stderr(predicates::str::contains(full.display().to_string()))
        .stderr(predicates::str::contains("No space left on device"));
    let meta = fs::symlink_metadata(&full).unwrap();
    assert!(meta.file_type().is_char_device());
    assert_eq!(meta.rdev(), nix::sys::stat::makedev(1, 7));
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);
}

#[test]
fn output_to_dev_full_is_a_write_error() {
    let repo = Repo::new();
    stamp_to(&repo, Path::new("/dev/full"))
        .code(73)
        .stderr(predicates::str::contains("`/dev/full`"))
        .stderr(predicates::str::contains("No space left on device"));
    assert!(fs::symlink_metadata("/dev/full")
        .unwrap()
        .file_type()
        .is_char_device());
}

// Regression: a socket was replaced by a regular file.
#[test]
fn output_to_a_socket_is_refused_and_the_socket_kept() {
    let repo = Repo::new();
    let out = tempfile::tempdir().unwrap();
    let socket = out.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    stamp_to(&repo, &socket)
        .code(73)
        .stderr(predicates::str::contains("socket"));
    assert!(fs::symlink_metadata(&socket)
        .unwrap()
        .file_type()
        .is_socket());
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);
}

#[test]
fn output_to_a_directory_is_refused() {
    let repo = Repo::new();
    let out = tempfile::tempdir().unwrap();
    stamp_to(&repo, out.path())
        .code(73)
        .stderr(predicates::str::contains("directory"));
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
}

// Renaming a new file over the one stdout is open on would drop what the
// caller wrote before and leave stdout writing to an unlinked file.
#[test]
fn output_to_dev_stdout_redirected_to_a_file_appends_to_it() {
    let repo = Repo::new();
    let out = tempfile::tempdir().unwrap();
    let log = out.path().join("log");
    fs::write(&log, "before\n").unwrap();
    let stdout = fs::OpenOptions::new().append(true).open(&log).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_waybill"))
        .current_dir(repo.path())
        .env_clear()
        .env("PATH", path_var())
        .env("HOME", repo.path())
        .env(EPOCH.0, EPOCH.1)
        .args(["stamp", "--project", "demo", "--output", "/dev/stdout"])
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn waybill");
    let deadline = Instant::now() + TIMEOUT;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("waybill stamp --output /dev/stdout hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let finished = child.wait_with_output().unwrap();
    assert!(
        finished.status.success(),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    let text = fs::read(&log).unwrap();
    let rest = text
        .strip_prefix(b"before\n")
        .unwrap_or_else(|| panic!("lost what was there: {}", String::from_utf8_lossy(&text)));
    record_in(rest);
}
