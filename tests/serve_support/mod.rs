//! Running the real `waybill serve` for a test, and talking HTTP to it.
//!
//! [`Server::start`] writes a config into a scratch directory, starts the
//! binary with `--listen 127.0.0.1:0`, and reads the bound address from
//! its `serving on http://…` line on stderr; stderr keeps being drained
//! into a buffer the test can read (to check that no secret is logged).
//! The process is killed when the guard drops, so it never outlives its
//! test; [`Server::stop`] sends SIGTERM and waits for the exit code.
//!
//! The HTTP client is a few lines over `std::net::TcpStream` rather than
//! a client crate: the tests need exact control of the framing (a chunked
//! body with no Content-Length, sent past the limit), and every read and
//! write has a timeout.
#![allow(dead_code)]

#[path = "../common/deadline.rs"]
pub mod deadline;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use deadline::PATIENCE;

pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub log: Arc<Mutex<String>>,
    pub dir: PathBuf,
}

impl Server {
    /// Starts `waybill serve` with `config` written to `dir/serve.toml`,
    /// `envs` added to its environment.
    pub fn start(dir: &Path, config: &str, envs: &[(&str, &str)]) -> Server {
        let path = dir.join("serve.toml");
        std::fs::write(&path, config).expect("write serve.toml");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waybill"));
        cmd.args(["serve", "--config"])
            .arg(&path)
            .args(["--listen", "127.0.0.1:0"])
            .env("HOME", dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn waybill serve");
        let stderr = child.stderr.take().expect("stderr piped");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            while let Some(Ok(line)) = lines.next() {
                if let Some(addr) = line
                    .strip_prefix("waybill: serving on http://")
                    .and_then(|a| a.parse::<SocketAddr>().ok())
                {
                    let _ = tx.send(addr);
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = match rx.recv_timeout(PATIENCE) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "waybill serve did not report its address within {PATIENCE:?}; stderr:\n{}",
                    log.lock().unwrap()
                );
            }
        };
        Server {
            child: Some(child),
            addr,
            log,
            dir: dir.to_path_buf(),
        }
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGTERM, then the exit code (killed and failed past [`PATIENCE`]).
    pub fn stop(mut self) -> (Option<i32>, String) {
        let mut child = self.child.take().expect("running");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                // Let the drain thread catch the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return (status.code(), self.log_text());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "waybill serve did not stop on SIGTERM; stderr:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn post(&self, path: &str, headers: &[(&str, String)], body: &[u8]) -> Response {
        request(self.addr, "POST", path, headers, Some(body))
    }

    pub fn get(&self, path: &str) -> Response {
        request(self.addr, "GET", path, &[], None)
    }

    /// Polls `GET /jobs/{id}` until the job's status is final.
    pub fn wait_job(&self, id: u64) -> serde_json::Value {
        let deadline = Instant::now() + PATIENCE * 3;
        loop {
            let r = self.get(&format!("/jobs/{id}"));
            assert_eq!(r.status, 200, "{r:?}");
            let job = r.json();
            let status = job["status"].as_str().unwrap_or("").to_owned();
            if ["done", "failed", "interrupted"].contains(&status.as_str()) {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} still {status}:\n{job:#}\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, PATIENCE).expect("connect");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// One request with a Content-Length body, `Connection: close`.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&[u8]>,
) -> Response {
    let mut stream = connect(addr);
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(body) = body {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send head");
    if let Some(body) = body {
        stream.write_all(body).expect("send body");
    }
    read_response(stream)
}

/// A POST that declares `length` bytes and sends none of them: what the
/// server answers before reading any of the body.
pub fn post_declaring(addr: SocketAddr, path: &str, length: usize) -> Response {
    let mut stream = connect(addr);
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("send head");
    read_response(stream)
}

/// A POST whose body is sent chunked, without a Content-Length, in
/// `chunks` chunks of `chunk` bytes; write errors after the server has
/// answered are expected and ignored.
pub fn post_chunked(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, String)],
    chunk: usize,
    chunks: usize,
) -> Response {
    let mut stream = connect(addr);
    let mut head =
        format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send head");
    let data = vec![b'a'; chunk];
    for _ in 0..chunks {
        let framed = [format!("{chunk:x}\r\n").as_bytes(), &data, b"\r\n"].concat();
        if stream.write_all(&framed).is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    read_response(stream)
}

fn read_response(stream: TcpStream) -> Response {
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .expect("read status line");
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("read header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n, 0);
            reader.read_exact(&mut body).expect("read body");
        }
        None => {
            let _ = reader.read_to_end(&mut body);
        }
    }
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn epoch_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub const SHA_A: &str = "1111111111111111111111111111111111111111";
pub const SHA_B: &str = "2222222222222222222222222222222222222222";
pub const SHA_C: &str = "3333333333333333333333333333333333333333";

/// A GitHub-shaped push body (GitHub, Gitea and Forgejo send this shape).
pub fn github_push(repo: &str, branch: &str, after: &str) -> Vec<u8> {
    serde_json::json!({
        "ref": format!("refs/heads/{branch}"),
        "before": "0000000000000000000000000000000000000001",
        "after": after,
        "deleted": false,
        "repository": {
            "clone_url": format!("{repo}.git"),
            "html_url": repo,
            "full_name": "example/shop"
        }
    })
    .to_string()
    .into_bytes()
}

pub fn gitlab_push(repo: &str, branch: &str, after: &str) -> Vec<u8> {
    serde_json::json!({
        "object_kind": "push",
        "ref": format!("refs/heads/{branch}"),
        "after": after,
        "project": {"git_http_url": format!("{repo}.git"), "web_url": repo, "path_with_namespace": "example/shop"}
    })
    .to_string()
    .into_bytes()
}
