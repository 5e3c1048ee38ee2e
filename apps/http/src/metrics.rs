//! Counters exposed at `/metrics` in the Prometheus text format.

use safecert_memo::Tally;

#[derive(Default)]
pub struct Metrics {
    pub responses_2xx: Tally,
    pub responses_4xx: Tally,
    pub responses_429: Tally,
    pub responses_5xx: Tally,
    pub verify_genuine: Tally,
    pub verify_no_match: Tally,
}

impl Metrics {
    pub fn count_status(&self, status: u16) {
        let counter = match status {
            429 => &self.responses_429,
            400..=499 => &self.responses_4xx,
            500..=599 => &self.responses_5xx,
            _ => &self.responses_2xx,
        };
        counter.add(1);
    }

    pub fn render(
        &self,
        cache: safecert_storage::CacheStats,
        caller_reads: u64,
        tenants: usize,
        db_connection_bound: u32,
    ) -> String {
        let get = |c: &Tally| c.get();
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, rows: &[(&str, u64)]| {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for (labels, value) in rows {
                out.push_str(&format!("{name}{labels} {value}\n"));
            }
        };
        metric(
            "safecert_http_responses_total",
            "counter",
            "HTTP responses by status class.",
            &[
                ("{class=\"2xx\"}", get(&self.responses_2xx)),
                ("{class=\"4xx\"}", get(&self.responses_4xx)),
                ("{class=\"429\"}", get(&self.responses_429)),
                ("{class=\"5xx\"}", get(&self.responses_5xx)),
            ],
        );
        metric(
            "safecert_verifications_total",
            "counter",
            "Public verifications by outcome.",
            &[
                ("{outcome=\"genuine\"}", get(&self.verify_genuine)),
                ("{outcome=\"no_match\"}", get(&self.verify_no_match)),
            ],
        );
        metric(
            "safecert_cache_lookups_total",
            "counter",
            "Cache lookups by tier that answered.",
            &[
                ("{tier=\"local\"}", cache.local_hits),
                ("{tier=\"redis\"}", cache.redis_hits),
                ("{tier=\"miss\"}", cache.misses),
            ],
        );
        metric(
            "safecert_caller_reads_total",
            "counter",
            "Signed-in callers (sessions and API keys) read from the database; remembered ones are not.",
            &[("", caller_reads)],
        );
        metric("safecert_tenants", "gauge", "Tenants loaded.", &[("", tenants as u64)]);
        metric(
            "safecert_db_connections_max",
            "gauge",
            "Most database connections this process may open.",
            &[("", u64::from(db_connection_bound))],
        );
        out
    }
}
