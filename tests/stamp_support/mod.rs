//! Helpers shared by the `waybill stamp` tests: real git repositories
//! made with the git CLI in temporary directories, and the real `waybill`
//! binary run with a controlled environment. Every process runs with a
//! deadline ([`PATIENCE`]); past it, it is killed and the test fails.

#![allow(dead_code)]

// Included by path so that this module stands alone in any test file;
// a file that also includes another helper module compiles it twice.
#[allow(clippy::duplicate_mod)]
#[path = "../common/deadline.rs"]
mod deadline;

pub use deadline::PATIENCE;
use serde_json::Value;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

/// A git repository in a temporary directory, with one commit on `main`.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.write("README", "hello\n");
        repo.commit("first");
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git in the repository and returns its trimmed stdout.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    pub fn write(&self, name: &str, text: &str) {
        let path = self.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create directories");
        }
        std::fs::write(path, text).expect("write a file");
    }

    #[track_caller]
    pub fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }
}

/// Runs git in `dir` with a fixed identity and no user or system config.
#[track_caller]
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = deadline::output_or_panic(
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("PATH", path_var())
            .env("HOME", dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com"),
        None,
        PATIENCE,
    );
    assert!(
        out.status.success(),
        "git {args:?} in {} failed\nstdout:\n{}\nstderr:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn path_var() -> String {
    std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into())
}

/// One finished run of a binary, remembered with its command line so a
/// failing assertion can show everything.
pub struct Run {
    pub command: String,
    pub output: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn report(&self) -> String {
        format!(
            "command: {}\nexit: {:?}\nstdout:\n{}\nstderr:\n{}",
            self.command,
            self.code(),
            self.stdout(),
            self.stderr()
        )
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> String {
        assert_eq!(self.code(), Some(0), "expected success\n{}", self.report());
        self.stdout()
    }

    /// Asserts success and parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        let text = self.ok();
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.report()))
    }

    /// Asserts the exit code and that stderr mentions `needle`.
    #[track_caller]
    pub fn fails(&self, code: i32, needle: &str) {
        assert_eq!(
            self.code(),
            Some(code),
            "wrong exit code\n{}",
            self.report()
        );
        assert!(
            self.stderr().contains(needle),
            "stderr does not mention {needle:?}\n{}",
            self.report()
        );
    }

    /// Panics with the full report.
    #[track_caller]
    pub fn explain(&self, what: &str) -> ! {
        panic!("{what}\n{}", self.report())
    }
}

/// Runs a binary in `dir` with an empty environment except PATH, HOME
/// and `env`, killing it (and failing) past [`PATIENCE`].
pub fn run_in<I, S>(binary: &str, dir: &Path, args: I, env: &[(&str, &str)]) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut cmd = Command::new(binary);
    cmd.args(&args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", path_var())
        .env("HOME", dir);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let shown_env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let command = format!(
        "(cd {} && env -i {} {} {})",
        dir.display(),
        shown_env.join(" "),
        binary,
        args.iter()
            .map(|a| format!("{:?}", a))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let output = deadline::output_within(&mut cmd, None, PATIENCE)
        .unwrap_or_else(|e| panic!("{e}\n(as run: {command})"));
    Run { command, output }
}

/// Runs `waybill stamp ARGS` in `dir`.
pub fn stamp(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["stamp"];
    all.extend_from_slice(args);
    run_in(env!("CARGO_BIN_EXE_waybill"), dir, all, env)
}

/// Runs `container ARGS` in `dir`.
pub fn container(dir: &Path, args: &[&str]) -> Run {
    run_in(env!("CARGO_BIN_EXE_container"), dir, args, &[])
}

/// Runs any command with the deadline, for the odd tool a test needs
/// (`id`, `chown`); the exit status is the caller's to judge.
#[track_caller]
pub fn run_tool(cmd: &mut Command) -> Output {
    deadline::output_or_panic(cmd, None, PATIENCE)
}

/// A fixed SOURCE_DATE_EPOCH, so two stamps of one commit are equal.
pub const EPOCH: (&str, &str) = ("SOURCE_DATE_EPOCH", "1427695330");

pub fn field<'a>(record: &'a Value, name: &str) -> &'a Value {
    record.get(name).unwrap_or(&Value::Null)
}
