//! Custom fields a province records beyond the national model, declared in
//! rules.toml: key, type, when required, allowed values or pattern, and the
//! Fluent message id of the label.

use rhai::{Dynamic, ImmutableString, Map};
use serde::Deserialize;
use serde_json::Value;

use crate::{Problem, dates::to_day, limits};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    Integer,
    Date,
    Choice,
    Flag,
}

#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: FieldKind,
    /// Required on every certificate.
    #[serde(default)]
    pub required: bool,
    /// Required on certificates of these types only.
    #[serde(default)]
    pub required_for: Vec<String>,
    /// The allowed values of a `choice`.
    #[serde(default)]
    pub values: Vec<String>,
    /// A regular expression a `text` value must match in full.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Fluent message id of the label, defined in the tenant's locales.
    pub label: String,
}

/// A field definition ready to check values with.
#[derive(Clone, Debug)]
pub struct Field {
    pub def: FieldDef,
    pattern: Option<regex_lite::Regex>,
}

const MAX_TEXT: usize = 200;

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 32
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn valid_message_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Field {
    /// Checks a definition; the error says which field and what is wrong.
    pub fn new(def: FieldDef) -> Result<Self, String> {
        let key = &def.key;
        if !valid_key(key) {
            return Err(format!("field key {key:?}: use lower-case letters, digits and _, at most 32"));
        }
        if !valid_message_id(&def.label) {
            return Err(format!("field {key}: label {:?} is not a Fluent message id", def.label));
        }
        match def.kind {
            FieldKind::Choice if def.values.is_empty() => {
                return Err(format!("field {key}: a choice needs a non-empty `values` list"));
            }
            FieldKind::Choice => {}
            _ if !def.values.is_empty() => return Err(format!("field {key}: only a choice has `values`")),
            _ => {}
        }
        if def.pattern.is_some() && def.kind != FieldKind::Text {
            return Err(format!("field {key}: only a text field has a `pattern`"));
        }
        let pattern = match &def.pattern {
            None => None,
            Some(p) if p.len() > 200 => return Err(format!("field {key}: pattern longer than 200 characters")),
            Some(p) => Some(
                regex_lite::Regex::new(&format!("^(?:{p})$"))
                    .map_err(|e| format!("field {key}: pattern does not compile: {e}"))?,
            ),
        };
        Ok(Self { def, pattern })
    }

    fn required_for(&self, cert_type: &str) -> bool {
        self.def.required || self.def.required_for.iter().any(|t| t == cert_type)
    }

    /// The value as a script sees it, or the problem code.
    fn typed(&self, value: &Value) -> Result<Dynamic, &'static str> {
        match (self.def.kind, value) {
            (FieldKind::Text, Value::String(s)) if s.chars().count() > MAX_TEXT => Err("too_long"),
            (FieldKind::Text, Value::String(s)) => match &self.pattern {
                Some(p) if !p.is_match(s) => Err("pattern"),
                _ => Ok(ImmutableString::from(s.as_str()).into()),
            },
            (FieldKind::Choice, Value::String(s)) if self.def.values.contains(s) => {
                Ok(ImmutableString::from(s.as_str()).into())
            }
            (FieldKind::Choice, Value::String(_)) => Err("not_allowed"),
            (FieldKind::Integer, Value::Number(n)) => {
                n.as_i64().and_then(|n| i32::try_from(n).ok()).map(Dynamic::from_int).ok_or("wrong_type")
            }
            (FieldKind::Flag, Value::Bool(b)) => Ok(Dynamic::from_bool(*b)),
            (FieldKind::Date, Value::String(s)) => {
                s.parse::<chrono::NaiveDate>().map(|d| Dynamic::from_int(to_day(d))).map_err(|_| "wrong_type")
            }
            _ => Err("wrong_type"),
        }
    }
}

pub fn parse_fields(defs: Vec<FieldDef>) -> Result<Vec<Field>, String> {
    if defs.len() > limits::MAX_FIELDS {
        return Err(format!("{} fields defined; the limit is {}", defs.len(), limits::MAX_FIELDS));
    }
    let mut seen = std::collections::HashSet::new();
    defs.into_iter()
        .map(|def| {
            if !seen.insert(def.key.clone()) {
                return Err(format!("field {} is defined twice", def.key));
            }
            Field::new(def)
        })
        .collect()
}

/// Checks a record's custom fields against the definitions: every problem,
/// and the values typed for the scripts.
pub fn check_values(fields: &[Field], cert_type: &str, values: &serde_json::Map<String, Value>) -> (Map, Vec<Problem>) {
    let mut typed = Map::new();
    let mut problems = Vec::new();
    for key in values.keys() {
        if !fields.iter().any(|f| &f.def.key == key) {
            problems.push(Problem::new(format!("fields.{key}"), "unknown_field"));
        }
    }
    for field in fields {
        let key = &field.def.key;
        match values.get(key) {
            None | Some(Value::Null) => {
                if field.required_for(cert_type) {
                    problems.push(Problem::new(format!("fields.{key}"), "required"));
                }
            }
            Some(Value::String(s)) if s.trim().is_empty() && field.required_for(cert_type) => {
                problems.push(Problem::new(format!("fields.{key}"), "required"));
            }
            Some(value) => match field.typed(value) {
                Ok(v) => {
                    typed.insert(key.as_str().into(), v);
                }
                Err(code) => problems.push(Problem::new(format!("fields.{key}"), code)),
            },
        }
    }
    (typed, problems)
}
