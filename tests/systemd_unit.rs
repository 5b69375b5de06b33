//! examples/systemd/waybill-serve.service: the unit keeps its sandbox,
//! names secrets the way serve.toml can read them, and passes
//! `systemd-analyze verify` with nothing to say.
//!
//! `systemd-analyze verify` warns about an unknown or misspelt key on
//! stderr but still exits 0, so any output at all fails the test. It
//! also wants ExecStart's program to exist: the copy it checks runs the
//! `waybill` cargo built. Without systemd-analyze the verify test prints
//! a loud SKIP, in CI too: systemd is not installed for this one check
//! (docs/testing.md); the directive checks run everywhere.

#[allow(clippy::duplicate_mod)]
#[path = "common/deadline.rs"]
mod deadline;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const UNIT: &str = "examples/systemd/waybill-serve.service";
const INSTALLED_BINARY: &str = "/usr/local/bin/waybill";

fn unit_text() -> String {
    std::fs::read_to_string(PathBuf::from(ROOT).join(UNIT))
        .unwrap_or_else(|e| panic!("read {UNIT}: {e}"))
}

/// The `[Service]` assignments, `KEY=VALUE` with comments dropped.
fn assignments(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[test]
fn the_unit_keeps_its_sandbox() {
    let text = unit_text();
    let set = assignments(&text);
    let value = |key: &str| -> Vec<&str> {
        set.iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    for (key, expected) in [
        ("DynamicUser", "yes"),
        ("SupplementaryGroups", "docker"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
        ("StateDirectory", "waybill-serve"),
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
        ("MemoryDenyWriteExecute", "yes"),
        ("LockPersonality", "yes"),
        ("RestrictNamespaces", "yes"),
        ("SystemCallArchitectures", "native"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectControlGroups", "yes"),
    ] {
        assert_eq!(
            value(key),
            vec![expected],
            "{UNIT}: `{key}=` should be set once, to `{expected}`"
        );
    }
    assert!(
        value("SystemCallFilter").contains(&"@system-service"),
        "{UNIT}: SystemCallFilter=@system-service is missing"
    );
    // Secrets come from credentials, never from the environment.
    assert!(
        value("LoadCredential")
            .iter()
            .any(|v| v.starts_with("hook-secret:/")),
        "{UNIT}: LoadCredential=hook-secret:PATH is missing"
    );
    assert!(
        value("Environment").is_empty() && value("EnvironmentFile").is_empty(),
        "{UNIT}: secrets belong in LoadCredential=, not the environment"
    );
    // The path the comment tells serve.toml to use is where systemd puts
    // the credential ($CREDENTIALS_DIRECTORY of this unit).
    assert!(
        text.contains("secret_file = \"/run/credentials/waybill-serve.service/hook-secret\""),
        "{UNIT}: the serve.toml example must name the credential's path"
    );
    assert_eq!(
        value("ExecStart"),
        vec![format!("{INSTALLED_BINARY} serve --config /etc/waybill/serve.toml").as_str()]
    );
}

#[test]
fn systemd_analyze_verify_accepts_the_unit_without_a_warning() {
    let test = "systemd_analyze_verify_accepts_the_unit_without_a_warning";
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|dir| dir.join("systemd-analyze"))
        .find(|p| p.is_file());
    let Some(analyze) = found else {
        // Not a CI failure: systemd is not installed for this check.
        // Written past the harness's capture, so a passing run shows it.
        let _ = std::io::stderr().write_all(
            format!(
                "\n!!!! SKIP {test}: systemd-analyze is not installed (Debian package `systemd`)\n"
            )
            .as_bytes(),
        );
        return;
    };
    let dir = tempfile::tempdir().expect("a directory for the unit");
    let unit = dir.path().join("waybill-serve.service");
    let text = unit_text().replace(
        &format!("ExecStart={INSTALLED_BINARY} "),
        &format!("ExecStart={} ", env!("CARGO_BIN_EXE_waybill")),
    );
    std::fs::write(&unit, text).expect("write the unit copy");
    let mut cmd = Command::new(&analyze);
    cmd.arg("verify").arg(&unit);
    let out = deadline::output_or_panic(&mut cmd, None, deadline::PATIENCE);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stderr.trim().is_empty() && stdout.trim().is_empty(),
        "`{} verify {}` found something ({}):\n---- stdout:\n{stdout}\n---- stderr:\n{stderr}",
        analyze.display(),
        unit.display(),
        out.status
    );
}
