//! The shell examples in README.md and docs/*.md run, as written.
//!
//! Every fenced `sh`/`bash` block is run unless the line before it says
//! why not, so each skip is a visible decision in the document:
//!
//! - no marker: run, without Docker;
//! - `<!-- run: docker -->`: run through the Docker harness (tests/docker:
//!   skipped loudly without an engine, a failure in CI);
//! - `<!-- not run: REASON -->`: not run, for the reason given;
//! - `<!-- file: PATH -->` before any other block (a Dockerfile, say):
//!   written to PATH before the document's examples run.
//!
//! A document's examples run in order, in one sandbox, as a reader
//! following along would: a copy of this repository's files committed to
//! a fresh git repository (so `waybill stamp` has something to stamp and
//! the real checkout is never written), the built `container` and
//! `waybill` first on PATH, `bash -e -o pipefail`, a deadline for each
//! block. Under Docker, the image and container names the documents use
//! (`waybill/base:latest`, `blocklist`, ...) are replaced by names unique
//! to the run, and a `docker` wrapper labels what `run`, `create` and
//! `build` make, so the harness removes it.
//!
//! The example pipeline that stamps labels into `docker build` once hid a
//! failing stamp (`mapfile -t labels < <(waybill stamp ...)`): it is also
//! run with the engine unreachable, and must stop with the stamp's exit
//! code before `docker build`.

#![cfg(feature = "host")]

mod docker;

#[allow(clippy::duplicate_mod)]
#[path = "common/deadline.rs"]
mod deadline;

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// How long one example may run: long enough for image builds.
const BLOCK_DEADLINE: Duration = Duration::from_secs(600);
/// How long an example without Docker may run.
const PLAIN_DEADLINE: Duration = Duration::from_secs(60);

/// The languages of fenced blocks that are shell examples.
const SHELL_LANGUAGES: [&str; 4] = ["sh", "bash", "shell", "console"];

/// What the line before a fenced block says about it.
#[derive(Debug, Clone, PartialEq)]
enum Marker {
    /// No marker: a shell block is run without Docker.
    None,
    Docker,
    NotRun(String),
    File(String),
}

/// One fenced block of a document.
#[derive(Debug, Clone)]
struct Block {
    doc: String,
    /// The line of the opening fence, 1-based.
    line: usize,
    language: String,
    text: String,
    marker: Marker,
}

impl Block {
    fn is_shell(&self) -> bool {
        SHELL_LANGUAGES.contains(&self.language.as_str())
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} (```{})", self.doc, self.line, self.language)
    }
}

/// README.md and every docs/*.md, relative to the repository root.
fn documents() -> Vec<String> {
    let mut docs = vec!["README.md".to_string()];
    let mut guides: Vec<String> = fs::read_dir(Path::new(ROOT).join("docs"))
        .expect("read docs/")
        .map(|entry| entry.expect("read docs/").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    guides.sort();
    docs.extend(guides);
    docs
}

/// The fenced blocks of `doc`, with their markers. Panics on a marker it
/// does not understand, so a typo cannot silently skip an example.
fn blocks_of(doc: &str) -> Vec<Block> {
    let text =
        fs::read_to_string(Path::new(ROOT).join(doc)).unwrap_or_else(|e| panic!("read {doc}: {e}"));
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    let mut last_text_line = "";
    for (index, line) in text.lines().enumerate() {
        let fence = line.trim_start();
        if let Some(block) = open.as_mut() {
            if fence.starts_with("```") {
                blocks.push(open.take().expect("a block is open"));
            } else {
                // Blocks indented in a list keep their indentation out.
                let indent = line.len() - line.trim_start().len();
                let strip = indent.min(block_indent(&text, block.line));
                block.text.push_str(&line[strip..]);
                block.text.push('\n');
            }
            continue;
        }
        if let Some(language) = fence.strip_prefix("```") {
            open = Some(Block {
                doc: doc.to_string(),
                line: index + 1,
                language: language.trim().to_string(),
                text: String::new(),
                marker: marker(doc, index + 1, last_text_line),
            });
            continue;
        }
        if !line.trim().is_empty() {
            last_text_line = line;
        }
    }
    assert!(open.is_none(), "{doc}: a fenced block is never closed");
    blocks
}

/// The indentation of the fence on (1-based) `line`.
fn block_indent(text: &str, line: usize) -> usize {
    let fence = text.lines().nth(line - 1).unwrap_or("");
    fence.len() - fence.trim_start().len()
}

