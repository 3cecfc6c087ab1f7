#!/usr/bin/env python3
"""The fault suite's driver: a seeded schedule of network and process faults against the
namespace cluster while failover clients record a history; then healing, liveness and the
history checker. Run by fault-suite.sh (which makes and removes the namespaces) on the client
host, so it reaches every node; faults go through netns.sh.

Writes into --out: history.jsonl (the clients'), faults.jsonl (one line per fault: kind,
target, start, end), checker.txt, report.svg (throughput, latency, fault bands, checks), and prints a summary with per-fault figures. Exit status 0
when every check passes, 1 on a violation, 2 when the run itself could not be made.
"""

import argparse
import filecmp
import json
import os
import random
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import report_svg  # noqa: E402  (the module next to this file)

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.path.join(HERE, "..", "..", "clients", "python")
NETNS = os.path.join(HERE, "netns.sh")
# After the last heal, every file identical within this. A release build converges within a
# second; the test suite runs the debug build, which works through a paused node's backlog of
# peer messages several times slower, so it sets PAXOS_FAULT_SUITE_LIVENESS_S.
LIVENESS_SECONDS = float(os.environ.get("PAXOS_FAULT_SUITE_LIVENESS_S", "10"))
FIRST_ACK_SECONDS = 30.0         # the cluster must acknowledge something before faults start
KINDS = ("isolate", "split", "bridge", "oneway", "loss", "kill", "pause", "restart", "loss+kill", "scatter")


def netns(*arguments):
    subprocess.run([NETNS] + [str(a) for a in arguments], check=True, stdout=subprocess.DEVNULL)


def acknowledged(history):
    try:
        with open(history, encoding="utf-8") as lines:
            return sum(1 for line in lines if '"outcome": "ok"' in line and '"op": "submit"' in line)
    except OSError:
        return 0


