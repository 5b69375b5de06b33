//! What `container` and `waybill` print, under hostile records and broken
//! outputs: the examine report stays linear in the size of the records,
//! record text never reaches a terminal as control characters, a closed
//! pipe or a full disk on stdout never makes a program panic, and a
//! METRICS check stays linear in the number of labels.
//!
//! Every process runs with a deadline; nothing here measures speed.

mod common;

use common::{describe, TestDir, PATIENCE};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::fd::OwnedFd;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The largest record `container record` accepts (src/record).
const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// The deepest a `user_metadata` value may nest: the record reader allows
/// 64 levels, the record itself being level 1 (docs/metadata.md).
const DEEPEST: usize = 62;

/// Long enough for a debug build to print a report about a few MiB of
/// records on a busy machine; far shorter than a quadratic report takes.
const SLOW_PATIENCE: Duration = Duration::from_secs(90);

// ---------------------------------------------------------------------
// Running a process with a deadline.

/// Kills `child` after `deadline` unless told to stop first. The child is
/// reaped only after the watchdog is stopped, so its pid cannot be reused
/// while the watchdog may still signal it.
struct Watchdog {
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<bool>,
}

impl Watchdog {
    fn start(child: &Child, deadline: Duration) -> Watchdog {
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || match stopped.recv_timeout(deadline) {
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                true
            }
            _ => false,
        });
        Watchdog { stop, thread }
    }

    /// Stops the watchdog; true when it had to kill the child.
    fn stop(self) -> bool {
        let _ = self.stop.send(());
        self.thread.join().unwrap_or(true)
    }
}

/// Runs `cmd` to the end with stdin from /dev/null and stderr captured,
/// killing it after `deadline`; stdout is whatever the caller set.
#[track_caller]
fn run_with_deadline(mut cmd: Command, deadline: Duration) -> Output {
    let description = format!("{cmd:?}");
    cmd.stdin(Stdio::null()).stderr(Stdio::piped());
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {description}: {e}"));
    let watchdog = Watchdog::start(&child, deadline);
    let output = child.wait_with_output();
    let killed = watchdog.stop();
    let output = output.unwrap_or_else(|e| panic!("wait for {description}: {e}"));
    if killed {
        panic!(
            "{description} did not finish within {deadline:?}\n{}",
            describe(&output)
        );
    }
    output
}

/// What a run with counted stdout printed.
struct Counted {
    stdout_bytes: u64,
    status: ExitStatus,
    stderr: String,
    /// Stdout went past the limit and the process was killed.
    over_limit: bool,
}

/// Runs `cmd`, counting what it prints on stdout without keeping it, and
/// kills it once it prints more than `limit` bytes or runs past the
/// deadline. Stderr goes to a file, so neither pipe can fill up.
#[track_caller]
fn run_counting(mut cmd: Command, limit: u64, scratch: &TestDir) -> Counted {
    let description = format!("{cmd:?}");
    let stderr_path = scratch.file("stderr.txt");
    let stderr = File::create(&stderr_path).expect("create stderr file");
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {description}: {e}"));
    let watchdog = Watchdog::start(&child, SLOW_PATIENCE);
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut chunk = vec![0u8; 256 * 1024];
    let mut stdout_bytes = 0u64;
    let mut over_limit = false;
    loop {
        match stdout.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => stdout_bytes += n as u64,
        }
        if stdout_bytes > limit {
            over_limit = true;
            let _ = child.kill();
            break;
        }
    }
    drop(stdout);
    let status = child.wait();
    let killed = watchdog.stop();
    let status = status.unwrap_or_else(|e| panic!("wait for {description}: {e}"));
    let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
    assert!(
        !killed,
        "{description} did not finish within {SLOW_PATIENCE:?}; it printed {stdout_bytes} bytes\n\
         --- stderr\n{stderr}"
    );
    Counted {
        stdout_bytes,
        status,
        stderr,
        over_limit,
    }
}

