//! `waybill validate` and `waybill update` across several real engines of
//! the multi-host testbed: 12 containers of two projects on two engines of
//! two versions (20.10, API 1.41, and 26.1, API 1.45), named in a hosts
//! file. Every selector picks the same containers for both commands and
//! every result names its engine; the execs of one run go to both engines
//! at once (seen from the containers' side: a barrier in VALIDATE that only
//! opens when all of them are in it); a rolling update stops at the first
//! failed VALIDATE, in engine-then-name order, and the containers after it
//! are untouched, as their runtime state shows; an engine stopped during a
//! run gives its containers an `error` result while the other engine's
//! finish.
//!
//! What one engine alone shows (skip on 75, paused, no tool, a hung
//! method, the per-engine cap) is tested in tests/waybill_actions.rs.

#![cfg(feature = "host")]

mod docker;
mod engine_images;
#[path = "testbed/mod.rs"]
mod testbed;

use docker::{run_with_deadline, unique_name, wait_until, COMMAND_DEADLINE};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use testbed::{testbed_or_skip, Testbed, Via};

/// `a` runs this machine's engine (20.10), `b` Debian 13's 26.1, so one
/// run talks to two API versions; `c` is stopped by one test, so it holds
/// only that test's containers.
const NODES: [&str; 3] = ["a", "b:engine26", "c"];

const ALPHA: &str = "wbt-alpha";
const BETA: &str = "wbt-beta";
/// The label some fleet containers carry, for `--label`.
const TIER: &str = "io.waybill.test.tier";

/// The tests share the fleet and `--all` sees every container of the
/// engines, and one test stops an engine: they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// VALIDATE of the test images, driven by the container's environment:
/// `WB_SHARED` (a directory shared by every engine's containers: the
/// namespaces share this machine's file system) gets a marker
/// `validating-NAME` on entry; with `WB_BARRIER=N` it waits (up to a
/// minute) until N markers are there; `WB_SLOW=S` sleeps S seconds;
/// `WB_FAIL_VALIDATE` makes it fail.
const VALIDATE: &str = r#"
if [ -n "${WB_SHARED:-}" ]; then : > "$WB_SHARED/validating-$WB_NAME"; fi
if [ -n "${WB_BARRIER:-}" ]; then
  waited=0
  while [ "$(ls "$WB_SHARED" | grep -c '^validating-')" -lt "$WB_BARRIER" ]; do
    waited=$((waited + 1))
    if [ "$waited" -gt 60 ]; then
      echo "barrier: only $(ls "$WB_SHARED" | grep -c '^validating-') of $WB_BARRIER in VALIDATE at once" >&2
      exit 1
    fi
    sleep 1
  done
fi
[ -z "${WB_SLOW:-}" ] || sleep "$WB_SLOW"
if [ -n "${WB_FAIL_VALIDATE:-}" ]; then echo "validate: $WB_NAME is set to fail" >&2; exit 1; fi
echo "valid: $WB_NAME"
"#;

/// UPDATE: counts itself in the container, so a container that was not
/// updated has no /tmp/updates.
const UPDATE: &str = r#"echo "updated $WB_NAME" >> /tmp/updates; echo "updated: $WB_NAME""#;

/// The fleet: the testbed, the two projects' images loaded on every node,
/// and 12 containers, 6 on `a` and 6 on `b`.
struct Fleet {
    bed: &'static Testbed,
    /// Every container name of this run starts with it.
    prefix: String,
    alpha: String,
    beta: String,
    /// Engines `a` and `b`.
    hosts_ab: PathBuf,
    /// Engines `a` and `c`.
    hosts_ac: PathBuf,
    dir: tempfile::TempDir,
}

