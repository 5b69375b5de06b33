//! The in-container tool. Parses arguments, runs, maps the exit code.

use clap::Parser;
use std::process::ExitCode;
use waybill::container::{self, cli::Cli};
use waybill::exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return ExitCode::from(exit::clap_error(&err)),
    };
    match container::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("container: error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
