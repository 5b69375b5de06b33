//! The host-side tool. Parses arguments, runs, maps the exit code.

use clap::Parser;
use std::process::ExitCode;
use waybill::exit;
use waybill::host::{self, cli::Cli, env::Env};
use waybill::output;
use waybill::safe_text::Escaped;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return ExitCode::from(exit::clap_error("waybill", &err)),
    };
    match host::run(cli, &Env::from_process()) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            output::stderr_line(format_args!("waybill: error: {}", Escaped(&err)));
            ExitCode::from(err.exit_code())
        }
    }
}
