# Waiting for the servers a benchmark starts (sourced, not run).

# Waits until $1 answers; stops the script if nothing does within
# start_seconds (20 s unless set).
wait_for() {
    for _ in $(seq 1 $((${start_seconds:-20} * 5))); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.2
    done
    echo "nothing answers at $1"
    exit 1
}

# The server just started as process $1 becomes $pid, stopped when the
# script exits; waits until $2 answers.
started() {
    pid=$1
    trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
    wait_for "$2"
}

# Stops the server started last ($pid) and waits until it has ended.
stop() {
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}
