//! Endpoint resolution against real files in temporary directories: a
//! context store laid out byte for byte as `docker context create` writes
//! it (tests/endpoints.rs checks the same reader against stores the docker
//! CLI itself makes), `config.json` files and hosts files.

use super::*;
use crate::host::env::Env;
use std::fs;
use std::path::Path;
use tempfile::TempDir;

/// A home directory with a docker CLI configuration directory in it.
struct Home {
    dir: TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn docker(&self) -> std::path::PathBuf {
        self.path().join(".docker")
    }

    fn env(&self, vars: &[(&str, &str)]) -> Env {
        let home = self.path().to_str().expect("utf-8 temp path").to_string();
        std::iter::once(("HOME".to_string(), home))
            .chain(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .collect()
    }

    /// What `docker context create NAME --docker host=HOST[,ca=…]` writes.
    fn context(&self, name: &str, host: &str, skip_tls: bool, tls: &[&str]) {
        let digest = context_dir_name(name);
        let meta = self.docker().join("contexts/meta").join(&digest);
        fs::create_dir_all(&meta).unwrap();
        let json = format!(
            r#"{{"Name":"{name}","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":{skip_tls}}}}}}}"#
        );
        fs::write(meta.join("meta.json"), json).unwrap();
        if !tls.is_empty() {
            let dir = self
                .docker()
                .join("contexts/tls")
                .join(&digest)
                .join("docker");
            fs::create_dir_all(&dir).unwrap();
            for file in tls {
                fs::write(dir.join(file), "PEM").unwrap();
            }
        }
    }

    fn current(&self, name: &str) {
        fs::create_dir_all(self.docker()).unwrap();
        let json = format!("{{\n\t\"auths\": {{}},\n\t\"currentContext\": \"{name}\"\n}}");
        fs::write(self.docker().join("config.json"), json).unwrap();
    }

    fn write(&self, relative: &str, text: &str) -> std::path::PathBuf {
        let path = self.path().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }
}

fn resolve_one(args: &EndpointArgs, env: &Env) -> Endpoint {
    let mut all = resolve(args, env).expect("resolves");
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn urls(endpoints: &[Endpoint]) -> Vec<(&str, &str)> {
    endpoints
        .iter()
        .map(|e| (e.name.as_str(), e.url.as_str()))
        .collect()
}

#[test]
fn context_directory_is_the_sha256_of_the_name() {
    // The digest `docker context create prod` used on this machine.
    assert_eq!(
        context_dir_name("prod"),
        "6754af9632a2745e85c293e5aac0863370d9bd3330b9938c00cadfd215227d77"
    );
}

#[test]
fn nothing_set_means_the_default_socket() {
    let home = Home::new();
    let endpoint = resolve_one(&EndpointArgs::default(), &home.env(&[]));
    assert_eq!(endpoint.url, "unix:///var/run/docker.sock");
    assert_eq!(endpoint.name, "default");
    assert_eq!(endpoint.origin, Origin::Default);
    assert_eq!(endpoint.tls, None);
}

#[test]
fn no_home_and_no_docker_config_still_means_the_default_socket() {
    let endpoint = resolve_one(&EndpointArgs::default(), &Env::default());
    assert_eq!(endpoint.url, DEFAULT_HOST);
}

#[test]
fn precedence_follows_the_docker_cli() {
    let home = Home::new();
    home.context("envctx", "tcp://10.0.0.2:2375", false, &[]);
    home.context("flagctx", "tcp://10.0.0.3:2375", false, &[]);
    home.context("current", "tcp://10.0.0.4:2375", false, &[]);
    home.current("current");
    let all_env = [
        ("DOCKER_HOST", "tcp://10.0.0.1:2375"),
        ("DOCKER_CONTEXT", "envctx"),
    ];
    let host_flag = EndpointArgs {
        hosts: vec!["tcp://10.0.0.9".into()],
        ..EndpointArgs::default()
    };
    let context_flag = EndpointArgs {
        contexts: vec!["flagctx".into()],
        ..EndpointArgs::default()
    };
    let none = EndpointArgs::default();
    let url = |args: &EndpointArgs, vars: &[(&str, &str)]| resolve_one(args, &home.env(vars)).url;
    assert_eq!(url(&host_flag, &all_env), "tcp://10.0.0.9:2375");
    assert_eq!(url(&context_flag, &all_env), "tcp://10.0.0.3:2375");
    assert_eq!(url(&none, &all_env), "tcp://10.0.0.1:2375");
    assert_eq!(url(&none, &all_env[1..]), "tcp://10.0.0.2:2375");
    let current = resolve_one(&none, &home.env(&[]));
    assert_eq!(current.url, "tcp://10.0.0.4:2375");
    assert_eq!(current.name, "current");
    assert_eq!(
        current.origin,
        Origin::CurrentContext(home.docker().join("config.json"))
    );
}

#[test]
fn docker_config_variable_moves_the_store() {
    let home = Home::new();
    home.context("elsewhere", "ssh://me@far:2222", false, &[]);
    let moved = home.path().join("moved");
    fs::rename(home.docker(), &moved).unwrap();
    let env = home.env(&[
        ("DOCKER_CONFIG", moved.to_str().unwrap()),
        ("DOCKER_CONTEXT", "elsewhere"),
    ]);
    assert_eq!(
        resolve_one(&EndpointArgs::default(), &env).url,
        "ssh://me@far:2222"
    );
}

#[test]
fn default_context_is_docker_host() {
    let home = Home::new();
    home.current("default");
    let env = home.env(&[("DOCKER_CONTEXT", "default")]);
    assert_eq!(
        resolve_one(&EndpointArgs::default(), &env).url,
        DEFAULT_HOST
    );
    let args = EndpointArgs {
        contexts: vec!["default".into()],
        ..EndpointArgs::default()
    };
    let env = home.env(&[("DOCKER_HOST", "unix:///run/other.sock")]);
    assert_eq!(resolve_one(&args, &env).url, "unix:///run/other.sock");
}

#[test]
fn addresses_are_normalised_like_the_docker_cli() {
    let cases = [
        ("unix:///var/run/docker.sock", "unix:///var/run/docker.sock"),
        ("tcp://10.0.0.5", "tcp://10.0.0.5:2375"),
        ("10.0.0.5:2380", "tcp://10.0.0.5:2380"),
        ("tcp://:2375", "tcp://localhost:2375"),
        ("tcp://[::1]:2375", "tcp://[::1]:2375"),
        ("ssh://me@host", "ssh://me@host"),
        ("ssh://me@host:2222", "ssh://me@host:2222"),
        ("ssh://host", "ssh://host"),
    ];
    for (raw, want) in cases {
        let args = EndpointArgs {
            hosts: vec![raw.into()],
            ..EndpointArgs::default()
        };
        let endpoint = resolve_one(&args, &Env::default());
        assert_eq!(endpoint.url, want, "{raw}");
        assert_eq!(
            endpoint.name, want,
            "a --host endpoint is named by its address"
        );
    }
}

#[test]
fn bad_addresses_are_refused_naming_the_address_and_its_origin() {
    for (raw, reason) in [
        ("ftp://x", "unsupported scheme `ftp`"),
        (
            "npipe:////./pipe/docker_engine",
            "unsupported scheme `npipe`",
        ),
        ("unix://relative.sock", "must be absolute"),
        ("tcp://h:2375/path", "takes no path"),
        ("ssh://me@host/path", "takes no path"),
        ("ssh://me:pw@host", "takes no password"),
        ("tcp://h:notaport", "invalid port"),
    ] {
        let env: Env = [("DOCKER_HOST", raw)].into_iter().collect();
        let error = resolve(&EndpointArgs::default(), &env).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, EndpointError::BadUrl { .. }), "{message}");
        assert!(message.contains(raw), "{message}");
        assert!(message.contains("DOCKER_HOST"), "{message}");
        assert!(message.contains(reason), "{raw}: {message}");
    }
}

