#!/usr/bin/env bash
# The mutation battery: realistic small bugs (scripts/mutations.tsv), one at a time, each in a
# copy of the tree, built in release with one reused scratch path (incremental builds), then
# judged by the simulator and the model checker alone (no unit tests). Prints one table row per
# mutation: what it breaks, which checker caught it, with which seed or after how many states,
# and how long that took.
#
#   scripts/mutate.sh                      # every mutation
#   scripts/mutate.sh NAME...              # only these
#   SEEDS=100000 scripts/mutate.sh         # seeds per simulator run (default 20000); stops at the first failing seed
#   TWO_PROPOSER_DEPTH=16 scripts/mutate.sh   # also model-check Multi-Paxos with two proposers to this depth
#   SIMULATE=0 scripts/mutate.sh NAME...   # the model checker alone (for the column above)
#   MODEL_CHECK=0 scripts/mutate.sh        # the simulator alone (after a change to the simulator only)
#
# Slow (a release rebuild per mutation, 1-2 minutes on 2 cores): a command, not a test. Run it
# with setsid to pause it for a benchmark: kill -STOP -<its process group>, then -CONT.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${MUTATE_WORK:-/tmp/paxos-mutate}"
SRC="$WORK/src"
# The tree as it was when the run began: each row restores its file from here, so edits made to
# the working tree while the battery runs (it takes a quarter of an hour or more) do not leak
# into later rows' builds.
PRISTINE="$WORK/pristine"
SCRATCH="$WORK/build"
SEEDS="${SEEDS:-20000}"
RESULTS="${RESULTS:-$WORK/results.md}"
MODEL_CHECK_TIMEOUT="${MODEL_CHECK_TIMEOUT:-300}"
mkdir -p "$SRC" "$SCRATCH" "$PRISTINE"

# Brings the copy and the pristine tree up to date, touching only files whose content differs:
# the scratch path's incremental build then recompiles only what changed.
python3 - "$REPO" "$SRC" "$PRISTINE" <<'PY'
import os, shutil, subprocess, sys
repo, copies = sys.argv[1], sys.argv[2:]
files = subprocess.run(["git", "-C", repo, "ls-files", "--cached", "--others", "--exclude-standard"],
                       capture_output=True, text=True, check=True).stdout.split()
wanted = set(f for f in files if os.path.isfile(os.path.join(repo, f)))
for copy in copies:
    for f in wanted:
        a, b = os.path.join(repo, f), os.path.join(copy, f)
        if not os.path.exists(b) or open(a, "rb").read() != open(b, "rb").read():
            os.makedirs(os.path.dirname(b), exist_ok=True)
            shutil.copy2(a, b)
    for top in ("Sources", "Tests", "scripts"):
        for root, _, names in os.walk(os.path.join(copy, top)):
            for name in names:
                rel = os.path.relpath(os.path.join(root, name), copy)
                if rel not in wanted:
                    os.remove(os.path.join(copy, rel))
PY

# Reads a mutation's fields; applies it (exactly one occurrence of the text, or it is refused).
apply_mutation() {  # file old new
    python3 - "$SRC/$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1], sys.argv[2].replace('\\n', '\n'), sys.argv[3].replace('\\n', '\n')
text = open(path).read()
count = text.count(old)
if count != 1:
    sys.exit(f"the text to mutate occurs {count} times in {path}")
open(path, 'w').write(text.replace(old, new))
PY
}

now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{float($2) - float($1):.1f} s')"; }

# Runs one simulator command; prints "seed N (property), T" if it failed, nothing otherwise.
simulate() {
    local label="$1"; shift
    local start out status
    start=$(now)
    set +e
    out=$("$SCRATCH/release/paxos" simulate "$@" 2>&1)
    status=$?
    set -e
    if [ $status -eq 1 ]; then
        local line
        line=$(grep -m1 -E '^seed [0-9]+ violates' <<<"$out" || echo "seed ? violates ?")
        echo "$label seed $(awk '{print $2}' <<<"$line") ($(sed 's/^seed [0-9]* violates //' <<<"$line")), $(elapsed "$start" "$(now)")"
    elif [ $status -ne 0 ]; then
        echo "$label crashed (exit $status), $(elapsed "$start" "$(now)")"
    fi
}

