//! The OpenAPI document, generated from the handlers' own annotations.

use utoipa::OpenApi;

use crate::{
    error::{ErrorBody, ErrorDetail},
    handlers::{certificates, health, tenants, verify},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "SafeCert API",
        description = "National query and verification of work-safety training certificates. \
                       Errors are `{\"error\":{\"code\":…,\"message\":…}}` with the message in the \
                       language of `Accept-Language` (zh-CN, en, ug)."
    ),
    paths(
        health::healthz,
        health::readyz,
        health::metrics,
        tenants::list,
        verify::verify,
        certificates::lookup,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "public", description = "Open to anyone, rate-limited per client address"),
        (name = "tenant", description = "One province's certificates"),
        (name = "operations", description = "Health and metrics"),
    )
)]
pub struct ApiDoc;