/// Stdout on a pipe whose reading end is already closed: every write
/// fails with EPIPE, however early it comes.
fn closed_pipe() -> Stdio {
    let (reader, writer): (OwnedFd, OwnedFd) = nix::unistd::pipe().expect("make a pipe");
    drop(reader);
    Stdio::from(writer)
}

/// Stdout on /dev/full: every write fails with ENOSPC.
fn full_disk() -> Stdio {
    Stdio::from(
        OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("open /dev/full"),
    )
}

#[track_caller]
fn assert_code(output: &Output, code: i32, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what}: expected exit code {code}\n{}",
        describe(output)
    );
}

#[track_caller]
fn assert_no_panic(output: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{what}: panicked\n{}",
        describe(output)
    );
}

/// A std command for the real `container`, pointed at `t`.
fn container(t: &TestDir, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_container"));
    cmd.env_clear()
        .env("CONTAINER_META_DIR", t.meta_dir())
        .env("CONTAINER_STATE_DIR", t.state_dir())
        .env("TEST_DIR", t.path())
        .args(args);
    cmd
}

// ---------------------------------------------------------------------
// Examine output stays linear in the size of the records.

/// Output allowed per input byte, plus a constant for the fixed text of
/// the report. The worst honest case (a list of empty tags, one line of
/// 26 blanks for each 3 input bytes) is about 9.
const OUTPUT_PER_INPUT_BYTE: u64 = 16;
const OUTPUT_CONSTANT: u64 = 64 * 1024;

/// Fills `out` up to about `MAX_RECORD_BYTES` with `piece(i)` for
/// i = 0, 1, ..., leaving `reserve` bytes for what the caller appends.
fn fill(out: &mut String, reserve: usize, mut piece: impl FnMut(usize) -> String) {
    let mut i = 0;
    loop {
        let next = piece(i);
        if out.len() + next.len() + reserve > MAX_RECORD_BYTES {
            return;
        }
        out.push_str(&next);
        i += 1;
    }
}

