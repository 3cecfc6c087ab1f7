#!/usr/bin/env bash
# CPU per submit of a 3-node cluster under a fixed wrk load: the nodes' CPU (user + system)
# over the lines applied at node 1. NODES=5 runs five nodes (the side-by-side's 5-node cell).
#   scripts/cpu-per-submit.sh PAXOS_BINARY [BASE_PORT=19900] [SECONDS=6] [CONNECTIONS=64]
# PER_THREAD=1 also prints each node's threads with their CPU per submit (the event loop, the
# fsync thread, Swift's pool), which shows where a node spends it, and how often per submit each
# thread slept (voluntary context switches: an fsync thread's count is its fsyncs) and was
# preempted (involuntary ones).
# TARGET_NODE=2 sends the load to node 2 (a follower, which forwards each submit to node 1).
# Needs wrk and ../shared/bench/paxos-submit.lua (or BENCH=dir holding it). Alternate two
# binaries and compare medians: this machine's figures drift by 10-30 %.
set -euo pipefail
BIN=$1; PORT=${2:-19900}; DUR=${3:-6}; CONNS=${4:-64}
TARGET=$((PORT + ${TARGET_NODE:-1} - 1))
. "$(dirname "$0")/bench-cluster.sh"
start_cluster "$BIN" "$PORT" cps
pids=""
for i in $(seq 0 $((${NODES:-3} - 1))); do pids="$pids $(ss -ltnpH "sport = :$((PORT + i))" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)"; done
wrk -t2 -c16 -d2s -s "$BENCH/paxos-submit.lua" "http://127.0.0.1:$TARGET/RPC2" -- warm > /dev/null 2>&1
cpu() { local total=0; for p in $pids; do read -r u s < <(awk '{print $14, $15}' "/proc/$p/stat"); total=$((total + u + s)); done; echo $total; }
# node, thread id, thread name, CPU ticks, voluntary and involuntary context switches: one
# line per thread of every node
threads() { local node=0 p t; for p in $pids; do node=$((node + 1)); for t in /proc/$p/task/*; do
    echo "$node ${t##*/} $(tr ' ' _ < "$t/comm") $(awk '{print $14 + $15}' "$t/stat")" \
        "$(awk '/^voluntary_ctxt_switches/ {v = $2} /^nonvoluntary_ctxt_switches/ {n = $2} END {print v, n}' "$t/status")"
    done; done; }
lines0=$(wc -l < "$dir/node-1/replicated.txt"); cpu0=$(cpu); threads > "$dir/threads0"
threadsPerWrk=2; [ "$CONNS" -lt 2 ] && threadsPerWrk=1
wrk -t$threadsPerWrk -c"$CONNS" -d"${DUR}s" -s "$BENCH/paxos-submit.lua" "http://127.0.0.1:$TARGET/RPC2" -- run > "$dir/wrk" 2>&1
sleep 0.5
lines1=$(wc -l < "$dir/node-1/replicated.txt"); cpu1=$(cpu); threads > "$dir/threads1"
awk -v c=$((cpu1 - cpu0)) -v n=$((lines1 - lines0)) -v t="$(getconf CLK_TCK)" -v d="$DUR" \
    'BEGIN { printf "submits %d  rate %.0f/s  node CPU %.2f s  CPU per submit %.1f us\n", n, n / d, c / t, c / t / n * 1e6 }'
if [ "${PER_THREAD:-0}" = 1 ]; then
    awk -v n=$((lines1 - lines0)) -v t="$(getconf CLK_TCK)" '
        NR == FNR { before[$2] = $4; vol[$2] = $5; invol[$2] = $6; next }
        { d = $4 - before[$2]; if (d > 0) printf "  node %s  %-18s %7.1f us per submit  %5.2f sleeps  %5.2f preemptions\n",
            $1, $3, d / t / n * 1e6, ($5 - vol[$2]) / n, ($6 - invol[$2]) / n }
    ' "$dir/threads0" "$dir/threads1" | sort -k2,2n -k4,4nr
fi
