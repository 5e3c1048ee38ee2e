//! The ceiling: an actix-web server that answers a fixed JSON body.

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    HttpServer::new(|| {
        App::new().default_service(web::to(|| async {
            HttpResponse::Ok().content_type("application/json").body(r#"{"hello":"world"}"#)
        }))
    })
    .workers(safecert_bench::workers())
    .backlog(4096)
    .bind(safecert_bench::listen())?
    .run()
    .await
}
