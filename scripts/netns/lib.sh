# Swift Paxos on several "hosts": network namespaces joined by a bridge. Sourced by netns.sh
# and fault-suite.sh; nothing of it is needed to run the normal cluster.
#
# Layout (every name starts with $PREFIX, so a cleanup removes exactly what a run made):
#   $PREFIX-br           the "switch": a namespace holding bridge br0 (the root namespace is
#                        never touched: no link, route or rule of ours lives there)
#   $PREFIX-n1..nN       one host per node, eth0 at $SUBNET.(10+i), paxos node on port $PORT
#   $PREFIX-c            a client host at $SUBNET.2 (status, submit, the fault suite's clients)
# Network faults are iptables rules in chain PAXOS-FAULT of the node namespaces, so a heal is
# one flush per namespace and a fault never outlives its namespace.

PREFIX=${PAXOS_NETNS_PREFIX:-pxn}
SUBNET=${PAXOS_NETNS_SUBNET:-10.77.0}        # a private /24, used only inside our namespaces
PORT=${PAXOS_NETNS_PORT:-8000}
STATE_DIR=${PAXOS_NETNS_DIR:-/tmp/paxos-netns-$PREFIX}
REQUEST_TIMEOUT_MS=${PAXOS_NETNS_REQUEST_TIMEOUT_MS:-5000}
NODES_MAX=9                                 # addresses .11-.19, names n1-n9
SERVE_TIMEOUT_SECONDS=30
NETNS_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$NETNS_SCRIPTS/../.." && pwd)

die() { echo "netns: $*" >&2; exit 64; }

require_root() {
    [ "$(id -u)" = 0 ] || { echo "netns: network namespaces need root (run with sudo)" >&2; exit 77; }
    command -v ip >/dev/null || { echo "netns: 'ip' (iproute2) is missing" >&2; exit 77; }
}

# iptables only when a fault needs it: CI machines start without it.
require_iptables() {
    command -v iptables >/dev/null && return
    echo "netns: installing iptables" >&2
    { apt-get install -y -qq iptables || { apt-get update -qq && apt-get install -y -qq iptables; }; } >/dev/null 2>&1 \
        || { echo "netns: could not install iptables" >&2; exit 1; }
}

paxos_binary() {
    local bin=${PAXOS_BIN:-$REPO_ROOT/.build/release/paxos}
    [ -x "$bin" ] || die "no paxos binary at $bin: run 'swift build -c release --product paxos' or set PAXOS_BIN"
    echo "$bin"
}

node_ns() { echo "$PREFIX-n$1"; }
node_address() { echo "$SUBNET.$((10 + $1))"; }
client_ns() { echo "$PREFIX-c"; }
bridge_ns() { echo "$PREFIX-br"; }
node_count() { cat "$STATE_DIR/nodes" 2>/dev/null || echo 0; }
check_node() {
    [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$(node_count)" ] \
        || die "no node '$1' (nodes are 1-$(node_count); is the cluster up?)"
}

our_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$PREFIX-(br|c|n[0-9]+)$" || true; }

# Kills every process inside our namespaces (they are ours: only this harness starts any
# there), then deletes the namespaces, which removes their veths, bridge and iptables rules.
# Safe to call at any time and twice: it is the trap of every script and the first step of `up`.
cleanup_all() {
    local ns pid
    for ns in $(our_namespaces); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -CONT "$pid" 2>/dev/null || true   # a paused node must be able to die
            kill -KILL "$pid" 2>/dev/null || true
        done
    done
    for ns in $(our_namespaces); do
        for _ in $(seq 50); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
        ip netns delete "$ns" 2>/dev/null || true
    done
}

# One veth pair per host, created inside the host with its peer in the bridge's namespace.
add_host() {
    local ns=$1 address=$2 port=$3
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" link add eth0 type veth peer name "$port" netns "$(bridge_ns)"
    ip -n "$ns" addr add "$address/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$(bridge_ns)" link set "$port" master br0
    ip -n "$(bridge_ns)" link set "$port" up
}

create_network() {
    local count=$1 i
    ip netns add "$(bridge_ns)"
    ip -n "$(bridge_ns)" link set lo up
    ip -n "$(bridge_ns)" link add br0 type bridge
    ip -n "$(bridge_ns)" link set br0 up
    add_host "$(client_ns)" "$SUBNET.2" c
    for i in $(seq "$count"); do add_host "$(node_ns "$i")" "$(node_address "$i")" "n$i"; done
}

# cluster.json for the namespaces: node i at $SUBNET.(10+i):$PORT, data under $STATE_DIR.
write_configuration() {
    local count=$1 i separator=""
    {
        echo '{"version": 1, "adminEnabled": false, "secretFile": "cluster.secret", "nodes": ['
        for i in $(seq "$count"); do
            printf '%s  {"id": %d, "host": "%s", "port": %d, "dataDirectory": "%s/node-%d"}\n' \
                "$separator" "$i" "$(node_address "$i")" "$PORT" "$STATE_DIR" "$i"
            separator=","
        done
        echo ']}'
    } > "$STATE_DIR/cluster.json"
}

start_node() {
    local i=$1 bin
    bin=$(paxos_binary)
    # `ip netns exec` execs the command, so $! is the node's own pid (kill -9 and SIGSTOP hit it).
    # The node must not inherit our caller's descriptors beyond 0-2: a parent that learns of
    # our exit from a pipe's end (Foundation's Process does) would otherwise wait for the node.
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
        done
        exec ip netns exec "$(node_ns "$i")" "$bin" node --id "$i" --config "$STATE_DIR/cluster.json" \
            --request-timeout-ms "$REQUEST_TIMEOUT_MS" >> "$STATE_DIR/node-$i.log" 2>&1 < /dev/null
    ) &
    echo $! > "$STATE_DIR/node-$i.pid"
    disown $!    # no "Killed" job notice when a fault or the cleanup kills it
}

node_pid() { cat "$STATE_DIR/node-$1.pid" 2>/dev/null; }

# Waits until node i accepts TCP connections from the client host (a condition, not a sleep).
wait_serving() {
    local i=$1 deadline=$((SECONDS + SERVE_TIMEOUT_SECONDS))
    until ip netns exec "$(client_ns)" bash -c "exec 3<>/dev/tcp/$(node_address "$i")/$PORT" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
            echo "netns: node $i did not serve within ${SERVE_TIMEOUT_SECONDS}s; its log:" >&2
            tail -20 "$STATE_DIR/node-$i.log" >&2
            return 1
        fi
        kill -0 "$(node_pid "$i")" 2>/dev/null || { echo "netns: node $i exited; its log:" >&2; tail -20 "$STATE_DIR/node-$i.log" >&2; return 1; }
        sleep 0.1
    done
}

cluster_up() {
    local count=$1 i bin
    [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -ge 1 ] && [ "$count" -le $NODES_MAX ] || die "--nodes must be 1-$NODES_MAX (got '$count')"
    require_root
    bin=$(paxos_binary)
    cleanup_all                                  # a crashed run's leftovers go first
    rm -rf "$STATE_DIR"
    mkdir -p "$STATE_DIR"
    echo "$count" > "$STATE_DIR/nodes"
    "$bin" secret generate "$STATE_DIR/cluster.secret" >/dev/null
    write_configuration "$count"
    create_network "$count"
    for i in $(seq "$count"); do start_node "$i"; done
    for i in $(seq "$count"); do wait_serving "$i" || return 1; done
}

node_list() {
    local i out=""
    for i in $(seq "$(node_count)"); do out="$out${out:+,}$(node_address "$i"):$PORT"; done
    echo "$out"
}
