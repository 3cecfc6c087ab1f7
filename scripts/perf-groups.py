#!/usr/bin/env python3
"""Groups the samples of `perf script -F comm,tid,ip,sym,dso` (recorded with -g) by what the
code was doing, so that two profiles (before and after a change) compare at a glance.

    perf script -i perf.data -F comm,tid,ip,sym,dso | scripts/perf-groups.py [--per-unit N --unit NAME]

A sample goes to one group: kernel code by the call that entered the kernel (fdatasync, a
socket write, a futex wake-up, a page fault), otherwise the innermost frame of its stack
that a rule below names (a malloc called from the XML decoder is allocation; the decoder's own
instructions are XML decoding). "incl" counts every sample with a frame of the group anywhere in
its stack, so it includes what the group calls. With --per-unit (say, the submits made while
perf recorded) and --hz (perf's sampling rate), each group is also given in microseconds of CPU
per unit. Threads are shown first (a node's event loop, its fsync thread, Swift's pool).

The rules are regular expressions over Swift's mangled names, which keep module and type names
readable (`6XMLRPC10XMLScanner`); a rule that matches nothing costs nothing. Written by hand:
perf has no grouping of its own beyond single symbols, and the symbols of this code base are
spread thin (no function above about 2.5 % of a node's samples).
"""
import argparse
import collections
import re
import sys

