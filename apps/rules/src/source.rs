//! Where a tenant's rules come from on disk: tenants/<slug>/rules.rhai and
//! rules.toml, or tenants/_default's when the province has none, plus the
//! label texts in tenants/<slug>/locales/<lang>.ftl.

use std::path::{Path, PathBuf};

use crate::{DATA_FILE, RuleSource, SCRIPT_FILE};

pub const DEFAULT_TENANT: &str = "_default";
pub const LABEL_LOCALES: [&str; 3] = ["zh-CN", "en", "ug"];

/// A tenant's baseline rules and the folder they were read from.
#[derive(Clone, Debug)]
pub struct BaselineRules {
    pub source: RuleSource,
    /// `gd` when Guangdong has its own, `_default` otherwise.
    pub from: String,
    pub dir: PathBuf,
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn baseline(tenants_dir: &Path, slug: &str) -> Result<BaselineRules, String> {
    let own = tenants_dir.join(slug);
    let dir = if own.join(SCRIPT_FILE).exists() { own } else { tenants_dir.join(DEFAULT_TENANT) };
    let script = read(&dir.join(SCRIPT_FILE))?;
    let data_path = dir.join(DATA_FILE);
    let data = if data_path.exists() { read(&data_path)? } else { String::new() };
    let from = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(BaselineRules { source: RuleSource { script, data }, from, dir })
}

/// The label texts of a tenant folder, as (locale, ftl text); a missing
/// file gives an empty text.
pub fn label_texts(dir: &Path) -> Vec<(&'static str, String)> {
    LABEL_LOCALES
        .iter()
        .map(|lang| {
            (*lang, std::fs::read_to_string(dir.join("locales").join(format!("{lang}.ftl"))).unwrap_or_default())
        })
        .collect()
}

/// The labels the field definitions name but a locale doesn't define.
pub fn missing_labels<'a>(labels: impl Iterator<Item = &'a str> + Clone, texts: &[(&str, String)]) -> Vec<String> {
    let mut missing = Vec::new();
    for (lang, text) in texts {
        let ids: std::collections::HashSet<String> = match fluent_syntax::parser::parse(text.as_str()) {
            Ok(res) => message_ids(&res),
            Err((res, _)) => message_ids(&res),
        };
        for label in labels.clone() {
            if !ids.contains(label) {
                missing.push(format!("{lang}: {label}"));
            }
        }
    }
    missing
}

fn message_ids(res: &fluent_syntax::ast::Resource<&str>) -> std::collections::HashSet<String> {
    res.body
        .iter()
        .filter_map(|entry| match entry {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

/// The texts of a tenant folder's simple messages (text without
/// placeables), by locale and message id: what field labels show.
pub fn label_messages(dir: &Path) -> std::collections::HashMap<(String, String), String> {
    use fluent_syntax::ast::{Entry, PatternElement};
    let mut out = std::collections::HashMap::new();
    for (lang, text) in label_texts(dir) {
        let res = match fluent_syntax::parser::parse(text.as_str()) {
            Ok(res) => res,
            Err((res, _)) => res,
        };
        for entry in &res.body {
            let Entry::Message(m) = entry else { continue };
            let Some(value) = &m.value else { continue };
            let words: String = value
                .elements
                .iter()
                .filter_map(|e| match e {
                    PatternElement::TextElement { value } => Some(*value),
                    PatternElement::Placeable { .. } => None,
                })
                .collect();
            out.insert((lang.to_owned(), m.id.name.to_owned()), words.trim().to_owned());
        }
    }
    out
}
