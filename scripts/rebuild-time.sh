#!/usr/bin/env bash
# Issue 16's rebuilt node: how long a node whose data directory was lost takes to catch up.
#   scripts/rebuild-time.sh PAXOS_BINARY [LOAD_S=150] [NODES=3]
# Loads a fresh cluster with ../shared/bench's wrk script at 64 connections for LOAD_S seconds,
# kills the last node (kill -9), deletes its data directory, starts it again with --rejoin (when
# the binary has it), and prints the seconds until it answers status with everything applied,
# with its RSS and disk use then.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=${BENCH:-$HERE/../../shared/bench}
PAXOS=$1; LOAD_S=${2:-150}; N=${3:-3}; BASE=${BASE:-19650}
dir=$(mktemp -d /tmp/rebuild-XXXX)
"$PAXOS" cluster --nodes "$N" --base-port "$BASE" --data-dir "$dir" > "$dir/cluster.out" 2>&1 &
cpid=$!
trap 'kill -INT $cpid 2>/dev/null || true; sleep 1; [ -z "${npid:-}" ] || kill $npid 2>/dev/null || true; rm -rf "$dir"' EXIT
status() { python3 -c "import xmlrpc.client as x; print(x.ServerProxy('http://127.0.0.1:$1/RPC2').paxos.status()['applied'])" 2>/dev/null; }
for _ in $(seq 1 100); do status "$BASE" > /dev/null && break; sleep 0.1; done
pid_of() { ss -ltnpH "sport = :$1" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1; }
wrk -t2 -c64 -d"${LOAD_S}s" -s "$BENCH/paxos-submit.lua" "http://127.0.0.1:$BASE/RPC2" -- rebuild | grep '^RESULT'
sleep 1
applied=$(status "$BASE")
last=$((BASE + N - 1))
kill -9 "$(pid_of "$last")"; sleep 0.5
rm -rf "$dir/node-$N"
rejoin=(); "$PAXOS" node --help | grep -q -- '--rejoin' && rejoin=(--rejoin)
t0=$(date +%s.%N)
"$PAXOS" node --id "$N" --config "$dir/cluster.json" "${rejoin[@]}" >> "$dir/rebuild.log" 2>&1 &
npid=$!
while :; do a=$(status "$last" || true); [ -n "$a" ] && [ "$a" -ge "$applied" ] && break; sleep 0.05; done
t1=$(date +%s.%N)
rss=$(awk '/VmRSS/{printf "%d", $2/1024}' /proc/$npid/status)
printf 'instances %s, rebuilt node caught up in %.2f s (%s), rss %s MB, disk %s MB\n' "$applied" "$(echo "$t1 - $t0" | bc)" \
  "${rejoin[*]:-no --rejoin}" "$rss" "$(du -sm "$dir/node-$N" | cut -f1)"
grep -h "snapshot installed" "$dir/rebuild.log" | grep -o 'copySeconds.*\|transferSeconds.*' | head -1 || true
