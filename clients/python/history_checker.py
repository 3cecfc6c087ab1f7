#!/usr/bin/env python3
"""Checks a recorded client history against the replicated files of every node.

    python3 history_checker.py history.jsonl node-1/replicated.txt node-2/replicated.txt ...

Exit status 0 when every check passes, 1 when one fails, 2 when the input cannot be read.

The history is JSON lines, one per operation, written by the clients (``history_workload.py``
records one)::

    {"client": 3, "op": "submit", "request_id": "…", "value": "…", "invoke": t0, "complete": t1,
     "outcome": "ok" | "fault" | "unknown", "instance": 12, "fault_code": 1}
    {"client": 3, "op": "read", "consistency": "linearizable", "invoke": t0, "complete": t1,
     "outcome": "ok", "read": [[1, "…"], [2, "…"]]}

``invoke`` and ``complete`` are wall-clock seconds of one machine. An outcome ``"fault"`` means
the client knows the value was not chosen (fault 1 no majority, or a refusal); ``"unknown"``
means it may have been. The files hold ``<instance> <value>`` lines; submitted values must be
unique, so that a value names its request.

Checks:

* agreement: every node holds the same value at each instance (and its instances increase);
* no duplicate: no value appears twice in a file (no request id applied twice);
* no loss: every acknowledged value is at its acknowledged instance;
* not chosen means absent: no value whose submit got a fault is in any file or read;
* validity: every value in a file was submitted by someone in the history;
* real-time order: an operation invoked after another completed never has a smaller instance
  (acknowledged instances, and the file's instance for submits whose outcome was unknown);
* reads: every entry agrees with the files, and a linearizable read contains every value
  acknowledged before it began.
"""

import bisect
import json
import sys
from collections import Counter, defaultdict

EXAMPLES_MAX = 10


def load_history(path):
    """The operations of a JSON-lines history; raises ValueError naming a bad line."""
    operations = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                operation = json.loads(line)
                if operation["op"] not in ("submit", "read"):
                    raise ValueError("op must be 'submit' or 'read'")
                if operation["outcome"] not in ("ok", "fault", "unknown"):
                    raise ValueError("outcome must be 'ok', 'fault' or 'unknown'")
                float(operation["invoke"]), float(operation["complete"])
                if operation["op"] == "submit" and not isinstance(operation.get("value"), str):
                    raise ValueError("a submit needs its value")
                if operation["op"] == "submit" and operation["outcome"] == "ok" and not isinstance(operation.get("instance"), int):
                    raise ValueError("an acknowledged submit needs its instance")
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError("%s:%d: not a history record: %s" % (path, number, error))
            operations.append(operation)
    return operations


def load_file(path):
    """The ``(instance, value)`` lines of a replicated file; raises ValueError naming a bad line."""
    entries = []
    with open(path, encoding="utf-8", newline="\n") as lines:
        for number, line in enumerate(lines, 1):
            instance, sep, value = line.rstrip("\n").partition(" ")
            if not sep or not instance.isdigit():
                raise ValueError("%s:%d: not an '<instance> <value>' line: %r" % (path, number, line[:80]))
            entries.append((int(instance), value))
    return entries


class Report:
    """Violations by check, with a few examples each."""

    CHECKS = ("agreement", "duplicates", "lost", "fault present", "foreign values", "real-time order",
              "read mismatch", "stale reads")

    def __init__(self):
        self.counts = Counter()
        self.examples = defaultdict(list)

    def violation(self, check, example):
        self.counts[check] += 1
        if len(self.examples[check]) < EXAMPLES_MAX:
            self.examples[check].append(example)

    @property
    def passed(self):
        return not self.counts