# Innermost match wins; the order only matters between rules that match the same frame.
RULES = [
    ("allocation (malloc, free)", r"^(malloc|_int_malloc|_int_free|cfree|free|__libc_free|__libc_malloc|malloc_consolidate|"
                                  r"unlink_chunk|sysmalloc|_int_realloc|realloc|__malloc_usable_size|swift_slowAlloc|swift_slowDealloc|"
                                  r"swift_allocObject|swift_deallocObject|tcache\w*)"),
    ("reference counting", r"^(swift_retain|swift_release|swift_bridgeObject(Retain|Release)|swift_unknownObject(Retain|Release)|"
                           r"swift_isUniquelyReferenced\w*|.*RefCounts.*|_swift_release_dealloc|swift_arrayDestroy)"),
    ("memcpy, memmove", r"^__mem(move|cpy|set)\w*"),
    ("authentication (HMAC-SHA-256, access policy)",
     r"(CCryptoBoringSSL|6Crypto4HMAC|11PaxosServer(14RequestSigning|16NodeAccessPolicy|16ClusterPrincipal))"),
    ("CRC32C", r"crc32c"),
    ("XML decoding", r"6XMLRPC(10XMLScanner|21XMLRPCDocumentDecoder|11XMLRPCCodecO6decode|16TextAccumulator)"),
    ("XML encoding", r"6XMLRPC(13XMLRPCEncoder|11XMLRPCCodecO\d*encode)"),
    ("peer messages <-> XML-RPC values", r"11PaxosServer(8PeerCall|11MessageRuns|13MessageCoding|8PeerLink)"),
    ("metrics, logging", r"(10Prometheus|11CoreMetrics|11PaxosServer11NodeMetrics|7Logging)"),
    ("the simulator (network, disks, checkers)", r"^\$s14PaxosSimulator"),
    # `0A3Log` is PaxosLog (the mangling reuses the module name's "Paxos").
    ("write-ahead log (stage, frame, write, sync)",
     r"12PaxosStorage(0A3Log|14GroupCommitLog|9WALFormat|11RecordCodec|11SegmentScan|10ByteWriter|\d+WAL)"),
    ("file system calls (wrappers)", r"12PaxosStorage(19PosixAppendableFile|15PosixFileSystem|14AppendableFile|10FileSystem|\d+InMemory)"),
    ("replicated file, snapshots", r"12PaxosStorage"),
    ("Paxos core (steps, pipeline)", r"9PaxosCore"),
    ("HTTP parsing and framing (NIOHTTP1)", r"(NIOHTTP1|llhttp)"),
    ("node shell (runtime, methods)", r"11PaxosServer"),
    ("XML-RPC server and client glue", r"6XMLRPC"),
    ("Swift concurrency (tasks, executors)", r"(swift_task|swift_job|swift_continuation|swift::|_dispatch|libswift_Concurrency)"),
    ("NIO event loop, channels, buffers", r"(NIOPosix|NIOCore|NIOConcurrencyHelpers|c_nio)"),
    ("Swift standard library", r"^\$s(s|S)"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in RULES]

# Kernel samples, by the call that entered the kernel: the first user frame above them (a libc
# wrapper, or the code itself for a page fault), and for a plain write the frame above that.
KERNEL_RULES = [
    ("kernel: fdatasync, fsync", r"^(fdatasync|fsync|__libc_fdatasync|__libc_fsync)"),
    ("kernel: file writes (pwrite)", r"^(__libc_pwrite|pwrite|__pwrite|__GI___pwrite)"),
    ("kernel: sleeping and waking in epoll_wait", r"^epoll_wait"),
    ("kernel: waking threads (futex, eventfd)", r"^(__futex|futex|pthread_cond|pthread_mutex|__lll|syscall$|eventfd)"),
    ("kernel: socket reads and writes", r"^(__GI___writev|writev|read|__GI___libc_read|__libc_read|recv|send|__GI___libc_write|__libc_write|write)$"),
    ("kernel: memory (page faults, mmap)", r"^(__munmap|munmap|__madvise|madvise|mmap|__mmap|brk|__brk|sbrk)"),
    ("kernel: files (open, rename, unlink, truncate)", r"^(__GI___unlink|unlink|rename|__GI___libc_open|open|openat|__close|close|ftruncate|fallocate|posix_fallocate)"),
]
KERNEL_COMPILED = [(name, re.compile(pattern)) for name, pattern in KERNEL_RULES]


def kernel_group(frames):
    user = [symbol for symbol, dso in frames if "kernel" not in dso]
    if not user:
        return "kernel: other"
    entry = user[0]
    if re.match(r"^(__GI___libc_write|__libc_write|write)$", entry) and len(user) > 1 and "_schedule" in user[1]:
        # NIO wakes its loop by writing to an eventfd.
        return "kernel: waking threads (futex, eventfd)"
    for name, pattern in KERNEL_COMPILED:
        if pattern.search(entry):
            return name
    if entry.startswith("$s") or entry in ("_int_malloc", "malloc", "_int_free", "[unknown]") or entry.startswith("__mem"):
        return "kernel: memory (page faults, mmap)"
    return "kernel: other"


def parse(stream):
    """Yields (thread name, [(symbol, dso), ...] leaf first) per sample."""
    comm, frames = None, []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
            continue
        if not line.startswith((" ", "\t")):
            # The header line: "comm tid" (the name may hold spaces).
            parts = line.split()
            comm = " ".join(parts[:-1]) if len(parts) > 1 else parts[0]
            continue
        # A frame: "    ip symbol+off (dso)" or "ip [unknown] (dso)".
        match = re.match(r"\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
        if match:
            frames.append((match.group(1), match.group(2)))
    if comm is not None:
        yield comm, frames


def group_of(symbol):
    for name, pattern in COMPILED:
        if pattern.search(symbol):
            return name
    return None


def thread_kind(comm):
    if comm.startswith("NIO-ELT"):
        return "event loop (" + comm + ")"
    if comm.startswith("paxos-fsync"):
        return "fsync thread"
    if comm.endswith("-qos") or "qos." in comm:
        return "Swift's thread pool (" + comm + ")"
    return comm


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-unit", type=float, default=0, help="units of work done while perf recorded (submits, decisions)")
    parser.add_argument("--unit", default="unit")
    parser.add_argument("--hz", type=float, default=0, help="perf's sampling frequency (-F)")
    parser.add_argument("--rows", type=int, default=20)
    arguments = parser.parse_args()

    total = 0
    threads = collections.Counter()
    own = collections.Counter()
    inclusive = collections.Counter()
    for comm, frames in parse(sys.stdin):
        if not frames:
            continue
        total += 1
        threads[thread_kind(comm)] += 1
        if "kernel" in frames[0][1]:
            innermost = kernel_group(frames)
            own[innermost] += 1
        else:
            innermost = None
        seen = set()
        for symbol, dso in frames:
            if "kernel" in dso:
                continue
            name = group_of(symbol)
            if name is None:
                continue
            if innermost is None:
                innermost = name
                own[name] += 1
            seen.add(name)
        if innermost is None:
            own["other"] += 1
        for name in seen:
            inclusive[name] += 1
    if total == 0:
        sys.exit("no samples: was perf recorded with -g, and is the input `perf script -F comm,tid,ip,sym,dso`?")

    def cost(count):
        if arguments.per_unit > 0 and arguments.hz > 0:
            return "%9.2f" % (count / arguments.hz / arguments.per_unit * 1e6)
        return ""

    per = "us/%s" % arguments.unit if arguments.per_unit > 0 and arguments.hz > 0 else ""
    print("%d samples" % total + (", %.0f %ss" % (arguments.per_unit, arguments.unit) if arguments.per_unit else ""))
    print()
    print("%-52s %7s %9s" % ("thread", "share", per))
    for name, count in threads.most_common():
        print("%-52s %6.1f%% %s" % (name, 100 * count / total, cost(count)))
    print()
    print("%-52s %7s %9s %7s" % ("group (innermost frame)", "own", per, "incl"))
    for name, count in own.most_common(arguments.rows):
        incl = inclusive.get(name)
        print("%-52s %6.1f%% %s %s" % (name, 100 * count / total, cost(count),
                                        "%6.1f%%" % (100 * incl / total) if incl else "      -"))


if __name__ == "__main__":
    main()
