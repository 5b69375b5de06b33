//! The real-browser test harness: Debian's headless Chromium driven
//! through `chromedriver` over WebDriver (the fantoccini client), for the
//! tests of `waybill serve`'s pages. A test file includes it by path after
//! the Docker harness, whose skip-or-fail policy it follows:
//!
//! ```text
//! mod docker;
//! #[path = "browser/mod.rs"]
//! mod browser;
//! let Some(b) = browser::browser_or_skip("my_test", browser::Js::On) else { return };
//! b.goto(&format!("http://{addr}/"));
//! ```
//!
//! - **Skip or fail.** Without `chromedriver` or `chromium` (Debian's
//!   `chromium-driver` and `chromium`), a test prints a loud SKIP
//!   outside CI and fails with `CI` set ([`docker::prerequisite_or_skip`]).
//!   `WAYBILL_TEST_CHROMEDRIVER` names another driver (or a missing one,
//!   to check the policy: tests/browser_harness.rs).
//! - **Processes.** Each [`Browser`] starts its own `chromedriver` on a
//!   free 127.0.0.1 port, in its own process group (its Chromium runs in
//!   that group too), with its own profile and temporary directory. The
//!   whole group is killed when the `Browser` drops, also on a test's
//!   panic, and by an `atexit` hook when the test binary exits (the
//!   Docker harness's deadline exits a hung binary, which runs it),
//!   which also removes the browser's directory.
//! - **Deadlines.** The driver must answer `/status` within
//!   [`STARTUP_DEADLINE`]; every WebDriver command is bounded by
//!   [`COMMAND_DEADLINE`] (and the session's own page-load and script
//!   timeouts); every wait ([`Browser::wait_for`]) names what it waits
//!   for and fails after its deadline showing the last thing it saw.
//! - **JavaScript off** ([`Js::Off`]) is Chromium's content setting
//!   `profile.managed_default_content_settings.javascript = 2` in
//!   `goog:chromeOptions.prefs`; [`Browser::javascript_runs`] checks on a
//!   `data:` page whether scripts really run or not.
//! - **Alerts stay open** (`unhandledPromptBehavior: ignore`), so that
//!   [`Browser::open_alert`] sees one an injected script opened instead
//!   of the driver dismissing it on the next command.
//! - **Screenshots** go to `screenshots/` in the target directory
//!   (`CARGO_TARGET_DIR` aware: the directory above cargo's
//!   `CARGO_TARGET_TMPDIR`), named by the test.
//!
//! It knows nothing about waybill's pages: what to click and what to
//! expect is the test's business. It never reaches the network beyond
//! 127.0.0.1: the client speaks plain HTTP to the driver, and Chromium
//! starts with its background networking off.

#![allow(dead_code)]

use crate::docker::prerequisite_or_skip;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

/// How long chromedriver may take to answer `/status` after it starts.
pub const STARTUP_DEADLINE: Duration = Duration::from_secs(30);
/// How long one WebDriver command may take (opening a session starts
/// Chromium, the slowest of them). Generous: machines are noisy.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(60);
/// The session's page-load timeout: a page that never finishes loading
/// fails the navigation instead of hanging it.
pub const PAGE_LOAD: Duration = Duration::from_secs(30);
/// The window's size: wide enough for the fleet table.
pub const WINDOW: (u32, u32) = (1280, 900);
/// The tallest a screenshot gets.
pub const SHOT_MAX_HEIGHT: u32 = 4000;
/// How long [`Browser::wait_for`] waits unless told otherwise.
pub const WAIT: Duration = Duration::from_secs(30);

/// Whether the browser runs JavaScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Js {
    On,
    Off,
}