/// The marker in `previous`, the last non-blank line before a fence.
fn marker(doc: &str, line: usize, previous: &str) -> Marker {
    let Some(comment) = previous
        .trim()
        .strip_prefix("<!--")
        .and_then(|c| c.strip_suffix("-->"))
    else {
        return Marker::None;
    };
    let comment = comment.trim();
    if comment == "run: docker" {
        Marker::Docker
    } else if let Some(reason) = comment.strip_prefix("not run:") {
        let reason = reason.trim();
        assert!(
            !reason.is_empty(),
            "{doc}:{line}: `not run:` needs a reason"
        );
        Marker::NotRun(reason.to_string())
    } else if let Some(path) = comment.strip_prefix("file:") {
        Marker::File(path.trim().to_string())
    } else {
        panic!(
            "{doc}:{line}: the comment before this block, `{previous}`, is not a marker this \
             test knows (`run: docker`, `not run: REASON`, `file: PATH`)"
        )
    }
}

fn all_blocks() -> Vec<Block> {
    documents().iter().flat_map(|doc| blocks_of(doc)).collect()
}

#[test]
fn every_shell_example_is_run_or_says_why_not() {
    let blocks = all_blocks();
    let mut problems = Vec::new();
    for block in &blocks {
        match (&block.marker, block.is_shell()) {
            (Marker::File(_), true) => {
                problems.push(format!("{block}: a shell example cannot be a `file:`"))
            }
            (Marker::Docker | Marker::NotRun(_), false) => problems.push(format!(
                "{block}: only shell examples are run; this marker means nothing here"
            )),
            (Marker::File(path), false)
                if path.is_empty() || path.starts_with('/') || path.contains("..") =>
            {
                problems.push(format!(
                    "{block}: `file: {path}` must name a path in the sandbox"
                ))
            }
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The test is only worth something while it runs examples.
    let run = blocks
        .iter()
        .filter(|b| b.is_shell() && matches!(b.marker, Marker::None | Marker::Docker))
        .count();
    assert!(run >= 3, "only {run} shell examples are run");
    let mut listing = String::from("\nshell examples in the documentation:\n");
    for block in blocks.iter().filter(|b| b.is_shell()) {
        let what = match &block.marker {
            Marker::None => "run".to_string(),
            Marker::Docker => "run with Docker".to_string(),
            Marker::NotRun(reason) => format!("not run: {reason}"),
            Marker::File(_) => unreachable!("checked above"),
        };
        listing.push_str(&format!("  {block}: {what}\n"));
    }
    eprint!("{listing}");
}

/// A git repository holding a copy of this repository's files, with the
/// built binaries first on PATH: where examples run.
struct Sandbox {
    dir: tempfile::TempDir,
    /// `(from, to)` pairs replacing the documents' object names.
    names: Vec<(String, String)>,
    env: Vec<(String, String)>,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("waybill-doc-examples-")
            .tempdir()
            .expect("create the sandbox");
        let sandbox = Sandbox {
            dir,
            names: Vec::new(),
            env: Vec::new(),
        };
        for sub in ["repo", "bin", "home", "tmp", "state"] {
            fs::create_dir_all(sandbox.path(sub)).expect("create the sandbox's directories");
        }
        copy_repository(&sandbox.path("repo"));
        for args in [
            &["init", "-q", "-b", "main"][..],
            &["add", "-A"],
            &[
                "commit",
                "-q",
                "-m",
                "the repository, as the documents describe it",
            ],
        ] {
            let out =
                deadline::output_or_panic(sandbox.command("git").args(args), None, PLAIN_DEADLINE);
            assert!(
                out.status.success(),
                "git {args:?} in the sandbox failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        for (name, target) in [
            ("container", env!("CARGO_BIN_EXE_container")),
            ("waybill", env!("CARGO_BIN_EXE_waybill")),
        ] {
            std::os::unix::fs::symlink(target, sandbox.path("bin").join(name))
                .expect("link a binary into the sandbox");
        }
        sandbox
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// `program` in the sandbox's repository, with a clean environment:
    /// PATH (the sandbox's bin first), HOME, TMPDIR, a state directory for
    /// `container`, a git identity, and what [`Sandbox::set`] added.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into())
        );
        cmd.current_dir(self.path("repo"))
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.path("home"))
            .env("TMPDIR", self.path("tmp"))
            .env("LANG", "C.UTF-8")
            .env("CONTAINER_STATE_DIR", self.path("state"))
            .env("GIT_AUTHOR_NAME", "waybill docs")
            .env("GIT_AUTHOR_EMAIL", "docs@example.invalid")
            .env("GIT_COMMITTER_NAME", "waybill docs")
            .env("GIT_COMMITTER_EMAIL", "docs@example.invalid");
        for key in [
            "DOCKER_HOST",
            "DOCKER_CONFIG",
            "DOCKER_CONTEXT",
            "DOCKER_CERT_PATH",
            "DOCKER_TLS_VERIFY",
        ] {
            if let Some(value) = std::env::var_os(key) {
                cmd.env(key, value);
            }
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        cmd
    }

    fn set(&mut self, key: &str, value: impl Into<String>) {
        self.env.push((key.to_string(), value.into()));
    }

    /// `text` with the documents' object names replaced.
    fn rename(&self, text: &str) -> String {
        let mut text = text.to_string();
        for (from, to) in &self.names {
            text = replace_name(&text, from, to);
        }
        text
    }

    /// Writes the document's `file:` blocks.
    fn write_files(&self, blocks: &[Block]) {
        for block in blocks {
            if let Marker::File(path) = &block.marker {
                let path = self.path("repo").join(path);
                fs::create_dir_all(path.parent().expect("a file in the sandbox"))
                    .expect("create a directory in the sandbox");
                fs::write(&path, self.rename(&block.text))
                    .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
            }
        }
    }

    /// Runs `block` under `bash -e -o pipefail`, or with `errexit` off
    /// when `errexit` is false; returns what happened.
    fn run(&self, block: &Block, errexit: bool, deadline: Duration) -> Ran {
        let script = self.rename(&block.text);
        // By its path: the example's PATH may not lead to it.
        let mut cmd = self.command(&on_path("bash").display().to_string());
        cmd.args(["--noprofile", "--norc"]);
        if errexit {
            cmd.args(["-e", "-o", "pipefail"]);
        }
        cmd.arg("-c").arg(&script);
        let output = deadline::output_within(&mut cmd, None, deadline)
            .unwrap_or_else(|e| panic!("{block}: the example did not finish:\n{script}\n{e}"));
        Ran {
            block: block.to_string(),
            script,
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A finished example.
struct Ran {
    block: String,
    script: String,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl fmt::Display for Ran {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "---- example {}:\n{}---- exit: {:?}\n---- stdout:\n{}\n---- stderr:\n{}",
            self.block, self.script, self.code, self.stdout, self.stderr
        )
    }
}

/// Copies the repository's files (tracked, or untracked and not ignored:
/// what a fresh checkout of this work tree would hold) to `to`.
fn copy_repository(to: &Path) {
    let out = deadline::output_or_panic(
        Command::new("git").current_dir(ROOT).args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ]),
        None,
        PLAIN_DEADLINE,
    );
    assert!(out.status.success(), "git ls-files failed");
    for name in out.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let from = Path::new(ROOT).join(&name);
        let dest = to.join(&name);
        let Ok(meta) = fs::symlink_metadata(&from) else {
            continue; // deleted in the work tree
        };
        fs::create_dir_all(dest.parent().expect("a file in the repository"))
            .expect("create a directory in the sandbox");
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&from).expect("read a symlink");
            std::os::unix::fs::symlink(target, &dest).expect("copy a symlink");
        } else if meta.is_file() {
            fs::copy(&from, &dest).unwrap_or_else(|e| panic!("copy {name} into the sandbox: {e}"));
        }
    }
}

