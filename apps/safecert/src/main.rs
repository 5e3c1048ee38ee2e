//! `safecert`: the service and its administration commands.

mod cli;
mod logging;
mod rules_cmd;
mod serve;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = cli::Args::parse();
    logging::init();
    match cli::run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("safecert: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
