#!/usr/bin/env python3
"""One submit at one node, recorded as a history line (the checker's format).

    submit_once.py --node HOST:PORT --value V --history H.jsonl [--timeout 10]

Exactly one attempt, no failover: the point is to ask this node (for example the isolated
one). Prints the outcome (ok INSTANCE | fault CODE | unknown) and exits 0 whatever it was;
2 if the arguments are wrong.
"""

import argparse
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clients", "python"))
import paxos_client  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True)
    parser.add_argument("--value", required=True)
    parser.add_argument("--history", required=True)
    parser.add_argument("--timeout", type=float, default=10.0)
    arguments = parser.parse_args()
    client = paxos_client.PaxosClient([arguments.node], attempt_timeout=arguments.timeout,
                                      timeout=arguments.timeout, max_attempts=1)
    operation = {"client": 0, "op": "submit", "value": arguments.value, "request_id": str(uuid.uuid4()),
                 "node": arguments.node, "invoke": time.time()}
    try:
        done = client.submit(arguments.value, request_id=operation["request_id"])
        operation.update(outcome="ok", instance=done.instance)
        said = "ok %d" % done.instance
    except paxos_client.OutcomeUnknown as error:
        operation.update(outcome="unknown", fault_code=error.fault_code, error=str(error))
        said = "unknown"
    except (paxos_client.NotChosen, paxos_client.Rejected) as error:
        operation.update(outcome="fault", fault_code=error.fault_code, error=str(error))
        said = "fault %s" % error.fault_code
    operation["complete"] = time.time()
    with open(arguments.history, "a", encoding="utf-8") as history:
        history.write(json.dumps(operation, sort_keys=True) + "\n")
    print(said)
    return 0


if __name__ == "__main__":
    sys.exit(main())
