//! The multi-host testbed for tests: several Docker engines on this
//! machine, each in its own network namespace, made and removed by
//! `scripts/testbed.sh` (the same script the benchmarks use).
//!
//! A test file includes it after the Docker harness:
//!
//! ```text
//! mod docker;
//! mod testbed;
//! let Some(bed) = testbed::testbed_or_skip("my_test", &["a", "b:tls", "c:ssh,engine26"]) else { return };
//! ```
//!
//! - **One testbed per test binary**, brought up on first use (a
//!   `OnceLock`), with the nodes the first caller names; later callers
//!   must name the same nodes. Its id is made from this process's id, so
//!   test binaries running at once never share one.
//! - **Skip or fail** as the Docker harness does
//!   ([`prerequisite_or_skip`]): without root, `ip netns`, an engine that
//!   answers, or (when a node needs them) openssl and sshd, a test skips
//!   loudly outside CI and fails with `CI` set.
//! - **Teardown, always.** An `atexit` hook runs `testbed.sh down` when the
//!   binary exits, whether its tests passed, failed or hung (the Docker
//!   harness's deadline exits the process, which runs the hook). A binary
//!   killed outright leaves its testbed to the next `testbed.sh sweep`,
//!   which runs before every bring-up and removes testbeds whose owner
//!   process is gone; `.ci/run` sweeps all of them at its end.
//!
//! It does not talk to the nodes itself beyond the docker CLI commands it
//! offers ([`Node::docker`]); what to check is the test's business.

// Each test file uses only part of the harness.
#![allow(dead_code)]

use crate::docker::{engine_or_skip, prerequisite_or_skip, run_with_deadline, Output};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, Once, OnceLock};
use std::time::Duration;

/// How long bringing a testbed up may take: the first run on a machine
/// also fetches Debian 13's engine for `engine26` nodes.
pub const UP_DEADLINE: Duration = Duration::from_secs(900);
/// How long `down`, `load`, `stop-node` or `start-node` may take.
pub const STEP_DEADLINE: Duration = Duration::from_secs(300);
/// How long one docker CLI command against a node may take.
pub const NODE_DEADLINE: Duration = Duration::from_secs(60);

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/testbed.sh");

/// One engine of the testbed, as `testbed.sh describe` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    /// Its address on the testbed's bridge.
    pub addr: String,
    /// `unix:///run/waybill-testbed/ID/NAME/docker.sock`.
    pub unix: String,
    /// `tcp://ADDR:2375`, or `tcp://ADDR:2376` for a TLS node.
    pub tcp: String,
    /// For a TLS node: the directory of the client's `ca.pem`, `cert.pem`
    /// and `key.pem` (a `DOCKER_CERT_PATH`).
    pub tls_dir: Option<PathBuf>,
    /// For an ssh node: `ssh://root@ADDR:2222` (reachable through
    /// [`Testbed::ssh_bin`]).
    pub ssh: Option<String>,
    /// The engine's version when described (`down` if it did not answer).
    pub version: String,
}

/// How a docker CLI command reaches a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Unix,
    /// tcp without TLS options, even on a TLS node (to see it refused).
    Tcp,
    /// tcp with the node's client certificate and `--tlsverify`.
    Tls,
    /// ssh through the testbed's wrapper.
    Ssh,
}

/// A running testbed.
#[derive(Debug)]
pub struct Testbed {
    pub id: String,
    pub nodes: Vec<Node>,
    specs: Vec<String>,
    run_root: PathBuf,
}

impl Testbed {
    /// The node named `name`.
    #[track_caller]
    pub fn node(&self, name: &str) -> &Node {
        self.nodes
            .iter()
            .find(|node| node.name == name)
            .unwrap_or_else(|| panic!("testbed {} has no node `{name}`", self.id))
    }

    /// The directory whose `ssh` wrapper reaches the ssh nodes (with the
    /// testbed's key and no host-key prompts, but not their port, which
    /// the client must pass as `-p 2222`): put it first on `PATH` for
    /// anything that runs `ssh`.
    pub fn ssh_bin(&self) -> PathBuf {
        self.run_root.join(&self.id).join("bin")
    }

