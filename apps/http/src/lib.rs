//! The HTTP face of SafeCert: the JSON API under `/api/v1`, the public
//! verification page at `/`, health and metrics, and the OpenAPI document.

mod app;
mod error;
mod handlers;
mod known_routes;
mod lang;
mod metrics;
mod middleware;
mod openapi;
mod rate_limit;
mod state;
mod upload;

pub use app::Application;
pub use openapi::ApiDoc;
pub use rate_limit::RateLimit;
