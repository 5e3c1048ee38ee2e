//! Per-client-address token buckets for the public endpoints.

use std::{
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Instant,
};

use safecert_memo::Memo;

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

impl RateLimit {
    fn per_sec(self) -> f64 {
        f64::from(self.per_minute.max(1)) / 60.0
    }

    fn burst(self) -> f64 {
        f64::from(self.burst.max(1))
    }
}

impl Bucket {
    /// The tokens it holds at `now`.
    fn tokens_at(&self, now: Instant, limit: RateLimit) -> f64 {
        (self.tokens + now.duration_since(self.at).as_secs_f64() * limit.per_sec()).min(limit.burst())
    }
}

/// Addresses remembered at most; past it, full buckets are let go first.
const ADDRESSES: usize = 1_000_000;

pub struct RateLimiter {
    limit: RateLimit,
    buckets: Memo<IpAddr, Arc<Mutex<Bucket>>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            // A bucket that has refilled completely is the same as no
            // bucket: those are forgotten first when room is needed.
            buckets: Memo::shared(ADDRESSES).keeping(move |bucket: &Arc<Mutex<Bucket>>| {
                let b = bucket.lock().unwrap_or_else(|e| e.into_inner());
                b.tokens_at(Instant::now(), limit) < limit.burst()
            }),
        }
    }

    /// Takes one token for the address. `Err(seconds)` says how long until
    /// the next one.
    pub fn check(&self, addr: IpAddr) -> Result<(), u64> {
        let per_sec = self.limit.per_sec();
        let burst = self.limit.burst();
        let bucket = self
            .buckets
            .get_or_insert_with(addr, || Arc::new(Mutex::new(Bucket { tokens: burst, at: Instant::now() })));
        let mut b = bucket.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        b.tokens = b.tokens_at(now, self.limit);
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
