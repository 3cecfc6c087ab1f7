#!/usr/bin/env bash
# Fuzzes one target with libFuzzer and AddressSanitizer for a bounded time (default 120 s).
#   scripts/fuzz.sh xmlrpc [seconds]   the XML-RPC decoder (decode, re-encode, decode again)
#   scripts/fuzz.sh peer [seconds]     paxos.peer calls from a member, fed to a real node core
# Builds into .build-fuzz (instrumented, kept apart from the normal .build), starts from the
# committed seeds in scripts/fuzz-seeds/<target>, keeps the growing corpus in
# fuzz-artifacts/<target>/corpus and writes any crashing input to fuzz-artifacts/<target>/crash-*.
# Replay one without sanitizers with
#   swift run XMLRPCFuzz FILE   or   swift run PeerFuzz FILE
set -euo pipefail
target="${1:?usage: scripts/fuzz.sh xmlrpc|peer [seconds]}"
seconds="${2:-120}"
cd "$(dirname "$0")/.."
case "$target" in
    xmlrpc) product=XMLRPCFuzz ;;
    peer) product=PeerFuzz ;;
    *) echo "unknown fuzz target '$target' (xmlrpc or peer)" >&2; exit 64 ;;
esac

swift build -c debug --product "$product" --build-path .build-fuzz \
    --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING

mkdir -p "fuzz-artifacts/$target/corpus"
SWIFT_BACKTRACE=enable=no ".build-fuzz/debug/$product" \
    "fuzz-artifacts/$target/corpus" "scripts/fuzz-seeds/$target" \
    -dict=scripts/xmlrpc.dict \
    -max_total_time="$seconds" \
    -max_len=8192 \
    -timeout=5 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    -artifact_prefix="fuzz-artifacts/$target/"
