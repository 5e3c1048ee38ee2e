//! The floor for uncached lookups: actix-web plus one sqlx point query per
//! request on a PostgreSQL tenant schema, no cache, no masking.
//! `GET /api/v1/t/{tenant}/certificates/{cert_no}` like the service.

use actix_web::{App, HttpResponse, HttpServer, web};
use sea_orm::sqlx::{self, PgPool, Row, postgres::PgPoolOptions};

async fn lookup(pool: web::Data<PgPool>, path: web::Path<(String, String)>) -> HttpResponse {
    let (tenant, cert_no) = path.into_inner();
    // The tenant is spliced into the SQL, so only lower-case letters pass.
    if tenant.is_empty() || !tenant.bytes().all(|b| b.is_ascii_lowercase()) {
        return HttpResponse::NotFound().finish();
    }
    let sql = format!(
        "SELECT cert_no, holder_name, expiry_date::text AS expiry FROM tenant_{tenant}.certificates WHERE cert_no = $1"
    );
    match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(&cert_no).fetch_optional(pool.get_ref()).await {
        Ok(Some(row)) => {
            let no: String = row.get("cert_no");
            let expiry: String = row.get("expiry");
            HttpResponse::Ok()
                .content_type("application/json")
                .body(format!(r#"{{"cert_no":"{no}","expiry_date":"{expiry}"}}"#))
        }
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let url = std::env::var("SAFECERT_DATABASE_URL").map_err(|_| std::io::Error::other("set SAFECERT_DATABASE_URL"))?;
    let size: u32 = std::env::var("BENCH_POOL").ok().and_then(|p| p.parse().ok()).unwrap_or(16);
    // sqlx pings a pooled connection before each checkout unless told not
    // to (BENCH_PING_ON_ACQUIRE=0); the default is the baseline.
    let ping = std::env::var("BENCH_PING_ON_ACQUIRE").map_or(true, |v| v != "0");
    let pool = PgPoolOptions::new()
        .max_connections(size)
        .test_before_acquire(ping)
        .connect(&url)
        .await
        .map_err(std::io::Error::other)?;
    let data = web::Data::new(pool);
    HttpServer::new(move || {
        App::new().app_data(data.clone()).route("/api/v1/t/{tenant}/certificates/{cert_no}", web::get().to(lookup))
    })
    .workers(safecert_bench::workers())
    .backlog(4096)
    .bind(safecert_bench::listen())?
    .run()
    .await
}