#[test]
fn tls_verify_uses_cert_path_files_and_the_tls_port() {
    let home = Home::new();
    for file in ["ca.pem", "cert.pem", "key.pem"] {
        home.write(&format!("certs/{file}"), "PEM");
    }
    let certs = home.path().join("certs");
    let env = home.env(&[
        ("DOCKER_HOST", "tcp://10.0.0.5"),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", certs.to_str().unwrap()),
    ]);
    let endpoint = resolve_one(&EndpointArgs::default(), &env);
    assert_eq!(endpoint.url, "tcp://10.0.0.5:2376");
    assert_eq!(
        endpoint.tls,
        Some(TlsFiles {
            ca: Some(certs.join("ca.pem")),
            cert: Some(certs.join("cert.pem")),
            key: Some(certs.join("key.pem")),
            verify: true,
        })
    );
}

#[test]
fn tls_verify_without_cert_path_reads_the_docker_directory() {
    let home = Home::new();
    home.write(".docker/ca.pem", "PEM");
    home.write(".docker/cert.pem", "PEM");
    let env = home.env(&[("DOCKER_HOST", "tcp://h:2376"), ("DOCKER_TLS_VERIFY", "1")]);
    let error = resolve(&EndpointArgs::default(), &env).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, EndpointError::MissingTls { what: "key", .. }),
        "{message}"
    );
    assert!(message.contains(".docker/key.pem"), "{message}");
}

