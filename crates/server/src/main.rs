//! The `qblog` binary.

use std::process::ExitCode;

use clap::Parser;
use qblog_server::cli::{self, Cli};

/// See crates/server/Cargo.toml for why.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    cli::run(Cli::parse()).await
}