/// Whether `c` can be part of an image or container name.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/:".contains(c)
}

/// `text` with every whole-name occurrence of `from` replaced by `to`:
/// `blocklist` in `exec blocklist container` but not in
/// `examples/blocklist/build.sh`.
fn replace_name(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(name_char) || after.is_some_and(name_char) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

#[test]
fn replace_name_replaces_whole_names_only() {
    let text = "docker run --name blocklist -v \"$PWD/examples/blocklist/src:/x\" \
                waybill/blocklist:latest\nFROM waybill/base:latest\ndocker run waybill/base sh";
    let text = replace_name(text, "waybill/base:latest", "B1");
    let text = replace_name(&text, "waybill/base", "B2");
    let text = replace_name(&text, "blocklist", "C");
    assert_eq!(
        text,
        "docker run --name C -v \"$PWD/examples/blocklist/src:/x\" \
         waybill/blocklist:latest\nFROM B1\ndocker run B2 sh"
    );
}

/// Runs the document's examples that `select` picks, in order, in one
/// sandbox; panics with the first one that fails.
fn run_document(
    doc: &str,
    sandbox: &Sandbox,
    select: impl Fn(&Block) -> bool,
    deadline: Duration,
) -> usize {
    let blocks = blocks_of(doc);
    let chosen: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.is_shell() && select(b))
        .collect();
    if chosen.is_empty() {
        return 0;
    }
    sandbox.write_files(&blocks);
    for block in &chosen {
        let ran = sandbox.run(block, true, deadline);
        assert_eq!(ran.code, Some(0), "the example failed:\n{ran}");
    }
    chosen.len()
}

