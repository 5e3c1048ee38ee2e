//! Logs: JSON lines when not on a terminal (or with SAFECERT_LOG_FORMAT=json),
//! readable text on a terminal. The filter comes from SAFECERT_LOG.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Library chatter (migration progress, PostgreSQL notices) is kept out of
/// the service's own log unless asked for.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm_migration=warn";

pub fn init() {
    let filter = EnvFilter::try_from_env("SAFECERT_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
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
