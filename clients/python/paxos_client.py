#!/usr/bin/env python3
"""A client of a Swift Paxos cluster that fails over between nodes.

Standard library only: copy this one file next to your program.

Every submit carries a request id (a fresh UUID unless you give one). When the node asked does
not answer, or answers with a fault that means "try elsewhere", the same submit with the same id
is tried at the next node after a growing, randomized pause, until the deadline. A node answers
a retry of an id it has already decided with the first outcome, so a value whose first attempt
was chosen after all is reported, never appended twice.

    from paxos_client import PaxosClient
    client = PaxosClient(["127.0.0.1:8000", "127.0.0.1:8001", "127.0.0.1:8002"])
    done = client.submit("hello")            # Submitted(instance=1, value='hello', node=1, request_id='…', attempts=1)
    client.read(consistency="linearizable")  # [(1, 'hello')]

How a submit can end (the README's fault table):

* ``Submitted``: a majority has durably chosen the value at ``instance``.
* ``Rejected``: a node refused it in a way no retry fixes (-32602 invalid parameters, 8 not
  authenticated, ...): the value was not chosen.
* ``NotChosen``: the deadline passed and every attempt is known not to have chosen it
  (refused connections, fault 1 no majority, fault 3 overloaded).
* ``OutcomeUnknown``: the deadline passed after an attempt that may have chosen it (no answer,
  fault 2, fault 4). Submit again with the same ``request_id`` to learn the outcome.

Command line::

    python3 paxos_client.py --nodes 127.0.0.1:8000,127.0.0.1:8001 submit VALUE
    python3 paxos_client.py --nodes 127.0.0.1:8000 read --linearizable
    python3 paxos_client.py --nodes 127.0.0.1:8000 status
"""

import argparse
import base64
import http.client
import random
import socket
import sys
import threading
import time
import uuid
import xml.parsers.expat
import xmlrpc.client
from collections import namedtuple

__all__ = [
    "PaxosClient", "Submitted", "PaxosError", "Rejected", "NotChosen", "OutcomeUnknown", "Unavailable",
    "parse_address",
]

Submitted = namedtuple("Submitted", "instance value node request_id attempts")
Submitted.__doc__ = "A chosen submit: its instance, the value, the node that answered, the request id, the attempts made."

# Fault codes of the README's table, as they bear on a retry at another node.
FAULT_NO_QUORUM = 1         # no majority: this attempt did not choose the value
FAULT_OUTCOME_UNKNOWN = 2   # the deadline passed with the value in an Accept
FAULT_OVERLOADED = 3        # refused at the door
FAULT_SHUTTING_DOWN = 4     # the node stopped, perhaps with the value in flight
RETRY_NOT_APPLIED = frozenset([FAULT_NO_QUORUM, FAULT_OVERLOADED])
# The most lines a node answers to one paxos.read (README, XML-RPC methods).
READ_PAGE_MAX = 10000
RETRY_MAYBE_APPLIED = frozenset([FAULT_OUTCOME_UNKNOWN, FAULT_SHUTTING_DOWN])


class PaxosError(Exception):
    """Why an operation gave up.

    Attributes: ``fault_code`` (the last XML-RPC fault code a node answered, or None),
    ``last_error`` (text of the last failure), ``node`` (the node tried last), ``attempts``,
    ``request_id`` (for submits), ``no_node_answered`` (every attempt was a transport failure).
    """

    def __init__(self, message, fault_code=None, last_error=None, node=None, attempts=0,
                 request_id=None, no_node_answered=False):
        super().__init__(message)
        self.fault_code = fault_code
        self.last_error = last_error
        self.node = node
        self.attempts = attempts
        self.request_id = request_id
        self.no_node_answered = no_node_answered


class Rejected(PaxosError):
    """A node refused the call in a way no retry fixes; nothing was changed."""


class NotChosen(PaxosError):
    """The deadline passed; every attempt is known not to have chosen the value."""


class OutcomeUnknown(PaxosError):
    """The deadline passed after an attempt that may have chosen the value.

    Submit again with the same ``request_id`` to learn the outcome without a second copy.
    """


class Unavailable(PaxosError):
    """The deadline passed and no node answered a read or status call."""


def parse_address(text):
    """``"HOST:PORT"`` -> ``(host, port)``; raises ValueError on anything else."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError("a node address must be HOST:PORT, for example 127.0.0.1:8000 (got %r)" % text)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


class _TimeoutTransport(xmlrpc.client.Transport):
    """xmlrpc.client's transport with a socket timeout and optional HTTP Basic credentials."""

    def __init__(self, timeout, authorization=None):
        super().__init__()
        self._timeout = timeout
        self._authorization = authorization

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection

    def send_headers(self, connection, headers):
        if self._authorization:
            headers = list(headers) + [("Authorization", self._authorization)]
        super().send_headers(connection, headers)


