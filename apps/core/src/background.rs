//! Work a replica does on its own: following rule changes made elsewhere,
//! and the nightly status scan.

use std::{sync::Arc, time::Duration};

use chrono::{NaiveTime, TimeDelta};

use safecert_storage::Databases;

use crate::Platform;

/// How long a replica may lag behind a rule change made on another, when
/// no Redis message arrives sooner.
const RULES_POLL: Duration = Duration::from_secs(2);

/// When the nightly scan runs, in China's time.
const SCAN_AT: NaiveTime = match NaiveTime::from_hms_opt(2, 30, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

fn until_next_scan() -> Duration {
    let now = safecert_domain::china_now().naive_local();
    let mut next = now.date().and_time(SCAN_AT);
    if next <= now {
        next += TimeDelta::days(1);
    }
    (next - now).to_std().unwrap_or(Duration::from_secs(3600))
}

impl Platform {
    /// Starts the background loops. Call once, inside the runtime.
    pub fn spawn_background(self: &Arc<Self>) {
        let platform = Arc::clone(self);
        tokio::spawn(async move {
            let shared = Arc::clone(platform.store.databases());
            // Requests never wait behind this work, nor it behind them.
            let (own, writers) = match shared.background_platform().await {
                Ok(own) => {
                    let writers = own.background_writers();
                    (Arc::new(own), writers)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "no connections of their own for background work; sharing the service's");
                    (shared, 1)
                }
            };
            tokio::spawn(Arc::clone(&platform).follow_rules(Arc::clone(&own)));
            tokio::spawn(Arc::clone(&platform).follow_grants(Arc::clone(&own)));
            platform.query_log.run_writer(&own, writers).await;
        });
        tokio::spawn(Arc::clone(self).run_batches());
        if !self.config.nightly_scan {
            return;
        }
        let platform = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(until_next_scan()).await;
                for tenant in platform.tenants.all() {
                    match platform.rescan_statuses(tenant).await {
                        Ok(r) => {
                            tracing::info!(tenant = %tenant.slug, total = r.total, updated = r.updated, failed = r.failure_count, "nightly status scan")
                        }
                        Err(e) => tracing::error!(tenant = %tenant.slug, error = %e, "nightly status scan failed"),
                    }
                }
            }
        });
    }

    /// Rule versions activated on any replica, within 2 s (at once when
    /// Redis passes the word), read on `dbs`.
    async fn follow_rules(self: Arc<Self>, dbs: Arc<Databases>) {
        loop {
            let changed = self.store.cache().rules_changed();
            let _ = tokio::time::timeout(RULES_POLL, changed.notified()).await;
            if self.is_stopping() {
                return;
            }
            if let Err(e) = self.sync_rules(&dbs).await
                && !self.is_stopping()
            {
                tracing::warn!(error = %e, "cannot read rule activations; retrying");
            }
        }
    }

    /// Grants made on any replica, and grants that ended, within 2 s; the
    /// poll reads on `dbs`.
    async fn follow_grants(self: Arc<Self>, dbs: Arc<Databases>) {
        loop {
            tokio::time::sleep(RULES_POLL).await;
            if self.is_stopping() {
                return;
            }
            let ended = self.identity.authorizer().has_ended_grants();
            if let Err(e) = self.identity.follow_grants(&dbs, ended).await
                && !self.is_stopping()
            {
                tracing::warn!(error = %e, "cannot read grants; retrying");
            }
        }
    }

    /// Whether the service is stopping (see [`Platform::shutdown`]).
    fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Acquire)
    }
}