#[test]
fn tls_flags_override_the_default_files() {
    let home = Home::new();
    let ca = home.write("a/myca.pem", "PEM");
    let cert = home.write("a/mycert.pem", "PEM");
    let key = home.write("a/mykey.pem", "PEM");
    let args = EndpointArgs {
        hosts: vec!["tcp://h".into()],
        tlsverify: true,
        tlscacert: Some(ca.clone()),
        tlscert: Some(cert.clone()),
        tlskey: Some(key.clone()),
        ..EndpointArgs::default()
    };
    let endpoint = resolve_one(&args, &home.env(&[]));
    assert_eq!(endpoint.url, "tcp://h:2376");
    let tls = endpoint.tls.expect("tls");
    assert_eq!(
        (tls.ca, tls.cert, tls.key),
        (Some(ca), Some(cert), Some(key))
    );
}

#[test]
fn tls_settings_do_not_apply_to_unix_or_ssh() {
    let env: Env = [("DOCKER_TLS_VERIFY", "1"), ("DOCKER_HOST", "ssh://me@h")]
        .into_iter()
        .collect();
    assert_eq!(resolve_one(&EndpointArgs::default(), &env).tls, None);
}

#[test]
fn context_tls_material_and_skip_verify_are_read_from_the_store() {
    let home = Home::new();
    home.context(
        "secure",
        "tcp://10.0.0.5:2376",
        false,
        &["ca.pem", "cert.pem", "key.pem"],
    );
    home.context("skip", "tcp://10.0.0.6:2376", true, &[]);
    home.context("plain", "tcp://10.0.0.7:2375", false, &[]);
    let args = EndpointArgs {
        contexts: vec!["secure".into(), "skip".into(), "plain".into()],
        ..EndpointArgs::default()
    };
    let all = resolve(&args, &home.env(&[])).unwrap();
    let dir = home
        .docker()
        .join("contexts/tls")
        .join(context_dir_name("secure"))
        .join("docker");
    assert_eq!(
        all[0].tls,
        Some(TlsFiles {
            ca: Some(dir.join("ca.pem")),
            cert: Some(dir.join("cert.pem")),
            key: Some(dir.join("key.pem")),
            verify: true,
        })
    );
    let skip = all[1]
        .tls
        .as_ref()
        .expect("skip-tls-verify still speaks TLS");
    assert!(!skip.verify);
    assert_eq!(all[2].tls, None);
}

#[test]
fn context_certificate_without_its_key_is_refused() {
    let home = Home::new();
    home.context("half", "tcp://10.0.0.5:2376", false, &["cert.pem"]);
    let env = home.env(&[("DOCKER_CONTEXT", "half")]);
    let message = resolve(&EndpointArgs::default(), &env)
        .unwrap_err()
        .to_string();
    assert!(message.contains("TLS key file"), "{message}");
    assert!(message.contains("context `half`"), "{message}");
}

#[test]
fn unknown_context_is_an_error_naming_it_and_the_store() {
    let home = Home::new();
    home.current("gone");
    let error = resolve(&EndpointArgs::default(), &home.env(&[])).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, EndpointError::NoSuchContext { .. }),
        "{message}"
    );
    assert!(message.contains("`gone`"), "{message}");
    assert!(message.contains("currentContext"), "{message}");
    assert!(message.contains(".docker/contexts"), "{message}");
}

