//! The fleet page's cost against the JSON of the same fleet (issue 12,
//! "Benchmarks"): a generated fleet of 500 containers on 4 engines (a
//! quarter of them Swarm tasks), rendered as the page `GET /` sends and
//! serialised to JSON, interleaved in one process so both see the same
//! machine. Prints the sizes, the median times and the ratio, and exits
//! 1 when the page costs more than 3x the JSON or weighs 300 KB or more.
//!
//! A bench target with `harness = false` rather than an ignored test: it
//! builds with the release profile (as `waybill` ships) and prints only
//! its own figures. Run it through scripts/bench-page.sh.

use std::time::{Duration, Instant};
use waybill::host::serve::page::fleet_html::{self, FleetPage};
use waybill::host::serve::page::layout::Viewer;
use waybill::host::serve::page::query::Filters;
use waybill::host::serve::page::view::{
    ContainerView, EngineView, FleetView, LastResult, ResultStatus,
};

const CONTAINERS: usize = 500;
const ENGINES: usize = 4;
const WARMUP: usize = 20;
const ROUNDS: usize = 300;
/// The budget: page time over JSON time, and page bytes.
const MAX_RATIO: f64 = 3.0;
const MAX_BYTES: usize = 300_000;

/// A deterministic hex string of `len` digits from `seed`.
fn hex(seed: u64, len: usize) -> String {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from_digit((x % 16) as u32, 16).unwrap()
        })
        .collect()
}

fn result(n: usize, job: u64, at: i64, revision: bool) -> LastResult {
    LastResult {
        status: match n % 10 {
            0 => ResultStatus::Failed,
            1 => ResultStatus::Unknown,
            _ => ResultStatus::Ok,
        },
        at: Some(at),
        job: Some(job),
        revision: revision.then(|| hex(job, 40)),
    }
}

fn fleet(now: i64) -> FleetView {
    let projects = [
        "shop", "blog", "billing", "search", "auth", "mail", "queue", "cache",
    ];
    let mut engines: Vec<EngineView> = (0..ENGINES)
        .map(|e| EngineView {
            engine: format!("node-{e}"),
            containers: Vec::new(),
        })
        .collect();
    for n in 0..CONTAINERS {
        let project = projects[n % projects.len()];
        let engine = format!("node-{}", n % ENGINES);
        let service = (n % 4 == 0).then(|| format!("{project}-svc"));
        let container = ContainerView {
            engine: engine.clone(),
            name: match &service {
                Some(s) => format!("{s}.{}.{}", n / 4 + 1, hex(n as u64 + 7, 25)),
                None => format!("{project}-web-{n}"),
            },
            id: hex(n as u64, 64),
            image: format!("registry.example.com/acme/{project}:1.{}.{}", n % 7, n % 13),
            state: if n % 50 == 0 { "exited" } else { "running" }.into(),
            health: match n % 5 {
                0 => None,
                1 => Some("unhealthy".into()),
                _ => Some("healthy".into()),
            },
            project: Some(project.into()),
            gitref: Some(hex(n as u64 + 1000, 40)),
            commit_url: Some(format!(
                "https://github.com/acme/{project}/commit/{}",
                hex(n as u64 + 1000, 40)
            )),
            git_branch: Some("main".into()),
            build_time: Some(now - 86_400 * (n as i64 % 30) - 3600),
            service,
            validate: result(n, 3 * n as u64 + 1, now - 300, false),
            monitor: result(n + 3, 3 * n as u64 + 2, now - 60, false),
            update: result(n + 5, 3 * n as u64 + 3, now - 7200, n % 2 == 0),
            error: None,
        };
        engines[n % ENGINES].containers.push(container);
    }
    for e in &mut engines {
        e.containers.sort_by(|a, b| a.name.cmp(&b.name));
    }
    FleetView {
        engines,
        engine_errors: Vec::new(),
        without_records: 0,
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn main() {
    let now = 1_780_000_000;
    let view = fleet(now);
    let engines: Vec<String> = view.engines.iter().map(|e| e.engine.clone()).collect();
    let projects: Vec<String> = view.projects().into_iter().map(str::to_owned).collect();
    let filters = Filters::default();
    let viewer = Viewer {
        session: None,
        operator: true,
    };
    let page = FleetPage {
        view: &view,
        filters: &filters,
        engines: &engines,
        projects: &projects,
        viewer: &viewer,
        now,
    };
    let mut html_bytes = 0;
    let mut json_bytes = 0;
    let mut html_times = Vec::with_capacity(ROUNDS);
    let mut json_times = Vec::with_capacity(ROUNDS);
    for round in 0..WARMUP + ROUNDS {
        let t = Instant::now();
        let html = fleet_html::render(&page).into_string();
        let html_time = t.elapsed();
        let t = Instant::now();
        let json = serde_json::to_string(&view).expect("a view serialises");
        let json_time = t.elapsed();
        html_bytes = std::hint::black_box(html).len();
        json_bytes = std::hint::black_box(json).len();
        if round >= WARMUP {
            html_times.push(html_time);
            json_times.push(json_time);
        }
    }
    let html = median(html_times);
    let json = median(json_times);
    let ratio = html.as_secs_f64() / json.as_secs_f64();
    println!("containers: {CONTAINERS} on {ENGINES} engines, {ROUNDS} rounds after {WARMUP} warm-up, interleaved");
    println!("| output | bytes | median time |");
    println!("| --- | ---: | ---: |");
    println!(
        "| fleet page (HTML) | {html_bytes} | {:.3} ms |",
        html.as_secs_f64() * 1e3
    );
    println!(
        "| same view as JSON | {json_bytes} | {:.3} ms |",
        json.as_secs_f64() * 1e3
    );
    println!("page / JSON time: {ratio:.2}x (budget {MAX_RATIO}x); page weight {html_bytes} bytes (budget < {MAX_BYTES})");
    if ratio > MAX_RATIO || html_bytes >= MAX_BYTES {
        eprintln!("fleet_page: over budget");
        std::process::exit(1);
    }
}
