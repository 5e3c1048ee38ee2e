# What a benchmark ran on, for its summary (sourced, not run): cores and
# their model (machines of one size differ in speed by their processor),
# memory and kernel; and wrk's scheduling, when BENCH_WRK_BATCH changes it.
machine() {
    local cpu
    cpu=$(awk -F': ' '/^model name/ {m = $2} /^cpu family/ {f = $2} /^model\t/ {n = $2} END {printf "%s (family %s, model %s)", m, f, n}' /proc/cpuinfo)
    local client=""
    [ "${BENCH_WRK_BATCH:-0}" = 1 ] && client="; wrk as a batch task (SCHED_BATCH)"
    echo "$(nproc) cores of $cpu, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)$client"
}
