//! Building and running the HTTP server.

use std::{net::TcpListener, sync::Arc};

use actix_web::{App, HttpRequest, HttpServer, dev::Server, error::QueryPayloadError, guard, middleware::from_fn, web};
use safecert_core::Platform;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    ApiDoc, RateLimit,
    error::ErrorKind,
    handlers::{
        access, account_pages, api_clients, batch, batch_pages, certificates, health, identity, institutions,
        my_queries, pages, privacy, proofs, subscriptions, tenants, verify,
    },
    lang::Lang,
    metrics::Metrics,
    middleware::request_log,
    rate_limit::RateLimiter,
    state::AppState,
};

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
}

fn query_error(err: QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    tracing::debug!(error = %err, "malformed query string");
    let kind = ErrorKind::BadRequest;
    match req.app_data::<web::Data<AppState>>() {
        Some(state) => Lang::from_parts(req, state.clone()).error(kind).into(),
        None => actix_web::error::ErrorBadRequest(kind.code()),
    }
}

fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    tracing::debug!(error = %err, "malformed path");
    let kind = ErrorKind::BadRequest;
    match req.app_data::<web::Data<AppState>>() {
        Some(state) => Lang::from_parts(req, state.clone()).error(kind).into(),
        None => actix_web::error::ErrorBadRequest(kind.code()),
    }
}

impl Application {
    /// Binds the listener (port 0 picks a free port) and prepares the
    /// server with `workers` threads.
    pub fn build(platform: Arc<Platform>, listener: TcpListener, workers: usize) -> std::io::Result<Self> {
        let port = listener.local_addr()?.port();
        let limit =
            RateLimit { per_minute: platform.config.verify_rate_per_minute, burst: platform.config.verify_burst };
        let state =
            web::Data::new(AppState { platform, limiter: RateLimiter::new(limit), metrics: Metrics::default() });
        let openapi = ApiDoc::openapi();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .app_data(web::PayloadConfig::new(16 * 1024))
                .wrap(from_fn(request_log))
                // Lookups first: see certificates::handles.
                .service(
                    web::scope(certificates::SCOPE)
                        .guard(guard::fn_guard(|ctx| certificates::handles(ctx.head().uri.path())))
                        .default_service(web::to(certificates::tenant_api)),
                )
                .service(health::healthz)
                .service(health::readyz)
                .service(health::metrics)
                .service(tenants::list)
                .service(verify::verify)
                .service(identity::register_enterprise)
                .service(identity::sign_in)
                .service(identity::verify_code)
                .service(identity::sign_out)
                .service(identity::me)
                .service(identity::my_sign_ins)
                .service(identity::create_department)
                .service(identity::list_departments)
                .service(identity::create_account)
                .service(identity::bind_individual)
                .service(identity::start_reset)
                .service(identity::finish_reset)
                .service(access::create_grant)
                .service(access::revoke_grant)
                .service(access::create_staff)
                .service(access::request_region)
                .service(access::list_region_requests)
                .service(access::decide_region_request)
                .service(access::audit_log)
                .service(api_clients::create)
                .service(api_clients::list)
                .service(api_clients::rotate)
                .service(api_clients::revoke)
                .service(subscriptions::register)
                .service(subscriptions::enterprises)
                .service(subscriptions::register_enterprise)
                .service(subscriptions::leave)
                .service(subscriptions::subscribers)
                .service(subscriptions::add)
                .service(subscriptions::remove)
                .service(institutions::apply)
                .service(institutions::mine)
                .service(institutions::list)
                .service(institutions::review)
                .service(my_queries::history)
                .service(proofs::certificate_report)
                .service(proofs::many_report)
                .service(proofs::e_certificate)
                .service(proofs::platform_key)
                .service(proofs::check_code)
                .service(proofs::check_file)
                .service(batch::upload)
                .service(batch::list)
                .service(batch::show)
                .service(batch::map)
                .service(batch::report)
                .service(my_queries::save)
                .service(my_queries::list_saved)
                .service(my_queries::forget)
                .service(my_queries::favorites)
                .service(my_queries::mark)
                .service(my_queries::unmark)
                .service(privacy::start)
                .service(privacy::verify)
                .service(privacy::end)
                .service(pages::show)
                .service(account_pages::sign_in_page)
                .service(account_pages::sign_in_submit)
                .service(account_pages::code_submit)
                .service(account_pages::account_page)
                .service(account_pages::sign_out_submit)
                .service(account_pages::save_search)
                .service(account_pages::keep_favorite)
                .service(proofs::qr_page)
                .service(proofs::code_page)
                .service(batch_pages::batch_page)
                .service(batch_pages::batch_upload)
                .service(batch_pages::job_view)
                .service(batch_pages::job_mapping)
                .service(pages::submit)
                .service(pages::stylesheet)
                .service(web::redirect("/docs", "/docs/"))
                .service(SwaggerUi::new("/docs/{_:.*}").url("/api/v1/openapi.json", openapi.clone()))
                .default_service(web::to(health::not_found))
        })
        .workers(workers.max(1))
        .backlog(4096)
        .max_connection_rate(1024)
        .shutdown_timeout(20)
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until SIGINT or SIGTERM, then finishes requests in flight.
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }

    pub fn into_server(self) -> Server {
        self.server
    }
}