def check(operations, files):
    """Runs every check; ``files`` maps a path to its entries. Returns ``(report, figures)``."""
    report = Report()

    # Agreement, order within a file, duplicates; the cluster's log is the union of the files.
    chosen = {}
    where = defaultdict(set)   # value -> instances it occupies in any file
    for path, entries in files.items():
        previous = 0
        for instance, value in entries:
            if instance <= previous:
                report.violation("agreement", "%s: instance %d after %d" % (path, instance, previous))
            previous = instance
            where[value].add(instance)
            if chosen.setdefault(instance, value) != value:
                report.violation("agreement", "instance %d: %r in %s, %r elsewhere" % (instance, value, path, chosen[instance]))
    # Files agree instance by instance, so a value at two instances of the union is a value
    # twice in some file (or a disagreement, reported above).
    for value, instances in where.items():
        if len(instances) > 1:
            report.violation("duplicates", "%r at instances %s" % (value, sorted(instances)))

    submits = [op for op in operations if op["op"] == "submit"]
    reads = [op for op in operations if op["op"] == "read"]
    submitted = Counter(op["value"] for op in submits)
    for value, count in submitted.items():
        if count > 1:
            raise ValueError("the history submits %r %d times: values must be unique" % (value, count))

    # Every acknowledged value at its instance; no refused value anywhere; nothing foreign.
    acknowledged = [op for op in submits if op["outcome"] == "ok"]
    refused = {op["value"] for op in submits if op["outcome"] == "fault"}
    for op in acknowledged:
        if chosen.get(op["instance"]) != op["value"]:
            report.violation("lost", "%r acknowledged at instance %d; the files hold %r there" % (
                op["value"], op["instance"], chosen.get(op["instance"])))
    for value in refused & set(where):
        report.violation("fault present", "%r got a fault, yet is at instance(s) %s" % (value, sorted(where[value])))
    for value in set(where) - set(submitted):
        report.violation("foreign values", "%r at instance(s) %s was never submitted" % (value, sorted(where[value])))

    # Real-time order: the largest instance acknowledged before an operation began must be
    # below the operation's own instance (acknowledged, or found in the files).
    by_completion = sorted(acknowledged, key=lambda op: op["complete"])
    completions = [op["complete"] for op in by_completion]
    highest_before = []
    highest = (0, None)
    for op in by_completion:
        if op["instance"] > highest[0]:
            highest = (op["instance"], op)
        highest_before.append(highest)
    timed = 0
    for op in submits:
        if op["outcome"] == "ok":
            instance = op["instance"]
        elif op["outcome"] == "unknown" and len(where.get(op["value"], ())) == 1:
            instance = next(iter(where[op["value"]]))
        else:
            continue
        timed += 1
        count = bisect.bisect_left(completions, op["invoke"])
        if count and highest_before[count - 1][0] >= instance:
            earlier = highest_before[count - 1][1]
            report.violation("real-time order", "%r (invoked %.6f) got instance %d, but %r completed at %.6f with instance %d" % (
                op["value"], op["invoke"], instance, earlier["value"], earlier["complete"], earlier["instance"]))

    # Reads: agree with the files; linearizable ones hold everything acknowledged before them.
    read_figures = Counter()
    for op in reads:
        read_figures[(op.get("consistency", "local"), op["outcome"])] += 1
        if op["outcome"] != "ok":
            continue
        contents = {}
        for instance, value in op.get("read") or []:
            contents[instance] = value
            if chosen.get(instance) != value:
                report.violation("read mismatch", "a read at %.6f saw %r at instance %d; the files hold %r" % (
                    op["invoke"], value, instance, chosen.get(instance)))
        if op.get("consistency") != "linearizable":
            continue
        start = op.get("from", 1)
        for ack in by_completion[:bisect.bisect_left(completions, op["invoke"])]:
            if ack["instance"] >= start and contents.get(ack["instance"]) != ack["value"]:
                report.violation("stale reads", "a linearizable read invoked at %.6f misses %r (instance %d, acknowledged at %.6f)" % (
                    op["invoke"], ack["value"], ack["instance"], ack["complete"]))

    outcomes = Counter(op["outcome"] for op in submits)
    unknown_present = sum(1 for op in submits if op["outcome"] == "unknown" and op["value"] in where)
    figures = {
        "submits": len(submits), "ok": outcomes["ok"], "fault": outcomes["fault"], "unknown": outcomes["unknown"],
        "unknown_present": unknown_present, "reads": len(reads),
        "linearizable_reads_ok": read_figures[("linearizable", "ok")],
        "local_reads_ok": read_figures[("local", "ok")],
        "files": len(files), "instances": len(chosen), "timed": timed,
        "ok_after_retries": sum(1 for op in acknowledged if op.get("attempts", 1) > 1),
    }
    for name in Report.CHECKS:
        figures[name.replace(" ", "_").replace("-", "_")] = report.counts[name]
    return report, figures


def summary(report, figures):
    """One line of figures and a verdict, then examples of each violation."""
    lines = ["history: %(submits)d submits (%(ok)d ok, %(ok_after_retries)d of them after retries, %(fault)d fault, %(unknown)d unknown of which "
             "%(unknown_present)d chosen), %(reads)d reads (%(linearizable_reads_ok)d linearizable ok, "
             "%(local_reads_ok)d local ok); files: %(files)d, %(instances)d instances" % figures]
    lines.append("checks: " + ", ".join("%s %d" % (name, report.counts[name]) for name in Report.CHECKS)
                 + (": PASS" if report.passed else ": FAIL"))
    for name in Report.CHECKS:
        for example in report.examples[name]:
            lines.append("  %s: %s" % (name, example))
    return "\n".join(lines)


def main(argv):
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print("usage: history_checker.py HISTORY.jsonl REPLICATED_FILE [REPLICATED_FILE ...]", file=sys.stderr)
        return 2
    try:
        operations = load_history(argv[1])
        files = {path: load_file(path) for path in argv[2:]}
        report, figures = check(operations, files)
    except (OSError, ValueError) as error:
        print("history_checker: %s" % error, file=sys.stderr)
        return 2
    print(summary(report, figures))
    print("figures: " + json.dumps(figures, sort_keys=True))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
