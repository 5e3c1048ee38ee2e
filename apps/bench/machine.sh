# What a benchmark ran on, for its summary (sourced, not run): cores and
# their model (machines of one size differ in speed by their processor),
# memory and kernel; and wrk's scheduling, when lib.sh has changed it
# (wrk_scheduling, set for BENCH_WRK_BATCH=1).
machine() {
    local cpu
    cpu=$(awk -F': ' '/^model name/ {m = $2} /^cpu family/ {f = $2} /^model\t/ {n = $2} END {printf "%s (family %s, model %s)", m, f, n}' /proc/cpuinfo)
    echo "$(nproc) cores of $cpu, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)${wrk_scheduling:+; $wrk_scheduling}"
}
