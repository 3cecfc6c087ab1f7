#!/usr/bin/env bash
# A Swift Paxos cluster on network namespace "hosts", and the network and process faults to
# break it with. Needs root. Every command works on the cluster that `up` made (same
# PAXOS_NETNS_PREFIX); `down` removes everything, and `up` first removes a crashed run's leftovers.
#
#   netns.sh up [--nodes 3]          namespaces, bridge, cluster.json + secret, one node per host
#   netns.sh down                    kill the nodes, delete every namespace (and its links, rules)
#   netns.sh status | submit VALUE [--node I] | read [--node I]    the paxos CLI from the client host
#   netns.sh client CMD...           any command on the client host (e.g. python3 paxos_client.py)
#   netns.sh nodes                   the nodes' HOST:PORT list, comma-separated
#   netns.sh isolate I | split A,B C,D | bridge I | oneway I J | loss P | heal
#   netns.sh kill I | pause I | resume I | stop I | start I        process faults and restarts
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/faults.sh"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }

node_option() {   # --node I -> HOST:PORT (default node 1)
    local i=1
    if [ "${1:-}" = --node ]; then i=${2:-}; fi
    check_node "$i"
    echo "$(node_address "$i"):$PORT"
}

command=${1:-}; [ $# -gt 0 ] && shift
case "$command" in
    up)
        count=3
        while [ $# -gt 0 ]; do
            case "$1" in --nodes) count=${2:-}; shift 2 ;; *) die "up: unknown option '$1'" ;; esac
        done
        # A failed or interrupted start leaves nothing behind.
        trap 'cleanup_all; exit 130' INT TERM
        cluster_up "$count" || { cleanup_all; exit 1; }
        trap - INT TERM
        echo "up: $count nodes ($(node_list)), client host $SUBNET.2, state in $STATE_DIR"
        ;;
    down) require_root; cleanup_all; rm -rf "$STATE_DIR"; echo "down: namespaces $PREFIX-* removed" ;;
    nodes) node_list ;;
    client) require_root; ip netns exec "$(client_ns)" "$@" ;;
    status) ip netns exec "$(client_ns)" "$(paxos_binary)" status --node "$(node_option "$@")" ;;
    read) ip netns exec "$(client_ns)" "$(paxos_binary)" read --node "$(node_option "$@")" ;;
    submit)
        [ $# -ge 1 ] || die "submit VALUE [--node I]"
        value=$1; shift
        ip netns exec "$(client_ns)" "$(paxos_binary)" submit "$value" --node "$(node_option "$@")"
        ;;
    isolate) require_iptables; isolate "${1:?isolate I}" ;;
    split) require_iptables; cut_groups "${1:?split A,B C,D}" "${2:?split A,B C,D}" ;;
    bridge) require_iptables; bridge_split "${1:?bridge I}" ;;
    oneway) require_iptables; check_node "${1:?oneway I J}"; check_node "${2:?oneway I J}"; drop_one_way "$1" "$2" ;;
    loss) require_iptables; random_loss "${1:?loss P}" ;;
    heal) require_iptables; heal ;;
    kill) check_node "${1:?kill I}"; kill -KILL "$(node_pid "$1")" ;;
    pause) check_node "${1:?pause I}"; kill -STOP "$(node_pid "$1")" ;;
    resume) check_node "${1:?resume I}"; kill -CONT "$(node_pid "$1")" ;;
    stop) check_node "${1:?stop I}"; kill -TERM "$(node_pid "$1")" ;;
    start) check_node "${1:?start I}"; start_node "$1"; wait_serving "$1" ;;
    ""|-h|--help|help) usage ;;
    *) echo "netns: unknown command '$command'" >&2; usage ;;
esac
