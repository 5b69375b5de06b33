//! The merge itself: each container's exposition parsed whole, then its
//! families added to the merged ones, first come first kept.

use super::family::{owned_names, parent};
use super::labels::{origin_text, series_key, write_labels};
use super::problem::{MergeProblem, ProblemKind};
use crate::prometheus::{self, BadLine, Item, MetricType, Parser, Sample};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// Where an exposition came from: the labels its samples get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub engine: String,
    pub container: String,
    /// The project of the container's own image record; `project=""`
    /// when it has none.
    pub project: Option<String>,
    pub image: String,
}

impl Origin {
    fn labels(&self) -> String {
        origin_text([
            &self.engine,
            &self.container,
            self.project.as_deref().unwrap_or(""),
            &self.image,
        ])
    }

    fn name(&self) -> String {
        format!("{}/{}", self.engine, self.container)
    }

    fn problem(&self, kind: ProblemKind) -> MergeProblem {
        MergeProblem {
            engine: self.engine.clone(),
            container: self.container.clone(),
            kind,
        }
    }
}

/// One family of the merged exposition.
struct Family {
    name: String,
    kind: MetricType,
    /// As written (escaped), from the first container that had one;
    /// bytes that were not UTF-8 are U+FFFD.
    help: Option<String>,
    /// The sample lines, `\n`-terminated, in the order added.
    body: String,
    /// `engine/container` of the container that added it first, or
    /// `waybill` for the status gauges.
    kept_by: String,
}

/// The merged exposition and what was left out of it.
#[derive(Debug, Default)]
pub struct Merged {
    pub text: String,
    pub problems: Vec<MergeProblem>,
}

/// Builds one exposition from many. Add containers in a stable order:
/// when two disagree, the one added first keeps the family.
pub struct Merger {
    families: Vec<Family>,
    /// Family name to index in `families`.
    by_name: HashMap<String, usize>,
    /// Every sample name a family owns ([`owned_names`]) to its index.
    owner: HashMap<String, usize>,
    problems: Vec<MergeProblem>,
}

impl Default for Merger {
    fn default() -> Self {
        Self::new()
    }
}

impl Merger {
    /// A merger whose status gauges ([`super::status`]) are already
    /// declared, so that a container cannot take their names.
    pub fn new() -> Merger {
        let mut merger = Merger {
            families: Vec::new(),
            by_name: HashMap::new(),
            owner: HashMap::new(),
            problems: Vec::new(),
        };
        for (name, help) in super::status::FAMILIES {
            merger.declare(name, MetricType::Gauge, Some(help.to_owned()), "waybill");
        }
        merger
    }

    /// Merges one container's METRICS output, or none of it if it does
    /// not parse (then returns false). Families that clash with ones
    /// merged before are left out; each is reported.
    pub fn add(&mut self, origin: &Origin, text: &[u8]) -> bool {
        let locals = match parse(text) {
            Ok(locals) => locals,
            Err(bad) => {
                self.problems.push(origin.problem(ProblemKind::Unparsable {
                    line: bad.line,
                    reason: bad.reason,
                }));
                return false;
            }
        };
        let labels = origin.labels();
        let kept_by = origin.name();
        for local in locals {
            // A HELP or TYPE line alone is no family to a reader.
            if local.samples.is_empty() {
                continue;
            }
            let kind = local.kind.unwrap_or(MetricType::Untyped);
            let index = match self.by_name.get(local.name) {
                Some(&i) if self.families[i].kind == kind => i,
                Some(&i) => {
                    let kept = &self.families[i];
                    self.problems
                        .push(origin.problem(ProblemKind::TypeConflict {
                            family: local.name.to_owned(),
                            found: kind.as_str(),
                            kept: kept.kind.as_str(),
                            kept_by: kept.kept_by.clone(),
                        }));
                    continue;
                }
                None => {
                    let names = owned_names(local.name, kind);
                    if let Some((sample, &i)) =
                        names.iter().find_map(|n| self.owner.get(n).map(|i| (n, i)))
                    {
                        let owner = &self.families[i];
                        self.problems.push(origin.problem(ProblemKind::NameClash {
                            family: local.name.to_owned(),
                            sample: sample.clone(),
                            owner: owner.name.clone(),
                            kept_by: owner.kept_by.clone(),
                        }));
                        continue;
                    }
                    self.declare(local.name, kind, None, &kept_by)
                }
            };
            let family = &mut self.families[index];
            if family.help.is_none() {
                family.help = local.help.map(Cow::into_owned);
            }
            for sample in &local.samples {
                write_sample(&mut family.body, sample, &labels);
            }
        }
        true
    }

    /// Reports a container whose output was cut at `limit` bytes: none
    /// of it is merged.
    pub fn too_large(&mut self, origin: &Origin, limit: usize) {
        self.problems
            .push(origin.problem(ProblemKind::TooLarge { limit }));
    }

