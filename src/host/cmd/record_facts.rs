//! What a listing row shows of a container's or a service's own image
//! record, read from its report one way for `waybill ls` and
//! `waybill ls --services`. Its fields are flattened into each row's
//! JSON, so the schemas in docs/ls.md and docs/swarm.md keep their keys.

use crate::report::Report;
use serde::Serialize;

#[derive(Debug, Default, Serialize)]
pub struct RecordFacts {
    pub project: Option<String>,
    pub gitref: Option<String>,
    pub git_branch: Option<String>,
    pub source_url: Option<String>,
    /// Epoch seconds.
    pub build_time: Option<i64>,
    /// The actions some image of the stack declares.
    pub actions: Vec<String>,
}

impl RecordFacts {
    /// The facts of the newest record (the image's own), and the actions
    /// of the whole stack.
    pub fn of(report: &Report) -> RecordFacts {
        let mut facts = RecordFacts {
            actions: report
                .methods
                .iter()
                .filter(|(_, m)| m.is_some())
                .map(|(k, _)| k.clone())
                .collect(),
            ..RecordFacts::default()
        };
        if let Some(own) = report.images.last() {
            let r = &own.record;
            facts.project = Some(r.project.clone());
            facts.gitref = r.gitref.clone();
            facts.git_branch = r.git_branch.clone();
            facts.source_url = r.source_url.clone();
            facts.build_time = r.build_time.map(|t| t.epoch()).or(r.build_time_stamp);
        }
        facts
    }
}

/// The report's warnings, then each bad record as `FILE: ERROR`.
pub fn warnings_of(report: &Report) -> Vec<String> {
    let mut warnings = report.warnings.clone();
    warnings.extend(
        report
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.file, p.error)),
    );
    warnings
}
