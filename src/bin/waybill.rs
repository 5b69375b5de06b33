//! The host-side tool. Parses arguments, runs, maps the exit code.

use clap::Parser;
use std::process::ExitCode;
use waybill::exit;
use waybill::host::{self, cli::Cli, env::Env};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return ExitCode::from(exit::clap_error(&err)),
    };
    match host::run(cli, &Env::from_process()) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("waybill: error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
