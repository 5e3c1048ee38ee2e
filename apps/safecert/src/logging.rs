//! Logs: JSON lines when not on a terminal (or with SAFECERT_LOG_FORMAT=json),
//! readable text on a terminal. The filter comes from SAFECERT_LOG.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_env("SAFECERT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match std::env::var("SAFECERT_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).with_current_span(false).try_init()
    } else {
        builder.compact().try_init()
    };
}
