//! The `settings` variable: the tenant's settings from tenant.toml, read
//! by name (`settings.expiring_window_days`).

use std::sync::Arc;

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Map};

#[derive(Clone, Debug, Default)]
pub struct RuleSettings(Arc<Map>);

impl RuleSettings {
    pub fn new(values: impl IntoIterator<Item = (&'static str, Dynamic)>) -> Self {
        Self(Arc::new(values.into_iter().map(|(k, v)| (k.into(), v)).collect()))
    }
}

pub(crate) fn register(engine: &mut Engine) {
    engine.register_type_with_name::<RuleSettings>("Settings");
    engine.register_indexer_get(|s: &mut RuleSettings, key: ImmutableString| {
        s.0.get(key.as_str())
            .cloned()
            .ok_or_else(|| -> Box<EvalAltResult> { format!("no setting named {key:?}").into() })
    });
}
