//! The `qblog` binary.

use std::process::ExitCode;

use clap::Parser;
use qblog_server::cli::{self, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    cli::run(Cli::parse()).await
}