/// The fleet's containers: (engine, name suffix, project, tier label).
const MEMBERS: [(&str, &str, &str, Option<&str>); 12] = [
    ("a", "alpha-1", ALPHA, Some("front")),
    ("a", "alpha-2", ALPHA, None),
    ("a", "alpha-3", ALPHA, None),
    ("a", "beta-1", BETA, None),
    ("a", "beta-2", BETA, None),
    ("a", "beta-3", BETA, None),
    ("b", "alpha-4", ALPHA, None),
    ("b", "alpha-5", ALPHA, None),
    ("b", "alpha-6", ALPHA, None),
    ("b", "beta-4", BETA, Some("front")),
    ("b", "beta-5", BETA, None),
    ("b", "beta-6", BETA, None),
];

fn busybox() -> &'static Path {
    ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists())
        .expect("a static busybox is needed (Debian's busybox-static)")
}

/// The record of a test project: its own source URL and branch (beta is
/// built from `release`), and the two methods above.
fn record(project: &str, branch: &str) -> String {
    serde_json::json!({
        "project": project,
        "image_name": format!("waybill-test/{project}"),
        "gitref": "0123456789abcdef0123456789abcdef01234567",
        "git_branch": branch,
        "source_url": format!("https://example.invalid/waybill-test/{project}.git"),
        "build_time": "2023-11-14 22:13:20",
        "update_method": ["/bin/sh", "-c", UPDATE],
        "update_timeout": 60,
        "validate_method": ["/bin/sh", "-c", VALIDATE],
        "validate_timeout": 150,
    })
    .to_string()
}

/// An image FROM scratch with busybox, the static `container` tool and
/// the record of `project`, built on this machine's engine.
fn project_image(container_bin: &Path, project: &str, branch: &str) -> String {
    let dir = tempfile::tempdir().expect("a directory for the record");
    let record_path = dir.path().join("record.json");
    std::fs::write(&record_path, record(project, branch)).expect("write the record");
    let name = unique_name(project);
    let dockerfile = "FROM scratch
COPY busybox /bin/busybox
RUN [\"/bin/busybox\", \"mkdir\", \"-p\", \"/usr/bin\", \"/sbin\", \"/usr/sbin\", \"/etc/waybill/metadata.d\", \"/var/lib/waybill\", \"/tmp\"]
RUN [\"/bin/busybox\", \"--install\", \"-s\"]
ENV PATH=/usr/bin:/bin:/usr/sbin:/sbin
COPY container /usr/bin/container
COPY record.json /tmp/record.json
RUN [\"/usr/bin/container\", \"record\", \"/tmp/record.json\"]
";
    engine_images::build_image(
        &name,
        dockerfile,
        &[
            ("busybox", busybox()),
            ("container", container_bin),
            ("record.json", &record_path),
        ],
        &[],
    );
    name
}

fn fleet(test: &str) -> Option<&'static Fleet> {
    static FLEET: OnceLock<Fleet> = OnceLock::new();
    let bed = testbed_or_skip(test, &NODES)?;
    Some(FLEET.get_or_init(|| {
        let build = docker::run(
            &mut Command::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/scripts/build-static.sh"
            )),
            docker::BUILD_DEADLINE,
        )
        .ok();
        let container_bin = PathBuf::from(build.stdout.trim());
        let alpha = project_image(&container_bin, ALPHA, "main");
        let beta = project_image(&container_bin, BETA, "release");
        bed.load(&[&alpha, &beta]);
        let dir = tempfile::tempdir().expect("a directory for the hosts files");
        let hosts = |file: &str, nodes: [&str; 2]| {
            let path = dir.path().join(file);
            let text: String = nodes
                .iter()
                .map(|n| {
                    format!(
                        "[[engine]]\nname = \"{n}\"\nhost = \"{}\"\n\n",
                        bed.node(n).tcp
                    )
                })
                .collect();
            std::fs::write(&path, text).expect("write a hosts file");
            path
        };
        let fleet = Fleet {
            bed,
            prefix: unique_name("af"),
            hosts_ab: hosts("ab.toml", ["a", "b"]),
            hosts_ac: hosts("ac.toml", ["a", "c"]),
            alpha,
            beta,
            dir,
        };
        for (engine, suffix, project, tier) in MEMBERS {
            let tier = tier.map(|t| format!("{TIER}={t}"));
            let mut extra = Vec::new();
            if let Some(tier) = &tier {
                extra.extend(["--label", tier.as_str()]);
            }
            fleet.start(engine, &fleet.name(suffix), fleet.image(project), &extra);
        }
        fleet
    }))
}

