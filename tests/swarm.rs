//! Swarm services as targets, on a real three-node Swarm of the testbed
//! (one manager, two workers, each its own dockerd, network namespace
//! and hostname): `waybill ls --services [-t] [--json]` lists services
//! and tasks across the nodes; each task's node is mapped to its engine
//! by the hosts file's `swarm_node`, by its `[swarm] node_host`
//! template, or by a given engine reporting the node's id, and a mapping
//! to the wrong engine is refused; a node whose engine is stopped gives
//! error rows for its tasks naming the node and the endpoint tried.
//!
//! With `CI=true` a Swarm that cannot form fails loudly. Services live in
//! the testbed's engines, which the testbed's exit hook removes with their
//! data roots whether the tests passed or not; the image is removed from
//! the main engine by the Docker harness.

#![cfg(feature = "host")]

mod docker;
mod engine_images;
mod serve_support;
#[path = "testbed/mod.rs"]
mod testbed;

use docker::{run_with_deadline, unique_name, wait_until, COMMAND_DEADLINE};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::sync::{OnceLock, RwLock};
use std::time::Duration;
use testbed::{testbed_or_skip, Testbed, Via};

const NODES: [&str; 3] = ["a", "b", "c"];
const PROJECT: &str = "waybill-swarm-test";
/// Replicas of the replicated service: two per node once spread.
const REPLICAS: usize = 6;
/// How long a service may take to have every task running.
const CONVERGE: Duration = Duration::from_secs(180);

/// The Swarm with a replicated and a global service running.
struct Swarm {
    bed: &'static Testbed,
    /// Replicated, six tasks.
    web: String,
    /// Global: one task on every node.
    agent: String,
    /// Holds the hosts files of the tests and an empty docker config.
    dir: tempfile::TempDir,
}

/// The test that stops a node takes this for writing; the others for
/// reading.
static NODES_UP: RwLock<()> = RwLock::new(());

fn swarm(test: &str) -> Option<&'static Swarm> {
    static SWARM: OnceLock<Swarm> = OnceLock::new();
    let bed = testbed_or_skip(test, &NODES)?;
    Some(SWARM.get_or_init(|| {
        bed.swarm();
        let manager = bed.node("a");
        // A node is declared down only after several missed heartbeats:
        // a long period keeps a stopped node's tasks assigned to it (not
        // rescheduled) while the test looks at them.
        bed.docker(
            manager,
            Via::Unix,
            &["swarm", "update", "--dispatcher-heartbeat", "120s"],
        )
        .ok();
        let image = engine_images::labelled_image("swarm", PROJECT);
        bed.load(&[&image]);
        let web = unique_name("web");
        let agent = unique_name("agent");
        for (name, mode) in [(&web, "--replicas=6"), (&agent, "--mode=global")] {
            bed.docker(
                manager,
                Via::Unix,
                &[
                    "service",
                    "create",
                    "--detach",
                    "--no-resolve-image",
                    "--name",
                    name,
                    mode,
                    "--label",
                    docker::TEST_LABEL,
                    "--container-label",
                    docker::TEST_LABEL,
                    &image,
                    "/bin/busybox",
                    "sleep",
                    "3600",
                ],
            )
            .ok();
        }
        let dir = tempfile::tempdir().expect("a directory for hosts files");
        let swarm = Swarm {
            bed,
            web,
            agent,
            dir,
        };
        swarm.converge();
        swarm
    }))
}

impl Swarm {
    fn manager(&self) -> &testbed::Node {
        self.bed.node("a")
    }

    /// `wbt-ID-NAME`: the hostname the testbed gives node NAME.
    fn hostname(&self, node: &str) -> String {
        format!("wbt-{}-{node}", self.bed.id)
    }

    /// Node `name`'s Swarm node id, from its own engine.
    fn node_id(&self, name: &str) -> String {
        let out = self
            .bed
            .docker(
                self.bed.node(name),
                Via::Unix,
                &["info", "--format", "{{.Swarm.NodeID}}"],
            )
            .ok();
        out.stdout.trim().to_owned()
    }

    /// Waits until every node is ready and both services have all their
    /// tasks running, the global one on all three nodes.
    fn converge(&self) {
        let manager = self.manager();
        wait_until("three ready nodes", CONVERGE, || {
            let out = self.bed.docker(
                manager,
                Via::Unix,
                &["node", "ls", "--format", "{{.Status}}"],
            );
            let ready = out.stdout.lines().filter(|l| l.trim() == "Ready").count();
            (ready == 3).then_some(()).ok_or_else(|| out.to_string())
        });
        for (service, want) in [(&self.web, REPLICAS), (&self.agent, 3)] {
            wait_until(
                &format!("{want} running tasks of {service}"),
                CONVERGE,
                || {
                    let out = self.bed.docker(
                        manager,
                        Via::Unix,
                        &[
                            "service",
                            "ps",
                            service,
                            "--filter",
                            "desired-state=running",
                            "--format",
                            "{{.CurrentState}}",
                        ],
                    );
                    let running = out
                        .stdout
                        .lines()
                        .filter(|l| l.starts_with("Running"))
                        .count();
                    (running == want)
                        .then_some(())
                        .ok_or_else(|| out.to_string())
                },
            );
        }
    }

