//! The caps every rule script runs under. The engine casbin shares with us
//! has its own operation and size limits compiled out, so these are enforced
//! by the checks in `sandbox` (before a script runs) and by the helpers and
//! operators in `helpers` (while it runs).

/// Largest script accepted, in bytes.
pub const MAX_SCRIPT_BYTES: usize = 32 * 1024;
/// Deepest nesting of brackets, and of expressions in the syntax tree.
pub const MAX_NESTING: usize = 40;
/// Longest string a script can build, in bytes.
pub const MAX_STRING_BYTES: usize = 4 * 1024;
/// Most elements (counted through nested arrays and maps) a script can
/// collect into one array or map.
pub const MAX_ITEMS: usize = 1_000;
/// Most reminders a rule may ask for, and the furthest ahead, in days.
pub const MAX_REMINDERS: usize = 12;
pub const MAX_REMINDER_DAYS: i32 = 3 * 366;
/// Longest a version may take, on average over a dry run, to give one
/// certificate's expiry and status. The national rules take under 10 µs
/// (optimized build); a script near this limit would make lookups slow and
/// a dry run over a province take hours, so it is refused. Unoptimized
/// (test) builds run scripts about twenty times slower.
pub const MAX_MICROS_PER_CERTIFICATE: u128 = if cfg!(debug_assertions) { 10_000 } else { 500 };
/// Most custom fields one tenant may define.
pub const MAX_FIELDS: usize = 64;