impl Fleet {
    fn name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.prefix)
    }

    fn image(&self, project: &str) -> &str {
        if project == ALPHA {
            &self.alpha
        } else {
            &self.beta
        }
    }

    /// Runs `name` of `image` on `engine`, sleeping, labelled as a test
    /// object, with `WB_NAME` set and `extra` docker-run arguments.
    fn start(&self, engine: &str, name: &str, image: &str, extra: &[&str]) {
        let env = format!("WB_NAME={name}");
        let mut args = vec![
            "run",
            "-d",
            "--name",
            name,
            "--label",
            docker::TEST_LABEL,
            "-e",
            &env,
        ];
        args.extend_from_slice(extra);
        args.extend(["--entrypoint", "/bin/sleep", image, "3600"]);
        self.bed
            .docker(self.bed.node(engine), Via::Unix, &args)
            .ok();
    }

    /// `waybill ARGS --hosts-file HOSTS`, with nothing of this process's
    /// docker settings, and a deadline.
    fn waybill(&self, hosts: &Path, args: &[&str]) -> docker::Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waybill"));
        cmd.env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .env("DOCKER_CONFIG", self.dir.path())
            .args(args)
            .arg("--hosts-file")
            .arg(hosts);
        run_with_deadline(&mut cmd, COMMAND_DEADLINE).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Containers a test made for itself, removed when it ends (passed or
/// failed) so that `--all` in the next test sees the fleet alone.
struct Extra<'a> {
    fleet: &'a Fleet,
    made: Vec<(&'static str, String)>,
}

impl<'a> Extra<'a> {
    fn new(fleet: &'a Fleet) -> Extra<'a> {
        Extra {
            fleet,
            made: Vec::new(),
        }
    }

    fn start(&mut self, engine: &'static str, suffix: &str, extra: &[&str]) -> String {
        let name = self.fleet.name(suffix);
        self.made.push((engine, name.clone()));
        self.fleet.start(engine, &name, &self.fleet.alpha, extra);
        name
    }
}

impl Drop for Extra<'_> {
    fn drop(&mut self) {
        for (engine, name) in &self.made {
            let node = self.fleet.bed.node(engine);
            // A stopped engine has nothing to remove; `down` takes the rest.
            let _ = self.fleet.bed.docker(node, Via::Unix, &["rm", "-f", name]);
        }
    }
}

fn json(out: &docker::Output) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}):\n{out}"))
}

fn results(doc: &Value) -> &[Value] {
    doc["results"].as_array().expect("results").as_slice()
}

/// A set of containers, as (engine, name).
type Picked = BTreeSet<(String, String)>;