class PaxosClient:
    """A failover client of the nodes at ``nodes`` (``"HOST:PORT"`` strings or ``(host, port)``).

    ``attempt_timeout``: seconds to wait for one node's answer (a node answers fault 1 or 2 when
    its own request deadline, 5 s by default, passes; a paused node is left after this).
    ``timeout``: the default deadline of a whole operation, in seconds.
    ``backoff_initial`` / ``backoff_max``: the pause between attempts doubles from the first to
    the second; each pause is drawn from its upper half so clients that failed together do not
    retry together. ``user`` / ``password``: HTTP Basic credentials for nodes that require them.
    ``start_with_first``: try ``nodes`` in order from the first, instead of from a random one.
    ``max_attempts``: give up after this many attempts even before the deadline (None: only the
    deadline ends the retries). A deadline cuts the attempt in flight, which makes the outcome
    unknown; a limit ends after an answer, so a submit that every node refused ends ``NotChosen``.

    One client may be shared by threads: every call makes its own connection.
    """

    def __init__(self, nodes, attempt_timeout=6.0, timeout=30.0, backoff_initial=0.05, backoff_max=1.0,
                 user=None, password=None, start_with_first=False, max_attempts=None):
        if isinstance(nodes, str):
            nodes = nodes.split(",")
        self.nodes = [parse_address(n) if isinstance(n, str) else (str(n[0]), int(n[1])) for n in nodes]
        if not self.nodes:
            raise ValueError("a PaxosClient needs at least one node")
        if attempt_timeout <= 0 or timeout <= 0 or backoff_initial < 0 or backoff_max < backoff_initial:
            raise ValueError("timeouts must be positive and backoff_initial <= backoff_max")
        if max_attempts is not None and max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (or None)")
        self.max_attempts = max_attempts
        self.attempt_timeout = attempt_timeout
        self.timeout = timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._authorization = None
        if user is not None:
            credentials = ("%s:%s" % (user, password or "")).encode("utf-8")
            self._authorization = "Basic " + base64.b64encode(credentials).decode("ascii")
        self._lock = threading.Lock()
        self._preferred = 0 if start_with_first else random.randrange(len(self.nodes))

    # Operations

    def submit(self, value, request_id=None, timeout=None):
        """Append ``value`` to the replicated file; returns ``Submitted`` once a majority chose it.

        ``request_id``: 1-64 printable ASCII bytes naming this submit across retries (a fresh
        UUID when None). Raises ``Rejected``, ``NotChosen`` or ``OutcomeUnknown``.
        """
        request_id = request_id or str(uuid.uuid4())
        answer, node, attempts = self._with_failover(lambda proxy: proxy.paxos.submit(value, request_id), timeout, request_id)
        return Submitted(answer.get("instance"), answer.get("value", value), answer.get("node", node), request_id, attempts)

    def read(self, start=1, consistency="local", timeout=None):
        """The applied instances from ``start`` on, as ``[(instance, value)]``.

        ``consistency="local"``: the answering node's file as it stands (fast, may trail).
        ``consistency="linearizable"``: contains every value acknowledged before the read began.
        """
        if consistency not in ("local", "linearizable"):
            raise ValueError("consistency must be 'local' or 'linearizable'")
        entries = []
        while True:
            # A node answers at most READ_PAGE_MAX lines a call: a full page is followed by the next.
            if consistency == "local":
                call = lambda proxy, first=start: proxy.paxos.read(first)
            else:
                call = lambda proxy, first=start: proxy.paxos.read(first, {"consistency": consistency})
            answer, _, _ = self._with_failover(call, timeout, None)
            entries += [(entry["instance"], entry["value"]) for entry in answer]
            if len(answer) < READ_PAGE_MAX or answer[-1]["instance"] < start:
                return entries
            start = answer[-1]["instance"] + 1

    def status(self, timeout=None):
        """``paxos.status()`` of whichever node answers first, as a dict."""
        answer, _, _ = self._with_failover(lambda proxy: proxy.paxos.status(), timeout, None)
        return answer

    # Failover

    def _proxy(self, node, timeout):
        transport = _TimeoutTransport(timeout, self._authorization)
        host, port = node
        authority = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
        return xmlrpc.client.ServerProxy("http://%s/RPC2" % authority, transport=transport, allow_none=False)

    def _with_failover(self, call, timeout, request_id):
        """Runs ``call(proxy)`` at one node after another until an answer, a final fault or the deadline.

        Returns ``(answer, node, attempts)``.
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._lock:
            index = self._preferred
        attempts = 0
        maybe_applied = False
        answered = False
        fault_code = None
        last_error = "the deadline had passed before the first attempt"
        node = None
        backoff = self.backoff_initial
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            attempts += 1
            node = self.nodes[index]
            proxy = self._proxy(node, min(self.attempt_timeout, remaining))
            try:
                answer = call(proxy)
                with self._lock:
                    self._preferred = index
                return answer, node, attempts
            except xmlrpc.client.Fault as fault:
                answered = True
                fault_code = fault.faultCode
                last_error = "fault %d: %s" % (fault.faultCode, fault.faultString)
                if fault.faultCode in RETRY_MAYBE_APPLIED:
                    maybe_applied = True
                elif fault.faultCode not in RETRY_NOT_APPLIED:
                    raise Rejected("%s:%d refused: %s" % (node + (last_error,)), fault_code, last_error, node,
                                   attempts, request_id, False)
            except ConnectionRefusedError as error:
                # Nothing was sent: the node is down.
                last_error = "connection refused: %s" % error
            except (OSError, http.client.HTTPException, xmlrpc.client.ProtocolError,
                    xmlrpc.client.ResponseError, xml.parsers.expat.ExpatError) as error:
                # A timeout, a reset, a malformed or cut answer: the node may have acted on it.
                maybe_applied = True
                last_error = "%s: %s" % (type(error).__name__, error)
            finally:
                proxy("close")()
            if self.max_attempts is not None and attempts >= self.max_attempts:
                break
            index = (index + 1) % len(self.nodes)
            pause = backoff * random.uniform(0.5, 1.0)
            backoff = min(backoff * 2, self.backoff_max)
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(pause, left))
        where = "%s:%d" % node if node else "no node"
        if request_id is None:
            error_type, what = Unavailable, "no node answered"
        elif maybe_applied:
            error_type = OutcomeUnknown
            what = "outcome unknown (retry with request id %s)" % request_id
        else:
            error_type, what = NotChosen, "not chosen"
        raise error_type("%s; last tried %s after %d attempts: %s" % (what, where, attempts, last_error),
                         fault_code, last_error, node, attempts, request_id, not answered)


class _ArgumentParser(argparse.ArgumentParser):
    """argparse, with the exit status of ``paxos`` for a wrong command line (64, not 2, which
    here means that no node answered)."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(64, "%s: error: %s\n" % (self.prog, message))


