#!/usr/bin/env python3
"""Drives a cluster with concurrent failover clients and records every operation as history.

    python3 history_workload.py --nodes 127.0.0.1:8000,127.0.0.1:8001,127.0.0.1:8002 \\
        --clients 8 --seconds 15 --out history.jsonl
    python3 history_checker.py history.jsonl paxos-data/node-*/replicated.txt

Each client thread submits unique values (``<prefix>-c<client>-<n>``) through its own
``PaxosClient`` and, every ``--read-every`` operations, makes a linearizable read. Each
operation is written, once it ends, as one JSON line with its wall-clock invoke and complete
times (the format ``history_checker.py`` reads), and flushed at once so a watcher can follow
progress. Run faults against the cluster meanwhile: that is the point.

A submit whose outcome is unknown at its deadline is recorded as ``unknown``; the thread then
moves on (it could retry with the same request id; it does not, so the checker also sees what
became of abandoned requests).
"""

import argparse
import json
import os
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paxos_client  # noqa: E402  (the client next to this file)


class History:
    """A JSON-lines file that threads append to, a line at a time."""

    def __init__(self, path):
        self._file = open(path, "w", encoding="utf-8")
        self._lock = threading.Lock()

    def record(self, operation):
        line = json.dumps(operation, sort_keys=True) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()

    def close(self):
        self._file.close()


def submit(client, history, number, value):
    request_id = str(uuid.uuid4())
    operation = {"client": number, "op": "submit", "value": value, "request_id": request_id, "invoke": time.time()}
    try:
        done = client.submit(value, request_id=request_id)
        operation.update(outcome="ok", instance=done.instance, node=done.node, attempts=done.attempts)
    except paxos_client.OutcomeUnknown as error:
        operation.update(outcome="unknown", fault_code=error.fault_code, error=str(error), attempts=error.attempts)
    except (paxos_client.NotChosen, paxos_client.Rejected) as error:
        operation.update(outcome="fault", fault_code=error.fault_code, error=str(error), attempts=error.attempts)
    operation["complete"] = time.time()
    history.record(operation)


def read(client, history, number):
    operation = {"client": number, "op": "read", "consistency": "linearizable", "from": 1, "invoke": time.time()}
    try:
        entries = client.read(1, consistency="linearizable")
        operation.update(outcome="ok", read=[[instance, value] for instance, value in entries])
    except paxos_client.PaxosError as error:
        operation.update(outcome="fault", fault_code=error.fault_code, error=str(error))
    operation["complete"] = time.time()
    history.record(operation)


def should_stop(arguments, stop_at):
    return time.time() >= stop_at or (arguments.stop_file and os.path.exists(arguments.stop_file))


def client_thread(arguments, history, number, stop_at):
    client = paxos_client.PaxosClient(
        arguments.nodes, attempt_timeout=arguments.attempt_timeout, timeout=arguments.operation_timeout,
        backoff_initial=0.02, backoff_max=0.5, max_attempts=arguments.max_attempts)
    count = 0
    while not should_stop(arguments, stop_at):
        count += 1
        if arguments.read_every and count % arguments.read_every == 0:
            read(client, history, number)
        else:
            submit(client, history, number, "%s-c%d-%d" % (arguments.prefix, number, count))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Record a history of concurrent failover clients.")
    parser.add_argument("--nodes", required=True, help="comma-separated HOST:PORT list")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0, help="no new operation starts after this")
    parser.add_argument("--stop-file", help="no new operation starts once this file exists (a test's fault schedule ends it)")
    parser.add_argument("--out", required=True, help="the history file (JSON lines)")
    parser.add_argument("--prefix", default="w%d" % os.getpid(), help="values are <prefix>-c<client>-<n>")
    parser.add_argument("--read-every", type=int, default=10, help="every Nth operation is a linearizable read (0: none)")
    parser.add_argument("--attempt-timeout", type=float, default=3.0, help="seconds per attempt at one node")
    parser.add_argument("--operation-timeout", type=float, default=8.0, help="seconds per operation, retries included")
    parser.add_argument("--max-attempts", type=int, default=None, help="attempts per operation at most (default: until its deadline)")
    arguments = parser.parse_args(argv)
    if arguments.clients < 1 or arguments.seconds <= 0:
        parser.error("--clients and --seconds must be positive")
    history = History(arguments.out)
    stop_at = time.time() + arguments.seconds
    threads = [threading.Thread(target=client_thread, args=(arguments, history, number, stop_at))
               for number in range(1, arguments.clients + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
