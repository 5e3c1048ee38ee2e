//! Shared bits of the benchmark baselines. See docs/PERFORMANCE.md.

/// The service's allocator, so the baselines are built as it is.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The address a baseline listens on: `BENCH_LISTEN`, default 127.0.0.1:8090.
pub fn listen() -> String {
    std::env::var("BENCH_LISTEN").unwrap_or_else(|_| "127.0.0.1:8090".into())
}

/// Worker threads: `BENCH_WORKERS`, default the number of CPUs.
pub fn workers() -> usize {
    std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
}