    /// Adds one sample of waybill's own to family `name` (declared in
    /// [`Merger::new`]).
    pub(super) fn add_own(&mut self, name: &str, origin: &Origin, value: &str) {
        let Some(&index) = self.by_name.get(name) else {
            return;
        };
        let body = &mut self.families[index].body;
        body.push_str(name);
        body.push('{');
        body.push_str(&origin.labels());
        let _ = writeln!(body, "}} {value}");
    }

    fn declare(&mut self, name: &str, kind: MetricType, help: Option<String>, by: &str) -> usize {
        let index = self.families.len();
        for owned in owned_names(name, kind) {
            self.owner.insert(owned, index);
        }
        self.by_name.insert(name.to_owned(), index);
        self.families.push(Family {
            name: name.to_owned(),
            kind,
            help,
            body: String::new(),
            kept_by: by.to_owned(),
        });
        index
    }

    /// The merged exposition: each family with samples, in the order
    /// first seen, its HELP (when any container gave one) and TYPE once.
    pub fn finish(self) -> Merged {
        let size = self.families.iter().map(|f| f.body.len() + 64).sum();
        let mut text = String::with_capacity(size);
        for family in self.families.iter().filter(|f| !f.body.is_empty()) {
            if let Some(help) = &family.help {
                let _ = writeln!(text, "# HELP {} {help}", family.name);
            }
            let _ = writeln!(text, "# TYPE {} {}", family.name, family.kind.as_str());
            text.push_str(&family.body);
        }
        Merged {
            text,
            problems: self.problems,
        }
    }
}

fn write_sample(out: &mut String, sample: &Sample<'_>, origin: &str) {
    out.push_str(sample.name);
    write_labels(out, origin, sample.labels);
    out.push(' ');
    out.push_str(sample.raw_value);
    if let Some(ts) = sample.timestamp {
        let _ = write!(out, " {ts}");
    }
    out.push('\n');
}

/// One family of one container's exposition.
struct Local<'a> {
    name: &'a str,
    kind: Option<MetricType>,
    help: Option<Cow<'a, str>>,
    samples: Vec<Sample<'a>>,
}

/// Parses a whole exposition into its families, or finds its first bad
/// line. Beyond [`prometheus::validate`] (the check `container
/// --metrics` makes), two things a reader of the merged text would
/// refuse or misread are refused here: a TYPE line after its family's
/// samples, and the same series twice.
fn parse(text: &[u8]) -> Result<Vec<Local<'_>>, BadLine> {
    prometheus::validate(text)?;
    let mut locals: Vec<Local<'_>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut series: HashSet<String> = HashSet::new();
    for line in Parser::new(text) {
        let line = line?;
        let bad = |reason: String| BadLine {
            line: line.number,
            reason,
        };
        match line.item {
            Item::Help(help) => {
                let i = family_named(&mut locals, &mut index, help.name);
                locals[i].help = Some(help.raw_text);
            }
            Item::Type { name, kind } => {
                let i = family_named(&mut locals, &mut index, name);
                if !locals[i].samples.is_empty() {
                    return Err(bad(format!("TYPE line for `{name}` after its samples")));
                }
                locals[i].kind = Some(kind);
            }
            Item::Comment(_) => {}
            Item::Sample(sample) => {
                if !series.insert(series_key(sample.name, sample.labels)) {
                    let labels = sample.labels.raw();
                    return Err(bad(if labels.trim().is_empty() {
                        format!("the series `{}` appears twice", sample.name)
                    } else {
                        format!("the series `{}{{{labels}}}` appears twice", sample.name)
                    }));
                }
                let i = family_of(&mut locals, &mut index, sample.name);
                locals[i].samples.push(sample);
            }
        }
    }
    Ok(locals)
}

fn family_named<'a>(
    locals: &mut Vec<Local<'a>>,
    index: &mut HashMap<&'a str, usize>,
    name: &'a str,
) -> usize {
    *index.entry(name).or_insert_with(|| {
        locals.push(Local {
            name,
            kind: None,
            help: None,
            samples: Vec::new(),
        });
        locals.len() - 1
    })
}

/// The family of a sample, by [`super::family`]'s rules.
fn family_of<'a>(
    locals: &mut Vec<Local<'a>>,
    index: &mut HashMap<&'a str, usize>,
    sample: &'a str,
) -> usize {
    if let Some(&i) = index.get(sample) {
        return i;
    }
    for (base, kinds) in parent(sample) {
        if let Some(&i) = index.get(base) {
            if locals[i].kind.is_some_and(|k| kinds.contains(&k)) {
                return i;
            }
        }
    }
    family_named(locals, index, sample)
}
