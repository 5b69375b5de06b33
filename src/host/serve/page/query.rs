//! The fleet page's filters and sort order, carried in the URL so a
//! view can be shared: `engine`, `project`, `status`
//! (`ok|failed|unknown|unhealthy`), `sort` (a column) and `order`
//! (`asc|desc`). Applied on the server, so they work without
//! JavaScript. An empty or unknown value means "no filter" (or the
//! default order), never an error page.

use super::view::{ContainerView, FleetView, ResultStatus};
use serde::Deserialize;
use std::cmp::Ordering;

/// The query string as sent.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct FleetQuery {
    pub engine: Option<String>,
    pub project: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    pub order: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Ok,
    Failed,
    Unknown,
    Unhealthy,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 4] = [
        StatusFilter::Ok,
        StatusFilter::Failed,
        StatusFilter::Unknown,
        StatusFilter::Unhealthy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Ok => "ok",
            StatusFilter::Failed => "failed",
            StatusFilter::Unknown => "unknown",
            StatusFilter::Unhealthy => "unhealthy",
        }
    }

    fn parse(text: &str) -> Option<StatusFilter> {
        StatusFilter::ALL.into_iter().find(|s| s.as_str() == text)
    }

    fn admits(self, c: &ContainerView) -> bool {
        match self {
            StatusFilter::Ok => c.status() == ResultStatus::Ok,
            StatusFilter::Failed => c.status() == ResultStatus::Failed,
            StatusFilter::Unknown => c.status() == ResultStatus::Unknown,
            StatusFilter::Unhealthy => c.unhealthy(),
        }
    }
}

/// The sortable columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Engine,
    Project,
    Image,
    Built,
    Health,
    Validate,
    Monitor,
    Update,
}

impl SortKey {
    pub const ALL: [SortKey; 9] = [
        SortKey::Name,
        SortKey::Engine,
        SortKey::Project,
        SortKey::Image,
        SortKey::Built,
        SortKey::Health,
        SortKey::Validate,
        SortKey::Monitor,
        SortKey::Update,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Engine => "engine",
            SortKey::Project => "project",
            SortKey::Image => "image",
            SortKey::Built => "built",
            SortKey::Health => "health",
            SortKey::Validate => "validate",
            SortKey::Monitor => "monitor",
            SortKey::Update => "update",
        }
    }

    fn parse(text: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.as_str() == text)
    }

    fn compare(self, a: &ContainerView, b: &ContainerView) -> Ordering {
        match self {
            SortKey::Name => a.name.cmp(&b.name),
            SortKey::Engine => a.engine.cmp(&b.engine),
            SortKey::Project => a.project.cmp(&b.project),
            SortKey::Image => a.image.cmp(&b.image),
            SortKey::Built => a.build_time.cmp(&b.build_time),
            SortKey::Health => a.health.cmp(&b.health),
            SortKey::Validate => {
                (a.validate.status, a.validate.at).cmp(&(b.validate.status, b.validate.at))
            }
            SortKey::Monitor => {
                (a.monitor.status, a.monitor.at).cmp(&(b.monitor.status, b.monitor.at))
            }
            SortKey::Update => (a.update.status, a.update.at).cmp(&(b.update.status, b.update.at)),
        }
        .then_with(|| a.name.cmp(&b.name))
    }
}

/// The checked filters and order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    pub engine: Option<String>,
    pub project: Option<String>,
    pub status: Option<StatusFilter>,
    pub sort: SortKey,
    pub descending: bool,
}

impl Default for Filters {
    fn default() -> Filters {
        Filters {
            engine: None,
            project: None,
            status: None,
            sort: SortKey::Name,
            descending: false,
        }
    }
}

impl Filters {
    pub fn from_query(q: &FleetQuery) -> Filters {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        Filters {
            engine: given(&q.engine),
            project: given(&q.project),
            status: q.status.as_deref().and_then(StatusFilter::parse),
            sort: q
                .sort
                .as_deref()
                .and_then(SortKey::parse)
                .unwrap_or(SortKey::Name),
            descending: q.order.as_deref() == Some("desc"),
        }
    }

    /// The query string of these filters with another sort, for the
    /// column headers' links (clicking the current column flips it).
    pub fn sort_link(&self, key: SortKey) -> String {
        let descending = self.sort == key && !self.descending;
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(e) = &self.engine {
            q.append_pair("engine", e);
        }
        if let Some(p) = &self.project {
            q.append_pair("project", p);
        }
        if let Some(s) = self.status {
            q.append_pair("status", s.as_str());
        }
        q.append_pair("sort", key.as_str());
        q.append_pair("order", if descending { "desc" } else { "asc" });
        format!("/?{}", q.finish())
    }

    /// The view with only the rows these filters admit, sorted within
    /// each engine (engines by name when sorting by engine).
    pub fn apply(&self, mut view: FleetView) -> FleetView {
        view.engines
            .retain(|e| self.engine.as_ref().map_or(true, |want| &e.engine == want));
        for engine in &mut view.engines {
            engine.containers.retain(|c| {
                self.project
                    .as_ref()
                    .map_or(true, |want| c.project.as_ref() == Some(want))
                    && self.status.map_or(true, |s| s.admits(c))
            });
            engine.containers.sort_by(|a, b| {
                let o = self.sort.compare(a, b);
                if self.descending {
                    o.reverse()
                } else {
                    o
                }
            });
        }
        if self.sort == SortKey::Engine {
            view.engines.sort_by(|a, b| {
                let o = a.engine.cmp(&b.engine);
                if self.descending {
                    o.reverse()
                } else {
                    o
                }
            });
        }
        view
    }
}
