//! Per-client-address rate limits for the public endpoints.
//!
//! Each address has a bucket of `burst` requests that refills at
//! `per_minute`. A bucket is kept as one number, the moment it would be
//! full again, which a request moves one refill interval later (the
//! generic cell rate algorithm): taking a request is one atomic update,
//! with no lock held, however many threads serve the same address.

use std::{
    net::IpAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
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

const NANOS_PER_MINUTE: u64 = 60_000_000_000;

impl RateLimit {
    /// Nanoseconds one request takes to come back.
    fn interval(self) -> u64 {
        NANOS_PER_MINUTE / u64::from(self.per_minute.max(1))
    }

    /// Nanoseconds an empty bucket takes to fill.
    fn span(self) -> u64 {
        self.interval().saturating_mul(u64::from(self.burst.max(1)))
    }
}

/// When an address's bucket is full again, in nanoseconds since the
/// limiter started: at or before now, it is full.
struct Bucket {
    full_at: AtomicU64,
}

impl Bucket {
    /// Takes one request at `now`, or says how many nanoseconds until one
    /// is free.
    fn take(&self, now: u64, limit: RateLimit) -> Result<(), u64> {
        let (interval, span) = (limit.interval(), limit.span());
        let mut full_at = self.full_at.load(Ordering::Relaxed);
        loop {
            let after = full_at.max(now).saturating_add(interval);
            let over = (after - now).saturating_sub(span);
            if over > 0 {
                return Err(over);
            }
            match self.full_at.compare_exchange_weak(full_at, after, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Ok(()),
                Err(seen) => full_at = seen,
            }
        }
    }
}

/// Addresses remembered at most; past it, full buckets are let go first.
const ADDRESSES: usize = 1_000_000;

pub struct RateLimiter {
    limit: RateLimit,
    started: Instant,
    buckets: Memo<IpAddr, Arc<Bucket>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        let started = Instant::now();
        Self {
            limit,
            started,
            // A bucket that has refilled completely is the same as no
            // bucket: those are forgotten first when room is needed.
            buckets: Memo::shared(ADDRESSES)
                .keeping(move |bucket: &Arc<Bucket>| bucket.full_at.load(Ordering::Relaxed) > nanos_since(started)),
        }
    }

    /// Takes one request for the address. `Err(seconds)` says how long
    /// until the next one.
    pub fn check(&self, addr: IpAddr) -> Result<(), u64> {
        let now = nanos_since(self.started);
        let taken = match self.buckets.read(&addr, |bucket| bucket.take(now, self.limit)) {
            Some(taken) => taken,
            None => self
                .buckets
                .get_or_insert_with(addr, || Arc::new(Bucket { full_at: AtomicU64::new(0) }))
                .take(now, self.limit),
        };
        taken.map_err(|nanos| nanos.div_ceil(1_000_000_000).max(1))
    }
}

fn nanos_since(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX)
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

    #[test]
    fn a_bucket_refills_at_the_sustained_rate_and_no_further_than_its_burst() {
        let limit = RateLimit { per_minute: 60, burst: 2 };
        let bucket = Bucket { full_at: AtomicU64::new(0) };
        let second = 1_000_000_000;
        assert_eq!(bucket.take(10 * second, limit), Ok(()));
        assert_eq!(bucket.take(10 * second, limit), Ok(()));
        assert_eq!(bucket.take(10 * second, limit), Err(second), "empty: the next comes a second later");
        assert_eq!(bucket.take(11 * second, limit), Ok(()), "one came back after a second");
        assert_eq!(bucket.take(11 * second, limit), Err(second));
        // A long pause refills it to its burst, not beyond.
        assert_eq!(bucket.take(100 * second, limit), Ok(()));
        assert_eq!(bucket.take(100 * second, limit), Ok(()));
        assert!(bucket.take(100 * second, limit).is_err());
    }

    #[test]
    fn many_threads_on_one_address_take_exactly_the_burst() {
        let limiter = Arc::new(RateLimiter::new(RateLimit { per_minute: 1, burst: 1000 }));
        let a: IpAddr = "192.0.2.9".parse().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let limiter = Arc::clone(&limiter);
                std::thread::spawn(move || (0..500).filter(|_| limiter.check(a).is_ok()).count())
            })
            .collect();
        let allowed: usize = threads.into_iter().map(|t| t.join().unwrap_or_default()).sum();
        assert_eq!(allowed, 1000);
    }
}
