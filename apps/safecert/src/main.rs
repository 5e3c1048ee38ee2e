//! `safecert`: the service and its administration commands.

mod cli;
mod json_lines;
mod logging;
mod rules_cmd;
mod serve;

use clap::Parser;

/// Many small allocations per request (views, keys, JSON): an allocator
/// with per-thread free lists serves them without taking locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = cli::Args::parse();
    let outcome = {
        let _logging = logging::init();
        cli::run(args).await
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("safecert: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