/// Where the driver and the browser are: `WAYBILL_TEST_CHROMEDRIVER`,
/// else Debian's `/usr/bin/chromedriver`, else `chromedriver` on `PATH`;
/// Chromium is the `chromium` beside it or on `PATH`.
pub fn find_tools() -> Result<(PathBuf, PathBuf), String> {
    let driver = match std::env::var_os("WAYBILL_TEST_CHROMEDRIVER") {
        Some(path) => PathBuf::from(path),
        None => which("chromedriver").ok_or(
            "no `chromedriver` in /usr/bin or on PATH (Debian: apt-get install chromium-driver)",
        )?,
    };
    if !is_executable(&driver) {
        return Err(format!(
            "chromedriver `{}` is not an executable file (Debian: apt-get install chromium-driver)",
            driver.display()
        ));
    }
    let browser = which("chromium")
        .ok_or("no `chromium` in /usr/bin or on PATH (Debian: apt-get install chromium)")?;
    Ok((driver, browser))
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::iter::once(PathBuf::from("/usr/bin"))
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// A browser for `test`, or None after a loud SKIP (a failure in CI)
/// when chromedriver or Chromium is missing. Starting a browser that is
/// installed but does not work fails the test in CI and out of it.
#[track_caller]
pub fn browser_or_skip(test: &str, js: Js) -> Option<Browser> {
    let tools = find_tools();
    let ready = prerequisite_or_skip(
        test,
        "headless Chromium and chromedriver",
        tools.as_ref().map(|_| ()).map_err(String::clone),
    );
    if !ready {
        return None;
    }
    let (driver, browser) = tools.ok()?;
    Some(Browser::start(test, &driver, &browser, js))
}

/// The process groups of running drivers and their directories, for
/// the exit hook.
fn groups() -> &'static Mutex<Vec<(i32, PathBuf)>> {
    static GROUPS: Mutex<Vec<(i32, PathBuf)>> = Mutex::new(Vec::new());
    &GROUPS
}

fn ensure_exit_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        extern "C" {
            fn atexit(hook: extern "C" fn()) -> std::os::raw::c_int;
        }
        // SAFETY: atexit only stores the function pointer; the hook only
        // sends signals.
        unsafe {
            atexit(kill_drivers_at_exit);
        }
    });
}

extern "C" fn kill_drivers_at_exit() {
    let groups = std::mem::take(&mut *groups().lock().unwrap_or_else(|p| p.into_inner()));
    for (group, dir) in groups {
        kill_group(group);
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn kill_group(group: i32) {
    use nix::sys::signal::{killpg, Signal};
    // ESRCH: the group is already gone.
    let _ = killpg(nix::unistd::Pid::from_raw(group), Signal::SIGKILL);
}

/// A running chromedriver (its own process group) and its log.
struct Driver {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Driver {
    fn group(&self) -> i32 {
        self.child.id() as i32
    }

    fn stop(&mut self) {
        let group = self.group();
        kill_group(group);
        let _ = self.child.kill();
        let _ = self.child.wait();
        groups()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(g, _)| *g != group);
    }
}

/// A port that was free a moment ago. chromedriver binds it itself, so
/// another process may take it first: [`start_driver`] then retries.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind 127.0.0.1:0 to find a free port")
}

/// Starts chromedriver on a free port and waits until `/status` says it
/// is ready; panics with its log after [`STARTUP_DEADLINE`].
fn start_driver(driver: &Path, tmp: &Path) -> Driver {
    ensure_exit_hook();
    let mut last = String::new();
    for _attempt in 0..3 {
        let port = free_port();
        let log_path = tmp.join(format!("chromedriver-{port}.log"));
        let mut cmd = Command::new(driver);
        cmd.arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log_path.display()))
            .env("TMPDIR", tmp)
            .env("HOME", tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("failed to start `{}`: {e}", driver.display()));
        groups()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((child.id() as i32, tmp.to_path_buf()));
        let log = Arc::new(Mutex::new(String::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let sink = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut log = sink.lock().unwrap_or_else(|p| p.into_inner());
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let mut running = Driver { child, port, log };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = running.child.try_wait() {
                // Most likely the port was taken in the meantime.
                last = format!(
                    "chromedriver exited with {status} on port {port}:\n{}",
                    running.log.lock().unwrap_or_else(|p| p.into_inner())
                );
                running.stop();
                break;
            }
            match driver_status(port) {
                Ok(true) => return running,
                Ok(false) | Err(_) if started.elapsed() < STARTUP_DEADLINE => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                other => {
                    let log = running
                        .log
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .clone();
                    running.stop();
                    panic!(
                        "chromedriver `{}` did not become ready on port {port} within \
                         {STARTUP_DEADLINE:?} (last status: {other:?}); its output:\n{log}",
                        driver.display()
                    );
                }
            }
        }
    }
    panic!("chromedriver `{}` did not start: {last}", driver.display())
}