    /// Copies `images` from the main engine to every node.
    #[track_caller]
    pub fn load(&self, images: &[&str]) {
        self.script(&["load", &self.id], images).ok();
    }

    /// Makes the first node a Swarm manager and the others workers
    /// (`testbed.sh swarm`); a Swarm that cannot form fails the test
    /// loudly, in CI and out of it.
    #[track_caller]
    pub fn swarm(&self) {
        self.script(&["swarm", &self.id], &[]).ok();
    }

    /// Stops one node's engine (its namespace, address and files stay).
    #[track_caller]
    pub fn stop_node(&self, name: &str) {
        self.script(&["stop-node", &self.id, name], &[]).ok();
    }

    /// Starts one node's engine again and waits until it answers.
    #[track_caller]
    pub fn start_node(&self, name: &str) {
        self.script(&["start-node", &self.id, name], &[]).ok();
    }

    /// Removes the testbed now (the exit hook would otherwise); running it
    /// twice is harmless.
    #[track_caller]
    pub fn down(&self) {
        self.script(&["down", &self.id], &[]).ok();
    }

    /// `docker ARGS` against `node`, reached `via`, with a deadline.
    pub fn docker(&self, node: &Node, via: Via, args: &[&str]) -> Output {
        let mut cmd = Command::new("docker");
        // Nothing of the caller's docker settings may leak in.
        for var in [
            "DOCKER_HOST",
            "DOCKER_CONTEXT",
            "DOCKER_TLS_VERIFY",
            "DOCKER_CERT_PATH",
        ] {
            cmd.env_remove(var);
        }
        match via {
            Via::Unix => cmd.args(["-H", &node.unix]),
            Via::Tcp => cmd.args(["-H", &node.tcp]),
            Via::Tls => {
                let dir = node
                    .tls_dir
                    .as_ref()
                    .unwrap_or_else(|| panic!("node {} has no TLS", node.name));
                cmd.args(["-H", &node.tcp, "--tlsverify"])
                    .arg("--tlscacert")
                    .arg(dir.join("ca.pem"))
                    .arg("--tlscert")
                    .arg(dir.join("cert.pem"))
                    .arg("--tlskey")
                    .arg(dir.join("key.pem"))
            }
            Via::Ssh => {
                let url = node
                    .ssh
                    .as_ref()
                    .unwrap_or_else(|| panic!("node {} has no ssh", node.name));
                let path = std::env::var("PATH").unwrap_or_default();
                cmd.env("PATH", format!("{}:{path}", self.ssh_bin().display()))
                    .args(["-H", url])
            }
        };
        cmd.args(args);
        run_with_deadline(&mut cmd, NODE_DEADLINE).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The engine version `node` reports `via` this way, or the failed
    /// command.
    pub fn version(&self, node: &Node, via: Via) -> Result<String, Output> {
        let out = self.docker(node, via, &["version", "--format", "{{.Server.Version}}"]);
        if out.success() {
            Ok(out.stdout.trim().to_string())
        } else {
            Err(out)
        }
    }

    /// What of this testbed is still on the machine: namespaces, bridge,
    /// veths, DOCKER-USER rules, mounts, processes and directories. Empty
    /// after [`Testbed::down`].
    pub fn leftovers(&self) -> Vec<String> {
        leftovers(&self.id, &self.run_root)
    }

    #[track_caller]
    fn script(&self, args: &[&str], more: &[&str]) -> Output {
        let mut cmd = script_command();
        cmd.args(args).args(more);
        let deadline = STEP_DEADLINE;
        run_with_deadline(&mut cmd, deadline).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// The testbed of this test binary, brought up with `specs` (`NAME` or
/// `NAME:OPT,OPT`, see scripts/testbed.sh) on first use; `None` after a
/// loud SKIP when this machine cannot make one (outside CI).
#[track_caller]
pub fn testbed_or_skip(test: &str, specs: &[&str]) -> Option<&'static Testbed> {
    static BED: OnceLock<Result<Testbed, String>> = OnceLock::new();
    if !prerequisites_or_skip(test, specs) {
        return None;
    }
    let bed = BED.get_or_init(|| bring_up(specs)).as_ref();
    match bed {
        Ok(bed) => {
            assert_eq!(
                bed.specs, specs,
                "one testbed per test binary: every test must ask for the same nodes"
            );
            Some(bed)
        }
        Err(e) => panic!("the testbed did not come up:\n{e}"),
    }
}

/// Whether this machine can make a testbed of `specs`: an engine that
/// answers, root, `ip netns`, iptables, dockerd, and openssl or sshd when
/// a node needs them. Without them: panics in CI, otherwise prints a loud
/// SKIP for `test` and returns false.
#[track_caller]
pub fn prerequisites_or_skip(test: &str, specs: &[&str]) -> bool {
    if !engine_or_skip(test) {
        return false;
    }
    let needs_tls = specs.iter().any(|s| has_option(s, "tls"));
    let needs_ssh = specs.iter().any(|s| has_option(s, "ssh"));
    prerequisite_or_skip(test, "root, for network namespaces", is_root())
        && prerequisite_or_skip(
            test,
            "`ip netns` (iproute2)",
            tool_works("ip", &["netns", "list"]),
        )
        && prerequisite_or_skip(
            test,
            "iptables",
            tool_works("iptables", &["-S", "DOCKER-USER"]),
        )
        && prerequisite_or_skip(test, "dockerd", tool_works("dockerd", &["--version"]))
        && (!needs_tls
            || prerequisite_or_skip(test, "openssl", tool_works("openssl", &["version"])))
        && (!needs_ssh
            || prerequisite_or_skip(
                test,
                "sshd (openssh-server)",
                tool_works("/usr/sbin/sshd", &["-V"]),
            ))
        && (!needs_ssh
            || prerequisite_or_skip(test, "ssh (openssh-client)", tool_works("ssh", &["-V"])))
}

/// Runs `testbed.sh sweep`: removes every testbed whose owner process is
/// gone. Testbeds of running test binaries stay.
#[track_caller]
pub fn sweep() {
    run_with_deadline(script_command().arg("sweep"), STEP_DEADLINE)
        .unwrap_or_else(|e| panic!("{e}"))
        .ok();
}

fn has_option(spec: &str, option: &str) -> bool {
    spec.split_once(':')
        .is_some_and(|(_, opts)| opts.split(',').any(|o| o == option))
}

fn is_root() -> Result<(), String> {
    if nix::unistd::geteuid().is_root() {
        Ok(())
    } else {
        Err("not running as root".into())
    }
}

/// Whether `program ARGS` runs and succeeds (`sshd -V` and `ssh -V`
/// print their version to stderr and exit 0 or 1 depending on the
/// version, so for them running at all counts).
fn tool_works(program: &str, args: &[&str]) -> Result<(), String> {
    let out = run_with_deadline(Command::new(program).args(args), Duration::from_secs(30))?;
    if out.success() || args == ["-V"] {
        Ok(())
    } else {
        Err(out.to_string())
    }
}

/// `scripts/testbed.sh`, owned by this process (for `sweep`).
fn script_command() -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(SCRIPT)
        .env("WAYBILL_TESTBED_OWNER", std::process::id().to_string());
    cmd
}

/// Where the testbeds keep their state (`WAYBILL_TESTBED_RUN`, as the
/// script reads it).
pub fn run_root() -> PathBuf {
    std::env::var_os("WAYBILL_TESTBED_RUN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/waybill-testbed"))
}