#[test]
fn shell_examples_run_as_documented() {
    let mut ran = 0;
    for doc in documents() {
        // A fresh sandbox per document: documents do not depend on each other.
        let sandbox = Sandbox::new();
        ran += run_document(&doc, &sandbox, |b| b.marker == Marker::None, PLAIN_DEADLINE);
    }
    assert!(ran > 0, "no example ran without Docker");
}

/// The static `container` binary the image builds need, built once.
fn static_container() -> &'static str {
    static BIN: OnceLock<Result<String, String>> = OnceLock::new();
    let built = BIN.get_or_init(|| {
        let out = docker::run(
            &mut Command::new(Path::new(ROOT).join("scripts/build-static.sh")),
            docker::BUILD_DEADLINE,
        );
        if out.success() {
            Ok(out.stdout.trim().to_string())
        } else {
            Err(out.to_string())
        }
    });
    match built {
        Ok(bin) => bin,
        Err(why) => panic!("scripts/build-static.sh failed:\n{why}"),
    }
}

/// Where `program` is on this process's PATH.
fn on_path(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("`{program}` is not on PATH"))
}

/// Makes `sandbox` use the engine: unique names for the documents'
/// images and containers (removed by guards and by the harness at exit),
/// the build scripts' options, and a `docker` that labels what it makes.
fn docker_sandbox(sandbox: &mut Sandbox) -> Vec<Box<dyn std::any::Any>> {
    let mut guards: Vec<Box<dyn std::any::Any>> = Vec::new();
    let mut image = |what: &str| -> String {
        let guard = docker::ImageGuard::new(what);
        let name = guard.name.clone();
        guards.push(Box::new(guard));
        name
    };
    let base = image("doc-base");
    let blocklist = image("doc-blocklist");
    let web = image("doc-web");
    // Longest first: `waybill/base:latest` before `waybill/base`.
    sandbox.names = vec![
        ("waybill/base:latest".into(), base.clone()),
        ("waybill/base".into(), base.clone()),
        ("waybill/blocklist:latest".into(), blocklist.clone()),
        ("waybill/blocklist".into(), blocklist.clone()),
        ("example/web:latest".into(), web.clone()),
    ];
    let container = docker::ContainerGuard::new("doc-blocklist");
    sandbox
        .names
        .push(("blocklist".into(), container.name.clone()));
    guards.push(Box::new(container));

    sandbox.set("WAYBILL_BASE_IMAGE", base);
    sandbox.set("WAYBILL_BLOCKLIST_IMAGE", blocklist);
    sandbox.set("WAYBILL_BIN", env!("CARGO_BIN_EXE_waybill"));
    sandbox.set("CONTAINER_BIN", static_container());
    let labels = docker::label_args()
        .chunks(2)
        .map(|pair| pair[1].clone())
        .collect::<Vec<_>>();
    sandbox.set("WAYBILL_EXTRA_LABELS", labels.join(" "));

    let label_args: String = labels
        .iter()
        .map(|label| format!(" --label {label}"))
        .collect();
    let wrapper = format!(
        "#!/bin/bash\n\
         # The real docker, labelling what `run`, `create` and `build` make\n\
         # so that the test harness finds and removes it.\n\
         real={real}\n\
         case \"${{1-}} ${{2-}}\" in\n\
         \x20 'container run '* | 'container create '* | 'image build '*)\n\
         \x20   exec \"$real\" \"$1\" \"$2\"{label_args} \"${{@:3}}\" ;;\n\
         esac\n\
         case ${{1-}} in\n\
         \x20 run | create) exec \"$real\" \"$1\"{label_args} \"${{@:2}}\" ;;\n\
         \x20 build) exec \"$real\" build --force-rm{label_args} \"${{@:2}}\" ;;\n\
         \x20 *) exec \"$real\" \"$@\" ;;\n\
         esac\n",
        real = on_path("docker").display()
    );
    let path = sandbox.path("bin").join("docker");
    fs::write(&path, wrapper).expect("write the docker wrapper");
    let mut perms = fs::metadata(&path).expect("stat the wrapper").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(&path, perms).expect("make the wrapper executable");
    guards
}

