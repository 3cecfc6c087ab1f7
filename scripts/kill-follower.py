#!/usr/bin/env python3
"""What a follower's death costs the clients: a fresh 3-node `paxos cluster`, CLIENTS threads
submitting to node 1 (the leader) for SECONDS, node 3 killed with SIGKILL after KILL_AT seconds.
Prints the latency of the submits made before the kill, in the 1.5 s after it (while the
leader's failure detector still counts node 3), and later, and the errors.

    scripts/kill-follower.py PAXOS_BINARY [BASE_PORT=19400] [CLIENTS=8] [SECONDS=6] [KILL_AT=2]

A benchmark that prints figures, not a test; alternate two binaries to compare them.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    base = int(sys.argv[2]) if len(sys.argv) > 2 else 19400
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 6
    kill_after = float(sys.argv[5]) if len(sys.argv) > 5 else 2
    directory = tempfile.mkdtemp(prefix="kill-follower-")
    cluster = subprocess.Popen([binary, "cluster", "--base-port", str(base), "--data-dir", directory],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run(base, clients, seconds, kill_after)
    finally:
        cluster.send_signal(signal.SIGINT)
        try:
            cluster.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cluster.kill()
        shutil.rmtree(directory, ignore_errors=True)


def run(base, clients, seconds, kill_after):
    leader = f"http://127.0.0.1:{base}/RPC2"
    deadline = time.time() + 10
    while True:
        try:
            xmlrpc.client.ServerProxy(leader).paxos.status()
            break
        except OSError:
            if time.time() > deadline:
                sys.exit(f"the cluster on port {base} did not answer within 10 s")
            time.sleep(0.1)
    listening = subprocess.run(["ss", "-ltnpH", f"sport = :{base + 2}"], capture_output=True, text=True).stdout
    victim = int(listening.split("pid=")[1].split(",")[0])

    samples, errors, lock = [], [], threading.Lock()
    stop = time.time() + seconds

    def client(number):
        node = xmlrpc.client.ServerProxy(leader)
        count = 0
        while time.time() < stop:
            count += 1
            started = time.time()
            try:
                node.paxos.submit(f"kill-follower-{number}-{count}")
            except Exception as error:  # a fault or a broken connection: counted, not fatal
                with lock:
                    errors.append(str(error)[:100])
                continue
            with lock:
                samples.append((started, time.time() - started))

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(kill_after)
    killed_at = time.time()
    os.kill(victim, signal.SIGKILL)
    for thread in threads:
        thread.join()

    def summary(name, latencies):
        if not latencies:
            return f"{name}: none"
        ordered = sorted(latencies)
        quantile = lambda q: ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000
        return (f"{name}: {len(ordered)} submits, p50 {quantile(0.5):.1f} ms, p99 {quantile(0.99):.1f} ms, "
                f"max {ordered[-1] * 1000:.0f} ms")

    print(summary("before the kill", [l for t, l in samples if t < killed_at]))
    print(summary("1.5 s after it", [l for t, l in samples if killed_at <= t < killed_at + 1.5]))
    print(summary("later", [l for t, l in samples if t >= killed_at + 1.5]))
    print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))


if __name__ == "__main__":
    main()