/// This binary's testbed id: `t` and the process id in base 36, at most
/// 6 characters, unique among running processes.
fn testbed_id() -> String {
    let mut pid = std::process::id();
    let mut digits = Vec::new();
    loop {
        digits.push(char::from_digit(pid % 36, 36).unwrap_or('0'));
        pid /= 36;
        if pid == 0 {
            break;
        }
    }
    std::iter::once('t')
        .chain(digits.into_iter().rev())
        .collect()
}

fn bring_up(specs: &[&str]) -> Result<Testbed, String> {
    // A testbed of a killed earlier run would hold its subnet, rules and
    // engines: remove those whose owner is gone first.
    let sweep = run_with_deadline(script_command().arg("sweep"), STEP_DEADLINE)?;
    if !sweep.success() {
        return Err(sweep.to_string());
    }
    let id = testbed_id();
    register_teardown(&id);
    let up = run_with_deadline(script_command().arg("up").arg(&id).args(specs), UP_DEADLINE)?;
    if !up.success() {
        return Err(up.to_string());
    }
    let nodes = parse_description(&up.stdout).map_err(|e| format!("{e}\n{up}"))?;
    Ok(Testbed {
        id,
        nodes,
        specs: specs.iter().map(|s| s.to_string()).collect(),
        run_root: run_root(),
    })
}