    /// Writes a hosts file named `name` and returns its path.
    fn hosts_file(&self, name: &str, text: &str) -> std::path::PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a hosts file");
        path
    }

    /// `waybill ARGS` with nothing of this process's docker or waybill
    /// settings, and a deadline.
    fn waybill(&self, args: &[&str]) -> docker::Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waybill"));
        cmd.env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .env("DOCKER_CONFIG", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("no-config"))
            .args(args);
        run_with_deadline(&mut cmd, COMMAND_DEADLINE).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `waybill ls --services --tasks --json ARGS`, parsed.
    fn tasks_json(&self, args: &[&str]) -> (docker::Output, Value) {
        let mut all = vec!["ls", "--services", "--tasks", "--json"];
        all.extend_from_slice(args);
        let out = self.waybill(&all);
        let listing = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("ls --services --json prints JSON ({e}):\n{out}"));
        (out, listing)
    }
}

fn service<'a>(listing: &'a Value, name: &str) -> &'a Value {
    listing["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["service"] == name)
        .unwrap_or_else(|| panic!("no service {name} in {listing:#}"))
}

fn tasks(service: &Value) -> &Vec<Value> {
    service["tasks"].as_array().expect("tasks")
}

/// (node hostname, engine, route, engine_error) of each runnable task.
fn mapping(service: &Value) -> Vec<(String, Value, Value, Value)> {
    tasks(service)
        .iter()
        .filter(|t| t["runnable"] == true)
        .map(|t| {
            (
                t["node"].as_str().unwrap_or("").to_owned(),
                t["engine"].clone(),
                t["route"].clone(),
                t["engine_error"].clone(),
            )
        })
        .collect()
}

