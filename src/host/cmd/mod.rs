//! One file per `waybill` command: its arguments (clap derive) and the
//! glue that hands them to the code doing the work. The top-level
//! [`super::cli::Cli`] names each command's arguments from here; nothing
//! that does the work imports this module.

pub mod action;
pub mod examine;
pub mod examine_service;
pub mod ls;
pub mod ls_services;
pub mod metrics;
pub mod record_facts;
pub mod run_args;
pub mod select_args;
pub mod serve;
pub mod service_args;
pub mod stamp;
