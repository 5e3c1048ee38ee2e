//! The OpenAPI document, generated from the handlers' own annotations.

use utoipa::OpenApi;

use crate::{
    error::{ErrorBody, ErrorDetail},
    handlers::{
        access, api_clients, batch, certificates, health, identity, institutions, my_queries, privacy, proofs,
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
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "public", description = "Open to anyone, rate-limited per client address"),
        (name = "tenant", description = "One province's certificates"),
        (name = "operations", description = "Health and metrics"),
        (name = "proof", description = "Signed PDF reports and electronic certificates, the platform's key, and the check of a PDF or its code"),
        (name = "batch", description = "Batch verification: a spreadsheet of certificates checked at once, with a report"),
        (name = "queries", description = "An account's query history, saved searches and favorite certificates"),
        (name = "accounts", description = "Registration, sign-in with a second factor, departments and sub-accounts, \
                                         grants, API clients, SME subscriptions, training institutions"),
    )
)]
pub struct ApiDoc;
