//! Images for the `waybill serve` tests on real engines: records that
//! say which repository they were built from, and methods that write
//! down what they were handed. Used by test files that also declare
//! `mod docker;` and `mod engine_images;`.
#![allow(dead_code)]

use std::sync::OnceLock;

pub const REPO: &str = "https://git.example/waybill-serve-test/shop";
pub const OTHER: &str = "https://git.example/waybill-serve-test/other";

/// UPDATE records what it was handed and, with UPDATE_HOLD set, waits
/// for /tmp/release (so a test can hold it running without a clock);
/// VALIDATE records that it ran and whether it saw a push variable.
const METHOD: &str = r#"#!/bin/sh
case "$1" in
update)
  echo "$WAYBILL_PUSH_REPOSITORY $WAYBILL_PUSH_REF $WAYBILL_PUSH_REVISION" >> /tmp/pushed
  touch /tmp/update-started
  if [ -n "$UPDATE_HOLD" ]; then
    i=0
    while [ ! -e /tmp/release ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
  fi
  echo "updated to $WAYBILL_PUSH_REVISION"
  ;;
validate)
  echo "validate saw [$WAYBILL_PUSH_REVISION]" >> /tmp/validated
  echo validated
  ;;
esac
"#;

/// An image whose record says it was built from `repo` on `main`.
pub fn image_from(what: &str, repo: &str) -> String {
    let base = crate::engine_images::build();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record.json");
    let method = |a: &str| format!(r#"["/bin/sh","/srv/method.sh","{a}"]"#);
    std::fs::write(
        &record,
        format!(
            r#"{{"project":"waybill-serve-test","git_branch":"main","source_url":"{repo}.git","update_method":{},"update_timeout":120,"validate_method":{},"validate_timeout":60}}"#,
            method("update"),
            method("validate")
        ),
    )
    .unwrap();
    let script = dir.path().join("method.sh");
    std::fs::write(&script, METHOD).unwrap();
    let name = crate::docker::unique_name(what);
    let dockerfile = format!(
        "{}COPY container /usr/bin/container\nCOPY record.json /tmp/record.json\nCOPY method.sh /srv/method.sh\nRUN [\"/usr/bin/container\", \"record\", \"/tmp/record.json\"]\n",
        crate::engine_images::BUSYBOX_STEPS
    );
    crate::engine_images::build_image(
        &name,
        &dockerfile,
        &[
            ("busybox", crate::engine_images::busybox()),
            ("container", std::path::Path::new(&base.container_bin)),
            ("record.json", &record),
            ("method.sh", &script),
        ],
        &[],
    );
    name
}

pub struct Images {
    pub shop: String,
    pub other: String,
}

pub fn images() -> &'static Images {
    static IMAGES: OnceLock<Images> = OnceLock::new();
    IMAGES.get_or_init(|| Images {
        shop: image_from("serve-shop", REPO),
        other: image_from("serve-other", OTHER),
    })
}
