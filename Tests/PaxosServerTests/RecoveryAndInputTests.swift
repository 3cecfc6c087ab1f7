import Foundation
import PaxosServer
import Testing
import XMLRPC

#if canImport(Glibc)
import Glibc
#endif

@Suite("Live node: damaged logs and bad input", .serialized)
struct RecoveryAndInputTests {
    /// The first (here the only) segment of the log.
    static let walName = "wal/0000000000000001.wal"

    /// Where the records of a segment end: after them come preallocated zeros. (The last record
    /// here is a value, whose text ends in a nonzero byte.)
    static func recordsEnd(_ bytes: [UInt8]) -> Int { (bytes.lastIndex { $0 != 0 } ?? -1) + 1 }

    @Test("a log with a flipped byte in the middle: the node refuses to start and names file and offset")
    func corruptLogRefusesToStart() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        for i in 1...20 { _ = try await test.call(1, "paxos.submit", [.string("value-\(i)")]) }
        test.cluster.kill(node: 2, signal: SIGTERM)

        let wal = test.node(2).dataDirectory + "/" + Self.walName
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: wal)))
        #expect(Self.recordsEnd(bytes) > 200)
        bytes[Self.recordsEnd(bytes) / 2] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: wal))

        try test.cluster.start(node: 2)
        try await eventually("node 2 exits") { test.cluster.runningNodes.contains(2) == false || test.logContents(2).contains("corrupt") }
        try await eventually("node 2's log names the file") { test.logContents(2).contains(wal) }
        let log = test.logContents(2)
        #expect(log.contains("offset"), "\(log.suffix(500))")
        await #expect(throws: (any Error).self) { _ = try await test.call(2, "paxos.status", timeoutSeconds: 2) }
    }

    @Test("a torn tail (half a record at the end of the log) is dropped and the node starts with everything before it")
    func tornTailIsDropped() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        for i in 1...5 { _ = try await test.call(1, "paxos.submit", [.string("value-\(i)")]) }
        try await eventually("node 2 holds five lines") { test.fileContents(2).split(separator: "\n").count == 5 }
        test.cluster.kill(node: 2)

        let wal = test.node(2).dataDirectory + "/" + Self.walName
        let end = Self.recordsEnd(try [UInt8](Data(contentsOf: URL(fileURLWithPath: wal))))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: wal))
        try handle.seek(toOffset: UInt64(end))
        // A length prefix promising 200 bytes, followed by only 7: what a crash mid-write leaves.
        handle.write(Data([200, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7]))
        try handle.close()

        try test.cluster.start(node: 2)
        try await test.cluster.waitUntilServing(nodes: [2])
        // The node starts on what was written before the torn tail. Decisions learned less than
        // the log's lazy-sync delay (5 ms) before the kill may be lost with it
        // (`Ready.persistEventually`): the node learns them again from a peer.
        let status = try await test.call(2, "paxos.status").structValue
        #expect((0...5).contains(status?["applied"]?.intValue ?? -1), "\(String(describing: status))")
        try await eventually("node 2 applies all five values again, its file equal to node 1's") {
            try await test.call(2, "paxos.status").structValue?["applied"]?.intValue == 5
                && test.fileContents(2) == test.fileContents(1)
        }
    }

    @Test("bad input gets the right fault, nothing is written, and the node keeps serving")
    func badInputGetsFaults() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        _ = try await test.call(1, "paxos.submit", [.string("good")])
        try await eventually("every file holds the good value") { [1, 2, 3].allSatisfy { test.fileContents($0) == "1 good\n" } }

        let script = """
            import sys, socket, xmlrpc.client
            port = int(sys.argv[1])
            proxy = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % port, allow_none=True)
            def fault_code(call):
                try:
                    call()
                except xmlrpc.client.Fault as f:
                    return f.faultCode
                return None
            checks = {
                "newline": fault_code(lambda: proxy.paxos.submit("a\\nb")),
                "carriage return": fault_code(lambda: proxy.paxos.submit("a\\rb")),
                "nul": fault_code(lambda: proxy.paxos.submit("a\\x00b")),
                "empty": fault_code(lambda: proxy.paxos.submit("")),
                "too long": fault_code(lambda: proxy.paxos.submit("x" * (64 * 1024 + 1))),
                "not a string": fault_code(lambda: proxy.paxos.submit(42)),
                "none": fault_code(lambda: proxy.paxos.submit(None)),
                "missing parameter": fault_code(lambda: proxy.paxos.submit()),
                "too many parameters": fault_code(lambda: proxy.paxos.submit("a", "request-1", "c")),
                "bad request id": fault_code(lambda: proxy.paxos.submit("a", "x" * 65)),
                "unknown method": fault_code(lambda: proxy.paxos.nosuchmethod("a")),
                "instance zero": fault_code(lambda: proxy.paxos.propose(0, "a")),
                "peer garbage": fault_code(lambda: getattr(proxy, "paxos.peer")(1, 0, [{"type": "bogus"}])),
                "peer bad chosen": fault_code(lambda: getattr(proxy, "paxos.peer")(1, 0, [{"type": "accept", "instance": 1,
                    "ballot": {"round": 1, "node": 1}, "command": {"noop": True}, "chosen": [0]}])),
            }
            # paxos.peer without the cluster's signature is refused before its messages are decoded
            # (fault 8); the same bad messages from a signed peer are in SecurityTests.
            # XML 1.0 cannot carry NUL at all (not even as &#0;), so Python's raw NUL byte makes the
            # document not well formed: -32700 is the right answer there.
            expected = {"newline": -32602, "carriage return": -32602, "nul": -32700, "empty": -32602,
                        "too long": -32602, "not a string": -32602, "none": -32602, "missing parameter": -32602,
                        "too many parameters": -32602, "bad request id": -32602, "unknown method": -32601, "instance zero": -32602,
                        "peer garbage": 8, "peer bad chosen": 8}
            # Malformed XML on a raw connection: answered with a fault, not a dropped connection.
            body = b"<?xml version='1.0'?><methodCall><methodName>paxos.submit</methodName><params><param><value><string>x</value></param></params></methodCall>"
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /RPC2 HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: text/xml\\r\\nContent-Length: %d\\r\\n\\r\\n" % len(body) + body)
            reply = b""
            while b"</methodResponse>" not in reply:
                chunk = s.recv(65536)
                if not chunk: break
                reply += chunk
            checks["malformed xml"] = -32700 if b"<int>-32700</int>" in reply or b"<i4>-32700</i4>" in reply else reply[:300]
            expected["malformed xml"] = -32700
            bad = {k: (checks[k], expected[k]) for k in checks if checks[k] != expected[k]}
            print("mismatches:", bad)
            print("after:", proxy.paxos.submit("still-serving"))
            sys.exit(1 if bad else 0)
            """
        let result = try await runPython(script, arguments: [String(test.ports[0])])
        #expect(result.status == 0, "\(result.output)")
        try await eventually("every file holds exactly the two good values") {
            [1, 2, 3].allSatisfy { test.fileContents($0) == "1 good\n2 still-serving\n" }
        }
    }
}

