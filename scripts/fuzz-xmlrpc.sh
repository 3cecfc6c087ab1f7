#!/usr/bin/env bash
# Fuzzes the XML-RPC decoder with libFuzzer for a bounded time (default 120 s).
#   scripts/fuzz-xmlrpc.sh [seconds]
# Builds into .build-fuzz (instrumented, kept apart from the normal .build), starts from the
# committed seeds in scripts/fuzz-seeds, keeps the growing corpus in fuzz-artifacts/corpus and
# writes any crashing input to fuzz-artifacts/crash-*. Replay one without sanitizers with
#   swift run XMLRPCFuzz fuzz-artifacts/crash-<hash>
set -euo pipefail
seconds="${1:-120}"
cd "$(dirname "$0")/.."

swift build -c debug --product XMLRPCFuzz --build-path .build-fuzz \
    --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -DXMLRPC_FUZZING

mkdir -p fuzz-artifacts/corpus
SWIFT_BACKTRACE=enable=no .build-fuzz/debug/XMLRPCFuzz \
    fuzz-artifacts/corpus scripts/fuzz-seeds \
    -dict=scripts/xmlrpc.dict \
    -max_total_time="$seconds" \
    -max_len=8192 \
    -timeout=5 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    -artifact_prefix=fuzz-artifacts/