/// (engine, container) of every result of `action`.
fn picked(doc: &Value, action: &str) -> Picked {
    results(doc)
        .iter()
        .filter(|r| r["action"] == action)
        .map(|r| {
            (
                r["engine"].as_str().unwrap_or("").to_string(),
                r["container"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The one result of `action` for `container`.
#[track_caller]
fn result_of<'d>(doc: &'d Value, container: &str, action: &str) -> &'d Value {
    let found: Vec<&Value> = results(doc)
        .iter()
        .filter(|r| r["container"] == container && r["action"] == action)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {action} result for {container}: {doc:#}"
    );
    found[0]
}

/// The fleet members matching `keep`, as (engine, name).
fn members(fleet: &Fleet, keep: impl Fn(&str, &str, &str, Option<&str>) -> bool) -> Picked {
    MEMBERS
        .iter()
        .filter(|(engine, suffix, project, tier)| keep(engine, suffix, project, *tier))
        .map(|(engine, suffix, _, _)| (engine.to_string(), fleet.name(suffix)))
        .collect()
}

/// The id of `name` on `engine`.
fn container_id(fleet: &Fleet, engine: &str, name: &str) -> String {
    let out = fleet
        .bed
        .docker(
            fleet.bed.node(engine),
            Via::Unix,
            &["inspect", "-f", "{{.Id}}", name],
        )
        .ok();
    out.stdout.trim().to_string()
}

#[test]
fn every_selector_picks_the_same_containers_for_validate_and_update_on_two_engines() {
    let test = "every_selector_picks_the_same_containers_for_validate_and_update_on_two_engines";
    let Some(fleet) = fleet(test) else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // Two engine versions, so two API versions, in every run below.
    assert!(
        fleet.bed.node("a").version.starts_with("20."),
        "{:?}",
        fleet.bed.node("a")
    );
    assert!(
        fleet.bed.node("b").version.starts_with("26."),
        "{:?}",
        fleet.bed.node("b")
    );

    let p = &fleet.prefix;
    let beta5_id = container_id(fleet, "b", &fleet.name("beta-5"));
    let cases: Vec<(Vec<String>, Picked)> = vec![
        (
            vec![fleet.name("alpha-1"), fleet.name("beta-4")],
            members(fleet, |_, s, _, _| s == "alpha-1" || s == "beta-4"),
        ),
        (
            vec![beta5_id[..12].to_string()],
            members(fleet, |_, s, _, _| s == "beta-5"),
        ),
        (
            vec![format!("{p}-alpha-*")],
            members(fleet, |_, _, project, _| project == ALPHA),
        ),
        (
            vec!["--project".into(), BETA.into()],
            members(fleet, |_, _, project, _| project == BETA),
        ),
        (
            vec!["--label".into(), format!("{TIER}=front")],
            members(fleet, |_, _, _, tier| tier == Some("front")),
        ),
        (
            // scp-like form of alpha's https URL with `.git`: the same source.
            vec![
                "--source".into(),
                format!("git@EXAMPLE.invalid:waybill-test/{ALPHA}.git"),
            ],
            members(fleet, |_, _, project, _| project == ALPHA),
        ),
        (
            vec![
                "--source".into(),
                format!("https://example.invalid/waybill-test/{BETA}"),
                "--branch".into(),
                "release".into(),
            ],
            members(fleet, |_, _, project, _| project == BETA),
        ),
        (
            vec!["--branch".into(), "main".into()],
            members(fleet, |_, _, project, _| project == ALPHA),
        ),
        (
            vec![format!("{p}-*-1"), "--project".into(), ALPHA.into()],
            members(fleet, |_, s, _, _| s == "alpha-1"),
        ),
        (vec!["--all".into()], members(fleet, |_, _, _, _| true)),
    ];
    for action in ["validate", "update"] {
        for (selection, want) in &cases {
            let mut args = vec![action, "--json"];
            args.extend(selection.iter().map(String::as_str));
            let out = fleet.waybill(&fleet.hosts_ab, &args);
            assert_eq!(out.code(), Some(0), "{out}");
            let doc = json(&out);
            assert_eq!(doc["action"], action, "{out}");
            assert_eq!(&picked(&doc, action), want, "{selection:?}:\n{out}");
            assert_eq!(doc["engine_errors"], Value::Array(vec![]), "{out}");
            for r in results(&doc) {
                assert_eq!(r["outcome"], "done", "{r}");
                assert_eq!(r["exit_code"], 0, "{r}");
                // Each result names the engine it ran on and the project
                // of its image.
                let member = MEMBERS
                    .iter()
                    .find(|(_, s, _, _)| r["container"] == fleet.name(s))
                    .unwrap_or_else(|| panic!("not a fleet container: {r}"));
                assert_eq!(r["engine"], member.0, "{r}");
                assert_eq!(r["project"], member.2, "{r}");
            }
            if action == "update" {
                // Unless --no-validate, each done update is followed by a
                // VALIDATE in the same container.
                assert_eq!(&picked(&doc, "validate"), want, "{selection:?}:\n{out}");
            }
        }
    }

    // Nothing matched, and nothing asked for.
    for action in ["validate", "update"] {
        let out = fleet.waybill(&fleet.hosts_ab, &[action, "--project", "no-such-project"]);
        assert_eq!(out.code(), Some(66), "{out}");
        let out = fleet.waybill(&fleet.hosts_ab, &[action]);
        assert_eq!(out.code(), Some(64), "{out}");
    }
}

#[test]
fn one_run_execs_on_both_engines_at_once() {
    let Some(fleet) = fleet("one_run_execs_on_both_engines_at_once") else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // VALIDATE in each of the four waits until all four are in VALIDATE:
    // it passes only if the run execs on both engines at once.
    let shared = tempfile::tempdir().expect("a directory shared by the containers");
    let mount = format!("{}:/shared", shared.path().display());
    let extra = [
        "-v",
        mount.as_str(),
        "-e",
        "WB_SHARED=/shared",
        "-e",
        "WB_BARRIER=4",
    ];
    let mut made = Extra::new(fleet);
    let mut names = Vec::new();
    for (engine, suffix) in [
        ("a", "par-1"),
        ("a", "par-2"),
        ("b", "par-3"),
        ("b", "par-4"),
    ] {
        names.push((engine, made.start(engine, suffix, &extra)));
    }
    let out = fleet.waybill(
        &fleet.hosts_ab,
        &["validate", &format!("{}-par-*", fleet.prefix), "--json"],
    );
    assert_eq!(out.code(), Some(0), "{out}");
    let doc = json(&out);
    for (engine, name) in &names {
        let r = result_of(&doc, name, "validate");
        assert_eq!(r["outcome"], "done", "{r}");
        assert_eq!(r["engine"], *engine, "{r}");
    }
    // The text output prefixes every line with ENGINE/CONTAINER.
    for path in std::fs::read_dir(shared.path()).expect("read the shared directory") {
        let _ = std::fs::remove_file(path.expect("a shared entry").path());
    }
    let out = fleet.waybill(
        &fleet.hosts_ab,
        &["validate", &format!("{}-par-*", fleet.prefix)],
    );
    assert_eq!(out.code(), Some(0), "{out}");
    for (engine, name) in &names {
        assert!(
            out.stdout
                .contains(&format!("{engine}/{name}: valid: {name}")),
            "no line of {engine}/{name}:\n{out}"
        );
    }
}

#[test]
fn a_rolling_update_over_two_engines_stops_at_the_first_failed_validate() {
    let test = "a_rolling_update_over_two_engines_stops_at_the_first_failed_validate";
    let Some(fleet) = fleet(test) else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // Engine, then name: a/roll-3, a/roll-4, b/roll-1 (its VALIDATE
    // fails), then b/roll-2 and b/roll-5, which must not be touched. By
    // name alone roll-1 would come first and nothing on `a` would be
    // updated.
    let mut made = Extra::new(fleet);
    let a3 = made.start("a", "roll-3", &[]);
    let a4 = made.start("a", "roll-4", &[]);
    let b1 = made.start("b", "roll-1", &["-e", "WB_FAIL_VALIDATE=1"]);
    let b2 = made.start("b", "roll-2", &[]);
    let b5 = made.start("b", "roll-5", &[]);
    let out = fleet.waybill(
        &fleet.hosts_ab,
        &[
            "update",
            &format!("{}-roll-*", fleet.prefix),
            "--batch",
            "1",
            "--json",
        ],
    );
    assert_eq!(out.code(), Some(1), "{out}");
    let doc = json(&out);
    let outcome = |name: &str, action: &str| {
        result_of(&doc, name, action)["outcome"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    for name in [&a3, &a4, &b1] {
        assert_eq!(outcome(name, "update"), "done", "{name}:\n{out}");
    }
    assert_eq!(outcome(&a3, "validate"), "done", "{out}");
    assert_eq!(outcome(&a4, "validate"), "done", "{out}");
    let failed = result_of(&doc, &b1, "validate");
    assert_eq!(failed["outcome"], "failed", "{out}");
    assert_eq!(failed["engine"], "b", "{out}");
    assert!(
        failed["stderr_tail"]
            .as_str()
            .unwrap_or("")
            .contains("is set to fail"),
        "{out}"
    );
    for name in [&b2, &b5] {
        assert_eq!(outcome(name, "update"), "not_reached", "{name}:\n{out}");
        assert!(
            results(&doc).iter().all(|r| r["container"] != name.as_str()
                || r["action"] != "validate"
                || r["outcome"] == "not_reached"),
            "{name} was validated:\n{out}"
        );
    }
    // The batches went in that order.
    let batch = |name: &str| result_of(&doc, name, "update")["batch"].as_u64();
    assert!(
        batch(&a3) < batch(&a4) && batch(&a4) < batch(&b1),
        "batches out of order:\n{out}"
    );

    // Their runtime state proves it: the last UPDATE of the first three,
    // none for the two after the failure, on either engine's API.
    let out = fleet
        .waybill(
            &fleet.hosts_ab,
            &[
                "ls",
                &format!("{}-roll-*", fleet.prefix),
                "--state",
                "--json",
            ],
        )
        .ok();
    let listing = json(&out);
    let last_update = |name: &str| -> Option<String> {
        let row = listing["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|row| row["container"] == name)
            .unwrap_or_else(|| panic!("no row for {name}:\n{out}"));
        row["last"]["update"]["outcome"]
            .as_str()
            .map(str::to_string)
    };
    for name in [&a3, &a4, &b1] {
        assert_eq!(last_update(name).as_deref(), Some("ok"), "{name}:\n{out}");
    }
    for name in [&b2, &b5] {
        assert_eq!(last_update(name), None, "{name} was updated:\n{out}");
        let cat = fleet.bed.docker(
            fleet.bed.node("b"),
            Via::Unix,
            &["exec", name, "cat", "/tmp/updates"],
        );
        assert!(!cat.success(), "{name} ran its UPDATE:\n{cat}");
    }
}

#[test]
fn an_engine_stopped_during_a_run_gives_its_containers_an_error_and_the_others_finish() {
    let test = "an_engine_stopped_during_a_run_gives_its_containers_an_error_and_the_others_finish";
    let Some(fleet) = fleet(test) else {
        return;
    };
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let shared = tempfile::tempdir().expect("a directory shared by the containers");
    let mount = format!("{}:/shared", shared.path().display());
    let slow_args = [
        "-v",
        mount.as_str(),
        "-e",
        "WB_SHARED=/shared",
        "-e",
        "WB_SLOW=100",
    ];
    let mut made = Extra::new(fleet);
    let fast = [
        made.start("a", "stop-1", &[]),
        made.start("a", "stop-2", &[]),
    ];
    let slow = [
        made.start("c", "stop-3", &slow_args),
        made.start("c", "stop-4", &slow_args),
    ];

    let hosts = fleet.hosts_ac.clone();
    let pattern = format!("{}-stop-*", fleet.prefix);
    let run = std::thread::scope(|scope| {
        let run = scope.spawn(|| fleet.waybill(&hosts, &["validate", &pattern, "--json"]));
        // Both slow VALIDATEs are running on `c` (seen from the
        // containers' side); then its engine goes away.
        wait_until(
            "VALIDATE to run on engine c",
            Duration::from_secs(120),
            || {
                let missing: Vec<&String> = slow
                    .iter()
                    .filter(|name| !shared.path().join(format!("validating-{name}")).exists())
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!("not yet in VALIDATE: {missing:?}"))
                }
            },
        );
        fleet.bed.stop_node("c");
        run.join().expect("the waybill thread")
    });
    let out = run;
    assert_eq!(out.code(), Some(1), "{out}");
    let doc = json(&out);
    for name in &fast {
        let r = result_of(&doc, name, "validate");
        assert_eq!(r["outcome"], "done", "{out}");
        assert_eq!(r["engine"], "a", "{out}");
    }
    for name in &slow {
        let r = result_of(&doc, name, "validate");
        assert_eq!(r["outcome"], "error", "{out}");
        assert_eq!(r["engine"], "c", "{out}");
        assert!(
            !r["reason"].as_str().unwrap_or("").is_empty(),
            "an error says why:\n{out}"
        );
    }
}
