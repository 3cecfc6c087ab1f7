#!/usr/bin/env bash
# Where the CPU goes, grouped by what the code does (scripts/perf-groups.py), in microseconds of
# CPU per unit of work, so that a profile taken before a change and one taken after compare row
# by row. Needs perf (Debian: apt-get install -y linux-perf) and, for a node, wrk.
#
#   scripts/profile.sh node PAXOS_BINARY [NODE=1] [SECONDS=5] [CONNECTIONS=64]
#       A fresh 3-node `paxos cluster` (NODES=5 for five) under the side-by-side wrk load
#       (../shared/bench/paxos-submit.lua) sent to node 1 (TARGET_NODE=2 for a follower);
#       profiles node NODE's process (node 1 leads) for SECONDS; the unit is a submit
#       (lines node 1 applied while perf recorded).
#   scripts/profile.sh sim PAXOS_BINARY [SEEDS=2000] [more `paxos simulate` options]
#       `paxos simulate --seeds SEEDS --jobs 1 ...`; the unit is a decision.
#
# HZ=2000 sets perf's sampling rate; KEEP=DIR keeps perf.data and the script output there.
# Sampling is statistical and this machine drifts by 10-30 %: compare groups within one
# profile, or medians of several. A benchmark that prints figures, not a test.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
MODE=${1:?usage: scripts/profile.sh node|sim PAXOS_BINARY ...}; BIN=${2:?the paxos binary to profile}
shift 2
HZ=${HZ:-2000}
command -v perf > /dev/null || { echo "perf is not installed (Debian: apt-get install -y linux-perf)" >&2; exit 1; }
work=$(mktemp -d /tmp/profile-XXXX)
cleanup_work() { if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$work"/. "$KEEP"/; fi; rm -rf "$work"; }

case "$MODE" in
node)
    NODE=${1:-1}; DUR=${2:-5}; CONNS=${3:-64}; NODES=${NODES:-3}; PORT=${PORT:-19960}
    TARGET=$((PORT + ${TARGET_NODE:-1} - 1))
    BENCH=${BENCH:-$(cd "$HERE/../../shared/bench" 2>/dev/null && pwd || echo /work/shared/bench)}
    command -v wrk > /dev/null || { echo "wrk is not installed (Debian: apt-get install -y wrk)" >&2; exit 1; }
    dir=$(mktemp -d /tmp/profile-cluster-XXXX)
    "$BIN" cluster --nodes "$NODES" --base-port "$PORT" --data-dir "$dir" > "$dir/out" 2>&1 &
    cluster=$!
    trap 'kill -INT $cluster 2>/dev/null || true; wait $cluster 2>/dev/null || true; rm -rf "$dir"; cleanup_work' EXIT
    up=0
    for _ in $(seq 1 100); do
        python3 -c "import xmlrpc.client as x; x.ServerProxy('http://127.0.0.1:$TARGET/RPC2').paxos.status()" 2>/dev/null && { up=1; break; }
        sleep 0.1
    done
    [ "$up" = 1 ] || { echo "the cluster on port $PORT did not answer within 10 s (see $dir/out)" >&2; exit 1; }
    pid=$(ss -ltnpH "sport = :$((PORT + NODE - 1))" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
    [ -n "$pid" ] || { echo "no process listens for node $NODE on port $((PORT + NODE - 1))" >&2; exit 1; }
    threads=2; [ "$CONNS" -lt 2 ] && threads=1
    wrk -t2 -c16 -d2s -s "$BENCH/paxos-submit.lua" "http://127.0.0.1:$TARGET/RPC2" -- warm > /dev/null 2>&1
    # The load runs a second before and after the recording, so perf sees none of its edges.
    wrk -t$threads -c"$CONNS" -d"$((DUR + 2))s" -s "$BENCH/paxos-submit.lua" "http://127.0.0.1:$TARGET/RPC2" -- profile > "$work/wrk" 2>&1 &
    load=$!
    sleep 1
    lines0=$(wc -l < "$dir/node-1/replicated.txt")
    perf record -F "$HZ" -e cpu-clock -g -p "$pid" -o "$work/perf.data" -- sleep "$DUR" > /dev/null 2> "$work/perf-record.txt"
    lines1=$(wc -l < "$dir/node-1/replicated.txt")
    wait $load
    units=$((lines1 - lines0))
    echo "node $NODE of $NODES (pid $pid), $CONNS connections to node ${TARGET_NODE:-1}, ${DUR} s: $units submits ($((units / DUR))/s)"
    perf script -i "$work/perf.data" -F comm,tid,ip,sym,dso 2> /dev/null > "$work/perf.txt"
    "$HERE/perf-groups.py" --per-unit "$units" --unit submit --hz "$HZ" < "$work/perf.txt"
    ;;
sim)
    SEEDS=${1:-2000}; shift || true
    trap cleanup_work EXIT
    perf record -F "$HZ" -e cpu-clock -g -o "$work/perf.data" -- "$BIN" simulate --seeds "$SEEDS" --jobs 1 "$@" > "$work/simulate.txt" 2> "$work/perf-record.txt"
    # The summary: "N seeds, F failing; D decisions, ..." (progress lines start with blanks).
    decisions=$(sed -n 's/^[0-9][0-9]* seeds, [0-9][0-9]* failing; \([0-9][0-9]*\) decisions,.*/\1/p' "$work/simulate.txt" | tail -1)
    [ -n "$decisions" ] || { echo "no decisions in the simulation's summary:" >&2; cat "$work/simulate.txt" >&2; exit 1; }
    grep -E '^[0-9]+ seeds, ' "$work/simulate.txt" | tail -1 | cut -c1-100
    tail -1 "$work/simulate.txt"
    perf script -i "$work/perf.data" -F comm,tid,ip,sym,dso 2> /dev/null > "$work/perf.txt"
    "$HERE/perf-groups.py" --per-unit "$decisions" --unit decision --hz "$HZ" < "$work/perf.txt"
    ;;
*)
    echo "usage: scripts/profile.sh node|sim PAXOS_BINARY ... (see the comment at the top)" >&2
    exit 64
    ;;
esac
