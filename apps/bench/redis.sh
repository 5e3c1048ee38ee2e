# The benchmarks' Redis (sourced, not run).

# The service's cache on the benchmark's Redis (BENCH_REDIS), under the
# runs' own prefix.
use_redis() {
    export SAFECERT_REDIS_URL="${BENCH_REDIS:-redis://127.0.0.1:6379}"
    export SAFECERT_REDIS_PREFIX="safecert-bench:"
}

# Deletes the run's keys from Redis (SAFECERT_REDIS_URL, SAFECERT_REDIS_PREFIX):
# a service started next finds nothing cached there.
forget_cached() {
    redis-cli -u "$SAFECERT_REDIS_URL" --scan --pattern "$SAFECERT_REDIS_PREFIX*" | xargs -r -n 1000 redis-cli -u "$SAFECERT_REDIS_URL" del > /dev/null
}
