# Network faults between namespace hosts, as iptables DROP rules in chain PAXOS-FAULT of each
# node's namespace (sourced after lib.sh). DROP, not REJECT: a cut link loses packets silently,
# as a real partition does, so TCP connections hang and time out instead of failing fast.
# Only node-to-node traffic is cut; the client host reaches every node, so a client can be
# on either side of a partition (that is what lets a test ask an isolated node for a submit).

CHAIN=PAXOS-FAULT

ensure_chain() {
    local ns=$1
    if ! ip netns exec "$ns" iptables -n -L $CHAIN >/dev/null 2>&1; then
        ip netns exec "$ns" iptables -N $CHAIN
        ip netns exec "$ns" iptables -I INPUT -j $CHAIN
        ip netns exec "$ns" iptables -I OUTPUT -j $CHAIN
    fi
}

fault_rule() {   # fault_rule NODE iptables-arguments...
    local ns
    ns=$(node_ns "$1"); shift
    ensure_chain "$ns"
    ip netns exec "$ns" iptables -A $CHAIN "$@"
}

# Packets from node a to node b are lost (dropped as they leave a).
drop_one_way() { fault_rule "$1" -o eth0 -d "$(node_address "$2")" -j DROP; }

# No packet passes between a and b, either way.
cut() { drop_one_way "$1" "$2"; drop_one_way "$2" "$1"; }

# cut_groups "1,2" "3,4,5": every pair across the two groups is cut (a split).
cut_groups() {
    local a b
    for a in ${1//,/ }; do for b in ${2//,/ }; do check_node "$a"; check_node "$b"; cut "$a" "$b"; done; done
}

isolate() {
    local i=$1 j
    check_node "$i"
    for j in $(seq "$(node_count)"); do [ "$j" != "$i" ] && cut "$i" "$j"; done
    return 0
}

# A bridge: node `middle` sees both halves, the halves do not see each other (Jepsen's bridge).
bridge_split() {
    local middle=$1 left="" right="" j half
    check_node "$middle"
    half=$(( ($(node_count) - 1) / 2 ))
    for j in $(seq "$(node_count)"); do
        [ "$j" = "$middle" ] && continue
        if [ $(( $(echo "$left" | wc -w) )) -lt "$half" ]; then left="$left $j"; else right="$right $j"; fi
    done
    left=$(echo $left | tr ' ' ,); right=$(echo $right | tr ' ' ,)
    cut_groups "$left" "$right"
    echo "bridge: $left | $middle | $right"
}

# Every node drops a fraction p of the packets it receives from other nodes.
random_loss() {
    local p=$1 i j
    [[ "$p" =~ ^(0(\.[0-9]+)?|1(\.0+)?)$ ]] || die "loss must be a probability from 0 to 1 (got '$p')"
    for i in $(seq "$(node_count)"); do
        for j in $(seq "$(node_count)"); do
            [ "$i" = "$j" ] && continue
            fault_rule "$i" -i eth0 -s "$(node_address "$j")" -m statistic --mode random --probability "$p" -j DROP
        done
    done
}

heal() {
    local i
    for i in $(seq "$(node_count)"); do
        ip netns exec "$(node_ns "$i")" iptables -F $CHAIN 2>/dev/null || true
    done
}
