//! The host side: everything the `waybill` binary does outside containers.
//!
//! Stamping records in CI, talking to the Docker engine, serving webhooks.
//! Compiled only with the `host` feature; nothing in [`crate::container`]
//! or [`crate::record`] may depend on it.