/// Records built to make a naive report blow up, each just under 1 MiB.
fn adversarial_records() -> Vec<(&'static str, String)> {
    let mut records = Vec::new();

    // One long key, and many short leaves under it: each leaf's dotted
    // path repeats the long key. (The bug: 199 KB made 1 GB of output.)
    let mut r = format!(
        r#"{{"project":"p","user_metadata":{{"{}":{{"#,
        "k".repeat(400 * 1024)
    );
    fill(&mut r, 16, |i| format!(r#""a{i}":0,"#));
    r.push_str(r#""z":0}}}"#);
    records.push(("one long key over many leaves", r));

    // Nesting as deep as the record reader allows (user_metadata's own
    // object is level 2 of 64), with long keys and a leaf at every level:
    // the paths add up quadratically in the depth.
    let depth = DEEPEST;
    let key = "d".repeat((MAX_RECORD_BYTES - 4096) / depth - 16);
    let mut r = String::from(r#"{"project":"p","user_metadata":"#);
    for _ in 0..depth {
        r.push_str(&format!(r#"{{"x":0,"{key}":"#));
    }
    r.push('0');
    r.push_str(&"}".repeat(depth + 1));
    records.push(("deep nesting with long keys", r));

    // Deep nesting with short keys, and many leaves at the bottom.
    let depth = DEEPEST - 1;
    let mut r = String::from(r#"{"project":"p","user_metadata":"#);
    for level in 0..depth {
        r.push_str(&format!(r#"{{"level{level}_{}":"#, "n".repeat(100)));
    }
    r.push('{');
    fill(&mut r, depth + 16, |i| format!(r#""{i}":0,"#));
    r.push_str(r#""z":0}"#);
    r.push_str(&"}".repeat(depth + 1));
    records.push(("deep nesting with many leaves at the bottom", r));

    // A shared path of control characters, each shown as four bytes,
    // over many leaves.
    let mut r = format!(
        r#"{{"project":"p","user_metadata":{{"{}":{{"#,
        "\\u0001".repeat(100)
    );
    fill(&mut r, 16, |i| format!(r#""{i}":0,"#));
    r.push_str(r#""z":0}}}"#);
    records.push(("a path of control characters over many leaves", r));

    // Many chains of one-letter keys, each as deep as the reader allows:
    // past the path limit, every object gets a line of its own.
    let chain = format!(
        "{}0{}",
        r#"{"a":"#.repeat(DEEPEST - 1),
        "}".repeat(DEEPEST - 1)
    );
    let mut r = String::from(r#"{"project":"p","user_metadata":{"#);
    fill(&mut r, 16, |i| format!(r#""{i}":{chain},"#));
    r.push_str(r#""z":0}}"#);
    records.push(("many deep chains of one-letter keys", r));

    // Many short words, wrapped at 80 columns.
    let mut r = String::from(r#"{"project":"p","build_tag":""#);
    fill(&mut r, 8, |_| "a ".into());
    r.push_str(r#""}"#);
    records.push(("many short words", r));

    // Blanks between words: runs of them must not become lines of blanks.
    let mut r = String::from(r#"{"project":"p","build_tag":""#);
    fill(&mut r, 8, |i| {
        if i % 100 == 0 {
            "a".into()
        } else {
            " ".into()
        }
    });
    r.push_str(r#""}"#);
    records.push(("long runs of blanks", r));

    // One word of a megabyte, which cannot wrap.
    let mut r = String::from(r#"{"project":"p","build_url":""#);
    fill(&mut r, 8, |_| "w".into());
    r.push_str(r#""}"#);
    records.push(("one huge word", r));

    // Many empty tags: a line of blanks for every three input bytes.
    let mut r = String::from(r#"{"project":"p","image_tag_names":["#);
    fill(&mut r, 8, |_| r#""","#.into());
    r.push_str(r#""x"]}"#);
    records.push(("many empty tags", r));

    // Many short unknown fields.
    let mut r = String::from(r#"{"project":"p","#);
    fill(&mut r, 16, |i| format!(r#""f{i}":0,"#));
    r.push_str(r#""z":0}"#);
    records.push(("many unknown fields", r));

    // Many empty arguments of a method, shown twice (methods and actions).
    let mut r = String::from(r#"{"project":"p","start_method":["/bin/x","#);
    fill(&mut r, 8, |_| r#""","#.into());
    r.push_str(r#""x"]}"#);
    records.push(("many empty method arguments", r));

    // Control characters, each escaped in the text form.
    let mut r = String::from(r#"{"project":"p","build_tag":""#);
    fill(&mut r, 8, |i| match i % 3 {
        0 => "\\u001b".into(),
        1 => "\u{9b}".into(),
        _ => "\u{202e}".into(),
    });
    r.push_str(r#""}"#);
    records.push(("control characters", r));

    for (what, record) in &records {
        assert!(record.len() <= MAX_RECORD_BYTES, "{what}: {}", record.len());
        assert!(
            record.len() > MAX_RECORD_BYTES * 9 / 10,
            "{what} is only {} bytes",
            record.len()
        );
    }
    records
}

#[test]
fn examine_text_output_is_linear_in_adversarial_1mib_records() {
    for (what, record) in adversarial_records() {
        let t = TestDir::new();
        t.write_raw_record("0001-p.json", &record);
        // Each record must be one `container record` accepts.
        let accepted = run_with_deadline(
            {
                let mut cmd = container(&t, &["--metadata"]);
                cmd.stdout(Stdio::null());
                cmd
            },
            SLOW_PATIENCE,
        );
        assert_code(&accepted, 0, what);

        let limit = OUTPUT_PER_INPUT_BYTE * record.len() as u64 + OUTPUT_CONSTANT;
        let run = run_counting(container(&t, &["--examine"]), limit, &t);
        assert!(
            !run.over_limit,
            "{what}: a {} byte record made more than {limit} bytes of report",
            record.len()
        );
        assert_eq!(
            run.status.code(),
            Some(0),
            "{what}: {}\n{}",
            run.status,
            run.stderr
        );
        eprintln!(
            "{what}: {} bytes in, {} bytes out ({:.1}x)",
            record.len(),
            run.stdout_bytes,
            run.stdout_bytes as f64 / record.len() as f64
        );
    }
}

// ---------------------------------------------------------------------
// Control characters from records never reach the terminal.

/// Text that would set the terminal's title, clear the screen, return
/// to the line start and overwrite it, or reorder what is shown.
const TITLE: &str = "\u{1b}]0;pwned\u{7}";
const HOSTILE: &str = "a\u{1b}[2Jb\rc\u{8}d\u{0}e\u{7f}f\u{9b}31mg\u{202e}h\u{2066}i\tj\nk";

/// Every character the text report must never print from a record: C0
/// other than the report's own line ends, DEL, C1, and the bidi
/// embedding, override and isolate controls.
fn forbidden(c: char) -> bool {
    (c < ' ' && c != '\n')
        || ('\u{7f}'..='\u{9f}').contains(&c)
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[track_caller]
fn assert_clean(text: &str, what: &str) {
    if let Some((at, c)) = text.char_indices().find(|&(_, c)| forbidden(c)) {
        let before: Vec<char> = text[..at].chars().rev().take(60).collect();
        let context: String = before
            .into_iter()
            .rev()
            .chain(text[at..].chars().take(20))
            .collect();
        panic!("{what}: control character {c:?} at byte {at}, in {context:?}");
    }
}

/// [`HOSTILE`] as a file name or a method can hold it: no NUL.
fn hostile_file_name() -> String {
    HOSTILE.replace('\0', "")
}

fn hostile_record() -> Value {
    json!({
        "project": format!("p{TITLE}"),
        "image_name": HOSTILE,
        "image_tag_names": [HOSTILE, TITLE],
        "gitref": HOSTILE,
        "git_branch": HOSTILE,
        "git_describe": HOSTILE,
        "git_tags": [HOSTILE],
        "ci": true,
        "ci_system": HOSTILE,
        "build_cause": HOSTILE,
        "build_tag": HOSTILE,
        "build_id": HOSTILE,
        "build_url": HOSTILE,
        "source_url": HOSTILE,
        "start_method": format!("/bin/{TITLE}"),
        // A NUL in a method is refused at record time (exec cannot pass it).
        "update_method": ["/bin/echo", hostile_file_name(), TITLE],
        "user_metadata": {
            HOSTILE: HOSTILE,
            "nested": {TITLE: [HOSTILE, {"k": TITLE}], "list": [1, HOSTILE]}
        },
        HOSTILE: TITLE,
        "other": {TITLE: HOSTILE}
    })
}

#[test]
fn examine_text_escapes_control_characters_from_every_field() {
    let t = TestDir::new();
    t.write_record(1, hostile_record());
    let mut cmd = container(&t, &["--examine"]);
    cmd.env("WAYBILL_DEPLOYED_BY", hostile_file_name())
        .stdout(Stdio::piped());
    let output = run_with_deadline(cmd, PATIENCE);
    assert_code(&output, 0, "examine");
    let report = String::from_utf8(output.stdout.clone()).expect("the report is UTF-8");
    assert_clean(&report, "examine report");
    assert_clean(&String::from_utf8_lossy(&output.stderr), "examine stderr");
    // Escaped visibly, not dropped.
    assert!(report.contains(r"\x1b]0;pwned\x07"), "{report}");
    assert!(
        report.contains(r"a\x1b[2Jb\rc\x08d\0e\x7ff\u{9b}31mg\u{202e}h\u{2066}i\tj\nk"),
        "{report}"
    );
    assert!(report.contains(r"Deployed By: a\x1b[2Jb"), "{report}");
}

#[test]
fn json_output_keeps_control_characters_exact() {
    let t = TestDir::new();
    let record = hostile_record();
    t.write_record(1, record.clone());
    for args in [["--examine", "--json"], ["--metadata", "--all"]] {
        let mut cmd = container(&t, &args);
        cmd.stdout(Stdio::piped());
        let output = run_with_deadline(cmd, PATIENCE);
        assert_code(&output, 0, "json");
        let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let printed = match &printed {
            Value::Array(all) => &all[0],
            report => &report["images"][0]["record"],
        };
        assert_eq!(printed, &record, "{args:?}");
    }
}

#[test]
fn file_names_with_control_characters_are_escaped_in_text_and_on_stderr() {
    let t = TestDir::new();
    t.write_record(1, json!({"project": "base"}));
    // A good record, a malformed one and a directory, each named with
    // escape sequences.
    fs::write(
        t.meta_dir().join(format!("0002-{TITLE}.json")),
        r#"{"project": "leaf"}"#,
    )
    .unwrap();
    fs::write(
        t.meta_dir()
            .join(format!("0003-{}.json", hostile_file_name())),
        "{oops",
    )
    .unwrap();
    fs::create_dir(t.meta_dir().join(format!("0004-{TITLE}"))).unwrap();

    for args in [&["--examine"][..], &["--metadata"], &["--validate"]] {
        let mut cmd = container(&t, args);
        cmd.stdout(Stdio::piped());
        let output = run_with_deadline(cmd, PATIENCE);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_clean(&stdout, &format!("{args:?} stdout"));
        assert_clean(&stderr, &format!("{args:?} stderr"));
        assert!(
            stderr.contains(r"0003-a\x1b[2Jb\rc"),
            "{args:?}: the bad record is named\n{stderr}"
        );
        assert_no_panic(&output, &format!("{args:?}"));
    }
    let mut cmd = container(&t, &["--examine"]);
    cmd.stdout(Stdio::piped());
    let report = String::from_utf8(run_with_deadline(cmd, PATIENCE).stdout).unwrap();
    assert!(
        report.contains(r"Record File: 0002-\x1b]0;pwned\x07.json"),
        "{report}"
    );
    assert!(
        report.contains(r"Malformed record 0003-a\x1b[2Jb"),
        "{report}"
    );
}

#[test]
fn record_escapes_control_characters_in_its_filed_line_and_errors() {
    let t = TestDir::new();
    let file = t.file("record.json");
    fs::write(&file, json!({"project": format!("web{TITLE}")}).to_string()).unwrap();
    let mut cmd = container(&t, &["record", file.to_str().unwrap()]);
    cmd.stdout(Stdio::piped());
    let output = run_with_deadline(cmd, PATIENCE);
    assert_code(&output, 0, "record");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_clean(&stdout, "record stdout");
    assert!(stdout.contains(r"web\x1b]0;pwned\x07"), "{stdout}");

    // An error that quotes a file name.
    let missing = t.file(&format!("missing{TITLE}.json"));
    let mut cmd = container(&t, &["record", missing.to_str().unwrap()]);
    cmd.stdout(Stdio::piped());
    let output = run_with_deadline(cmd, PATIENCE);
    assert_code(&output, 66, "record of a missing file");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_clean(&stderr, "record stderr");
    assert!(stderr.contains(r"missing\x1b]0;pwned\x07.json"), "{stderr}");
}

#[test]
fn method_names_are_escaped_in_errors() {
    let t = TestDir::new();
    t.write_record(
        1,
        json!({"project": "app", "validate_method": format!("/no/such/{TITLE}")}),
    );
    let mut cmd = container(&t, &["--validate"]);
    cmd.stdout(Stdio::piped());
    let output = run_with_deadline(cmd, PATIENCE);
    assert_code(&output, 78, "validate");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_clean(&stderr, "validate stderr");
    assert!(stderr.contains(r"/no/such/\x1b]0;pwned\x07"), "{stderr}");
}

// ---------------------------------------------------------------------
// A closed pipe or a full disk on stdout.

/// A record big enough that the report fills a pipe's buffer, with a
/// METRICS method that prints a line.
fn big_record(t: &TestDir) {
    let words = "lorem ipsum dolor sit amet ".repeat(10_000);
    let metrics = t.sh_method(
        "metrics.sh",
        "echo '# HELP app_up Whether the app is up.'\necho 'app_up 1'\n",
    );
    t.write_record(
        1,
        json!({"project": "app", "build_tag": words, "metrics_method": metrics}),
    );
}

#[test]
fn examine_piped_into_head_exits_0_without_a_panic() {
    // The bug: `container --examine | head -1` aborted with exit 134.
    let t = TestDir::new();
    big_record(&t);
    let mut cmd = container(&t, &["--examine"]);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn container");
    let watchdog = Watchdog::start(&child, PATIENCE);
    // Read the first line, as `head -1` does, then close the pipe. The
    // report is larger than the pipe's buffer, so the writer is still
    // writing when the reader goes.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).expect("read the first byte");
    drop(stdout);
    let output = child.wait_with_output();
    assert!(
        !watchdog.stop(),
        "container --examine hung on a closed pipe"
    );
    let output = output.unwrap();
    assert_code(&output, 0, "examine | head -1");
    assert_no_panic(&output, "examine | head -1");
    assert!(output.stderr.is_empty(), "{}", describe(&output));
}

/// Every `container` command that prints on stdout, ready to run in `t`.
fn printing_commands(t: &TestDir) -> Vec<(String, Command)> {
    big_record(t);
    let record_file = t.file("new.json");
    fs::write(&record_file, r#"{"project": "new"}"#).unwrap();
    vec![
        ("--examine".into(), container(t, &["--examine"])),
        (
            "--examine --json".into(),
            container(t, &["--examine", "--json"]),
        ),
        ("--metadata".into(), container(t, &["--metadata"])),
        (
            "--metadata --all".into(),
            container(t, &["--metadata", "--all"]),
        ),
        (
            "record".into(),
            container(t, &["record", record_file.to_str().unwrap()]),
        ),
        ("--metrics".into(), container(t, &["--metrics"])),
        ("--help".into(), container(t, &["--help"])),
    ]
}

#[test]
fn every_container_command_exits_quietly_into_a_closed_pipe() {
    let t = TestDir::new();
    for (what, mut cmd) in printing_commands(&t) {
        cmd.stdout(closed_pipe());
        let output = run_with_deadline(cmd, PATIENCE);
        assert_no_panic(&output, &what);
        assert_code(&output, 0, &what);
        assert!(output.stderr.is_empty(), "{what}\n{}", describe(&output));
    }
}

#[test]
fn every_container_command_exits_74_on_a_full_disk() {
    let t = TestDir::new();
    for (what, mut cmd) in printing_commands(&t) {
        cmd.stdout(full_disk());
        let output = run_with_deadline(cmd, PATIENCE);
        assert_no_panic(&output, &what);
        assert_code(&output, 74, &what);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("failed to write to standard output")
                && stderr.contains("No space left on device"),
            "{what}\n{}",
            describe(&output)
        );
    }
}

#[test]
fn a_closed_pipe_keeps_the_exit_code_of_bad_records() {
    let t = TestDir::new();
    big_record(&t);
    t.write_raw_record("0002-bad.json", "{oops");
    for args in [&["--examine"][..], &["--metadata"]] {
        let mut cmd = container(&t, args);
        cmd.stdout(closed_pipe());
        let output = run_with_deadline(cmd, PATIENCE);
        assert_no_panic(&output, &format!("{args:?}"));
        assert_code(&output, 65, &format!("{args:?}"));
    }
}

#[test]
fn a_failing_stderr_is_ignored() {
    let t = TestDir::new();
    big_record(&t);
    t.write_raw_record("0002-bad.json", "{oops");
    for (args, code) in [
        (&["--examine"][..], 65),
        (&["--metadata"], 65),
        (&["--no-such-flag"], 64),
        (&["--validate"], 69),
    ] {
        let mut cmd = container(&t, args);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(full_disk());
        let status = {
            let mut child = cmd.spawn().expect("spawn container");
            let watchdog = Watchdog::start(&child, PATIENCE);
            let status = child.wait();
            assert!(!watchdog.stop(), "{args:?} hung");
            status.unwrap()
        };
        // A panic would exit 101 (or abort with 134).
        assert_eq!(status.code(), Some(code), "{args:?}: {status}");
    }
}

#[cfg(feature = "host")]
mod waybill {
    use super::*;

    fn stamp_labels(t: &TestDir) -> Command {
        let record = t.file("waybill.json");
        fs::write(&record, r#"{"project": "web", "schema_version": 1}"#).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waybill"));
        cmd.env_clear().args([
            "stamp",
            "--record",
            record.to_str().unwrap(),
            "--format",
            "labels",
        ]);
        cmd
    }

    #[test]
    fn stamp_exits_quietly_into_a_closed_pipe() {
        let t = TestDir::new();
        let mut cmd = stamp_labels(&t);
        cmd.stdout(closed_pipe());
        let output = run_with_deadline(cmd, PATIENCE);
        assert_no_panic(&output, "stamp");
        assert_code(&output, 0, "stamp");
        assert!(output.stderr.is_empty(), "{}", describe(&output));
    }

    #[test]
    fn stamp_exits_74_on_a_full_disk() {
        let t = TestDir::new();
        let mut cmd = stamp_labels(&t);
        cmd.stdout(full_disk());
        let output = run_with_deadline(cmd, PATIENCE);
        assert_no_panic(&output, "stamp");
        assert_code(&output, 74, "stamp");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("No space left on device"),
            "{}",
            describe(&output)
        );
    }

    #[test]
    fn waybill_help_into_a_closed_pipe_or_a_full_disk_does_not_panic() {
        for (stdout, code) in [(closed_pipe(), 0), (full_disk(), 74)] {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_waybill"));
            cmd.env_clear().arg("--help").stdout(stdout);
            let output = run_with_deadline(cmd, PATIENCE);
            assert_no_panic(&output, "waybill --help");
            assert_code(&output, code, "waybill --help");
        }
    }

    #[test]
    fn waybill_errors_escape_control_characters() {
        let t = TestDir::new();
        let missing = t.file(&format!("missing{TITLE}.json"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_waybill"));
        cmd.env_clear()
            .args([
                "stamp",
                "--record",
                missing.to_str().unwrap(),
                "--format",
                "labels",
            ])
            .stdout(Stdio::piped());
        let output = run_with_deadline(cmd, PATIENCE);
        assert_code(&output, 66, "stamp --record missing");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_clean(&stderr, "waybill stderr");
        assert!(stderr.contains(r"missing\x1b]0;pwned\x07.json"), "{stderr}");
    }
}

#[test]
fn container_help_on_a_full_disk_exits_74() {
    let t = TestDir::new();
    let mut cmd = container(&t, &["--help"]);
    cmd.stdout(full_disk());
    let output = run_with_deadline(cmd, PATIENCE);
    assert_no_panic(&output, "--help");
    assert_code(&output, 74, "--help");
}

// ---------------------------------------------------------------------
// METRICS checks stay linear in the number of labels.

fn many_labels(count: usize, last: &str) -> String {
    let mut line = String::from("wide{");
    for i in 0..count {
        line.push_str(&format!("l{i}=\"v\","));
    }
    line.push_str(last);
    line.push_str("} 1\n");
    line
}

#[test]
fn metrics_with_100000_labels_is_checked_and_printed() {
    // The bug: duplicate labels were found with `Vec::contains`, and a
    // sample with 100,000 labels took 46.7 s to check.
    let t = TestDir::new();
    let exposition = many_labels(100_000, "last=\"v\"");
    fs::write(t.file("metrics.txt"), &exposition).unwrap();
    let method = t.sh_method("m.sh", "cat \"$TEST_DIR/metrics.txt\"\n");
    t.write_record(1, json!({"project": "app", "metrics_method": method}));
    let mut cmd = container(&t, &["--metrics"]);
    cmd.stdout(Stdio::piped());
    let output = run_with_deadline(cmd, PATIENCE);
    assert_code(&output, 0, "--metrics");
    assert!(
        output.stdout == exposition.as_bytes(),
        "the output is printed unchanged"
    );
}

#[test]
fn metrics_with_a_duplicate_among_100000_labels_exits_76() {
    let t = TestDir::new();
    fs::write(t.file("metrics.txt"), many_labels(100_000, "l5=\"again\"")).unwrap();
    let method = t.sh_method("m.sh", "cat \"$TEST_DIR/metrics.txt\"\n");
    t.write_record(1, json!({"project": "app", "metrics_method": method}));
    let mut cmd = container(&t, &["--metrics"]);
    cmd.stdout(Stdio::piped());
    let output = run_with_deadline(cmd, PATIENCE);
    assert_code(&output, 76, "--metrics");
    assert!(output.stdout.is_empty(), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("label `l5` appears twice"), "{stderr}");
}

// ---------------------------------------------------------------------
// Property: no control character from a record reaches the text report.

/// Characters a hostile record would use, mixed with ordinary ones.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
        (0x7fu32..0xa0).prop_map(|c| char::from_u32(c).unwrap()),
        prop::sample::select(vec![
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{2028}', '\u{2029}', ' ', '.', '\\', '"', '`', '%', 'a',
            '-', '/',
        ]),
        any::<char>(),
    ]
}

fn hostile_string() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..16).prop_map(String::from_iter)
}

/// Nested JSON with hostile keys and strings.
fn hostile_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        hostile_string().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(hostile_string(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn hostile_record_strategy() -> impl Strategy<Value = Value> {
    (
        (
            hostile_string(),
            hostile_string(),
            prop::collection::vec(hostile_string(), 0..3),
            hostile_string(),
            hostile_string(),
            hostile_string(),
        ),
        (
            hostile_string(),
            prop::collection::vec(hostile_string(), 1..4),
            prop::collection::btree_map(hostile_string(), hostile_value(), 0..4),
            prop::collection::btree_map(hostile_string(), hostile_value(), 0..3),
        ),
    )
        .prop_map(
            |((project, image, tags, gitref, tag, url), (start, update, user, unknown))| {
                let mut record = Map::new();
                record.insert("project".into(), format!("p{project}").into());
                record.insert("image_name".into(), image.into());
                record.insert("image_tag_names".into(), tags.into());
                record.insert("gitref".into(), gitref.into());
                record.insert("build_tag".into(), tag.into());
                record.insert("build_url".into(), url.into());
                record.insert("start_method".into(), format!("/{start}").into());
                let mut argv = vec![Value::from("/bin/x")];
                argv.extend(update.into_iter().map(Value::from));
                record.insert("update_method".into(), argv.into());
                record.insert(
                    "user_metadata".into(),
                    Value::Object(user.into_iter().collect()),
                );
                for (key, value) in unknown {
                    // Prefixed so that no key is a known field of another type.
                    record.insert(format!("x-{key}"), value);
                }
                Value::Object(record)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn text_output_never_contains_a_control_character_from_a_record(
        record in hostile_record_strategy(),
        name in hostile_string(),
    ) {
        let t = TestDir::new();
        t.write_record(1, json!({"project": "base"}));
        let name = format!("0002-{}.json", name.replace(['/', '\0'], "-"));
        fs::write(t.meta_dir().join(&name), serde_json::to_vec(&record).unwrap()).unwrap();
        let mut cmd = container(&t, &["--examine"]);
        cmd.env("WAYBILL_DEPLOY_REASON", record["build_tag"].as_str().unwrap_or("").replace('\0', ""))
            .stdout(Stdio::piped());
        let output = run_with_deadline(cmd, PATIENCE);
        let stdout = String::from_utf8(output.stdout.clone()).expect("the report is UTF-8");
        let stderr = String::from_utf8_lossy(&output.stderr);
        prop_assert!(
            matches!(output.status.code(), Some(0 | 65)),
            "{}", describe(&output)
        );
        if let Some(c) = stdout.chars().chain(stderr.chars()).find(|&c| forbidden(c)) {
            prop_assert!(false, "control character {:?} in\n{}", c, describe(&output));
        }
    }
}