def _main(argv=None):
    """The command line: ``--nodes A,B,C submit VALUE | read [--from N] [--linearizable] | status``.

    Exit status as ``paxos``: 0 done, 1 a fault or an unknown outcome, 2 no node answered,
    64 the command line is wrong.
    """
    parser = _ArgumentParser(description="A failover client of a Swift Paxos cluster.")
    parser.add_argument("--nodes", default="127.0.0.1:8000,127.0.0.1:8001,127.0.0.1:8002",
                        help="comma-separated HOST:PORT list (default: the local 3-node cluster)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds until the operation gives up")
    parser.add_argument("--user", help="HTTP Basic user, for nodes started with --client-password-file")
    parser.add_argument("--password", help="HTTP Basic password")
    commands = parser.add_subparsers(dest="command", required=True)
    submit = commands.add_parser("submit", help="append a value; prints 'instance N: VALUE'")
    submit.add_argument("value")
    submit.add_argument("--request-id", help="repeat an earlier submit's id to learn its outcome")
    read = commands.add_parser("read", help="print the applied instances as file lines")
    read.add_argument("--from", dest="start", type=int, default=1)
    read.add_argument("--linearizable", action="store_true", help="include every value acknowledged before the read")
    commands.add_parser("status", help="print one node's status")
    arguments = parser.parse_args(argv)
    try:
        client = PaxosClient(arguments.nodes, timeout=arguments.timeout, user=arguments.user,
                             password=arguments.password, start_with_first=True)
    except ValueError as error:
        parser.error(str(error))
    try:
        if arguments.command == "submit":
            done = client.submit(arguments.value, request_id=arguments.request_id)
            print("instance %d: %s" % (done.instance, done.value))
        elif arguments.command == "read":
            consistency = "linearizable" if arguments.linearizable else "local"
            for instance, value in client.read(arguments.start, consistency):
                print("%d %s" % (instance, value))
        else:
            for key, value in sorted(client.status().items()):
                print("%s: %s" % (key, value))
    except PaxosError as error:
        print("paxos_client: %s" % error, file=sys.stderr)
        if isinstance(error, OutcomeUnknown):
            print("paxos_client: repeat with --request-id %s to learn the outcome" % error.request_id, file=sys.stderr)
        return 2 if error.no_node_answered and not isinstance(error, Rejected) else 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())
