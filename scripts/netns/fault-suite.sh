#!/usr/bin/env bash
# Randomized network and process faults against a namespace cluster, with a checked history.
#
#   scripts/netns/fault-suite.sh [--seed S] [--seconds T] [--nodes 3|5] [--clients K] [--kinds a,b] [--out DIR]
#   scripts/netns/fault-suite.sh --each [--hold MIN,MAX] [--quiet MIN,MAX] ...   every kind once (measurements)
#
# Same seed, same schedule of faults (kinds, targets, durations); what the cluster does under
# them depends on timing. Prints the faults applied, operations ok/fault/unknown, per-fault
# figures, the checker's verdict; exits 1 on a violation, 2 if the run could not be made.
# Needs root and a release build (or PAXOS_BIN). Removes every namespace and process it made,
# also on failure or Ctrl-C.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

seed=$(( $(date +%s) % 100000 )); seconds=60; nodes=3; clients=4; kinds=""; out=""; extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seed) seed=${2:-}; shift 2 ;;
        --seconds) seconds=${2:-}; shift 2 ;;
        --nodes) nodes=${2:-}; shift 2 ;;
        --clients) clients=${2:-}; shift 2 ;;
        --kinds) kinds=${2:-}; shift 2 ;;
        --out) out=${2:-}; shift 2 ;;
        --each) extra+=(--each); shift ;;
        --hold|--quiet) [[ "${2:-}" =~ ^[0-9.]+,[0-9.]+$ ]] || die "$1 takes MIN,MAX seconds"; extra+=("$1" "$2"); shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done
[[ "$seed" =~ ^[0-9]+$ ]] || die "--seed must be a non-negative integer (got '$seed')"
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] || die "--seconds must be a positive integer (got '$seconds')"
[[ "$nodes" =~ ^[35]$ ]] || die "--nodes must be 3 or 5 (got '$nodes')"
[[ "$clients" =~ ^[0-9]+$ ]] && [ "$clients" -ge 1 ] || die "--clients must be positive (got '$clients')"
require_root
require_iptables
command -v python3 >/dev/null || { apt-get install -y -qq python3 >/dev/null 2>&1 || die "python3 is missing"; }
out=${out:-$(mktemp -d /tmp/paxos-fault-suite.XXXXXX)}
mkdir -p "$out"

trap 'cleanup_all; rm -rf "$STATE_DIR"' EXIT
trap 'exit 130' INT TERM
cluster_up "$nodes" || exit 2
echo "fault suite: seed $seed, $([ ${#extra[@]} -gt 0 ] && [ "${extra[0]}" = --each ] && echo "every kind once" || echo "$seconds s"), $nodes nodes ($(node_list)), output in $out"
set +e
# In the background and awaited, so that a SIGTERM or Ctrl-C runs the trap at once (bash defers
# traps until a foreground command ends); the driver lives in the client namespace, so the
# cleanup kills it with everything else.
ip netns exec "$(client_ns)" python3 "$NETNS_SCRIPTS/fault_suite.py" --seed "$seed" --seconds "$seconds" \
    --nodes "$nodes" --node-list "$(node_list)" --state-dir "$STATE_DIR" --out "$out" --clients "$clients" \
    ${kinds:+--kinds "$kinds"} "${extra[@]}" &
wait $!
status=$?
# The nodes' logs beside the history, for a failing run.
cp "$STATE_DIR"/node-*.log "$out"/ 2>/dev/null
exit $status
