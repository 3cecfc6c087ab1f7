#!/usr/bin/env bash
# Writes cluster.json and a new cluster secret for nodes on several hosts (README, "Several
# machines"): node i is the i-th address given, its data in DATA_DIR/node-i on its own host.
#
#   deploy/init-cluster.sh [--data-dir /var/lib/paxos] [--paxos PATH] OUT_DIR HOST[:PORT] HOST[:PORT] ...
#
# Refuses to overwrite an existing cluster.json or secret. Copy both files to /etc/paxos/ on
# every host over a channel you trust.
set -euo pipefail
usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
data_dir=/var/lib/paxos
paxos=$(command -v paxos || echo "$(dirname "$0")/../.build/release/paxos")
while [ $# -gt 0 ]; do
    case "$1" in
        --data-dir) data_dir=${2:-}; shift 2 ;;
        --paxos) paxos=${2:-}; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "init-cluster: unknown option '$1'" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -ge 2 ] || usage
out=$1; shift
[[ "$data_dir" = /* ]] || { echo "init-cluster: --data-dir must be absolute (got '$data_dir')" >&2; exit 64; }
[ -x "$paxos" ] || { echo "init-cluster: no paxos binary at $paxos (build it, or pass --paxos)" >&2; exit 64; }
[ $# -le 9 ] || { echo "init-cluster: $# nodes; a cluster of 3 or 5 is usual, 9 at most here" >&2; exit 64; }
mkdir -p "$out"
for file in cluster.json cluster.secret; do
    [ ! -e "$out/$file" ] || { echo "init-cluster: $out/$file exists; not overwriting it" >&2; exit 1; }
done
entries=""; id=0; seen=" "
for address in "$@"; do
    id=$((id + 1))
    host=${address%:*}; port=8000
    [ "$host" != "$address" ] && port=${address##*:}
    [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || { echo "init-cluster: bad port in '$address'" >&2; exit 64; }
    [[ "$host" =~ ^[A-Za-z0-9.-]+$ ]] || { echo "init-cluster: '$host' is not a host name or IPv4 address" >&2; exit 64; }
    case "$host" in 0.0.0.0|127.*|localhost) echo "init-cluster: '$host' cannot be reached from other hosts" >&2; exit 64 ;; esac
    [[ "$seen" != *" $host:$port "* ]] || { echo "init-cluster: $host:$port given twice" >&2; exit 64; }
    seen="$seen$host:$port "
    entries="$entries${entries:+,
}    {\"id\": $id, \"host\": \"$host\", \"port\": $port, \"dataDirectory\": \"$data_dir/node-$id\"}"
done
printf '{\n  "version": 1,\n  "secretFile": "cluster.secret",\n  "nodes": [\n%s\n  ]\n}\n' "$entries" > "$out/cluster.json"
"$paxos" secret generate "$out/cluster.secret" >/dev/null
echo "wrote $out/cluster.json ($id nodes) and $out/cluster.secret (mode 0600)"
echo "next: copy both to /etc/paxos/ on every host; on host i: systemctl enable --now paxos-node@i"