class Schedule:
    """Applies one fault at a time from a seeded generator; remembers how to undo it."""

    def __init__(self, rng, nodes):
        self.rng = rng
        self.nodes = nodes

    def apply(self, kind):
        """Starts a fault; returns (target description, undo function)."""
        rng, n = self.rng, self.nodes
        node = rng.randint(1, n)
        if kind == "isolate":
            netns("isolate", node)
            return "node %d" % node, lambda: netns("heal")
        if kind == "split":
            members = list(range(1, n + 1))
            rng.shuffle(members)
            minority = sorted(members[:(n - 1) // 2])
            majority = sorted(members[(n - 1) // 2:])
            netns("split", ",".join(map(str, minority)), ",".join(map(str, majority)))
            return "%s | %s" % (minority, majority), lambda: netns("heal")
        if kind == "bridge":
            netns("bridge", node)
            return "node %d in the middle" % node, lambda: netns("heal")
        if kind == "oneway":
            other = rng.choice([j for j in range(1, n + 1) if j != node])
            netns("oneway", node, other)
            return "%d -> %d lost" % (node, other), lambda: netns("heal")
        if kind == "loss":
            p = rng.choice([0.1, 0.2, 0.3])
            netns("loss", p)
            return "p=%.1f" % p, lambda: netns("heal")
        if kind == "kill":
            netns("kill", node)
            return "node %d (kill -9, restarted)" % node, lambda: netns("start", node)
        if kind == "pause":
            netns("pause", node)
            return "node %d (SIGSTOP, SIGCONT)" % node, lambda: netns("resume", node)
        if kind == "restart":
            netns("stop", node)      # SIGTERM: a graceful stop, then a start on the same data
            return "node %d (SIGTERM, start)" % node, lambda: (wait_exit(node), netns("start", node))
        if kind == "scatter":
            # Every node alone: no majority anywhere, so submits must end in fault 1 (not
            # chosen, and the checker verifies they are absent) or unknown, never in a success.
            for i in range(1, n):
                netns("isolate", i)
            return "every node alone", lambda: netns("heal")
        if kind == "loss+kill":
            p = rng.choice([0.1, 0.2])
            netns("loss", p)
            netns("kill", node)
            return "p=%.1f, node %d killed" % (p, node), lambda: (netns("heal"), netns("start", node))
        raise ValueError("unknown fault kind %r" % kind)


def wait_exit(node, seconds=10.0):
    """Waits for a stopped node's process to end (its pid file names it)."""
    pid = int(open(os.path.join(os.environ["PAXOS_NETNS_DIR"], "node-%d.pid" % node)).read())
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, 9)


def files_identical(paths):
    if not all(os.path.exists(p) for p in paths):
        return False
    return all(filecmp.cmp(paths[0], p, shallow=False) for p in paths[1:])


def load_jsonl(path):
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def per_fault_figures(history, faults, run_start, run_end):
    """For each fault: acknowledged submits per second during it; the longest time without any
    acknowledgment from its start until the first acknowledgment after it healed (what a user
    sees as unavailability); and the recovery time after it healed (heal until the first
    acknowledgment of a submit invoked after the heal)."""
    acks = sorted(op["complete"] for op in history if op["op"] == "submit" and op["outcome"] == "ok")
    rows = []
    previous_end = run_start
    for fault in faults:
        start, end = fault["start"], fault["end"]
        # The rate just before, in the quiet time since the previous fault: the clients' rate
        # drifts during a run (linearizable reads return the whole, growing file), so each
        # fault is compared with its own neighbourhood.
        before = sum(1 for t in acks if previous_end <= t < start) / max(start - previous_end, 1e-9)
        previous_end = end
        during = sum(1 for t in acks if start <= t < end)
        after = [op["complete"] for op in history
                 if op["op"] == "submit" and op["outcome"] == "ok" and op["invoke"] >= end]
        recovery = (min(after) - end) if after else None
        horizon = min(after) if after else run_end
        marks = [start] + [t for t in acks if start <= t <= horizon] + [horizon]
        gap = max(b - a for a, b in zip(marks, marks[1:]))
        rows.append(dict(fault, ok_per_second=during / max(end - start, 1e-9), recovery_seconds=recovery, before_per_second=before,
                         gap_seconds=gap))
    quiet = [(a["end"], b["start"]) for a, b in zip(faults, faults[1:])]
    quiet_time = sum(b - a for a, b in quiet)
    quiet_acks = sum(1 for t in acks if any(a <= t < b for a, b in quiet))
    baseline = quiet_acks / quiet_time if quiet_time > 0 else None
    return rows, baseline


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True, help="length of the fault schedule")
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--node-list", required=True, help="HOST:PORT,... of the nodes")
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated fault kinds to draw from")
    parser.add_argument("--each", action="store_true",
                        help="every kind once, in a seeded order, instead of --seconds of random draws (for measurements)")
    # Up to 8 s: longer than the clients' 6 s deadline, so that some submits end without a
    # majority (fault 1, which the checker then requires absent, or unknown).
    parser.add_argument("--hold", default="3,8", help="seconds a fault lasts: MIN,MAX")
    parser.add_argument("--quiet", default="2,4", help="seconds between faults: MIN,MAX")
    arguments = parser.parse_args()
    kinds = arguments.kinds.split(",")
    for kind in kinds:
        if kind not in KINDS:
            parser.error("unknown fault kind %r (known: %s)" % (kind, ", ".join(KINDS)))
    hold = [float(x) for x in arguments.hold.split(",")]
    quiet = [float(x) for x in arguments.quiet.split(",")]
    os.makedirs(arguments.out, exist_ok=True)
    os.environ["PAXOS_NETNS_DIR"] = arguments.state_dir
    history_path = os.path.join(arguments.out, "history.jsonl")
    faults_path = os.path.join(arguments.out, "faults.jsonl")
    stop_file = os.path.join(arguments.out, "stop")
    rng = random.Random(arguments.seed)

    workload = subprocess.Popen([
        sys.executable, os.path.join(CLIENTS, "history_workload.py"), "--nodes", arguments.node_list,
        "--clients", str(arguments.clients), "--seconds", str(arguments.seconds + 600), "--stop-file", stop_file,
        "--out", history_path, "--prefix", "s%d" % arguments.seed, "--read-every", "10",
        "--attempt-timeout", "2", "--operation-timeout", "6"])
    faults = []
    try:
        deadline = time.time() + FIRST_ACK_SECONDS
        while acknowledged(history_path) == 0:
            if time.time() > deadline or workload.poll() is not None:
                print("fault-suite: no submit acknowledged within %.0f s of the start" % FIRST_ACK_SECONDS)
                return 2
            time.sleep(0.1)
        run_start = time.time()
        time.sleep(rng.uniform(*quiet))
        schedule = Schedule(rng, arguments.nodes)
        with open(faults_path, "w", encoding="utf-8") as log:
            order = rng.sample(kinds, len(kinds)) if arguments.each else None
            while (order if arguments.each else time.time() - run_start < arguments.seconds):
                kind = order.pop(0) if arguments.each else rng.choice(kinds)
                # The fault counts from when all of its rules are in place (a scatter of five
                # nodes takes a second of iptables calls, during which a majority still exists).
                target, undo = schedule.apply(kind)
                start = time.time()
                print("  %7.1f s  %-9s %s" % (start - run_start, kind, target), flush=True)
                time.sleep(rng.uniform(*hold))
                end = time.time()
                undo()
                fault = {"kind": kind, "target": target, "start": start, "end": end}
                faults.append(fault)
                log.write(json.dumps(fault) + "\n")
                log.flush()
                time.sleep(rng.uniform(*quiet))
    finally:
        open(stop_file, "w").close()
        netns("heal")
        for node in range(1, arguments.nodes + 1):
            subprocess.run([NETNS, "resume", str(node)], stderr=subprocess.DEVNULL)
        try:
            workload.wait(timeout=60)
        except subprocess.TimeoutExpired:
            workload.kill()
    run_end = time.time()

    # Liveness: every file identical within a bound once the faults and the clients stopped.
    files = [os.path.join(arguments.state_dir, "node-%d" % i, "replicated.txt") for i in range(1, arguments.nodes + 1)]
    converged = None
    while time.time() - run_end < LIVENESS_SECONDS:
        if files_identical(files):
            converged = time.time() - run_end
            break
        time.sleep(0.1)

    checker = subprocess.run([sys.executable, os.path.join(CLIENTS, "history_checker.py"), history_path] + files,
                             capture_output=True, text=True)
    with open(os.path.join(arguments.out, "checker.txt"), "w") as out:
        out.write(checker.stdout + checker.stderr)

    history = load_jsonl(history_path)
    rows, baseline = per_fault_figures(history, faults, run_start, run_end)
    submits = [op for op in history if op["op"] == "submit"]
    outcome = {k: sum(1 for op in submits if op["outcome"] == k) for k in ("ok", "fault", "unknown")}
    print("fault suite, seed %d: %d faults in %.0f s on %d nodes, %d clients" % (
        arguments.seed, len(faults), run_end - run_start, arguments.nodes, arguments.clients))
    counts = {}
    for fault in faults:
        counts[fault["kind"]] = counts.get(fault["kind"], 0) + 1
    print("faults applied: " + ", ".join("%s %d" % kv for kv in sorted(counts.items())))
    print("ops: %d submits (%d ok, %d fault, %d unknown), %d reads" % (
        len(submits), outcome["ok"], outcome["fault"], outcome["unknown"], len(history) - len(submits)))
    print("baseline between faults: %s ok submits/s" % ("%.1f" % baseline if baseline is not None else "-"))
    print("%-10s %6s %9s %8s %8s %10s  %s" % ("fault", "held s", "before/s", "ok/s", "gap s", "recover s", "target"))
    for row in rows:
        print("%-10s %6.1f %9.1f %8.1f %8.2f %10s  %s" % (
            row["kind"], row["end"] - row["start"], row["before_per_second"], row["ok_per_second"], row["gap_seconds"],
            "%.2f" % row["recovery_seconds"] if row["recovery_seconds"] is not None else "never", row["target"]))
    recoveries = [r["recovery_seconds"] for r in rows if r["recovery_seconds"] is not None]
    if recoveries:
        print("longest recovery after a heal: %.2f s; longest time without an acknowledgment: %.2f s" % (
            max(recoveries), max(r["gap_seconds"] for r in rows)))
    liveness_ok = converged is not None
    print("liveness: files identical %s" % (
        "%.2f s after the end" % converged if liveness_ok else "NOT within %.0f s" % LIVENESS_SECONDS))
    print(checker.stdout.strip())
    if checker.returncode == 2:
        print(checker.stderr.strip())
    passed = checker.returncode == 0 and liveness_ok
    checks = {}
    for line in checker.stdout.splitlines():
        if line.startswith("figures: "):
            figures = json.loads(line[len("figures: "):])
            checks = {name: figures[name] for name in ("agreement", "duplicates", "lost", "fault_present",
                                                        "foreign_values", "real_time_order", "read_mismatch", "stale_reads")}
    checks["liveness"] = 0 if liveness_ok else 1
    report_svg.write(os.path.join(arguments.out, "report.svg"), history, faults, run_start, run_end, checks, passed)
    print("verdict: %s (history, faults and checker output in %s)" % ("PASS" if passed else "FAIL", arguments.out))
    return 0 if passed else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as error:
        # A fault could not be applied or undone: the run is void, not a violation.
        print("fault-suite: %s failed with status %d" % (" ".join(error.cmd), error.returncode))
        sys.exit(2)
