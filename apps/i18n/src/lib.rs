//! Messages in zh-CN, en and ug from `locales/<lang>/*.ftl`, and the choice
//! of language from an `Accept-Language` header.

use std::{
    collections::{BTreeSet, HashMap},
    path::Path,
};

pub use fluent_bundle::FluentValue;
use fluent_bundle::{FluentArgs, FluentResource, concurrent::FluentBundle};
use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use safecert_domain::Locale;
use unic_langid::LanguageIdentifier;

#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not valid Fluent: {details}")]
    Parse { path: String, details: String },
    #[error("{path}: {details}")]
    Bundle { path: String, details: String },
    #[error("locale {0} has no .ftl files; every language needs locales/<lang>/main.ftl")]
    Missing(&'static str),
}

/// All messages of all languages, loaded once at start.
pub struct Localizer {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
    ids: HashMap<Locale, BTreeSet<String>>,
    available: Vec<LanguageIdentifier>,
}

fn langid(locale: Locale) -> LanguageIdentifier {
    locale.tag().parse().unwrap_or_default()
}

fn ftl_files(dir: &Path) -> Result<Vec<std::path::PathBuf>, I18nError> {
    let read_err = |source| I18nError::Read { path: dir.display().to_string(), source };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.extension().is_some_and(|e| e == "ftl") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

impl Localizer {
    /// Loads `<dir>/<lang>/*.ftl` for every language SafeCert speaks.
    pub fn load(dir: &Path) -> Result<Self, I18nError> {
        let mut bundles = HashMap::new();
        let mut ids = HashMap::new();
        for locale in Locale::ALL {
            let mut bundle = FluentBundle::new_concurrent(vec![langid(locale)]);
            // Messages go into JSON and into HTML that escapes them; the
            // page isolates user data itself with <bdi>.
            bundle.set_use_isolating(false);
            let files = ftl_files(&dir.join(locale.tag()))?;
            if files.is_empty() {
                return Err(I18nError::Missing(locale.tag()));
            }
            let mut locale_ids = BTreeSet::new();
            for path in files {
                locale_ids.extend(Self::add_file(&mut bundle, &path)?);
            }
            bundles.insert(locale, bundle);
            ids.insert(locale, locale_ids);
        }
        Ok(Self { bundles, ids, available: Locale::ALL.iter().map(|l| langid(*l)).collect() })
    }

    /// Adds one file to the bundle and returns the ids of its messages.
    fn add_file(bundle: &mut FluentBundle<FluentResource>, path: &Path) -> Result<Vec<String>, I18nError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| I18nError::Read { path: shown.clone(), source })?;
        let resource = FluentResource::try_new(text)
            .map_err(|(_, errors)| I18nError::Parse { path: shown.clone(), details: format!("{errors:?}") })?;
        let ids = resource
            .entries()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect();
        bundle
            .add_resource(resource)
            .map_err(|errors| I18nError::Bundle { path: shown, details: format!("{errors:?}") })?;
        Ok(ids)
    }

    /// The best language for an `Accept-Language` header; zh-CN when
    /// nothing matches.
    pub fn negotiate(&self, accept_language: Option<&str>) -> Locale {
        let Some(accept_language) = accept_language.filter(|h| !h.trim().is_empty()) else {
            return Locale::default();
        };
        let requested = parse_accept_language(accept_language);
        let default = langid(Locale::default());
        let chosen = negotiate_languages(&requested, &self.available, Some(&default), NegotiationStrategy::Filtering);
        chosen.first().and_then(|id| Locale::parse(&id.to_string())).unwrap_or_default()
    }

    /// The message in the language, falling back to zh-CN, then to the id
    /// itself (so a missing message is visible, never a crash).
    pub fn message(&self, locale: Locale, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let fluent_args = (!args.is_empty()).then(|| {
            let mut a = FluentArgs::new();
            for (k, v) in args {
                a.set(*k, v.clone());
            }
            a
        });
        for loc in [locale, Locale::default()] {
            let Some(bundle) = self.bundles.get(&loc) else { continue };
            let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else { continue };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, fluent_args.as_ref(), &mut errors);
            if !errors.is_empty() {
                tracing::warn!(message_id = id, locale = loc.tag(), "message formatted with errors: {errors:?}");
            }
            return text.into_owned();
        }
        tracing::warn!(message_id = id, "message missing in every language");
        id.to_owned()
    }

    /// Message ids present in zh-CN but missing in another language.
    pub fn missing_messages(&self) -> Vec<(Locale, String)> {
        let empty = BTreeSet::new();
        let reference = self.ids.get(&Locale::default()).unwrap_or(&empty);
        let mut missing = Vec::new();
        for locale in Locale::ALL {
            let have = self.ids.get(&locale).unwrap_or(&empty);
            missing.extend(reference.difference(have).map(|id| (locale, id.clone())));
        }
        missing
    }
}

/// `zh-CN,zh;q=0.9,en;q=0.8` → languages by descending quality. Malformed
/// parts are skipped.
fn parse_accept_language(header: &str) -> Vec<LanguageIdentifier> {
    let mut weighted: Vec<(u16, usize, LanguageIdentifier)> = header
        .split(',')
        .take(16)
        .enumerate()
        .filter_map(|(pos, part)| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), |q| q.parse::<f32>().ok().map(|q| (q.clamp(0.0, 1.0) * 1000.0) as u16))?;
            let id: LanguageIdentifier = tag.parse().ok()?;
            (q > 0).then_some((q, pos, id))
        })
        .collect();
    weighted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    weighted.into_iter().map(|(_, _, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_of_one_reads_in_the_singular_in_english() {
        let locales = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../locales");
        let messages = Localizer::load(&locales).unwrap_or_else(|e| panic!("{e}"));
        let wait = |seconds: u64| messages.message(Locale::En, "error-rate-limited", &[("seconds", seconds.into())]);
        assert!(wait(1).ends_with("try again in 1 second."), "{}", wait(1));
        assert!(wait(30).ends_with("try again in 30 seconds."), "{}", wait(30));
        assert!(
            messages.message(Locale::ZhCn, "error-rate-limited", &[("seconds", 1u64.into())]).contains("请 1 秒后再试")
        );
    }

    #[test]
    fn accept_language_is_ordered_by_quality() {
        let ids = parse_accept_language("en;q=0.5, ug-CN, fr;q=0.9, *;q=0.1, bogus tag");
        let tags: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert_eq!(tags, ["ug-CN", "fr", "en"]);
    }
}