#[test]
fn malformed_meta_json_is_an_error_naming_the_file() {
    let home = Home::new();
    home.context("broken", "tcp://h", false, &[]);
    let meta = home
        .docker()
        .join("contexts/meta")
        .join(context_dir_name("broken"))
        .join("meta.json");
    for (text, reason) in [
        ("{\"Name\":", "EOF"),
        (r#"{"Name":"other","Endpoints":{}}"#, "expected `broken`"),
        (
            r#"{"Name":"broken","Endpoints":{}}"#,
            "no `Endpoints.docker`",
        ),
        (
            r#"{"Name":"broken","Endpoints":{"docker":{"Host":5}}}"#,
            "invalid type",
        ),
    ] {
        fs::write(&meta, text).unwrap();
        let env = home.env(&[("DOCKER_CONTEXT", "broken")]);
        let error = resolve(&EndpointArgs::default(), &env).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, EndpointError::BadContextMeta { .. }),
            "{message}"
        );
        assert!(message.contains(meta.to_str().unwrap()), "{message}");
        assert!(message.contains(reason), "{text}: {message}");
    }
}

#[test]
fn malformed_config_json_is_an_error_naming_the_file() {
    let home = Home::new();
    home.write(".docker/config.json", r#"{"currentContext": 5}"#);
    let message = resolve(&EndpointArgs::default(), &home.env(&[]))
        .unwrap_err()
        .to_string();
    assert!(message.contains("config.json"), "{message}");
    assert!(message.contains("currentContext"), "{message}");
}

#[test]
fn all_contexts_lists_default_then_the_store_sorted() {
    let home = Home::new();
    home.context("zeta", "tcp://10.0.0.26:2375", false, &[]);
    home.context("alpha", "ssh://me@a", false, &[]);
    let args = EndpointArgs {
        all_contexts: true,
        contexts: vec!["zeta".into()],
        ..EndpointArgs::default()
    };
    let all = resolve(&args, &home.env(&[])).unwrap();
    assert_eq!(
        urls(&all),
        [
            ("zeta", "tcp://10.0.0.26:2375"),
            ("default", DEFAULT_HOST),
            ("alpha", "ssh://me@a"),
        ]
    );
}

#[test]
fn hosts_and_contexts_add_up() {
    let home = Home::new();
    home.context("prod", "tcp://10.0.0.5:2375", false, &[]);
    let args = EndpointArgs {
        hosts: vec!["unix:///run/a.sock".into(), "tcp://10.0.0.6".into()],
        contexts: vec!["prod".into()],
        ..EndpointArgs::default()
    };
    let all = resolve(&args, &home.env(&[])).unwrap();
    assert_eq!(
        urls(&all),
        [
            ("unix:///run/a.sock", "unix:///run/a.sock"),
            ("tcp://10.0.0.6:2375", "tcp://10.0.0.6:2375"),
            ("prod", "tcp://10.0.0.5:2375"),
        ]
    );
}

const HOSTS: &str = r#"# the fleet
[[engine]]
name = "web1"
host = "tcp://10.0.0.5:2376"
tls = { ca = "certs/ca.pem", cert = "certs/cert.pem", key = "certs/key.pem" }

[[engine]]
name = "db1"
host = "ssh://ops@10.0.0.6"

[[engine]]
context = "prod"
"#;

fn fleet_home() -> (Home, std::path::PathBuf) {
    let home = Home::new();
    home.context("prod", "unix:///run/prod.sock", false, &[]);
    for file in ["ca.pem", "cert.pem", "key.pem"] {
        home.write(&format!(".config/waybill/certs/{file}"), "PEM");
    }
    let path = home.write(".config/waybill/hosts.toml", HOSTS);
    (home, path)
}

#[test]
fn hosts_file_names_a_fleet() {
    let (home, path) = fleet_home();
    let args = EndpointArgs {
        hosts_file: Some(path.clone()),
        ..EndpointArgs::default()
    };
    let all = resolve(&args, &home.env(&[])).unwrap();
    assert_eq!(
        urls(&all),
        [
            ("web1", "tcp://10.0.0.5:2376"),
            ("db1", "ssh://ops@10.0.0.6"),
            ("prod", "unix:///run/prod.sock"),
        ]
    );
    let certs = path.parent().unwrap().join("certs");
    assert_eq!(all[0].tls.as_ref().unwrap().ca, Some(certs.join("ca.pem")));
    assert_eq!(all[0].origin, Origin::HostsFile(path));
}

#[test]
fn default_hosts_file_ranks_below_the_environment_and_above_current_context() {
    let (home, _) = fleet_home();
    home.context("current", "tcp://10.0.0.4:2375", false, &[]);
    home.current("current");
    let none = EndpointArgs::default();
    assert_eq!(resolve(&none, &home.env(&[])).unwrap().len(), 3);
    let env = home.env(&[("DOCKER_CONTEXT", "current")]);
    assert_eq!(resolve_one(&none, &env).url, "tcp://10.0.0.4:2375");
    let xdg = home.path().join("xdg");
    let env = home.env(&[("XDG_CONFIG_HOME", xdg.to_str().unwrap())]);
    assert_eq!(resolve_one(&none, &env).name, "current");
}

/// The hosts-file error for `text`, as a message.
fn hosts_error(text: &str) -> String {
    let (home, path) = fleet_home();
    fs::write(&path, text).unwrap();
    let args = EndpointArgs {
        hosts_file: Some(path.clone()),
        ..EndpointArgs::default()
    };
    let error = resolve(&args, &home.env(&[])).unwrap_err();
    let message = error.to_string();
    assert!(message.contains(path.to_str().unwrap()), "{message}");
    message
}

#[test]
fn hosts_file_errors_name_file_line_and_key() {
    let cases = [
        ("[[engine]]\nname = \"a\"\nhots = \"tcp://h\"\n", ":3:1:", "`hots`"),
        ("[[engine]]\nname = \"a\"\nhost = 5\n", ":3:8:", "key `host`"),
        ("[[engine]]\nname = \"a\"\nhost = \"tcp://h\n", ":3:", "host"),
        ("[[engine]]\nname = \"a\"\nhost = \"ftp://h\"\n", ":3:8:", "key `host`: `ftp://h`"),
        ("[[engine]]\nname = \"a/b\"\nhost = \"tcp://h\"\n", ":2:8:", "key `name`"),
        ("[[engine]]\nhost = \"tcp://h\"\n", ":1:", "needs a `name`"),
        ("[[engine]]\nname = \"a\"\n", ":1:", "exactly one of `host` or `context`"),
        ("\n\n[[engine]]\ncontext = \"nope\"\n", ":4:11:", "context `nope` does not exist"),
        (
            "[[engine]]\nname = \"a\"\nhost = \"tcp://h\"\ntls = { ca = \"x.pem\", cert = \"c\", key = \"k\" }\n",
            ":4:14:",
            "key `tls.ca`",
        ),
        ("[[engine]]\nname = \"a\"\nhost = \"tcp://h\"\ntls = { ca = \"x\" }\n", ":4:", "missing field `cert`"),
        ("# nothing\n", ":1:1:", "no `[[engine]]`"),
        ("[[engines]]\nname = \"a\"\n", ":1:", "`engines`"),
    ];
    for (text, position, key) in cases {
        let message = hosts_error(text);
        assert!(message.contains(position), "{text}: {message}");
        assert!(message.contains(key), "{text}: {message}");
    }
}

#[test]
fn duplicate_names_are_an_error_naming_both() {
    let (home, path) = fleet_home();
    let args = EndpointArgs {
        hosts_file: Some(path),
        contexts: vec!["prod".into()],
        ..EndpointArgs::default()
    };
    // The same engine twice is kept once.
    assert_eq!(resolve(&args, &home.env(&[])).unwrap().len(), 3);
    fs::write(
        home.path().join(".config/waybill/hosts.toml"),
        "[[engine]]\nname = \"prod\"\nhost = \"tcp://10.0.0.8\"\n",
    )
    .unwrap();
    let message = resolve(&args, &home.env(&[])).unwrap_err().to_string();
    assert!(
        message.contains("two engines are named `prod`"),
        "{message}"
    );
    assert!(
        message.contains("--context (`unix:///run/prod.sock`)"),
        "{message}"
    );
    assert!(message.contains("hosts file"), "{message}");
    assert!(message.contains("tcp://10.0.0.8:2375"), "{message}");
}

#[test]
fn named_hosts_file_that_is_missing_is_an_error() {
    let args = EndpointArgs {
        hosts_file: Some("/nonexistent/hosts.toml".into()),
        ..EndpointArgs::default()
    };
    let error = resolve(&args, &Env::default()).unwrap_err();
    assert!(matches!(error, EndpointError::Read { .. }), "{error}");
    assert!(error.to_string().contains("/nonexistent/hosts.toml"));
}

const SWARM_HOSTS: &str = r#"
[[engine]]
name = "manager"
host = "tcp://10.0.0.5"
swarm_node = "node-a"

[[engine]]
name = "b"
host = "ssh://ops@10.0.0.6"
swarm_node = "mck8a46nrxmcygyme4139y7y5"

[swarm]
node_host = "tcp://{addr}:2376"
tls = { ca = "certs/ca.pem", cert = "certs/cert.pem", key = "certs/key.pem" }
"#;

#[test]
fn hosts_file_maps_swarm_nodes_and_gives_a_node_template() {
    let (home, path) = fleet_home();
    fs::write(&path, SWARM_HOSTS).unwrap();
    let args = EndpointArgs {
        hosts_file: Some(path.clone()),
        ..EndpointArgs::default()
    };
    let env = home.env(&[]);
    // The engines are the fleet as before; the Swarm keys add to them.
    assert_eq!(
        urls(&resolve(&args, &env).unwrap()),
        [
            ("manager", "tcp://10.0.0.5:2375"),
            ("b", "ssh://ops@10.0.0.6")
        ]
    );
    let swarm = swarm_settings(&args, &env).unwrap();
    let mapped: Vec<(&str, &str)> = swarm
        .nodes
        .iter()
        .map(|(node, e)| (node.as_str(), e.name.as_str()))
        .collect();
    assert_eq!(
        mapped,
        [("node-a", "manager"), ("mck8a46nrxmcygyme4139y7y5", "b")]
    );
    let template = swarm.template.expect("a template");
    let node = template.endpoint("wbt-c", "10.0.0.7", "wbt-c").unwrap();
    assert_eq!(node.url, "tcp://10.0.0.7:2376");
    let certs = path.parent().unwrap().join("certs");
    assert_eq!(node.tls.unwrap().ca, Some(certs.join("ca.pem")));
    // The default hosts file is read the same way; none means no settings.
    assert_eq!(
        swarm_settings(&EndpointArgs::default(), &env)
            .unwrap()
            .nodes
            .len(),
        2
    );
    let xdg = home.path().join("xdg");
    let elsewhere = home.env(&[("XDG_CONFIG_HOME", xdg.to_str().unwrap())]);
    assert_eq!(
        swarm_settings(&EndpointArgs::default(), &elsewhere).unwrap(),
        SwarmSettings::default()
    );
}

#[test]
fn hosts_file_swarm_errors_name_file_line_and_key() {
    let cases = [
        (
            "[[engine]]\nname = \"a\"\nhost = \"tcp://h\"\n[swarm]\nnode_host = \"tcp://h:2376\"\n",
            ":5:13:",
            "neither `{addr}`",
        ),
        (
            "[[engine]]\nname = \"a\"\nhost = \"tcp://h\"\n[swarm]\nnode_host = \"unix:///{addr}\"\n",
            ":5:13:",
            "key `node_host`",
        ),
        (
            "[[engine]]\nname = \"a\"\nhost = \"tcp://h\"\n[swarm]\nnode-host = \"tcp://{addr}\"\n",
            ":5:",
            "`node-host`",
        ),
        (
            "[[engine]]\nname = \"a\"\nhost = \"tcp://h\"\nswarm_node = \" \"\n",
            ":4:14:",
            "key `swarm_node`",
        ),
    ];
    for (text, position, key) in cases {
        let message = hosts_error(text);
        assert!(message.contains(position), "{text}: {message}");
        assert!(message.contains(key), "{text}: {message}");
    }
}