#[test]
fn services_and_their_tasks_are_listed_across_three_nodes() {
    let test = "services_and_their_tasks_are_listed_across_three_nodes";
    let Some(swarm) = swarm(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let manager = swarm.manager().unix.clone();
    let (out, listing) = swarm.tasks_json(&["-H", &manager]);
    assert!(out.success(), "{out}");
    assert_eq!(listing["services_version"], 1, "{out}");
    assert_eq!(listing["engine_errors"], Value::Array(vec![]), "{out}");

    let web = service(&listing, &swarm.web);
    assert_eq!(web["manager"], manager.as_str(), "{web:#}");
    assert_eq!(web["mode"], "replicated");
    assert_eq!(web["replicas_desired"], REPLICAS);
    assert_eq!(web["replicas_running"], REPLICAS);
    // Records come from the image's io.waybill.stack label.
    assert_eq!(web["project"], PROJECT, "{web:#}");
    assert_eq!(web["git_branch"], "main");
    assert_eq!(web["error"], Value::Null);
    let web_tasks = tasks(web);
    assert_eq!(web_tasks.len(), REPLICAS, "{web:#}");
    let mut slots: Vec<i64> = web_tasks
        .iter()
        .map(|t| t["slot"].as_i64().unwrap_or(0))
        .collect();
    slots.sort();
    assert_eq!(slots, [1, 2, 3, 4, 5, 6]);
    for t in web_tasks {
        assert_eq!(t["desired_state"], "running", "{t:#}");
        assert_eq!(t["state"], "running", "{t:#}");
        assert_eq!(t["runnable"], true, "{t:#}");
        assert!(
            t["container_id"].as_str().is_some_and(|c| c.len() == 64),
            "{t:#}"
        );
    }

    // The global service has one task on every node: three hostnames,
    // three addresses.
    let agent = service(&listing, &swarm.agent);
    assert_eq!(agent["mode"], "global");
    let mut hosts: Vec<&str> = tasks(agent)
        .iter()
        .map(|t| t["node"].as_str().unwrap_or(""))
        .collect();
    hosts.sort();
    let expected: Vec<String> = NODES.iter().map(|n| swarm.hostname(n)).collect();
    assert_eq!(hosts, expected, "{agent:#}");
    for t in tasks(agent) {
        let node = t["node"].as_str().unwrap_or("");
        let name = node.rsplit('-').next().unwrap_or("");
        assert_eq!(t["node_addr"], swarm.bed.node(name).addr.as_str(), "{t:#}");
    }
    let nodes = listing["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 3, "{listing:#}");
    assert!(
        nodes
            .iter()
            .any(|n| n["role"] == "manager" && n["hostname"] == swarm.hostname("a").as_str()),
        "{listing:#}"
    );

    // The table shows the same, one line per service and per task.
    let text = swarm
        .waybill(&["ls", "--services", "-t", "-H", &manager])
        .ok();
    let line = text
        .stdout
        .lines()
        .find(|l| l.contains(&swarm.web) && l.contains("replicated"))
        .unwrap_or_else(|| panic!("no row for {}:\n{text}", swarm.web));
    assert!(line.contains(PROJECT) && line.contains("6/6"), "{text}");
    for slot in 1..=REPLICAS {
        let task = format!("{}.{slot} ", swarm.web);
        assert!(text.stdout.contains(&task), "no task {task}:\n{text}");
    }
    // A name selects services; a name matching none is exit 66.
    let (_, only) = swarm.tasks_json(&["-H", &manager, &swarm.agent]);
    assert_eq!(
        only["services"].as_array().map(Vec::len),
        Some(1),
        "{only:#}"
    );
    let none = swarm.waybill(&["ls", "--services", "-H", &manager, "no-such-service-*"]);
    assert_eq!(none.code(), Some(66), "{none}");

    // examine SERVICE: the manager's facts, the image's report from the
    // shared renderer, and the tasks with their node engines.
    let examined = swarm.waybill(&["examine", &swarm.web, "-H", &manager]).ok();
    for expected in [
        format!("Service: {}", swarm.web),
        "Replicas: 6/6".to_owned(),
        format!("Project Name: {PROJECT}"),
        format!("{}.1 on ", swarm.web),
    ] {
        assert!(
            examined.stdout.contains(&expected),
            "no `{expected}`:\n{examined}"
        );
    }
    let report = swarm
        .waybill(&["examine", &swarm.web, "--json", "-H", &manager])
        .ok();
    let report: Value = serde_json::from_str(&report.stdout).expect("a report");
    assert_eq!(
        report["images"][0]["record"]["project"], PROJECT,
        "{report:#}"
    );
}

#[test]
fn a_worker_alone_is_not_a_swarm_manager() {
    let Some(swarm) = swarm("a_worker_alone_is_not_a_swarm_manager") else {
        return;
    };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let worker = swarm.bed.node("b").unix.clone();
    let out = swarm.waybill(&["ls", "--services", "-H", &worker]);
    assert_eq!(out.code(), Some(69), "{out}");
    assert!(
        out.stderr.contains("no engine given is a Swarm manager")
            && out.stderr.contains("a worker of a Swarm"),
        "{out}"
    );
    // With the manager beside it, the worker is only a note.
    let manager = swarm.manager().unix.clone();
    let (out, listing) = swarm.tasks_json(&["-H", &manager, "-H", &worker]);
    assert!(out.success(), "{out}");
    assert_eq!(
        listing["not_managers"][0]["engine"],
        worker.as_str(),
        "{out}"
    );
}

#[test]
fn nodes_map_to_engines_by_node_id_hosts_file_and_template() {
    let test = "nodes_map_to_engines_by_node_id_hosts_file_and_template";
    let Some(swarm) = swarm(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let (a, b, c) = (
        swarm.bed.node("a"),
        swarm.bed.node("b"),
        swarm.bed.node("c"),
    );

    // 3. Engines given with -H are matched by the node id they report.
    let (out, listing) = swarm.tasks_json(&["-H", &a.unix, "-H", &b.unix, "-H", &c.unix]);
    assert!(out.success(), "{out}");
    for (node, engine, route, error) in mapping(service(&listing, &swarm.web)) {
        let name = node.rsplit('-').next().unwrap_or("");
        assert_eq!(engine, swarm.bed.node(name).unix.as_str(), "{out}");
        assert_eq!(route, "node_id", "{out}");
        assert_eq!(error, Value::Null, "{out}");
    }

    // 1. The hosts file's swarm_node, by hostname (b) and by node id (c);
    // the manager, named by no swarm_node, is still found by its node id.
    let hosts = swarm.hosts_file(
        "mapped.toml",
        &format!(
            "[[engine]]\nname = \"mgr\"\nhost = \"{}\"\n\n\
             [[engine]]\nname = \"bee\"\nhost = \"{}\"\nswarm_node = \"{}\"\n\n\
             [[engine]]\nname = \"sea\"\nhost = \"{}\"\nswarm_node = \"{}\"\n",
            a.unix,
            b.tcp,
            swarm.hostname("b"),
            c.tcp,
            swarm.node_id("c")
        ),
    );
    let (out, listing) = swarm.tasks_json(&["--hosts-file", path(&hosts)]);
    assert!(out.success(), "{out}");
    let want = |name: &str| match name {
        "a" => ("mgr", "node_id"),
        "b" => ("bee", "hosts_file"),
        _ => ("sea", "hosts_file"),
    };
    let map = mapping(service(&listing, &swarm.agent));
    assert_eq!(map.len(), 3, "{out}");
    for (node, engine, route, error) in map {
        let (engine_want, route_want) = want(node.rsplit('-').next().unwrap_or(""));
        assert_eq!(
            (engine, route),
            (engine_want.into(), route_want.into()),
            "{out}"
        );
        assert_eq!(error, Value::Null, "{out}");
    }

    // 2. The [swarm] node_host template, filled with each node's
    // advertised address, comes before the node id.
    let hosts = swarm.hosts_file(
        "template.toml",
        &format!(
            "[[engine]]\nname = \"mgr\"\nhost = \"{}\"\n\n[swarm]\nnode_host = \"tcp://{{addr}}:2375\"\n",
            a.unix
        ),
    );
    let (out, listing) = swarm.tasks_json(&["--hosts-file", path(&hosts)]);
    assert!(out.success(), "{out}");
    for (node, engine, route, error) in mapping(service(&listing, &swarm.web)) {
        assert_eq!(engine, node.as_str(), "{out}");
        assert_eq!(route, "template", "{out}");
        assert_eq!(error, Value::Null, "{out}");
    }

    // A swarm_node naming b on c's engine is refused for b's tasks: the
    // engine must report the node's own id.
    let hosts = swarm.hosts_file(
        "wrong.toml",
        &format!(
            "[[engine]]\nname = \"mgr\"\nhost = \"{}\"\n\n\
             [[engine]]\nname = \"liar\"\nhost = \"{}\"\nswarm_node = \"{}\"\n",
            a.unix,
            c.tcp,
            swarm.hostname("b")
        ),
    );
    let (out, listing) = swarm.tasks_json(&["--hosts-file", path(&hosts)]);
    let b_rows: Vec<_> = mapping(service(&listing, &swarm.agent))
        .into_iter()
        .filter(|(node, ..)| node == &swarm.hostname("b"))
        .collect();
    assert_eq!(b_rows.len(), 1, "{out}");
    let (_, engine, _, error) = &b_rows[0];
    assert_eq!(engine, &Value::Null, "{out}");
    let error = error.as_str().unwrap_or("");
    assert!(
        error.contains(&format!("node `{}`", swarm.hostname("b")))
            && error.contains("not of this node"),
        "{out}"
    );
}

#[test]
fn a_node_whose_engine_is_stopped_gives_error_rows_naming_it() {
    let test = "a_node_whose_engine_is_stopped_gives_error_rows_naming_it";
    let Some(swarm) = swarm(test) else { return };
    let _down = NODES_UP.write().unwrap_or_else(|p| p.into_inner());
    let a = swarm.bed.node("a");
    let c = swarm.bed.node("c");
    let hosts = swarm.hosts_file(
        "stopped.toml",
        &format!(
            "[[engine]]\nname = \"mgr\"\nhost = \"{}\"\n\n[swarm]\nnode_host = \"tcp://{{addr}}:2375\"\n",
            a.unix
        ),
    );
    let endpoint = format!("tcp://{}:2375", c.addr);
    swarm.bed.stop_node("c");
    let (out, listing) = swarm.tasks_json(&["--hosts-file", path(&hosts)]);
    let text = swarm.waybill(&["ls", "--services", "-t", "--hosts-file", path(&hosts)]);
    // An action over the service: the stopped node's task is an engine
    // error row naming the task, the node and the endpoint; the others
    // are run (this image has no `container` tool: no_tool).
    let run = swarm.waybill(&[
        "validate",
        "--service",
        &swarm.agent,
        "--json",
        "--hosts-file",
        path(&hosts),
    ]);
    swarm.bed.start_node("c");
    let ran: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("validate --json prints JSON ({e}):\n{run}"));
    let errors = ran["engine_errors"].as_array().expect("engine_errors");
    assert_eq!(errors.len(), 1, "{run}");
    assert_eq!(errors[0]["engine"], swarm.hostname("c").as_str(), "{run}");
    let error = errors[0]["error"].as_str().unwrap_or("");
    assert!(
        error.starts_with(&format!("task {}.", swarm.agent)) && error.contains(&endpoint),
        "{run}"
    );
    let outcomes: Vec<(&str, &str)> = ran["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["engine"].as_str().unwrap_or(""),
                r["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let (ha, hb) = (swarm.hostname("a"), swarm.hostname("b"));
    assert_eq!(
        outcomes,
        [(ha.as_str(), "no_tool"), (hb.as_str(), "no_tool")],
        "{run}"
    );
    assert_eq!(run.code(), Some(1), "{run}");
    // The listing itself succeeded: the manager answered.
    assert!(out.success(), "{out}");
    let mut failed = 0;
    for (node, engine, _, error) in mapping(service(&listing, &swarm.web))
        .into_iter()
        .chain(mapping(service(&listing, &swarm.agent)))
    {
        if node == swarm.hostname("c") {
            let error = error.as_str().unwrap_or("");
            assert!(
                error.contains(&format!("node `{node}`")) && error.contains(&endpoint),
                "{out}"
            );
            assert_eq!(engine, Value::Null, "{out}");
            failed += 1;
        } else {
            assert_eq!(error, Value::Null, "{out}");
            assert_eq!(engine, node.as_str(), "{out}");
        }
    }
    assert!(failed >= 1, "no task on the stopped node c:\n{out}");
    // The table repeats each error row on stderr, naming the task.
    assert!(
        text.stderr.contains(&format!("mgr/{}.", swarm.agent))
            && text.stderr.contains(&swarm.hostname("c"))
            && text.stderr.contains(&endpoint),
        "{text}"
    );
    swarm.converge();
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// Three services of the action image (the `container` tool, UPDATE and
/// VALIDATE methods), six tasks placed on known nodes: `roll` global (one
/// task on each node), `rollok` two replicas on a, `rollbad` one replica
/// on b whose VALIDATE exits 3.
fn rolling_services(swarm: &Swarm) -> &'static str {
    static MADE: OnceLock<String> = OnceLock::new();
    MADE.get_or_init(|| {
        let images = engine_images::build();
        let image = engine_images::action_image(&images.container_bin);
        swarm.bed.load(&[&image]);
        let prefix = unique_name("roll");
        let on = |node: &str| format!("--constraint=node.hostname=={}", swarm.hostname(node));
        let services = [
            (format!("{prefix}-all"), vec!["--mode=global".to_owned()]),
            (
                format!("{prefix}-ok"),
                vec!["--replicas=2".to_owned(), on("a")],
            ),
            (
                format!("{prefix}-bad"),
                vec![
                    "--replicas=1".to_owned(),
                    on("b"),
                    "--env=VALIDATE_EXIT=3".to_owned(),
                ],
            ),
        ];
        for (name, extra) in &services {
            let mut args = vec![
                "service",
                "create",
                "--detach",
                "--no-resolve-image",
                "--name",
                name,
                "--label",
                docker::TEST_LABEL,
                "--container-label",
                docker::TEST_LABEL,
            ];
            args.extend(extra.iter().map(String::as_str));
            args.extend([image.as_str(), "/bin/sleep", "3600"]);
            swarm.bed.docker(swarm.manager(), Via::Unix, &args).ok();
        }
        for (name, want) in [
            (format!("{prefix}-all"), 3),
            (format!("{prefix}-ok"), 2),
            (format!("{prefix}-bad"), 1),
        ] {
            wait_until(&format!("{want} running tasks of {name}"), CONVERGE, || {
                let out = swarm.bed.docker(
                    swarm.manager(),
                    Via::Unix,
                    &[
                        "service",
                        "ps",
                        &name,
                        "--filter",
                        "desired-state=running",
                        "--format",
                        "{{.CurrentState}}",
                    ],
                );
                let running = out
                    .stdout
                    .lines()
                    .filter(|l| l.starts_with("Running"))
                    .count();
                (running == want)
                    .then_some(())
                    .ok_or_else(|| out.to_string())
            });
        }
        prefix
    })
}

#[test]
fn a_rolling_update_over_six_tasks_goes_node_by_node_and_stops_at_a_failed_validate() {
    let test = "a_rolling_update_over_six_tasks_goes_node_by_node_and_stops_at_a_failed_validate";
    let Some(swarm) = swarm(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let prefix = rolling_services(swarm);
    let hosts = swarm.hosts_file(
        "rolling.toml",
        &format!(
            "[[engine]]\nname = \"mgr\"\nhost = \"{}\"\n\n[swarm]\nnode_host = \"tcp://{{addr}}:2375\"\n",
            swarm.manager().unix
        ),
    );
    let pattern = format!("{prefix}-*");
    let out = swarm.waybill(&[
        "update",
        "--service",
        &pattern,
        "--batch",
        "1",
        "--json",
        "--hosts-file",
        path(&hosts),
    ]);
    // A failed VALIDATE fails the run.
    assert_eq!(out.code(), Some(1), "{out}");
    let report: Value = serde_json::from_str(&out.stdout).expect("update --json prints JSON");
    let results = report["results"].as_array().expect("results");
    let by_node = |node: &str| -> Vec<&Value> {
        results
            .iter()
            .filter(|r| r["engine"] == swarm.hostname(node).as_str())
            .collect()
    };
    // Node a, batch 1: three tasks, UPDATE then VALIDATE done in each.
    let a = by_node("a");
    assert_eq!(a.len(), 6, "{report:#}");
    for r in &a {
        assert_eq!(
            (r["outcome"].as_str(), r["batch"].as_i64()),
            (Some("done"), Some(1)),
            "{r:#}"
        );
    }
    // Node b, batch 2: the global task is done; the bad one's UPDATE is
    // done and its VALIDATE failed with exit 3.
    let b = by_node("b");
    assert!(b.iter().all(|r| r["batch"] == 2), "{report:#}");
    let failed: Vec<&&Value> = b.iter().filter(|r| r["outcome"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{report:#}");
    assert_eq!(failed[0]["action"], "validate", "{report:#}");
    assert_eq!(failed[0]["exit_code"], 3, "{report:#}");
    assert!(
        failed[0]["container"]
            .as_str()
            .is_some_and(|c| c.starts_with(&format!("{prefix}-bad.1."))),
        "{report:#}"
    );
    // Node c, batch 3: not reached, nothing run there.
    let c = by_node("c");
    assert_eq!(c.len(), 1, "{report:#}");
    assert_eq!(c[0]["outcome"], "not_reached", "{report:#}");
    assert_eq!(c[0]["batch"], 3, "{report:#}");
    assert_eq!(b.len(), 4, "{report:#}");
    assert_eq!(report["summary"]["done"], 9, "{report:#}");

    // --by task: one task at a time, in order node then container name;
    // the rollout still stops at the bad task, and c is not reached.
    let out = swarm.waybill(&[
        "validate",
        "--service",
        &pattern,
        "--by",
        "task",
        "--batch",
        "1",
        "--json",
        "--hosts-file",
        path(&hosts),
    ]);
    assert_eq!(out.code(), Some(1), "{out}");
    let report: Value = serde_json::from_str(&out.stdout).expect("validate --json prints JSON");
    let results = report["results"].as_array().expect("results");
    let batches: Vec<i64> = results.iter().filter_map(|r| r["batch"].as_i64()).collect();
    assert_eq!(batches, [1, 2, 3, 4, 5, 6], "{report:#}");
    let outcomes: Vec<&str> = results
        .iter()
        .filter_map(|r| r["outcome"].as_str())
        .collect();
    assert_eq!(
        outcomes,
        ["done", "done", "done", "done", "failed", "not_reached"],
        "{report:#}"
    );
}

/// Creates `name` on the manager from `image` with `extra` options,
/// labelled for cleanup, and waits until `want` tasks run.
fn create_service(swarm: &Swarm, name: &str, image: &str, extra: &[&str], want: usize) {
    let mut args = vec![
        "service",
        "create",
        "--detach",
        "--no-resolve-image",
        "--name",
        name,
        "--label",
        docker::TEST_LABEL,
        "--container-label",
        docker::TEST_LABEL,
    ];
    args.extend_from_slice(extra);
    args.extend([image, "/bin/sleep", "3600"]);
    swarm.bed.docker(swarm.manager(), Via::Unix, &args).ok();
    wait_running(swarm, name, want);
}

/// Waits until `want` tasks of `name` are desired running and running.
fn wait_running(swarm: &Swarm, name: &str, want: usize) {
    wait_until(&format!("{want} running tasks of {name}"), CONVERGE, || {
        let out = swarm.bed.docker(
            swarm.manager(),
            Via::Unix,
            &[
                "service",
                "ps",
                name,
                "--filter",
                "desired-state=running",
                "--format",
                "{{.CurrentState}}",
            ],
        );
        let running = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("Running"))
            .count();
        (running == want)
            .then_some(())
            .ok_or_else(|| out.to_string())
    });
}

/// Removes the services on the manager (their tasks go with them).
fn remove_services(swarm: &Swarm, names: &[&str]) {
    let mut args = vec!["service", "rm"];
    args.extend_from_slice(names);
    let _ = swarm.bed.docker(swarm.manager(), Via::Unix, &args);
}

/// Finished engine-event jobs of `service`, from `GET /jobs`.
fn service_event_jobs(server: &serve_support::Server, service: &str) -> Vec<Value> {
    let jobs = server.get("/jobs?limit=100").json()["jobs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    jobs.into_iter()
        .filter(|j| {
            j["trigger"]["kind"] == "engine event"
                && j["trigger"]["service"] == service
                && ["done", "failed"].contains(&j["status"].as_str().unwrap_or(""))
        })
        .collect()
}

/// `waybill serve` with the three node engines and engine events on
/// follows Swarm's own rollout: after `docker service update --force`,
/// each new task is validated once it runs, on its node's engine, the
/// job naming the service, task and node; a task whose VALIDATE fails
/// is a failed job and shows on `/metrics`. A job naming the service
/// (`POST /jobs`, `"services"`) runs in every running task, through the
/// same selection as `--service`.
#[test]
fn serve_validates_the_new_tasks_of_a_forced_service_update_on_each_node() {
    let test = "serve_validates_the_new_tasks_of_a_forced_service_update_on_each_node";
    let Some(swarm) = swarm(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let images = engine_images::build();
    let image = engine_images::action_image(&images.container_bin);
    swarm.bed.load(&[&image]);
    let good = unique_name("follow");
    let bad = unique_name("followbad");
    let spread = "--placement-pref=spread=node.id";
    create_service(swarm, &good, &image, &["--replicas=3", spread], 3);
    create_service(
        swarm,
        &bad,
        &image,
        &["--replicas=1", "--env=VALIDATE_EXIT=3"],
        1,
    );
    let dir = tempfile::tempdir().expect("a directory for the server");
    let hosts: Vec<String> = NODES
        .iter()
        .map(|n| format!("\"{}\"", swarm.bed.node(n).unix))
        .collect();
    let config = format!(
        "[engines]\nhosts = [{}]\n\n[operator]\ntoken_env = \"OP_TOKEN\"\n\n[events]\nvalidate_on_start = true\ngrace_secs = 1\n\n[[schedule]]\naction = \"validate\"\nservice = [\"{good}\"]\ninterval_secs = 3600\n",
        hosts.join(", ")
    );
    let server = serve_support::Server::start(dir.path(), &config, &[("OP_TOKEN", "op")]);
    // The subscriptions are made once the server serves; give the three
    // a moment before anything starts.
    docker::wait_until("three engine subscriptions", COMMAND_DEADLINE, || {
        let log = server.log_text();
        (log.matches("engine events: subscribed").count() == 3)
            .then_some(())
            .ok_or(log)
    });

    // A job naming the service runs in each of its running tasks.
    let body = format!(r#"{{"action":"validate","selection":{{"services":["{good}"]}}}}"#);
    let r = server.post(
        "/jobs",
        &[
            ("Authorization", "Bearer op".to_owned()),
            ("Content-Type", "application/json".to_owned()),
        ],
        body.as_bytes(),
    );
    assert_eq!(r.status, 202, "{r:?}");
    let job = server.wait_job(r.json()["job"].as_u64().expect("a job id"));
    assert_eq!(job["status"], "done", "{job:#}\n{}", server.log_text());
    let results = job["results"].as_array().expect("results");
    assert_eq!(results.len(), 3, "{job:#}");
    assert!(
        results
            .iter()
            .all(|r| r["action"] == "validate" && r["outcome"] == "done"),
        "{job:#}"
    );
    let both =
        format!(r#"{{"action":"validate","selection":{{"services":["{good}"],"names":["x"]}}}}"#);
    let r = server.post(
        "/jobs",
        &[("Authorization", "Bearer op".to_owned())],
        both.as_bytes(),
    );
    assert_eq!(r.status, 400, "{r:?}");

    // Swarm's own rollout: every task replaced, one at a time.
    for service in [&good, &bad] {
        swarm
            .bed
            .docker(
                swarm.manager(),
                Via::Unix,
                &["service", "update", "--detach", "--force", service],
            )
            .ok();
    }
    let new_tasks = |service: &str| -> Vec<String> {
        let out = swarm.bed.docker(
            swarm.manager(),
            Via::Unix,
            &[
                "service",
                "ps",
                service,
                "--filter",
                "desired-state=running",
                "--format",
                "{{.ID}}",
            ],
        );
        out.stdout.lines().map(|l| l.trim().to_owned()).collect()
    };
    let validated = docker::wait_until("a validation of each new task", CONVERGE, || {
        let good_jobs = service_event_jobs(&server, &good);
        let bad_jobs = service_event_jobs(&server, &bad);
        (good_jobs.len() >= 3 && !bad_jobs.is_empty())
            .then(|| (good_jobs.clone(), bad_jobs.clone()))
            .ok_or_else(|| format!("{good_jobs:#?}\n{bad_jobs:#?}\n{}", server.log_text()))
    });
    let (good_jobs, bad_jobs) = validated;
    // One VALIDATE per new task, each done, each naming its service,
    // task and node (a node's hostname).
    let tasks: Vec<String> = new_tasks(&good);
    assert_eq!(good_jobs.len(), 3, "{good_jobs:#?}");
    let mut seen_tasks = Vec::new();
    for job in &good_jobs {
        assert_eq!(job["status"], "done", "{job:#}");
        assert_eq!(job["action"], "validate", "{job:#}");
        let results = job["results"].as_array().expect("results");
        assert_eq!(results.len(), 1, "{job:#}");
        assert_eq!(results[0]["outcome"], "done", "{job:#}");
        let node = job["trigger"]["node"].as_str().unwrap_or("");
        assert!(
            NODES.iter().any(|n| swarm.hostname(n) == node),
            "the node is named by its hostname: {job:#}"
        );
        let task = job["trigger"]["task"].as_str().unwrap_or("").to_owned();
        assert!(
            tasks.iter().any(|t| task.starts_with(t.as_str())),
            "{task} is one of the new tasks {tasks:?}: {job:#}"
        );
        seen_tasks.push(task);
    }
    seen_tasks.sort();
    seen_tasks.dedup();
    assert_eq!(seen_tasks.len(), 3, "one job per new task: {good_jobs:#?}");
    // The bad task's VALIDATE failed: a failed job, and on /metrics.
    assert_eq!(bad_jobs.len(), 1, "{bad_jobs:#?}");
    assert_eq!(bad_jobs[0]["status"], "failed", "{:#}", bad_jobs[0]);
    assert_eq!(
        bad_jobs[0]["results"][0]["exit_code"], 3,
        "{:#}",
        bad_jobs[0]
    );
    let metrics = server.get("/metrics").body;
    for line in [
        format!(
            "waybill_serve_swarm_task_validations_total{{service=\"{good}\",result=\"done\"}} 3"
        ),
        format!(
            "waybill_serve_swarm_task_validations_total{{service=\"{bad}\",result=\"failed\"}} 1"
        ),
        format!("waybill_serve_swarm_service_last_validate_success{{service=\"{bad}\"}} 0"),
        format!("waybill_serve_swarm_service_last_validate_success{{service=\"{good}\"}} 1"),
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no `{line}` in:\n{metrics}"
        );
    }
    let (code, log) = server.stop();
    assert_eq!(code, Some(0), "{log}");
    remove_services(swarm, &[&good, &bad]);
}

/// A service whose image only the workers have: the manager cannot read
/// its records, so they are read on a node running one of its tasks, and
/// the listing says so; `--service` then runs with those records.
#[test]
fn records_of_an_image_only_the_workers_have_are_read_on_a_worker() {
    let test = "records_of_an_image_only_the_workers_have_are_read_on_a_worker";
    let Some(swarm) = swarm(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let base = engine_images::labelled_image("workeronly", PROJECT);
    // A tag of its own, loaded on the workers only.
    let image = format!("{base}-workers:1");
    docker::docker(&["tag", &base, &image]).ok();
    for node in ["b", "c"] {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "docker save \"$1\" | docker -H \"$2\" load -q",
            "sh",
            &image,
            &swarm.bed.node(node).unix,
        ])
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT");
        let out = run_with_deadline(&mut cmd, COMMAND_DEADLINE).unwrap_or_else(|e| panic!("{e}"));
        assert!(out.success(), "{out}");
    }
    let _ = docker::docker(&["rmi", &image]);
    let name = unique_name("workeronly");
    let mut args = vec![
        "service",
        "create",
        "--detach",
        "--no-resolve-image",
        "--name",
        &name,
        "--replicas=2",
        "--constraint=node.role==worker",
        "--label",
        docker::TEST_LABEL,
        "--container-label",
        docker::TEST_LABEL,
    ];
    args.extend([image.as_str(), "/bin/busybox", "sleep", "3600"]);
    swarm.bed.docker(swarm.manager(), Via::Unix, &args).ok();
    wait_running(swarm, &name, 2);
    let manager = swarm.manager().unix.clone();
    let workers = swarm.hosts_file(
        "workers.toml",
        &format!(
            "[[engine]]\nname = \"mgr\"\nhost = \"{manager}\"\n\n[swarm]\nnode_host = \"tcp://{{addr}}:2375\"\n"
        ),
    );
    let out = swarm.waybill(&[
        "ls",
        "--services",
        "--json",
        "--hosts-file",
        path(&workers),
        &name,
    ]);
    let listing: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("ls --services --json prints JSON ({e}):\n{out}"));
    let row = service(&listing, &name);
    assert_eq!(row["error"], Value::Null, "{out}");
    assert_eq!(row["project"], PROJECT, "{out}");
    let from = row["records_from"].as_str().unwrap_or("");
    assert!(
        from.contains("lacks the image")
            && (from.contains(&swarm.hostname("b")) || from.contains(&swarm.hostname("c"))),
        "{out}"
    );
    // The text listing says so on stderr.
    let text = swarm.waybill(&["ls", "--services", "--hosts-file", path(&workers), &name]);
    assert!(text.success(), "{text}");
    assert!(text.stderr.contains("records read from"), "{text}");
    remove_services(swarm, &[&name]);
}

/// `waybill metrics --service` selects the tasks as the action commands
/// do: each running task's status gauges come from its node's engine.
#[test]
fn metrics_of_a_service_cover_each_running_task_on_its_node() {
    let test = "metrics_of_a_service_cover_each_running_task_on_its_node";
    let Some(swarm) = swarm(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let prefix = rolling_services(swarm);
    let hosts = swarm.hosts_file(
        "metrics.toml",
        &format!(
            "[[engine]]\nname = \"mgr\"\nhost = \"{}\"\n\n[swarm]\nnode_host = \"tcp://{{addr}}:2375\"\n",
            swarm.manager().unix
        ),
    );
    let ok = format!("{prefix}-ok");
    let out = swarm.waybill(&["validate", "--service", &ok, "--hosts-file", path(&hosts)]);
    assert!(out.success(), "{out}");
    let out = swarm.waybill(&["metrics", "--service", &ok, "--hosts-file", path(&hosts)]);
    assert!(
        !matches!(out.code(), Some(64 | 69)),
        "no usage or engine error: {out}"
    );
    let gauges: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("waybill_validate_ok{"))
        .collect();
    assert_eq!(gauges.len(), 2, "one gauge per task:\n{out}");
    let engine = format!("engine=\"{}\"", swarm.hostname("a"));
    for line in gauges {
        assert!(
            line.contains(&engine)
                && line.contains(&format!("container=\"{ok}."))
                && line.ends_with(" 1"),
            "{line}\n{out}"
        );
    }
}
