//! TODO(helper): see brief.
