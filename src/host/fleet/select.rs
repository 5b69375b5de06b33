//! Selectors: which discovered containers a command is about.
