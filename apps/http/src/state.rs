use std::sync::Arc;

use safecert_core::Platform;

use crate::{metrics::Metrics, rate_limit::RateLimiter};

/// What every handler shares.
pub struct AppState {
    pub platform: Arc<Platform>,
    pub limiter: RateLimiter,
    pub metrics: Metrics,
}
