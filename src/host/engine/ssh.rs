//! The ssh transport: an `ssh://[user@]host[:port]` engine is reached the
//! way the docker CLI reaches it, by running the system's `ssh` client as
//! `ssh [-l USER] [-p PORT] -- HOST docker system dial-stdio` (no shell
//! on this side) and speaking HTTP over that child's stdin and stdout.
//!
//! Why not bollard's own ssh connector: it hands `user@host:port` to ssh
//! as one host name, so any port but 22 fails, and it goes through a
//! control-master session in a temporary directory. Here every ssh
//! address takes this one path, port 22 included, so there is one set
//! of ssh options and one way a failure is explained:
//!
//! - `-o ConnectTimeout=N` (the connect deadline) and `-T` (no terminal),
//!   as the docker CLI passes them; user and port as `-l` and `-p`, and
//!   `--` before the host, so no part of an address is read as an option;
//! - `-o BatchMode=yes`, which the docker CLI does not pass: engines are
//!   reached concurrently (and part 2's server has no terminal), so a
//!   password or host-key prompt fails at once with ssh's own message
//!   instead of several prompts sharing one terminal;
//! - ssh's stderr (its first [`MAX_STDERR`] bytes) and exit status are
//!   kept, so a connection that fails says why: a refused login, an
//!   unknown host key, no docker CLI on the far side.
//!
//! Everything else comes from the user's ssh configuration, which ssh
//! reads itself. Each HTTP connection is one ssh process; the HTTP
//! client's pool reuses them, and a dropped connection kills its ssh.

use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::sync::{oneshot, watch};

/// The ssh client run, found on `PATH` as the docker CLI finds it.
const SSH_PROGRAM: &str = "ssh";

/// Bytes of ssh's stderr kept to explain a failure; the rest is read and
/// dropped.
const MAX_STDERR: usize = 2048;

/// How long to wait for ssh to exit and finish its stderr once its
/// connection has failed (or once it exited, for the rest of stderr).
pub(super) const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Where an ssh address leads: the parts ssh takes as separate arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SshTarget {
    user: Option<String>,
    /// A name or an address; an IPv6 address without its brackets.
    host: String,
    port: Option<u16>,
}

impl SshTarget {
    /// Reads a normalised `ssh://[user@]host[:port]` address.
    pub(super) fn parse(address: &str) -> Result<SshTarget, String> {
        let url = url::Url::parse(address).map_err(|e| e.to_string())?;
        if url.scheme() != "ssh" {
            return Err("not an ssh:// address".into());
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) if !name.is_empty() => name.to_owned(),
            Some(url::Host::Ipv4(addr)) => addr.to_string(),
            Some(url::Host::Ipv6(addr)) => addr.to_string(),
            _ => return Err("an ssh address needs a host".into()),
        };
        let user = match url.username() {
            "" => None,
            encoded => Some(
                percent_encoding::percent_decode_str(encoded)
                    .decode_utf8()
                    .map_err(|_| "the ssh user name is not UTF-8")?
                    .into_owned(),
            ),
        };
        Ok(SshTarget {
            user,
            host,
            port: url.port(),
        })
    }

    /// ssh's arguments, as the docker CLI builds them (plus batch mode;
    /// see the module doc).
    pub(super) fn args(&self, connect_timeout: Duration) -> Vec<String> {
        let mut args = vec![
            "-o".to_owned(),
            format!("ConnectTimeout={}", connect_timeout.as_secs().max(1)),
            "-o".to_owned(),
            "BatchMode=yes".to_owned(),
            "-T".to_owned(),
        ];
        if let Some(user) = &self.user {
            args.extend(["-l".to_owned(), user.clone()]);
        }
        if let Some(port) = self.port {
            args.extend(["-p".to_owned(), port.to_string()]);
        }
        args.extend(
            ["--", &self.host, "docker", "system", "dial-stdio"]
                .iter()
                .map(|s| (*s).to_owned()),
        );
        args
    }
}

/// How an ssh process ended on its own (not killed by us).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SshExit {
    /// None when a signal ended it.
    pub(super) code: Option<i32>,
    /// The start of its stderr, as it wrote it.
    pub(super) stderr: String,
}

