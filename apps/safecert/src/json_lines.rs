//! One JSON object a line, written straight from an event's fields:
//! `{"timestamp":"2026-12-07T19:39:59.991601Z","level":"INFO",` then the
//! message and the other fields in the order they were recorded, then
//! `"target":"safecert::serve"}`. The same shape as tracing-subscriber's
//! flattened JSON without its current span, at a fraction of the cost:
//! nothing is gathered into a map first, and the time is written digit by
//! digit. At the default level the service writes one such line for every
//! request.
//!
//! Libraries that log through the `log` crate (rustls, reqwest, actix-web)
//! reach the same lines: their records come as events carrying `log.*`
//! fields, and are written with the record's own level and target instead.

use std::fmt::{self, Write};

use chrono::{Datelike, Timelike, Utc};
use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
};
use tracing_log::NormalizeEvent;
use tracing_subscriber::{
    fmt::{FmtContext, FormatEvent, FormatFields, format::Writer},
    registry::LookupSpan,
};

/// The event formatter; see the module.
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, _: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        // Put together in a string of its own, whose writes are plain
        // pushes, then handed over at once: the writer takes each write
        // through a dynamic call.
        let mut line = String::with_capacity(LINE_ROOM);
        write_line(&mut line, event)?;
        writer.write_str(&line)
    }
}

/// Room for a request's line, which is about 250 bytes.
const LINE_ROOM: usize = 384;

fn write_line(out: &mut String, event: &Event<'_>) -> fmt::Result {
    let from_log = event.normalized_metadata();
    let meta = from_log.as_ref().unwrap_or_else(|| event.metadata());
    out.push_str("{\"timestamp\":\"");
    write_now(out)?;
    out.push_str("\",\"level\":\"");
    out.push_str(meta.level().as_str());
    out.push('"');
    let mut fields = Fields { out: &mut *out, result: Ok(()), from_log: from_log.is_some() };
    event.record(&mut fields);
    fields.result?;
    out.push_str(",\"target\":");
    write_string(out, meta.target())?;
    out.push_str("}\n");
    Ok(())
}

/// The current UTC time to the microsecond, `2026-12-07T19:39:59.991601Z`,
/// put together digit by digit and written at once.
fn write_now(out: &mut impl Write) -> fmt::Result {
    let now = Utc::now();
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    let year = u32::try_from(now.year()).unwrap_or_default();
    // chrono counts a leap second as a billion nanoseconds and more past
    // second 59: it is written as part of second 59.
    let micros = now.nanosecond() % 1_000_000_000 / 1_000;
    let parts = [
        (year, 0..4),
        (now.month(), 5..7),
        (now.day(), 8..10),
        (now.hour(), 11..13),
        (now.minute(), 14..16),
        (now.second(), 17..19),
        (micros, 20..26),
    ];
    for (value, at) in parts {
        put_digits(&mut text[at], value);
    }
    out.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
}

/// `value`'s last decimal digits into `digits`, zeros in front.
fn put_digits(digits: &mut [u8], mut value: u32) {
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// `text` as a JSON string, quotes included.
fn write_string(out: &mut impl Write, text: &str) -> fmt::Result {
    out.write_char('"')?;
    Escaped(out).write_str(text)?;
    out.write_char('"')
}

/// What `args` format, as a JSON string, quotes included.
fn write_formatted(out: &mut impl Write, args: fmt::Arguments<'_>) -> fmt::Result {
    out.write_char('"')?;
    Escaped(out).write_fmt(args)?;
    out.write_char('"')
}

/// Writes what it is given with JSON's string escapes.
struct Escaped<'w, W: Write>(&'w mut W);

impl<W: Write> Write for Escaped<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if !text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            return self.0.write_str(text);
        }
        let mut plain = 0;
        for (at, byte) in text.bytes().enumerate() {
            let escape = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..0x20 => "",
                _ => continue,
            };
            self.0.write_str(&text[plain..at])?;
            if escape.is_empty() {
                write!(self.0, "\\u{byte:04x}")?;
            } else {
                self.0.write_str(escape)?;
            }
            plain = at + 1;
        }
        self.0.write_str(&text[plain..])
    }
}

/// Each field as `,"name":value`: numbers and booleans as they are,
/// everything else as a string.
struct Fields<'w, W: Write> {
    out: &'w mut W,
    result: fmt::Result,
    /// A `log` record: its `log.target`, `log.file` and such are the
    /// record's metadata, written as the line's own.
    from_log: bool,
}

