//! The OpenAPI document, generated from the handlers' own annotations.

use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, ContentBuilder, Ref, RefOr, ResponseBuilder,
        path::Operation,
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
    },
};

use crate::{
    error::{ErrorBody, ErrorDetail},
    handlers::{
        access, api_clients, batch, certificates, health, identity, institutions, my_queries, privacy, proofs, rules,
        subscriptions, tenants, verify,
    },
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
        certificates::search,
        certificates::autocomplete,
        identity::register_enterprise,
        identity::sign_in,
        identity::verify_code,
        identity::sign_out,
        identity::me,
        identity::my_sign_ins,
        identity::create_department,
        identity::list_departments,
        identity::create_account,
        identity::bind_individual,
        identity::start_reset,
        identity::finish_reset,
        access::create_grant,
        access::revoke_grant,
        access::create_staff,
        access::request_region,
        access::list_region_requests,
        access::decide_region_request,
        access::audit_log,
        api_clients::create,
        api_clients::list,
        api_clients::rotate,
        api_clients::revoke,
        subscriptions::register,
        subscriptions::enterprises,
        subscriptions::register_enterprise,
        subscriptions::leave,
        subscriptions::subscribers,
        subscriptions::add,
        subscriptions::remove,
        institutions::apply,
        institutions::mine,
        institutions::list,
        institutions::review,
        my_queries::history,
        proofs::certificate_report,
        proofs::many_report,
        proofs::e_certificate,
        proofs::platform_key,
        proofs::check_code,
        proofs::check_file,
        batch::upload,
        batch::list,
        batch::show,
        batch::map,
        batch::report,
        my_queries::save,
        my_queries::list_saved,
        my_queries::forget,
        my_queries::favorites,
        my_queries::mark,
        my_queries::unmark,
        privacy::start,
        privacy::verify,
        privacy::end,
        rules::list_versions,
        rules::show_version,
        rules::upload,
        rules::dry_run,
        rules::activate,
        rules::rollback,
    ),
    modifiers(&Shared),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "public", description = "Open to anyone, rate-limited per client address"),
        (name = "tenant", description = "One province's certificates"),
        (name = "operations", description = "Health and metrics"),
        (name = "proof", description = "Signed PDF reports and electronic certificates, the platform's key, and the check of a PDF or its code"),
        (name = "batch", description = "Batch verification: a spreadsheet of certificates checked at once, with a report"),
        (name = "queries", description = "An account's query history, saved searches and favorite certificates"),
        (name = "rules", description = "A province's rules: versions uploaded, checked and dry-run before they are kept, activation and rollback"),
        (name = "accounts", description = "Registration, sign-in with a second factor, departments and sub-accounts, \
                                         grants, API clients, SME subscriptions, training institutions"),
    )
)]
pub struct ApiDoc;

/// What every operation shares, written once here rather than on each:
/// how callers sign in, and the answers of the shared machinery.
///
/// - An operation annotated `security(("bearer" = []))` needs a signed-in
///   caller, who may equally send an API client's key or the session
///   cookie: all three are listed, and its 401 answer is added.
/// - An operation with parameters or a body answers 400 to one that
///   cannot be read (a number too large, a malformed query string or
///   body), whatever its own handler checks.
/// - An operation of one province (a `tenant` in its path) answers 404
///   to a province that does not exist.
struct Shared;

const BEARER: &str = "bearer";

impl Modify for Shared {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "A session token from `/api/v1/auth/verify`, or an API client's key. \
                 The rules endpoints also take the operator's token (`SAFECERT_ADMIN_TOKEN`).",
            ))
            .build();
        components.add_security_scheme(BEARER, SecurityScheme::Http(bearer));
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description("X-Api-Key", "An API client's key"))),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::handlers::identity::SESSION_COOKIE,
                "The session cookie the web pages' sign-in sets",
            ))),
        );
        for item in doc.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                share(operation);
            }
        }
    }
}

fn share(operation: &mut Operation) {
    let signed_in = SecurityRequirement::new(BEARER, Vec::<String>::new());
    if operation.security.as_ref().is_some_and(|s| s.contains(&signed_in)) {
        operation.security = Some(vec![
            signed_in,
            SecurityRequirement::new("api_key", Vec::<String>::new()),
            SecurityRequirement::new("session", Vec::<String>::new()),
        ]);
        answers(operation, "401", "Not signed in, or the session has ended");
    }
    let takes_input = operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) || operation.request_body.is_some();
    if takes_input {
        answers(operation, "400", "A parameter or the body cannot be read");
    }
    let of_a_province = operation.parameters.iter().flatten().any(|p| match p {
        RefOr::T(p) => p.name == "tenant" && p.parameter_in == openapi::path::ParameterIn::Path,
        RefOr::Ref(_) => false,
    });
    if of_a_province {
        answers(operation, "404", "Unknown tenant (see /api/v1/tenants)");
    }
}

/// Documents an error answer, unless the operation documents it already.
fn answers(operation: &mut Operation, status: &str, description: &str) {
    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
        let error = ContentBuilder::new().schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody")))).build();
        RefOr::T(ResponseBuilder::new().description(description).content("application/json", error).build())
    });
}
