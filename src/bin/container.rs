//! The in-container tool. Parses arguments, runs, maps the exit code.

use clap::Parser;
use std::process::ExitCode;
use waybill::container::{self, cli::Cli};
use waybill::exit;
use waybill::output;
use waybill::safe_text::Escaped;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return ExitCode::from(exit::clap_error("container", &err)),
    };
    match container::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            output::stderr_line(format_args!("container: error: {}", Escaped(&err)));
            ExitCode::from(err.exit_code())
        }
    }
}