#[test]
fn docker_shell_examples_run_as_documented() {
    if !docker::engine_or_skip("docker_shell_examples_run_as_documented") {
        return;
    }
    let docs: Vec<String> = documents()
        .into_iter()
        .filter(|doc| blocks_of(doc).iter().any(|b| b.marker == Marker::Docker))
        .collect();
    assert!(
        !docs.is_empty(),
        "no document has an example run with Docker"
    );
    for doc in docs {
        let mut sandbox = Sandbox::new();
        // Dropped at the end of each document, removing what it made.
        let _guards = docker_sandbox(&mut sandbox);
        run_document(
            &doc,
            &sandbox,
            |b| matches!(b.marker, Marker::None | Marker::Docker),
            BLOCK_DEADLINE,
        );
    }
}

/// Values for the placeholders the templates use (`"$TAG"`).
const PLACEHOLDERS: [(&str, &str); 1] = [("TAG", "1.0")];

/// Regression: README's `mapfile -t labels < <(waybill stamp ... --format
/// labels)` ran `docker build` without the labels when the stamp failed,
/// since a process substitution's exit status is lost (`pipefail` does
/// not cover it). Every example that stamps labels for `docker build`,
/// run or not, must stop with the stamp's code, without `set -e` too.
#[test]
fn stamp_examples_stop_when_the_stamp_fails() {
    let mut checked = 0;
    for doc in documents() {
        let blocks = blocks_of(&doc);
        for block in blocks.iter().filter(|b| {
            b.is_shell() && b.text.contains("waybill stamp") && b.text.contains("docker build")
        }) {
            let mut sandbox = Sandbox::new();
            // `--from` cannot reach an engine, and there is no docker.
            sandbox.set(
                "DOCKER_HOST",
                "unix:///nonexistent/waybill-test-no-engine.sock",
            );
            for (key, value) in PLACEHOLDERS {
                sandbox.set(key, value);
            }
            sandbox.write_files(&blocks);
            let bin = sandbox.path("bin");
            let mut cmd_path = bin.display().to_string();
            // bash itself needs nothing from PATH; git is not used by waybill.
            cmd_path.push_str(":/nonexistent");
            sandbox.set("PATH", cmd_path);
            let ran = sandbox.run(block, false, PLAIN_DEADLINE);
            assert!(
                !ran.stderr.contains("docker: command not found"),
                "the example went on to `docker build` after a failed stamp:\n{ran}"
            );
            assert_eq!(
                ran.code,
                Some(69),
                "the example should stop with the failed stamp's exit code (69: no engine):\n{ran}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "only {checked} stamping examples found");
}

/// The idiom that hides a failing command, anywhere users copy from: the
/// documents' shell examples, the CI examples and the build scripts.
#[test]
fn no_example_hides_a_failing_stamp_in_a_process_substitution() {
    let mut sources: Vec<(String, String)> = all_blocks()
        .into_iter()
        .filter(Block::is_shell)
        .map(|b| (b.to_string(), b.text))
        .collect();
    for dir in [
        "examples/ci",
        "base-image",
        "examples/blocklist",
        "examples/compose",
    ] {
        for entry in fs::read_dir(Path::new(ROOT).join(dir)).expect("read an examples directory") {
            let path = entry.expect("read an examples directory").path();
            if path.is_file() {
                let text = fs::read_to_string(&path).unwrap_or_default();
                sources.push((path.display().to_string(), text));
            }
        }
    }
    let mut problems = Vec::new();
    for (source, text) in &sources {
        for (index, line) in text.lines().enumerate() {
            let code = line.trim_start();
            let comment = code.starts_with('#') || code.starts_with("//");
            if !comment && code.contains("< <(") && code.contains("waybill") {
                problems.push(format!("{source}, line {}: {line}", index + 1));
            }
        }
    }
    assert!(sources.len() > 10, "found too few examples to check");
    assert!(
        problems.is_empty(),
        "`< <(waybill ...)` loses waybill's exit status; capture into a variable with \
         `|| exit` first:\n{}",
        problems.join("\n")
    );
}