/// `GET /status` of the driver: whether it says it is ready.
fn driver_status(port: u16) -> Result<bool, String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    // chromedriver keeps the connection open whatever the request says:
    // read the head, then exactly Content-Length bytes.
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
        if line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad head: {line}"))?;
            }
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    let body = String::from_utf8_lossy(&body);
    let status: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {head}\n{body}"))?;
    Ok(status["value"]["ready"] == json!(true))
}

/// The WebDriver capabilities: headless Chromium as root (`--no-sandbox`),
/// no GPU, its own profile, no background network traffic, alerts left
/// open, the session's timeouts, and JavaScript on or off.
pub fn capabilities(browser: &Path, profile: &Path, js: Js) -> serde_json::Map<String, Value> {
    let mut prefs = serde_json::Map::new();
    if js == Js::Off {
        prefs.insert(
            "profile.managed_default_content_settings.javascript".into(),
            json!(2),
        );
    }
    let caps = json!({
        "browserName": "chrome",
        "unhandledPromptBehavior": "ignore",
        "timeouts": {
            "pageLoad": PAGE_LOAD.as_millis() as u64,
            "script": 10_000,
            "implicit": 0,
        },
        "goog:chromeOptions": {
            "binary": browser,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                format!("--window-size={},{}", WINDOW.0, WINDOW.1),
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": prefs,
        },
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// One headless Chromium session. Every method panics with what it was
/// doing (and the driver's log) when the browser fails or a wait ends.
pub struct Browser {
    pub test: String,
    pub js: Js,
    client: Option<Client>,
    driver: Driver,
    runtime: tokio::runtime::Runtime,
    // Profile, driver log and temporary files; removed on drop, after
    // the driver (declared last: fields drop in order).
    dir: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and opens a session.
    pub fn start(test: &str, driver: &Path, browser: &Path, js: Js) -> Browser {
        let dir = tempfile::Builder::new()
            .prefix("waybill-browser-")
            .tempdir()
            .expect("a directory for the browser profile");
        let profile = dir.path().join("profile");
        let driver = start_driver(driver, dir.path());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime for the WebDriver client");
        let mut b = Browser {
            test: test.to_string(),
            js,
            client: None,
            driver,
            runtime,
            dir,
        };
        let url = format!("http://127.0.0.1:{}", b.driver.port);
        let caps = capabilities(browser, &profile, js);
        let client = b.block("open a WebDriver session", async move {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            ClientBuilder::new(connector)
                .capabilities(caps)
                .connect(&url)
                .await
                .map_err(|e| e.to_string())
        });
        b.client = Some(client);
        b
    }

    /// The driver's output so far, for failure messages.
    pub fn driver_log(&self) -> String {
        self.driver
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The browser's directory: profile, driver log, temporary files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process group of the driver (and its Chromium).
    pub fn process_group(&self) -> i32 {
        self.driver.group()
    }

    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("a session is open")
    }

    /// Runs `future` on the browser's runtime within
    /// [`COMMAND_DEADLINE`]; panics naming `what` when it fails or takes
    /// too long.
    #[track_caller]
    pub fn block<T, E: std::fmt::Display>(
        &self,
        what: &str,
        future: impl Future<Output = Result<T, E>>,
    ) -> T {
        match self.try_block(future) {
            Ok(value) => value,
            Err(e) => panic!(
                "{}: browser: failed to {what}: {e}\n---- chromedriver output:\n{}",
                self.test,
                self.driver_log()
            ),
        }
    }

    /// [`Browser::block`] without the panic: the command's own error, or
    /// a timeout as an error.
    pub fn try_block<T, E: std::fmt::Display>(
        &self,
        future: impl Future<Output = Result<T, E>>,
    ) -> Result<T, String> {
        self.runtime.block_on(async {
            match tokio::time::timeout(COMMAND_DEADLINE, future).await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!(
                    "no answer from the browser within {COMMAND_DEADLINE:?}"
                )),
            }
        })
    }

    /// Loads `url` and waits for it to load (bounded by [`PAGE_LOAD`]).
    #[track_caller]
    pub fn goto(&self, url: &str) {
        self.block(&format!("load {url}"), self.client().goto(url));
    }

    /// The URL the browser shows now.
    #[track_caller]
    pub fn url(&self) -> url::Url {
        self.block("read the current URL", self.client().current_url())
    }

    /// The path and query of the current URL (`/jobs/3`, `/?engine=a`).
    #[track_caller]
    pub fn path(&self) -> String {
        let url = self.url();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The page's HTML as the browser holds it now.
    #[track_caller]
    pub fn source(&self) -> String {
        self.block("read the page source", self.client().source())
    }

    /// The element matching `css`; panics if there is none (showing the
    /// page's source).
    #[track_caller]
    pub fn find(&self, css: &str) -> Element {
        match self.try_block(self.client().find(Locator::Css(css))) {
            Ok(e) => e,
            Err(e) => panic!(
                "{}: no element `{css}` on {}: {e}\n---- page source:\n{}",
                self.test,
                self.path(),
                self.source()
            ),
        }
    }

    /// Every element matching `css` (none is fine).
    #[track_caller]
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        self.block(
            &format!("find `{css}`"),
            self.client().find_all(Locator::Css(css)),
        )
    }

    /// Every element matching `css` inside `element`.
    #[track_caller]
    pub fn find_all_in(&self, element: &Element, css: &str) -> Vec<Element> {
        self.block(
            &format!("find `{css}` in an element"),
            element.find_all(Locator::Css(css)),
        )
    }

    /// The one element matching `css` inside `element`.
    #[track_caller]
    pub fn find_in(&self, element: &Element, css: &str) -> Element {
        self.block(
            &format!("find `{css}` in an element"),
            element.find(Locator::Css(css)),
        )
    }

    /// Whether an element matches `css`.
    #[track_caller]
    pub fn exists(&self, css: &str) -> bool {
        !self.find_all(css).is_empty()
    }

    /// The rendered text of `element`.
    #[track_caller]
    pub fn text_of(&self, element: &Element) -> String {
        self.block("read an element's text", element.text())
    }

    /// The rendered text of the element matching `css`.
    #[track_caller]
    pub fn text(&self, css: &str) -> String {
        let element = self.find(css);
        self.text_of(&element)
    }

    /// The `textContent` of `element`, hidden text included, exactly as
    /// the DOM holds it (no whitespace folding).
    #[track_caller]
    pub fn text_content(&self, element: &Element) -> String {
        self.block("read an element's textContent", element.prop("textContent"))
            .unwrap_or_default()
    }

    /// Attribute `name` of `element`.
    #[track_caller]
    pub fn attr(&self, element: &Element, name: &str) -> Option<String> {
        self.block(&format!("read attribute `{name}`"), element.attr(name))
    }

    /// Clicks the element matching `css`.
    #[track_caller]
    pub fn click(&self, css: &str) {
        let element = self.find(css);
        self.block(&format!("click `{css}`"), element.click());
    }

    /// Clicks `element`.
    #[track_caller]
    pub fn click_element(&self, element: &Element) {
        self.block("click an element", element.click());
    }

    /// Types `text` into the element matching `css`.
    #[track_caller]
    pub fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.block(&format!("type into `{css}`"), element.send_keys(text));
    }

    /// Chooses the option whose value is `value` in the select `css`.
    #[track_caller]
    pub fn select(&self, css: &str, value: &str) {
        let element = self.find(css);
        self.block(
            &format!("select `{value}` in `{css}`"),
            element.select_by_value(value),
        );
    }

    /// Runs `script` in the page (only where JavaScript is on).
    #[track_caller]
    pub fn execute(&self, script: &str) -> Value {
        self.block("run a script", self.client().execute(script, vec![]))
    }

    /// The text of an alert, confirm or prompt dialog open now, if any.
    /// Any answer other than "no such alert" counts as open.
    #[track_caller]
    pub fn open_alert(&self) -> Option<String> {
        let result = self.runtime.block_on(async {
            tokio::time::timeout(COMMAND_DEADLINE, self.client().get_alert_text()).await
        });
        match result {
            Ok(Err(e)) if e.is_no_such_alert() => None,
            Ok(Ok(text)) => Some(text),
            Ok(Err(e)) => Some(format!("<get_alert_text failed: {e}>")),
            Err(_) => panic!("{}: no answer to get_alert_text", self.test),
        }
    }

    /// Polls `probe` until it returns Ok, for up to `deadline`; panics
    /// naming `what` with the last thing it saw and the page's source.
    #[track_caller]
    pub fn wait_for<T>(
        &self,
        what: &str,
        deadline: Duration,
        mut probe: impl FnMut(&Browser) -> Result<T, String>,
    ) -> T {
        let started = Instant::now();
        loop {
            match probe(self) {
                Ok(value) => return value,
                Err(last) if started.elapsed() > deadline => {
                    let shot = self.try_screenshot(&format!("timeout-{}", slug(what)));
                    panic!(
                        "{}: gave up after {deadline:?} waiting for {what} on {}; last seen:\n\
                         {last}\n---- screenshot: {shot}\n---- page source:\n{}",
                        self.test,
                        self.path(),
                        self.source()
                    )
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Waits until an element matches `css`, and returns it.
    #[track_caller]
    pub fn wait_for_element(&self, css: &str) -> Element {
        self.wait_for(&format!("an element `{css}`"), WAIT, |b| {
            b.try_block(b.client().find(Locator::Css(css)))
        })
    }

    /// Whether scripts run in this browser, checked on a `data:` page
    /// that sets its title from a script and shows a `<noscript>` element
    /// otherwise. Panics when the two signs disagree.
    #[track_caller]
    pub fn javascript_runs(&self) -> bool {
        self.goto(
            "data:text/html,<title>static</title><script>document.title='scripted'</script>\
             <noscript><p id=noscript>scripts are off</p></noscript>",
        );
        let title = self.block("read the title", self.client().title());
        let noscript = self.exists("#noscript");
        match (title.as_str(), noscript) {
            ("scripted", false) => true,
            ("static", true) => false,
            _ => panic!(
                "{}: cannot tell whether JavaScript runs: title {title:?}, \
                 <noscript> content shown: {noscript}",
                self.test
            ),
        }
    }

    /// Saves a PNG of the whole page as it is now (the window grown to
    /// the page's height for the shot, up to [`SHOT_MAX_HEIGHT`]) to
    /// `TARGET/screenshots/TEST-NAME.png` and returns its path.
    #[track_caller]
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let html = self.find("html");
        let (_, _, _, height) = self.block("measure the page", html.rectangle());
        let tall = (height.ceil() as u32 + 120).clamp(WINDOW.1, SHOT_MAX_HEIGHT);
        if tall > WINDOW.1 {
            self.block(
                "grow the window",
                self.client().set_window_size(WINDOW.0, tall),
            );
        }
        let png = self.try_block(self.client().screenshot());
        if tall > WINDOW.1 {
            self.block(
                "restore the window",
                self.client().set_window_size(WINDOW.0, WINDOW.1),
            );
        }
        let png = png.unwrap_or_else(|e| panic!("{}: failed to take a screenshot: {e}", self.test));
        let path = screenshot_dir().join(format!("{}-{}.png", slug(&self.test), slug(name)));
        std::fs::create_dir_all(screenshot_dir()).expect("create the screenshot directory");
        std::fs::write(&path, png)
            .unwrap_or_else(|e| panic!("write the screenshot {}: {e}", path.display()));
        path
    }

    /// [`Browser::screenshot`] for failure messages: the path, or why
    /// there is none.
    fn try_screenshot(&self, name: &str) -> String {
        match self.try_block(self.client().screenshot()) {
            Ok(png) => {
                let path =
                    screenshot_dir().join(format!("{}-{}.png", slug(&self.test), slug(name)));
                let _ = std::fs::create_dir_all(screenshot_dir());
                match std::fs::write(&path, png) {
                    Ok(()) => path.display().to_string(),
                    Err(e) => format!("not written: {e}"),
                }
            }
            Err(e) => format!("not taken: {e}"),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session lets Chromium close cleanly; killing the
        // group afterwards is what guarantees nothing is left.
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), client.close()).await
            });
        }
        self.driver.stop();
    }
}

/// `TARGET/screenshots`: the target directory is the parent of cargo's
/// `CARGO_TARGET_TMPDIR`, which follows `CARGO_TARGET_DIR`.
pub fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("screenshots")
}

/// `text` as a file name: letters, digits and `-`.
fn slug(text: &str) -> String {
    let slug: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    slug.trim_matches('-').chars().take(80).collect()
}

/// The processes whose process group is `group`, from /proc: what a
/// driver left running.
pub fn processes_in_group(group: i32) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // pid (comm) state ppid pgrp ...; comm may hold spaces.
            let close = stat.rfind(')')?;
            let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
            let state = fields.first()?;
            let pgrp: i32 = fields.get(2)?.parse().ok()?;
            (pgrp == group && *state != "Z").then(|| format!("{pid} {}", &stat[..=close]))
        })
        .collect()
}
