// SPDX-License-Identifier: GPL-2.0

//! rzram-estimate: how much memory an rzram (or zram) device would use for given data, and
//! which algorithm and disksize suit it. The command line is in `args`, the page sources in
//! `input`, what the driver stores per page in `model` and `zsmalloc`, the output in `report`.

mod args;
mod error;
mod estimate;
mod input;
mod model;
mod progress;
mod report;
mod zsmalloc;

use args::Command;
use std::{io::Write, process::ExitCode};

fn main() -> ExitCode {
    let result = args::parse(std::env::args().skip(1)).and_then(|command| match command {
        Command::Help => Ok(args::HELP.to_string()),
        Command::Version => Ok(format!("rzram-estimate {}\n", env!("CARGO_PKG_VERSION"))),
        Command::Run(options) => estimate::estimate(&options).map(|report| {
            if options.json {
                report.json()
            } else {
                report.table()
            }
        }),
    });
    match result {
        Ok(out) => {
            if let Err(e) = std::io::stdout().write_all(out.as_bytes()) {
                eprintln!("rzram-estimate: cannot write the output: {e}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rzram-estimate: {e}");
            if let error::Error::Usage(_) = e {
                eprintln!("Try 'rzram-estimate --help'.");
            }
            // Exit statuses are 1 and 2, which fit a u8.
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
