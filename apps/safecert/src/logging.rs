//! Logs: JSON lines when not on a terminal (or with SAFECERT_LOG_FORMAT=json),
//! readable text on a terminal. The filter comes from SAFECERT_LOG.
//!
//! JSON lines, the form a deployed service writes (see `json_lines`),
//! leave through a writer thread of their own: a request hands its line
//! over instead of writing to stderr itself (a pipe to a log collector can
//! be slow), and lines that come together leave in one write instead of
//! one write each.

use std::io::{BufWriter, IsTerminal};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::json_lines::JsonLines;

/// Library chatter (migration progress, PostgreSQL notices) is kept out of
/// the service's own log unless asked for.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm_migration=warn";

/// Lines waiting for the writer thread at most; past it, whoever logs
/// waits for room rather than losing the line.
const QUEUED_LINES: usize = 100_000;

/// What the writer thread gathers into one write: whole lines, at most
/// what a pipe takes whole (PIPE_BUF, 4 KiB on Linux), so a line never
/// interleaves with what anything else writes to the same pipe.
const WRITE_BYTES: usize = 4096;

/// Keep it until the process ends: dropping it writes the lines still
/// queued.
#[must_use]
pub struct Logging {
    _writer: Option<WorkerGuard>,
}

pub fn init() -> Logging {
    let filter = EnvFilter::try_from_env("SAFECERT_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let json = match std::env::var("SAFECERT_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if !json {
        let _ = builder.with_writer(std::io::stderr).compact().try_init();
        return Logging { _writer: None };
    }
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("log-writer")
        .finish(BufWriter::with_capacity(WRITE_BYTES, std::io::stderr()));
    let _ = builder.with_writer(writer).event_format(JsonLines).try_init();
    Logging { _writer: Some(guard) }
}