# Runs one model-checker command; prints "violation after N states, T" if it found one.
model_check() {
    local label="$1"; shift
    local start out status
    start=$(now)
    set +e
    # --foreground keeps the model checker in the battery's process group (timeout otherwise
    # gives it one of its own), so `kill -STOP -<group>` pauses the whole battery, benchmarks
    # meanwhile see an idle machine, and `kill -CONT -<group>` resumes it.
    out=$(timeout --foreground "$MODEL_CHECK_TIMEOUT" "$SCRATCH/release/paxos" model-check "$@" 2>&1)
    status=$?
    set -e
    if grep -q VIOLATION <<<"$out"; then
        local states
        states=$(grep -m1 -E '^[0-9]+ states' <<<"$out" | awk '{print $1}')
        echo "$label ($(grep -m1 VIOLATION <<<"$out" | sed 's/VIOLATION of \([a-z ]*\):.*/\1/'), $states states), $(elapsed "$start" "$(now)")"
    elif [ $status -eq 124 ]; then
        echo ""
    fi
}

header="| mutation | rule it breaks | simulator (first failing seed) | model checker | time to build |"
echo "$header" | tee "$RESULTS"
echo "|---|---|---|---|---|" | tee -a "$RESULTS"
caught=0; total=0
while IFS=$'\t' read -r name rule file old new; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    if [ $# -gt 0 ] && [[ ! " $* " == *" $name "* ]]; then continue; fi
    total=$((total + 1))
    cp "$PRISTINE/$file" "$SRC/$file"
    if ! apply_mutation "$file" "$old" "$new" 2>"$WORK/apply.err"; then
        echo "| $name | $rule | not applied: $(cat "$WORK/apply.err") | | |" | tee -a "$RESULTS"
        continue
    fi
    build_start=$(now)
    if ! swift build -c release --product paxos --scratch-path "$SCRATCH" --package-path "$SRC" >"$WORK/build-$name.log" 2>&1; then
        echo "| $name | $rule | does not build (see $WORK/build-$name.log) | | |" | tee -a "$RESULTS"
        cp "$PRISTINE/$file" "$SRC/$file"
        continue
    fi
    build_time=$(elapsed "$build_start" "$(now)")

    # The swarm first (it draws cluster sizes, fault mixes and timings); the issue's two fixed
    # mixes only if the swarm missed it.
    if [ "${SIMULATE:-1}" = 0 ]; then
        sim="not run"
    else
        sim=$(simulate "swarm:" --seeds "$SEEDS" --swarm)
        [ -z "$sim" ] && sim=$(simulate "3 nodes:" --seeds "$SEEDS")
        [ -z "$sim" ] && sim=$(simulate "5 nodes:" --seeds "$SEEDS" --nodes 5)
        [ -z "$sim" ] && sim="not caught in $SEEDS seeds of each"
    fi

    # Basic Paxos without and with a crash (and peer calls), then Multi-Paxos.
    if [ "${MODEL_CHECK:-1}" = 0 ]; then
        mc="not run"
    else
        mc=$(model_check "basic, no crash:" --crashes 0)
        # With calls delivered too (a step of several messages, as a live peer call is taken).
        [ -z "$mc" ] && mc=$(model_check "basic, 1 crash, calls:" --peer-calls)
    fi
    if [ "${MODEL_CHECK:-1}" != 0 ] && "$SCRATCH/release/paxos" model-check --help 2>/dev/null | grep -q -- --multi-paxos; then
        [ -z "$mc" ] && mc=$(model_check "multi-paxos, 11 moves:" --multi-paxos --proposers 1 --crashes 1 --depth-max 11)
        # Two leaders' worth of moves: minutes per mutation at depth 16, so only when asked.
        if [ -n "${TWO_PROPOSER_DEPTH:-}" ] && [ -z "$mc" ]; then
            mc=$(model_check "multi-paxos, 2 proposers, $TWO_PROPOSER_DEPTH moves:" --multi-paxos --proposers 2 \
                --crashes 0 --heartbeats 0 --depth-max "$TWO_PROPOSER_DEPTH" --states-max 400000000)
        fi
    fi
    [ -z "$mc" ] && mc="not caught"

    if [[ "$sim" != not* || "$mc" != not* ]]; then caught=$((caught + 1)); fi
    echo "| $name | $rule | $sim | $mc | $build_time |" | tee -a "$RESULTS"
    cp "$PRISTINE/$file" "$SRC/$file"
done < "$PRISTINE/scripts/mutations.tsv"
echo "caught: $caught of $total by the simulator or the model checker" | tee -a "$RESULTS"
