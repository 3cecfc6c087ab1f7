#!/usr/bin/env bash
# CPU per submit of a 3-node cluster under a fixed wrk load: the nodes' CPU (user + system)
# over the lines applied at node 1.
#   scripts/cpu-per-submit.sh PAXOS_BINARY [BASE_PORT=19900] [SECONDS=6] [CONNECTIONS=64]
# Needs wrk and ../shared/bench/paxos-submit.lua (or BENCH=dir holding it). Alternate two
# binaries and compare medians: this machine's figures drift by 10-30 %.
set -euo pipefail
BIN=$1; PORT=${2:-19900}; DUR=${3:-6}; CONNS=${4:-64}
BENCH=${BENCH:-$(cd "$(dirname "$0")/../../shared/bench" 2>/dev/null && pwd || echo /work/shared/bench)}
dir=$(mktemp -d /tmp/cps-XXXX)
"$BIN" cluster --base-port "$PORT" --data-dir "$dir" > "$dir/out" 2>&1 &
cluster=$!
trap 'kill -INT $cluster 2>/dev/null; wait $cluster 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
    python3 -c "import xmlrpc.client as x; x.ServerProxy('http://127.0.0.1:$PORT/RPC2').paxos.status()" 2>/dev/null && break
    sleep 0.1
done
pids=""
for i in 0 1 2; do pids="$pids $(ss -ltnpH "sport = :$((PORT + i))" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)"; done
wrk -t2 -c16 -d2s -s "$BENCH/paxos-submit.lua" "http://127.0.0.1:$PORT/RPC2" -- warm > /dev/null 2>&1
cpu() { local total=0; for p in $pids; do read -r u s < <(awk '{print $14, $15}' "/proc/$p/stat"); total=$((total + u + s)); done; echo $total; }
lines0=$(wc -l < "$dir/node-1/replicated.txt"); cpu0=$(cpu)
wrk -t2 -c"$CONNS" -d"${DUR}s" -s "$BENCH/paxos-submit.lua" "http://127.0.0.1:$PORT/RPC2" -- run > "$dir/wrk" 2>&1
sleep 0.5
lines1=$(wc -l < "$dir/node-1/replicated.txt"); cpu1=$(cpu)
awk -v c=$((cpu1 - cpu0)) -v n=$((lines1 - lines0)) -v t="$(getconf CLK_TCK)" -v d="$DUR" \
    'BEGIN { printf "submits %d  rate %.0f/s  node CPU %.2f s  CPU per submit %.1f us\n", n, n / d, c / t, c / t / n * 1e6 }'
