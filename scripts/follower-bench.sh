#!/usr/bin/env bash
# Issue 15's follower cell: the side-by-side load sent to a paxos follower (node 2, which
# forwards every submit to the distinguished proposer), against etcd's leader in the same run.
#   scripts/follower-bench.sh PAXOS_BINARY [NODES=3] [DURATION_S=10] [CONNS="1 64"]
# Uses ../shared/bench's etcd-cluster.sh and wrk scripts, as side-by-side.sh does, and prints the
# same columns: system nodes conns target rps p50_ms p99_ms ok errors rss_max_mb.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=${BENCH:-$HERE/../../shared/bench}
PAXOS=$1; N=${2:-3}; DUR=${3:-10}; CONNS=${4:-"1 64"}; BASE=${BASE:-19700}
KEY_B64=$(printf 'bench/key' | base64 -w0)
VAL_B64=$(head -c 100 /dev/zero | tr '\0' 'v' | base64 -w0)
out=$(mktemp -d /tmp/follower-bench-XXXX)

rss_max() { local max=0 r p; for p in "$@"; do r=$(awk '/VmRSS/{print $2}' /proc/$p/status 2>/dev/null || echo 0)
  ((r > max)) && max=$r; done; echo $((max / 1024)); }
row() { # system conns target file pids...
  local sys=$1 c=$2 target=$3 f=$4; shift 4
  local r; r=$(grep '^RESULT' "$f" || echo "RESULT")
  g() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $r"; }
  local errs=$(( $(g err_connect || echo 0) + $(g err_read || echo 0) + $(g err_timeout || echo 0) + $(g non200 || echo 0) + $(g bad_body || echo 0) ))
  printf '%s\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t%s\n' "$sys" "$N" "$c" "$target" "$(g rps)" \
    "$(awk -v u="$(g p50_us)" 'BEGIN{print u/1000}')" "$(awk -v u="$(g p99_us)" 'BEGIN{print u/1000}')" \
    "$(g ok)" "$errs" "$(rss_max "$@")"
}

printf 'system\tnodes\tconns\ttarget\trps\tp50_ms\tp99_ms\tok\terrors\trss_max_mb\n'
"$BENCH/etcd-cluster.sh" start "$N" > "$out/etcd-start.txt"
leader=$("$BENCH/etcd-cluster.sh" leader)
pids=$(cat /tmp/etcd-bench/pids)
wrk -t2 -c16 -d3s -s "$BENCH/etcd-put.lua" "$leader/v3/kv/put" -- "$KEY_B64" "$VAL_B64" > /dev/null 2>&1
for c in $CONNS; do t=2; ((c == 1)) && t=1
  wrk -t$t -c$c -d"${DUR}s" --latency -s "$BENCH/etcd-put.lua" "$leader/v3/kv/put" -- "$KEY_B64" "$VAL_B64" > "$out/etcd-c$c.txt" 2>&1
  row etcd "$c" leader "$out/etcd-c$c.txt" $pids
done
"$BENCH/etcd-cluster.sh" stop > /dev/null 2>&1 || true

dir=$(mktemp -d /tmp/follower-bench-paxos-XXXX)
"$PAXOS" cluster --nodes "$N" --base-port "$BASE" --data-dir "$dir" > "$dir/cluster.out" 2>&1 &
cpid=$!
trap 'kill -INT $cpid 2>/dev/null || true; wait $cpid 2>/dev/null || true; rm -rf "$dir" "$out"' EXIT
follower=$((BASE + 1))
for _ in $(seq 1 100); do
  python3 -c "import xmlrpc.client as x; x.ServerProxy('http://127.0.0.1:$follower/RPC2').paxos.status()" 2>/dev/null && break
  sleep 0.1; done
pids=""; for i in $(seq 0 $((N - 1))); do
  pids="$pids $(ss -ltnpH "sport = :$((BASE + i))" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)"; done
wrk -t2 -c16 -d3s -s "$BENCH/paxos-submit.lua" "http://127.0.0.1:$follower/RPC2" -- warm > /dev/null 2>&1
for c in $CONNS; do t=2; ((c == 1)) && t=1
  wrk -t$t -c$c -d"${DUR}s" --latency -s "$BENCH/paxos-submit.lua" "http://127.0.0.1:$follower/RPC2" -- "f$c" > "$out/paxos-c$c.txt" 2>&1
  row paxos "$c" follower "$out/paxos-c$c.txt" $pids
done
sleep 1
ok_total=$(grep -h '^RESULT' "$out"/paxos-c*.txt | sed -n 's/.* ok=\([0-9]*\).*/\1/p' | paste -sd+ | bc)
for i in $(seq 1 "$N"); do
  lines=$(wc -l < "$dir/node-$i/replicated.txt")
  echo "node $i file: $lines lines (acknowledged in the measured runs: $ok_total)"
done