impl<W: Write> Fields<'_, W> {
    /// Writes the field unless an earlier one failed.
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.from_log && field.name().starts_with("log.") {
            return;
        }
        if self.result.is_ok() {
            self.result = write_field(self.out, field, value);
        }
    }
}

fn write_field<W: Write>(out: &mut W, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) -> fmt::Result {
    out.write_char(',')?;
    write_string(out, field.name())?;
    out.write_char(':')?;
    value(out)
}

impl<W: Write> Visit for Fields<'_, W> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |out| write_formatted(out, format_args!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, |out| write_string(out, value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.field(field, |out| write_formatted(out, format_args!("{value}")));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |out| write!(out, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |out| write!(out, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |out| out.write_str(if value { "true" } else { "false" }));
    }

    /// JSON has no NaN or infinity: those are written as strings.
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.field(field, |out| if value.is_finite() { write!(out, "{value}") } else { write!(out, "\"{value}\"") });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::JsonLines;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What `log` writes, line by line, each parsed as JSON.
    fn logged(log: impl FnOnce()) -> Vec<serde_json::Value> {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).event_format(JsonLines).finish();
        tracing::subscriber::with_default(subscriber, log);
        let text = String::from_utf8(lines.0.lock().unwrap_or_else(|p| p.into_inner()).clone()).unwrap_or_default();
        assert!(text.ends_with('\n'), "{text}");
        let parsed = |line: &str| {
            assert!(line.starts_with("{\"timestamp\":\"") && line.contains("\"level\":"), "{line}");
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
        };
        text.lines().map(parsed).collect()
    }

    #[test]
    fn a_line_is_one_json_object_with_the_time_the_level_every_field_and_the_target() {
        let lines = logged(|| {
            tracing::info!(request_id = %"c91b258200000001", status = 200u16, elapsed_ms = 1.5, ok = true, "request");
        });
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        let time = line["timestamp"].as_str().unwrap_or_default();
        let written = chrono::DateTime::parse_from_rfc3339(time).map(|t| t.to_utc()).unwrap_or_default();
        let ago = chrono::Utc::now() - written;
        assert!(ago >= chrono::TimeDelta::zero() && ago < chrono::TimeDelta::seconds(5), "{time} is not now");
        assert_eq!((time.len(), &time[time.len() - 1..]), (27, "Z"), "{time}");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["message"], "request");
        assert_eq!(line["request_id"], "c91b258200000001");
        assert_eq!(line["status"], 200);
        assert_eq!(line["elapsed_ms"], 1.5);
        assert_eq!(line["ok"], true);
        assert_eq!(line["target"], module_path!());
        let keys = line.as_object().map(|o| o.len()).unwrap_or_default();
        assert_eq!(keys, 8, "the time, the level, five fields and the target: {line}");
    }

    #[test]
    fn quotes_backslashes_control_characters_and_odd_numbers_stay_valid_json() {
        let awkward = "say \"hi\"\\ then\nnew line\ttab\u{1}bell 中文";
        let lines = logged(|| {
            tracing::warn!(text = awkward, debug = ?awkward, ratio = f64::NAN, below = -3i64, "{awkward}");
        });
        let line = &lines[0];
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], awkward);
        assert_eq!(line["text"], awkward);
        assert_eq!(line["debug"], format!("{awkward:?}"));
        assert_eq!(line["ratio"], "NaN");
        assert_eq!(line["below"], -3);
    }

    #[test]
    fn whole_numbers_are_written_exactly_at_both_ends() {
        let lines = logged(|| tracing::info!(zero = 0u64, most = u64::MAX, least = i64::MIN, status = 404u16, "n"));
        let line = &lines[0];
        assert_eq!(line["zero"], 0);
        assert_eq!(line["most"], u64::MAX);
        assert_eq!(line["least"], i64::MIN);
        assert_eq!(line["status"], 404);
    }

    #[test]
    fn a_library_logging_through_the_log_crate_gets_the_same_line_with_its_own_level_and_target() {
        let _ = tracing_log::LogTracer::init();
        let lines = logged(|| log::warn!(target: "rustls::client", "peer sent {} alerts", 2));
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["message"], "peer sent 2 alerts");
        assert_eq!(line["target"], "rustls::client");
        let keys = line.as_object().map(|o| o.len()).unwrap_or_default();
        assert_eq!(keys, 4, "the time, the level, the message and the target, no log.* fields: {line}");
    }
}
