//! What the action commands show on a terminal: each line of each
//! method's output as it arrives, prefixed `ENGINE/CONTAINER: ` (method
//! stdout to stdout, stderr to stderr), a progress display on stderr when
//! it is a terminal, and the summary table at the end. Every text from a
//! container (names, output, reasons) is escaped by [`crate::safe_text`].

use crate::host::actions::{Observer, Outcome, RunReport, StepKind, StepResult, Target};
use crate::host::engine::StreamKind;
use crate::record::Action;
use crate::safe_text::escape;
use comfy_table::{presets, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal};
use std::sync::Mutex;

pub struct TextView {
    /// The commanded action: its steps tick the progress display.
    action: Action,
    /// Whether method output lines are printed (not with `--json`).
    lines: bool,
    progress: Option<ProgressBar>,
    /// The first failure to write stdout; the run goes on, the command
    /// then exits 74.
    write_error: Mutex<Option<io::Error>>,
}

impl TextView {
    /// A view of a run over `targets` containers.
    pub fn new(action: Action, targets: usize, lines: bool) -> TextView {
        let progress = io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(u64::try_from(targets).unwrap_or(u64::MAX)),
                ProgressDrawTarget::stderr(),
            );
            if let Ok(style) =
                ProgressStyle::with_template("{prefix}[{bar:30}] {pos}/{len} containers {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        TextView {
            action,
            lines,
            progress,
            write_error: Mutex::new(None),
        }
    }

    /// Prints `text` to stdout or stderr without tearing the progress
    /// display.
    fn print(&self, stream: StreamKind, text: &str) {
        let write = || match stream {
            StreamKind::Stdout => {
                if let Err(e) = crate::output::stdout(text.as_bytes()) {
                    let mut slot = self.write_error.lock().unwrap_or_else(|p| p.into_inner());
                    slot.get_or_insert(e);
                }
            }
            StreamKind::Stderr => crate::output::stderr(text),
        };
        match &self.progress {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    /// Clears the progress display once the run has ended.
    pub fn done(&self) {
        if let Some(bar) = &self.progress {
            bar.finish_and_clear();
        }
    }

    /// The first failure to write stdout, if any.
    pub fn write_error(&self) -> Option<io::Error> {
        self.write_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

impl Observer for TextView {
    fn line(&self, target: &Target, stream: StreamKind, line: &[u8]) {
        if !self.lines {
            return;
        }
        let text = format!(
            "{}/{}: {}\n",
            escape(target.engine_name()),
            escape(&target.container),
            escape(&String::from_utf8_lossy(line))
        );
        self.print(stream, &text);
    }

    fn started(&self, target: &Target, step: StepKind) {
        if let Some(bar) = &self.progress {
            bar.set_message(format!(
                "· {step} {}/{}",
                escape(target.engine_name()),
                escape(&target.container)
            ));
        }
    }

    fn finished(&self, result: &StepResult) {
        // The bar counts containers: one tick when the commanded action's
        // step ends; VALIDATE and health steps after an UPDATE add none.
        if let Some(bar) = &self.progress {
            if result.step == StepKind::Action(self.action) {
                bar.inc(1);
            }
        }
        if result.outcome != Outcome::Done && self.lines {
            if let Some(reason) = &result.reason {
                let text = format!(
                    "waybill: {}/{}: {} {}: {}\n",
                    escape(&result.engine),
                    escape(&result.container),
                    result.step,
                    result.outcome,
                    escape(reason)
                );
                self.print(StreamKind::Stderr, &text);
            }
        }
    }

    fn batch(&self, number: usize, count: usize, size: usize) {
        if let Some(bar) = &self.progress {
            bar.set_prefix(format!("batch {number}/{count} ({size}) "));
        }
    }
}

/// The summary table, then one line of counts, on stdout.
pub fn print_summary(report: &RunReport) -> io::Result<()> {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let batches = report.results.iter().any(|r| r.batch.is_some());
    let mut header = vec!["ENGINE/CONTAINER"];
    if batches {
        header.push("BATCH");
    }
    header.extend(["STEP", "OUTCOME", "EXIT", "TIME", "REASON"]);
    table.set_header(header);
    for r in &report.results {
        let mut cells = vec![format!("{}/{}", escape(&r.engine), escape(&r.container))];
        if batches {
            cells.push(r.batch.map_or("-".into(), |b| b.to_string()));
        }
        cells.push(r.step.to_string());
        cells.push(r.outcome.to_string());
        cells.push(r.exit_code.map_or("-".into(), |c| c.to_string()));
        cells.push(format!("{:.1}s", r.duration.as_secs_f64()));
        cells.push(
            r.reason
                .as_deref()
                .map_or("-".into(), |x| escape(x).into_owned()),
        );
        table.add_row(cells);
    }
    let summary = report.summary();
    let counts: Vec<String> = Outcome::ALL
        .iter()
        .filter(|o| summary.count(**o) > 0)
        .map(|o| format!("{} {o}", summary.count(*o)))
        .collect();
    let mut text = table.to_string();
    text.push('\n');
    text.push_str(&format!(
        "{}: {}{}\n",
        report.action.key(),
        counts.join(", "),
        if report.interrupted {
            " (interrupted)"
        } else {
            ""
        }
    ));
    crate::output::stdout(text.as_bytes())
}