@Suite("Live node: shutdown")
struct ShutdownTests {
    @Test("SIGTERM and SIGINT stop a node gracefully: it exits 0, and restarted it has its state")
    func signalsStopGracefully() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        _ = try await test.call(1, "paxos.submit", [.string("kept")])
        try await eventually("every file holds the value") { [1, 2, 3].allSatisfy { test.fileContents($0) == "1 kept\n" } }

        for (node, signal) in [(UInt32(2), SIGTERM), (UInt32(3), SIGINT)] {
            let status = test.cluster.kill(node: node, signal: signal)
            #expect(status == 0, "node \(node) exited with \(String(describing: status)) after signal \(signal)")
            #expect(test.logContents(node).contains("node stopped"))
        }
        for node in [UInt32(2), 3] { try test.cluster.start(node: node) }
        try await test.cluster.waitUntilServing()
        let status = try await test.call(3, "paxos.status").structValue
        #expect(status?["applied"]?.intValue == 1)
        #expect(status?["incarnation"]?.intValue == 2)
    }
}

@Suite("Live node: admin methods")
struct AdminTests {
    @Test("admin methods answer fault 5 on nodes whose configuration does not enable them; client methods still work")
    func adminDisabled() async throws {
        let test = try TestCluster(adminEnabled: false)
        defer { test.tearDown() }
        try await test.start()
        for (method, parameters) in [("admin.reset", [XMLRPCValue]()), ("admin.faultAdd", [.string("drop")]), ("admin.events", [.int(0)])] {
            await #expect {
                _ = try await test.call(1, method, parameters)
            } throws: { error in
                faultOf(error)?.code == 5
            }
        }
        let answer = try await test.call(2, "paxos.submit", [.string("still fine")])
        #expect(answer.structValue?["instance"]?.intValue == 1)
        #expect(try await test.call(3, "paxos.status").structValue?["adminEnabled"]?.boolValue == false)
    }
}
