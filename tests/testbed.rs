//! The multi-host testbed (scripts/testbed.sh through tests/testbed)
//! keeps its promises: three engines that behave like separate hosts,
//! reachable over unix, tcp, TLS and ssh, two engine versions, images
//! loaded across, a node that can be stopped and started, and nothing of
//! it left on the machine after teardown.

mod docker;
// By path: rustfmt would look for a file named like this one's modules
// in tests/testbed/ (tests/testbed/testbed.rs), rustc for tests/testbed/mod.rs.
#[path = "testbed/mod.rs"]
mod testbed;

use docker::{wait_until, ImageGuard};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use testbed::{
    leftovers, parse_description, prerequisites_or_skip, run_root, testbed_or_skip, Via,
};

const NODES: [&str; 3] = ["a", "b:tls", "c:ssh,engine26"];

#[test]
fn testbed_engines_answer_over_every_transport_and_leave_nothing_behind() {
    let test = "testbed_engines_answer_over_every_transport_and_leave_nothing_behind";
    let Some(bed) = testbed_or_skip(test, &NODES) else {
        return;
    };
    let names: Vec<&str> = bed.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    let (a, b, c) = (bed.node("a"), bed.node("b"), bed.node("c"));

    // Every node answers on its own unix socket, and is its own engine:
    // distinct engine ids, the testbed's labels, its own hostname.
    // (Regression: the 20.10 nodes once shared the main engine's ID, taken
    // from /etc/docker/key.json.)
    let mut ids = Vec::new();
    for node in [a, b, c] {
        let info = bed
            .docker(
                node,
                Via::Unix,
                &["info", "--format", "{{.ID}} {{.Name}} {{json .Labels}}"],
            )
            .ok();
        let (id, rest) = info.stdout.trim().split_once(' ').expect("id and name");
        assert!(
            rest.starts_with(&format!("wbt-{}-{} ", bed.id, node.name)),
            "{info}"
        );
        assert!(
            rest.contains(&format!("io.waybill.testbed.node={}", node.name)),
            "{info}"
        );
        ids.push(id.to_string());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "three separate engines: {ids:?}");

    // tcp: plain on a and c; TLS only on b.
    for node in [a, c] {
        assert!(node.tcp.ends_with(":2375"), "{node:?}");
        assert_eq!(
            bed.version(node, Via::Tcp).map_err(|e| e.to_string()),
            Ok(node.version.clone())
        );
    }
    assert!(b.tcp.ends_with(":2376"), "{b:?}");
    assert_eq!(
        bed.version(b, Via::Tls).map_err(|e| e.to_string()),
        Ok(b.version.clone())
    );
    let refused = bed
        .version(b, Via::Tcp)
        .expect_err("plain tcp on the TLS port is refused");
    assert!(
        refused.all_output().to_lowercase().contains("tls")
            || refused
                .all_output()
                .contains("HTTP request to an HTTPS server"),
        "{refused}"
    );
    // A client without the testbed's certificate is refused too.
    let dir = b.tls_dir.as_ref().expect("b has TLS");
    for file in ["ca.pem", "cert.pem", "key.pem"] {
        assert!(
            dir.join(file).is_file(),
            "{} missing",
            dir.join(file).display()
        );
    }

    // ssh through the wrapper reaches c's engine, not the main one.
    assert!(a.ssh.is_none() && b.ssh.is_none());
    assert_eq!(
        c.ssh.as_deref(),
        Some(format!("ssh://root@{}:2222", c.addr).as_str())
    );
    assert_eq!(
        bed.version(c, Via::Ssh).map_err(|e| e.to_string()),
        Ok(c.version.clone())
    );
    let over_ssh = bed
        .docker(c, Via::Ssh, &["info", "--format", "{{.Name}}"])
        .ok();
    assert_eq!(over_ssh.stdout.trim(), format!("wbt-{}-c", bed.id));

    // Two engine versions: the machine's 20.10 and Debian 13's 26.1.
    assert!(a.version.starts_with("20.10."), "{a:?}");
    assert!(b.version.starts_with("20.10."), "{b:?}");
    assert!(c.version.starts_with("26.1."), "{c:?}");

    // An image built on the main engine loads on every node.
    let image = ImageGuard::build(
        "testbed-load",
        "FROM scratch\nCOPY Dockerfile /Dockerfile\n",
        &[],
    );
    bed.load(&[&image.name]);
    for node in [a, b, c] {
        bed.docker(
            node,
            Via::Unix,
            &["image", "inspect", "--format", "{{.Id}}", &image.name],
        )
        .ok();
    }

    // A stopped node is unreachable on every transport; started again, it
    // answers with the same engine.
    bed.stop_node("c");
    for via in [Via::Unix, Via::Tcp, Via::Ssh] {
        assert!(
            bed.version(c, via).is_err(),
            "c answered over {via:?} while stopped"
        );
    }
    assert!(bed.version(a, Via::Unix).is_ok(), "stopping c stopped a");
    bed.start_node("c");
    wait_until("node c to answer again", Duration::from_secs(60), || {
        bed.version(c, Via::Unix).map_err(|e| e.to_string())
    });
    assert_eq!(
        bed.version(c, Via::Tcp).map_err(|e| e.to_string()),
        Ok(c.version.clone())
    );

    // Teardown leaves no namespace, bridge, veth, rule, mount, process or
    // directory of the testbed.
    assert!(
        !bed.leftovers().is_empty(),
        "leftovers sees the running testbed"
    );
    bed.down();
    assert_eq!(bed.leftovers(), Vec::<String>::new());
}