/// The nodes of `testbed.sh describe`'s output: one line per node,
/// `NAME ADDR UNIX TCP TLS_DIR|- SSH|- VERSION`.
pub fn parse_description(text: &str) -> Result<Vec<Node>, String> {
    let optional = |field: &str| (field != "-").then(|| field.to_string());
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(
            |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                [name, addr, unix, tcp, tls, ssh, version] => Ok(Node {
                    name: name.into(),
                    addr: addr.into(),
                    unix: unix.into(),
                    tcp: tcp.into(),
                    tls_dir: optional(tls).map(PathBuf::from),
                    ssh: optional(ssh),
                    version: version.into(),
                }),
                _ => Err(format!("not a testbed node description: `{line}`")),
            },
        )
        .collect()
}

/// Ids of the testbeds this process made, for the exit hook.
fn made() -> &'static Mutex<Vec<String>> {
    static MADE: Mutex<Vec<String>> = Mutex::new(Vec::new());
    &MADE
}

/// Removes testbed `id` when the binary exits, passed, failed or hung.
fn register_teardown(id: &str) {
    static HOOK: Once = Once::new();
    made()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(id.to_string());
    HOOK.call_once(|| {
        extern "C" {
            fn atexit(hook: extern "C" fn()) -> std::os::raw::c_int;
        }
        // SAFETY: atexit only stores the function pointer; the hook runs
        // processes and touches nothing that exit has torn down.
        unsafe {
            atexit(tear_down_at_exit);
        }
    });
}

extern "C" fn tear_down_at_exit() {
    let ids = std::mem::take(&mut *made().lock().unwrap_or_else(|p| p.into_inner()));
    for id in ids {
        let _ = run_with_deadline(script_command().args(["down", &id]), STEP_DEADLINE);
    }
}

/// What of testbed `id` is left on the machine (see
/// [`Testbed::leftovers`]).
pub fn leftovers(id: &str, run_root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let text = |program: &str, args: &[&str]| {
        run_with_deadline(Command::new(program).args(args), NODE_DEADLINE)
            .map(|out| out.stdout)
            .unwrap_or_default()
    };
    let ns_prefix = format!("wbt-{id}-");
    for line in text("ip", &["netns", "list"]).lines() {
        if line.starts_with(&ns_prefix) {
            found.push(format!("network namespace {line}"));
        }
    }
    let bridge = format!("wbt-{id}");
    let veth_prefix = format!("wbt{id}");
    for line in text("ip", &["-o", "link", "show"]).lines() {
        let name = line
            .split(':')
            .nth(1)
            .map(|n| n.trim().split('@').next().unwrap_or("").to_string())
            .unwrap_or_default();
        if name == bridge || name.starts_with(&veth_prefix) {
            found.push(format!("link {name}"));
        }
    }
    for rule in text("iptables", &["-S", "DOCKER-USER"]).lines() {
        if rule.split_whitespace().any(|word| word == bridge) {
            found.push(format!("DOCKER-USER rule `{rule}`"));
        }
    }
    let data_root = std::env::var_os("WAYBILL_TESTBED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/waybill-testbed"));
    let roots = [run_root.join(id), data_root.join(id)];
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    for mount in mounts.lines().filter_map(|l| l.split_whitespace().nth(1)) {
        if roots.iter().any(|root| Path::new(mount).starts_with(root)) {
            found.push(format!("mount {mount}"));
        }
    }
    let marker = format!("{}/", run_root.join(id).display());
    if let Ok(procs) = std::fs::read_dir("/proc") {
        for entry in procs.flatten() {
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(&marker) {
                found.push(format!(
                    "process {}: {cmdline}",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
    }
    for root in &roots {
        if root.exists() {
            found.push(format!("directory {}", root.display()));
        }
    }
    found
}
