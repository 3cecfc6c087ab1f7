# Sourced by the benchmark scripts (cpu-per-submit.sh, latency-floor.sh): where the shared wrk
# scripts are, and a fresh `paxos cluster` in a temporary directory that goes away with the
# script, whatever way it ends.
#   start_cluster PAXOS_BINARY BASE_PORT NAME   sets $dir (its data directory) and $cluster (its pid);
#   NODES=5 starts five nodes (three by default)
BENCH=${BENCH:-$(cd "$(dirname "$0")/../../shared/bench" 2>/dev/null && pwd || echo /work/shared/bench)}

start_cluster() {
    local bin=$1 port=$2 name=$3
    dir=$(mktemp -d "/tmp/$name-XXXX")
    "$bin" cluster --nodes "${NODES:-3}" --base-port "$port" --data-dir "$dir" > "$dir/out" 2>&1 &
    cluster=$!
    # `|| true`: under `set -e` a cluster already gone (a kill that fails, an error status)
    # stopped the trap before the directory was removed.
    trap 'kill -INT $cluster 2>/dev/null || true; wait $cluster 2>/dev/null || true; rm -rf "$dir"' EXIT
    # Up once node 1 answers (the others start with it); 10 s at most, less if it exits.
    for _ in $(seq 1 100); do
        python3 -c "import xmlrpc.client as x; x.ServerProxy('http://127.0.0.1:$port/RPC2').paxos.status()" 2>/dev/null && return 0
        kill -0 "$cluster" 2>/dev/null || break
        sleep 0.1
    done
    # Its output goes with the directory when the script exits: shown here.
    echo "the cluster on port $port did not answer; its output:" >&2
    cat "$dir/out" >&2
    return 1
}