#[test]
fn testbed_descriptions_parse_into_nodes() {
    let text = "a 10.201.1.11 unix:///run/waybill-testbed/t1/a/docker.sock tcp://10.201.1.11:2375 - - 20.10.24\n\
                b 10.201.1.12 unix:///run/waybill-testbed/t1/b/docker.sock tcp://10.201.1.12:2376 /run/waybill-testbed/t1/b/tls ssh://root@10.201.1.12:2222 26.1.5+dfsg1\n";
    let nodes = parse_description(text).unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0].tls_dir, None);
    assert_eq!(nodes[0].ssh, None);
    assert_eq!(
        nodes[1].tls_dir.as_deref(),
        Some(std::path::Path::new("/run/waybill-testbed/t1/b/tls"))
    );
    assert_eq!(nodes[1].ssh.as_deref(), Some("ssh://root@10.201.1.12:2222"));
    assert_eq!(nodes[1].version, "26.1.5+dfsg1");
    assert!(parse_description("a b c\n").is_err());
}

/// Not a test on its own: run by
/// `a_killed_test_binary_leaves_its_testbed_to_the_next_sweep` in a child
/// process, which it kills once the testbed is up.
#[test]
#[ignore]
fn probe_bring_up_and_wait_to_be_killed() {
    let Some(bed) = testbed_or_skip("probe_bring_up_and_wait_to_be_killed", &["k"]) else {
        return;
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "TESTBED-UP {}", bed.id);
    let _ = stdout.flush();
    std::thread::sleep(Duration::from_secs(600));
}

#[test]
fn a_killed_test_binary_leaves_its_testbed_to_the_next_sweep() {
    let test = "a_killed_test_binary_leaves_its_testbed_to_the_next_sweep";
    if !prerequisites_or_skip(test, &["k"]) {
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut child = Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "probe_bring_up_and_wait_to_be_killed",
        ])
        .args(["--nocapture", "--test-threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the probe");
    let stdout = child.stdout.take().expect("piped stdout");
    let (lines, seen) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut id = None;
    let mut shown = Vec::new();
    while let Ok(line) = seen.recv_timeout(testbed::UP_DEADLINE) {
        // The test harness prints `test NAME ... ` before the probe's line.
        if let Some((_, rest)) = line.split_once("TESTBED-UP ") {
            id = Some(rest.trim().to_string());
            break;
        }
        shown.push(line);
    }
    // SIGKILL: no exit hook, no unwinding, as when CI or a user kills it.
    let _ = child.kill();
    let output = child.wait_with_output().expect("reap the probe");
    let id = id.unwrap_or_else(|| {
        panic!(
            "the probe never reported a testbed:\n{}\n---- stderr:\n{}",
            shown.join("\n"),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let left = leftovers(&id, &run_root());
    assert!(
        left.iter().any(|l| l.starts_with("network namespace")),
        "a killed binary's testbed stays until swept: {left:?}"
    );
    testbed::sweep();
    assert_eq!(leftovers(&id, &run_root()), Vec::<String>::new());
}
