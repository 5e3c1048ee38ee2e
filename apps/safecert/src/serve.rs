use std::{net::TcpListener, sync::Arc};

use anyhow::Context;
use safecert_core::{Config, Platform, seed};
use safecert_http::Application;

/// On the embedded default, an empty database gets demo certificates so
/// the service can be tried at once. Returns a few to try.
async fn demo_data(platform: &Arc<Platform>) -> anyhow::Result<Vec<seed::SeededCertificate>> {
    let config = &platform.config;
    if !config.is_embedded() || config.demo_certs_per_tenant == 0 {
        return Ok(vec![]);
    }
    for tenant in platform.tenants.all() {
        if platform.store.count(&tenant.slug).await? > 0 {
            return Ok(vec![]);
        }
    }
    let opts = seed::SeedOptions {
        certs_per_tenant: config.demo_certs_per_tenant,
        seed: 2026,
        as_of: platform.today(),
        export: Some(config.data_dir.join("demo-certificates.csv")),
        progress: false,
        only: vec![],
    };
    tracing::info!(per_tenant = opts.certs_per_tenant, "empty embedded database: creating demo certificates");
    Ok(seed::run(platform, &opts).await?.samples)
}

pub async fn run() -> anyhow::Result<()> {
    let config = Config::from_env().context("reading the configuration")?;
    let listener = TcpListener::bind(&config.listen).with_context(|| format!("binding {}", config.listen))?;
    let workers = config.workers;
    let platform = Arc::new(Platform::start(config).await.context("starting the platform")?);
    let samples = demo_data(&platform).await.context("creating demo data")?;
    platform.spawn_background();
    let app = Application::build(Arc::clone(&platform), listener, workers)?;
    let address = format!("http://{}/", platform.config.listen);
    tracing::info!(%address, tenants = platform.tenants.len(), "serving");
    println!("\nSafeCert is serving {} provinces at {address}", platform.tenants.len());
    println!("API documentation: {address}docs/");
    if !samples.is_empty() {
        println!(
            "Demo certificates to try (all in {}):",
            platform.config.data_dir.join("demo-certificates.csv").display()
        );
        for s in samples.iter().filter(|s| ["gd", "js", "xj"].contains(&s.tenant.as_str())) {
            println!("  {:<22} {:<6} ({}, {})", s.cert_no, s.holder_name, s.tenant, s.status);
        }
    }
    app.run().await?;
    platform.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}
