//! The eight OCI labels docker/metadata-action writes, from `waybill
//! stamp`, on a real image: built `FROM scratch` on the real engine with
//! `--format labels` and with `--format build-args`, then read back with
//! `docker image inspect`, including values with blanks, both quotes,
//! `=` and non-ASCII text. Also: `description` and `licenses` are kept
//! in the record and shown by `container --examine`; `--url` goes with
//! `--record`; bad values are usage errors.
//!
//! Images go through the Docker test harness (tests/docker): labelled
//! for the run, named uniquely, removed even when a test fails. Without
//! an engine the image tests print SKIP, or fail when CI is set.

#![cfg(feature = "host")]

mod docker;
mod stamp_support;

use docker::{engine_or_skip, ImageGuard};
use serde_json::{json, Map, Value};
use stamp_support::{container, stamp, Repo, EPOCH};
use std::fs;

const DESCRIPTION: &str = "A \"quoted\" 'web' server: key=value, größe 日本 — ok";
const LICENSES: &str = "(MIT OR Apache-2.0) AND GPL-2.0-or-later WITH Classpath-exception-2.0";
const URL: &str = "https://docs.example/app?lang=de&page=1";

fn repo() -> Repo {
    let repo = Repo::new();
    repo.git(&["tag", "v3.1"]);
    repo.git(&["remote", "add", "origin", "git@git.example:team/app.git"]);
    repo
}

fn stamp_args<'a>(format: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--project",
        "app",
        "--description",
        DESCRIPTION,
        "--licenses",
        LICENSES,
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    args
}

/// Checks the eight OCI labels of an image against the stamp of `repo`.
fn check_oci_labels(labels: &Map<String, Value>, repo: &Repo, url: &str) {
    let expected = [
        ("org.opencontainers.image.created", "2015-03-30T06:02:10Z"),
        ("org.opencontainers.image.revision", &repo.head()),
        (
            "org.opencontainers.image.source",
            "https://git.example/team/app",
        ),
        ("org.opencontainers.image.url", url),
        ("org.opencontainers.image.version", "v3.1"),
        ("org.opencontainers.image.title", "app"),
        ("org.opencontainers.image.description", DESCRIPTION),
        ("org.opencontainers.image.licenses", LICENSES),
    ];
    for (key, value) in expected {
        assert_eq!(labels.get(key), Some(&json!(value)), "{key} in {labels:#?}");
    }
}

#[test]
fn labels_format_sets_all_eight_oci_labels_on_a_real_image() {
    if !engine_or_skip("labels_format_sets_all_eight_oci_labels_on_a_real_image") {
        return;
    }
    let repo = repo();
    for (url_args, url) in [
        (&[][..], "https://git.example/team/app"),
        (&["--url", URL][..], URL),
    ] {
        let labels: Vec<String> = stamp(repo.path(), &stamp_args("labels", url_args), &[EPOCH])
            .ok()
            .lines()
            .map(str::to_owned)
            .collect();
        let image = ImageGuard::build("oci-labels", "FROM scratch\n", &labels);
        check_oci_labels(&image.labels(), &repo, url);
    }
}

#[test]
fn build_args_format_sets_all_eight_oci_labels_on_a_real_image() {
    if !engine_or_skip("build_args_format_sets_all_eight_oci_labels_on_a_real_image") {
        return;
    }
    let repo = repo();
    let args: Vec<String> = stamp(
        repo.path(),
        &stamp_args("build-args", &["--url", URL]),
        &[EPOCH],
    )
    .ok()
    .lines()
    .map(str::to_owned)
    .collect();
    // The Dockerfile docs/stamping.md shows.
    let dockerfile = "\
FROM scratch
ARG WAYBILL_CREATED WAYBILL_REVISION WAYBILL_SOURCE WAYBILL_URL WAYBILL_VERSION WAYBILL_TITLE \\
    WAYBILL_DESCRIPTION WAYBILL_LICENSES WAYBILL_STACK WAYBILL_RECORD
LABEL org.opencontainers.image.created=\"${WAYBILL_CREATED}\" \\
      org.opencontainers.image.revision=\"${WAYBILL_REVISION}\" \\
      org.opencontainers.image.source=\"${WAYBILL_SOURCE}\" \\
      org.opencontainers.image.url=\"${WAYBILL_URL}\" \\
      org.opencontainers.image.version=\"${WAYBILL_VERSION}\" \\
      org.opencontainers.image.title=\"${WAYBILL_TITLE}\" \\
      org.opencontainers.image.description=\"${WAYBILL_DESCRIPTION}\" \\
      org.opencontainers.image.licenses=\"${WAYBILL_LICENSES}\" \\
      io.waybill.stack=\"${WAYBILL_STACK}\" \\
      io.waybill.record=\"${WAYBILL_RECORD}\"
";
    let image = ImageGuard::build("oci-build-args", dockerfile, &args);
    let labels = image.labels();
    check_oci_labels(&labels, &repo, URL);
    let record: Value =
        serde_json::from_str(labels["io.waybill.record"].as_str().unwrap()).unwrap();
    assert_eq!(record["description"], json!(DESCRIPTION));
    assert_eq!(record["licenses"], json!(LICENSES));
}

#[test]
fn description_and_licenses_are_recorded_and_examined() {
    let repo = repo();
    let record = stamp(repo.path(), &stamp_args("json", &[]), &[EPOCH]).json();
    assert_eq!(record["description"], json!(DESCRIPTION));
    assert_eq!(record["licenses"], json!(LICENSES));

    let meta = repo.path().join("meta");
    fs::create_dir(&meta).unwrap();
    fs::write(meta.join("0001-app.json"), record.to_string()).unwrap();
    let meta = meta.display().to_string();
    let report = container(repo.path(), &["--meta-dir", &meta, "--examine"]).ok();
    // The report wraps long values; compare word by word.
    let words = report.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(&format!("Description: {DESCRIPTION}")),
        "{report}"
    );
    assert!(words.contains(&format!("Licenses: {LICENSES}")), "{report}");
}

#[test]
fn url_goes_with_record_and_description_does_not() {
    let repo = repo();
    let out = repo.path().join("waybill.json");
    let out_arg = out.display().to_string();
    stamp(
        repo.path(),
        &stamp_args("json", &["--output", &out_arg]),
        &[EPOCH],
    )
    .ok();
    let labels = stamp(
        repo.path(),
        &["--record", &out_arg, "--format", "labels", "--url", URL],
        &[],
    )
    .ok();
    assert!(
        labels.contains(&format!("--label=org.opencontainers.image.url={URL}\n")),
        "{labels}"
    );
    assert!(labels.contains(&format!(
        "--label=org.opencontainers.image.description={DESCRIPTION}\n"
    )));
    stamp(
        repo.path(),
        &[
            "--record",
            &out_arg,
            "--format",
            "labels",
            "--description",
            "x",
        ],
        &[],
    )
    .fails(64, "--description");
}

#[test]
fn bad_description_licenses_and_url_are_usage_errors() {
    let repo = repo();
    for (flag, value, needle) in [
        ("--description", "two\nlines", "control characters"),
        ("--licenses", "MIT; rm -rf /", "SPDX"),
        ("--licenses", " ", "SPDX"),
        ("--url", "ftp://files.example/app", "http or https"),
    ] {
        stamp(repo.path(), &["--project", "app", flag, value], &[EPOCH]).fails(64, needle);
    }
    let long = "x".repeat(4097);
    stamp(
        repo.path(),
        &["--project", "app", "--description", &long],
        &[EPOCH],
    )
    .fails(64, "4096");
}
