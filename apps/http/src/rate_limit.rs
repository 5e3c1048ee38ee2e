//! Per-client-address token buckets for the public endpoints.

use std::{
    net::IpAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use moka::sync::Cache;

#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    /// Sustained requests per minute per address.
    pub per_minute: u32,
    /// Requests allowed at once before the sustained rate applies.
    pub burst: u32,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct RateLimiter {
    limit: RateLimit,
    buckets: Cache<IpAddr, Arc<Mutex<Bucket>>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            // An idle bucket refills completely within this time, so
            // forgetting it changes nothing.
            buckets: Cache::builder().max_capacity(1_000_000).time_to_idle(Duration::from_secs(600)).build(),
        }
    }

    /// Takes one token for the address. `Err(seconds)` says how long until
    /// the next one.
    pub fn check(&self, addr: IpAddr) -> Result<(), u64> {
        let per_sec = f64::from(self.limit.per_minute.max(1)) / 60.0;
        let burst = f64::from(self.limit.burst.max(1));
        let bucket = self.buckets.get_with(addr, || Arc::new(Mutex::new(Bucket { tokens: burst, at: Instant::now() })));
        let mut b = bucket.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / per_sec).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_with_a_wait() {
        let limiter = RateLimiter::new(RateLimit { per_minute: 60, burst: 3 });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.check(a), Ok(()));
        }
        assert_eq!(limiter.check(a), Err(1), "fourth request within the second waits a second");
        assert_eq!(limiter.check(b), Ok(()), "another address has its own bucket");
    }
}
