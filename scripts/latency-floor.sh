#!/usr/bin/env bash
# What one submit at one connection cannot go below on this machine, next to what it takes.
# A submit to the leader of a 3-node cluster waits for two HTTP exchanges in series (the
# client's with the leader, the leader's with its fastest follower) and one fsync on that
# follower; everything else it waits for is the nodes' own work and their threads' wake-ups.
# This prints, each measured here and now:
#   - the round trip of an XML-RPC call that does no Paxos work (an unknown method: HTTP,
#     XML parsing and a fault answer on the node's event loop), wrk at one connection;
#   - fdatasync of a small overwrite in a preallocated file, in the cluster's data directory
#     (what the log does: it writes into zeros it preallocated);
#   - the floor: two such round trips plus one fsync;
#   - paxos.submit at one connection (wrk, 100-byte values), and how far above the floor it is.
#
#   scripts/latency-floor.sh PAXOS_BINARY [BASE_PORT=19950] [SECONDS=5]
#
# Needs wrk and ../shared/bench/paxos-submit.lua (or BENCH=dir holding it). A benchmark that
# prints figures, not a test: this machine's figures drift by 10-30 % from run to run. Run it on
# an idle machine: a busy one changes both sides (a round trip is faster when no vCPU has to wake
# from idle, an fsync slower when other writers share the disk).
set -euo pipefail
BIN=$1; PORT=${2:-19950}; DUR=${3:-5}
. "$(dirname "$0")/bench-cluster.sh"
start_cluster "$BIN" "$PORT" floor

# The same wrk script with the method renamed to one no node has, its body without the value,
# and its "ok" counting the fault every answer now is.
sed -e 's/paxos\.submit/paxos.noSuchMethod/' \
    -e 's|<params><param><value><string>" .. v .. "</string></value></param></params>|<params></params>|' \
    -e 's/<name>instance<\/name>/faultCode/' "$BENCH/paxos-submit.lua" > "$dir/no-op.lua"

p50() { sed -n 's/.*p50_us=\([0-9]*\).*/\1/p'; }
url="http://127.0.0.1:$PORT/RPC2"
wrk -t1 -c1 -d2s -s "$BENCH/paxos-submit.lua" "$url" -- warm > /dev/null 2>&1
# Runs one wrk script at one connection into $dir/NAME.out; every answer must be what the script
# counts as ok (the no-op's fault, a submit's instance), or the p50 would be of something else
# (say, if the rewrite above no longer matched paxos-submit.lua).
run() {  # name script
    wrk -t1 -c1 -d"${DUR}s" -s "$2" "$url" -- floor > "$dir/$1.out" 2>&1
    if ! grep -q 'RESULT .* ok=[1-9][0-9]* fault=0 bad_body=0 non200=0' "$dir/$1.out"; then
        echo "not every $1 call got the answer it should (script $2):" >&2
        grep RESULT "$dir/$1.out" >&2 || cat "$dir/$1.out" >&2
        exit 1
    fi
}
run no-op "$dir/no-op.lua"
noop=$(p50 < "$dir/no-op.out")
run submit "$BENCH/paxos-submit.lua"
submit=$(p50 < "$dir/submit.out")
fsync=$(python3 - "$dir" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
os.write(fd, b"\0" * (4 << 20))
os.fsync(fd)
times = []
for i in range(400):
    os.pwrite(fd, b"r" * 64, i * 4096)
    start = time.perf_counter()
    os.fdatasync(fd)
    times.append(time.perf_counter() - start)
os.close(fd)
os.unlink(path)
times.sort()
print(int(times[len(times) // 2] * 1e6))
PY
)
floor=$((2 * noop + fsync))
echo "no-op XML-RPC round trip p50  $noop us   (wrk -c1, an unknown method)"
echo "fdatasync p50                 $fsync us   (64-byte overwrite, preallocated file, $dir)"
echo "floor: 2 round trips + fsync  $floor us"
echo "paxos.submit p50              $submit us   ($((submit - floor)) us above the floor)"
