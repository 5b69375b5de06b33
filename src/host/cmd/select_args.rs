//! The selector flags shared by every command that picks containers
//! (`waybill ls`, `update`, `validate`, `monitor`, `metrics`): TARGETS
//! and `--project`, `--label`, `--source`, `--branch`, flattened into
//! each command's arguments so they are spelled and documented once.
//! What the filters mean is [`crate::host::fleet::select`]'s business.

use crate::host::fleet::select::{parse_label, Selector};
use clap::Args;

#[derive(Debug, Clone, Default, Args)]
pub struct SelectArgs {
    /// Container names, id prefixes or glob patterns (`web-*`).
    #[arg(value_name = "TARGETS")]
    pub names: Vec<String>,
    /// Only containers whose image's record has this project.
    #[arg(long)]
    pub project: Option<String>,
    /// Only containers with this label (repeatable; all must match).
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    /// Only images built from this repository (any git URL form).
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,
    /// Only images built from this git branch.
    #[arg(long)]
    pub branch: Option<String>,
}

impl SelectArgs {
    /// The fleet selector these flags describe.
    pub fn selector(&self) -> Selector {
        let mut selector = Selector::new(self.names.clone()).with_source(self.source.clone());
        selector.project = self.project.clone();
        selector.labels = self.labels.clone();
        selector.branch = self.branch.clone();
        selector
    }
}