impl SshExit {
    /// What the exit means, for an error message: ssh's own words on one
    /// line, and the fix for the usual failures.
    pub(super) fn reason(&self) -> String {
        let said = self
            .stderr
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        let status = match self.code {
            Some(code) => format!("ssh exited with status {code}"),
            None => "ssh was killed by a signal".to_owned(),
        };
        let lower = said.to_lowercase();
        let hint = if self.code == Some(127)
            || lower.contains("docker: not found")
            || lower.contains("docker: command not found")
        {
            " (the far side has no docker CLI to run `docker system dial-stdio`)"
        } else if lower.contains("permission denied") {
            " (ssh must log in without a prompt: a key it offers, or the ssh agent)"
        } else if lower.contains("host key verification failed") {
            " (the host's key is not in known_hosts: connect once with ssh to check and add it)"
        } else if lower.contains("cannot connect to the docker daemon") {
            " (the docker CLI on the far side cannot reach its engine)"
        } else {
            ""
        };
        if said.is_empty() {
            format!("{status}{hint}")
        } else {
            format!("{status}: {said}{hint}")
        }
    }
}

/// Starts one ssh process per HTTP connection, and remembers how the last
/// one that ended on its own ended.
#[derive(Clone)]
pub(super) struct SshConnector {
    args: Arc<[String]>,
    exits: Arc<watch::Sender<Option<SshExit>>>,
}

impl SshConnector {
    pub(super) fn new(target: &SshTarget, connect_timeout: Duration) -> SshConnector {
        SshConnector {
            args: target.args(connect_timeout).into(),
            exits: Arc::new(watch::channel(None).0),
        }
    }

    /// How the last ssh that ended on its own ended, waiting up to
    /// `grace` for one to end.
    pub(super) async fn last_exit(&self, grace: Duration) -> Option<SshExit> {
        let mut exits = self.exits.subscribe();
        let exit = match tokio::time::timeout(grace, exits.wait_for(Option::is_some)).await {
            Ok(Ok(exit)) => exit.clone(),
            _ => None,
        };
        exit
    }

    fn spawn(&self) -> io::Result<SshStream> {
        let mut child = Command::new(SSH_PROGRAM)
            .args(self.args.iter())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot run the ssh client `{SSH_PROGRAM}`: {e}"),
                )
            })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(io::Error::other("ssh started without its pipes"));
        };
        let (closed, on_close) = oneshot::channel();
        tokio::spawn(watch_child(
            child,
            stderr,
            on_close,
            Arc::clone(&self.exits),
        ));
        Ok(SshStream {
            stdin: Some(TokioIo::new(stdin)),
            stdout: TokioIo::new(stdout),
            _closed: closed,
        })
    }
}

impl tower_service::Service<hyper::Uri> for SshConnector {
    type Response = SshStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<SshStream>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// The address is ignored: every connection of this connector goes
    /// to its one ssh target.
    fn call(&mut self, _: hyper::Uri) -> Self::Future {
        let spawned = self.spawn();
        Box::pin(async move { spawned })
    }
}

/// Waits for `child` to end, and records how: it ends on its own when
/// ssh fails, and once its connection is dropped (its stdin closes, so
/// `dial-stdio` and then ssh end). A child still running a moment after
/// its connection is dropped is killed and reaped, and not recorded.
async fn watch_child(
    mut child: Child,
    stderr: ChildStderr,
    on_close: oneshot::Receiver<()>,
    exits: Arc<watch::Sender<Option<SshExit>>>,
) {
    let reader = tokio::spawn(read_capped(stderr));
    // A connection that failed is dropped as soon as ssh closes its
    // stdout, which may be before ssh's exit is seen: wait for it then.
    let ended = tokio::select! {
        status = child.wait() => Some(status),
        _ = on_close => None,
    };
    let ended = match ended {
        Some(status) => Some(status),
        None => tokio::time::timeout(EXIT_GRACE, child.wait()).await.ok(),
    };
    match ended {
        Some(status) => {
            let stderr = match tokio::time::timeout(EXIT_GRACE, reader).await {
                Ok(Ok(text)) => text,
                _ => String::new(),
            };
            let code = status.ok().and_then(|status| status.code());
            exits.send_replace(Some(SshExit { code, stderr }));
        }
        None => {
            reader.abort();
            let _ = child.start_kill();
            let _ = tokio::time::timeout(EXIT_GRACE, child.wait()).await;
        }
    }
}

/// `stderr` to its end, keeping its first [`MAX_STDERR`] bytes.
async fn read_capped(mut stderr: ChildStderr) -> String {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match stderr.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_STDERR.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..n.min(room)]);
            }
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// One HTTP connection: ssh's stdout to read, its stdin to write.
/// Dropping it kills the ssh process.
pub(super) struct SshStream {
    /// None once the writing half is shut down.
    stdin: Option<TokioIo<ChildStdin>>,
    stdout: TokioIo<ChildStdout>,
    /// Dropped with the stream, which tells the watcher to kill ssh.
    _closed: oneshot::Sender<()>,
}

impl SshStream {
    fn stdin(&mut self) -> io::Result<Pin<&mut TokioIo<ChildStdin>>> {
        self.stdin
            .as_mut()
            .map(Pin::new)
            .ok_or_else(|| io::ErrorKind::BrokenPipe.into())
    }
}

impl hyper::rt::Read for SshStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdout).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for SshStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().stdin()?.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().stdin()?.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // A child's stdin has no shutdown of its own: closing it is what
        // ends the writing half.
        if let Some(stdin) = this.stdin.as_mut() {
            std::task::ready!(Pin::new(stdin).poll_shutdown(cx))?;
        }
        this.stdin = None;
        Poll::Ready(Ok(()))
    }
}

impl Connection for SshStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(address: &str) -> Vec<String> {
        SshTarget::parse(address)
            .expect(address)
            .args(Duration::from_secs(10))
    }

    #[test]
    fn user_and_port_are_separate_arguments_and_the_host_follows_a_double_dash() {
        let tail = |address: &str| args(address)[5..].join(" ");
        assert_eq!(
            tail("ssh://ops@h:2222"),
            "-l ops -p 2222 -- h docker system dial-stdio"
        );
        assert_eq!(tail("ssh://h"), "-- h docker system dial-stdio");
        assert_eq!(tail("ssh://h:22"), "-p 22 -- h docker system dial-stdio");
        assert_eq!(
            tail("ssh://[::1]:2222"),
            "-p 2222 -- ::1 docker system dial-stdio"
        );
        // A user name that reads like an option stays the value of `-l`.
        assert_eq!(
            tail("ssh://-oProxyCommand=x@h"),
            "-l -oProxyCommand=x -- h docker system dial-stdio"
        );
        assert_eq!(
            tail("ssh://a%20b@h"),
            "-l a b -- h docker system dial-stdio"
        );
        assert_eq!(
            args("ssh://h")[..5].join(" "),
            "-o ConnectTimeout=10 -o BatchMode=yes -T"
        );
    }

    #[test]
    fn an_ssh_exit_says_what_to_fix() {
        let exit = |code, stderr: &str| {
            SshExit {
                code,
                stderr: stderr.into(),
            }
            .reason()
        };
        assert_eq!(
            exit(
                Some(255),
                "root@10.0.0.5: Permission denied (publickey).\r\n"
            ),
            "ssh exited with status 255: root@10.0.0.5: Permission denied (publickey). (ssh \
             must log in without a prompt: a key it offers, or the ssh agent)"
        );
        assert!(exit(Some(127), "sh: 1: docker: not found\n")
            .ends_with("no docker CLI to run `docker system dial-stdio`)"),);
        assert!(exit(Some(255), "Host key verification failed.\n").contains("known_hosts"));
        assert_eq!(
            exit(
                Some(255),
                "ssh: connect to host h port 2222: Connection refused\n\n"
            ),
            "ssh exited with status 255: ssh: connect to host h port 2222: Connection refused"
        );
        assert_eq!(exit(None, ""), "ssh was killed by a signal");
    }
}
