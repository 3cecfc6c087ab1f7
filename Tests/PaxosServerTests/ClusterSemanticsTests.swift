import Foundation
import PaxosServer
import Testing
import XMLRPC

#if canImport(Glibc)
import Glibc
#endif

/// The semantics of issue 3, each against real node processes on 127.0.0.1.
@Suite("Live cluster", .serialized)
struct ClusterSemanticsTests {
    @Test("a submit returns after a majority chose it; every file gains the line and all files are byte-identical")
    func submitReachesEveryFile() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()

        for (index, node) in [UInt32(1), 2, 3].enumerated() {
            let answer = try await test.call(node, "paxos.submit", [.string("value-\(index + 1)")])
            #expect(answer.structValue?["instance"]?.intValue == index + 1)
            #expect(answer.structValue?["value"]?.stringValue == "value-\(index + 1)")
        }
        let expected = "1 value-1\n2 value-2\n3 value-3\n"
        try await eventually("every file holds the three lines") {
            [1, 2, 3].allSatisfy { test.fileContents($0) == expected }
        }
        let status = try await test.call(2, "paxos.status").structValue
        #expect(status?["node"]?.intValue == 2)
        #expect(status?["applied"]?.intValue == 3)
        #expect(status?["file"]?.stringValue == test.filePath(2))
        #expect(status?["address"]?.stringValue == test.node(2).address)
    }

    @Test("8 Python threads x 50 submits over three nodes: all succeed, every value exactly once in every file, files identical")
    func concurrentPythonSubmits() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()

        let script = """
            import sys, threading, xmlrpc.client
            ports = sys.argv[1:]
            errors = []
            def worker(t):
                proxies = [xmlrpc.client.ServerProxy("http://127.0.0.1:%s/RPC2" % p) for p in ports]
                for k in range(50):
                    value = "t%d-v%d" % (t, k)
                    try:
                        answer = proxies[(t + k) % len(proxies)].paxos.submit(value)
                        if answer["value"] != value: errors.append("wrong answer %r" % answer)
                    except Exception as e:
                        errors.append(repr(e))
            threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
            for t in threads: t.start()
            for t in threads: t.join()
            print("errors:", len(errors))
            for e in errors[:5]: print(e)
            sys.exit(1 if errors else 0)
            """
        let result = try await runPython(script, arguments: test.ports.map(String.init), timeoutSeconds: 240)
        #expect(result.status == 0, "\(result.output)")

        let expectedValues = Set((0..<8).flatMap { t in (0..<50).map { "t\(t)-v\($0)" } })
        try await eventually("every file holds 400 lines", within: 30) {
            [1, 2, 3].allSatisfy { test.fileContents($0).split(separator: "\n").count == 400 }
        }
        let files = [1, 2, 3].map { test.fileContents($0) }
        #expect(files[0] == files[1] && files[1] == files[2], "the files differ")
        let values = files[0].split(separator: "\n").map { line in String(line.split(separator: " ", maxSplits: 1)[1]) }
        #expect(values.count == 400)
        #expect(Set(values) == expectedValues, "some value is missing or duplicated")
        let instances = files[0].split(separator: "\n").map { Int($0.split(separator: " ")[0])! }
        #expect(instances == instances.sorted(), "lines are in instance order")
    }

    @Test("kill -9 of one node of three during submits: submits go on; restarted, the node catches up and its file is identical")
    func killOneNodeDuringSubmits() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()

        for i in 1...20 { _ = try await test.call(UInt32(1 + i % 2), "paxos.submit", [.string("before-\(i)")]) }
        test.cluster.kill(node: 3)
        for i in 1...30 { _ = try await test.call(UInt32(1 + i % 2), "paxos.submit", [.string("during-\(i)")]) }
        try test.cluster.start(node: 3)
        try await test.cluster.waitUntilServing(nodes: [3])
        try await eventually("node 3's file equals node 1's", within: 15) {
            let reference = test.fileContents(1)
            return reference.split(separator: "\n").count == 50 && test.fileContents(3) == reference && test.fileContents(2) == reference
        }
        // And the restarted node takes part again.
        _ = try await test.call(3, "paxos.submit", [.string("after")])
        try await eventually("all files hold the value submitted through node 3") {
            [1, 2, 3].allSatisfy { test.fileContents($0).hasSuffix(" after\n") }
        }
    }

    @Test("kill -9 of two nodes of three: a submit fails with fault 1 before its deadline, nothing is appended; after one restart, submits succeed")
    func killTwoNodes() async throws {
        let test = try TestCluster(nodeArguments: ["--request-timeout-ms", "1500"])
        defer { test.tearDown() }
        try await test.start()
        _ = try await test.call(1, "paxos.submit", [.string("first")])
        try await eventually("every file holds the first value") { [1, 2, 3].allSatisfy { test.fileContents($0) == "1 first\n" } }

        #expect(try await test.call(1, "paxos.status").structValue?["leading"]?.boolValue == true)
        test.cluster.kill(node: 2)
        test.cluster.kill(node: 3)
        // Until its failure detector notices (two heartbeats), node 1 still leads and would send
        // the value straight to Accept: the client would get fault 2, outcome unknown, as from any
        // leader that lost its majority unawares. Once it knows, a submit fails phase 1: fault 1.
        try await eventually("node 1 notices that it no longer hears a majority") {
            try await test.call(1, "paxos.status").structValue?["leading"]?.boolValue == false
        }
        let started = Date()
        await #expect {
            _ = try await test.call(1, "paxos.submit", [.string("lost")], timeoutSeconds: 10)
        } throws: { error in
            faultOf(error)?.code == 1
        }
        #expect(Date().timeIntervalSince(started) < 5, "the fault came before the client's own deadline")
        #expect(test.fileContents(1) == "1 first\n")

        try test.cluster.start(node: 2)
        try await test.cluster.waitUntilServing(nodes: [2])
        let answer = try await test.call(1, "paxos.submit", [.string("second")])
        #expect(answer.structValue?["instance"]?.intValue == 2)
        try await eventually("nodes 1 and 2 hold exactly the two values") {
            [1, 2].allSatisfy { test.fileContents($0) == "1 first\n2 second\n" }
        }
        try test.cluster.start(node: 3)
        try await test.cluster.waitUntilServing(nodes: [3])
        try await eventually("node 3 catches up, and 'lost' is nowhere") { test.fileContents(3) == "1 first\n2 second\n" }
    }

    @Test("kill -9 of every node right after acknowledgments: after a restart every acknowledged value is in every file")
    func killAllNodesAfterAcknowledgments() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()

        var acknowledged: [String] = []
        for i in 1...25 {
            let value = "acked-\(i)"
            _ = try await test.call(UInt32(1 + i % 3), "paxos.submit", [.string(value)])
            acknowledged.append(value)
        }
        for id in [UInt32(1), 2, 3] { test.cluster.kill(node: id) }
        for id in [UInt32(1), 2, 3] { try test.cluster.start(node: id) }
        try await test.cluster.waitUntilServing()
        try await eventually("every file holds every acknowledged value") {
            [UInt32(1), 2, 3].allSatisfy { id in
                let values = Set(test.fileContents(id).split(separator: "\n").map { String($0.split(separator: " ", maxSplits: 1)[1]) })
                return values == Set(acknowledged)
            }
        }
        let files = [1, 2, 3].map { test.fileContents($0) }
        #expect(files[0] == files[1] && files[1] == files[2])
    }

    @Test("values of 64 KiB that escape to five times their size replicate and catch up within the message limits")
    func largeValuesReplicateAndCatchUp() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        test.cluster.kill(node: 3)
        let values = (0..<4).map { i in String(repeating: "&", count: 64 * 1024 - 1) + String(i) }
        for value in values { _ = try await test.call(1, "paxos.submit", [.string(value)]) }
        try test.cluster.start(node: 3)
        try await test.cluster.waitUntilServing(nodes: [3])
        let expected = values.enumerated().map { "\($0.offset + 1) \($0.element)\n" }.joined()
        try await eventually("node 3 caught up on every large value", within: 20) { test.fileContents(3) == expected }
        #expect(test.fileContents(1) == expected)
    }

    @Test("admin.reset empties every node; the next submit gets instance 1")
    func resetEmptiesEveryNode() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        for i in 1...3 { _ = try await test.call(1, "paxos.submit", [.string("old-\(i)")]) }
        try await eventually("files hold three lines") { [1, 2, 3].allSatisfy { test.fileContents($0).split(separator: "\n").count == 3 } }

        let reset = try await test.call(2, "admin.reset").structValue
        let results = reset?["nodes"]?.arrayValue ?? []
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0.structValue?["ok"]?.boolValue == true })
        #expect([1, 2, 3].allSatisfy { test.fileContents($0).isEmpty })
        let read = try await test.call(3, "paxos.read")
        #expect(read.arrayValue?.isEmpty == true)

        let answer = try await test.call(3, "paxos.submit", [.string("fresh")])
        #expect(answer.structValue?["instance"]?.intValue == 1)
        try await eventually("every file holds only the fresh value") { [1, 2, 3].allSatisfy { test.fileContents($0) == "1 fresh\n" } }
    }
}

@Suite("Live cluster: reads", .serialized)
struct ReadConsistencyTests {
    @Test("a node cut off from decisions: its local read misses an acknowledged value, its linearizable read waits and then holds it (Python)")
    func linearizableReadHoldsAcknowledgedValues() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        // Nodes 1 and 2 hold back everything that would tell node 3 a decision.
        var rules: [(UInt32, Int)] = []
        for from in [UInt32(1), 2] {
            for type in ["accept", "learn", "status", "catchUpReply"] {
                let rule = try await test.call(from, "admin.faultAdd", ["hold", ["to": 3, "type": .string(type)]])
                rules.append((from, rule.intValue ?? 0))
            }
        }
        _ = try await test.call(1, "paxos.submit", [.string("acknowledged")])
        let script = """
            import sys, threading, xmlrpc.client
            port = int(sys.argv[1])
            node3 = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % port)
            print("local:", node3.paxos.read())
            result = {}
            def read():
                result["linearizable"] = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/RPC2" % port).paxos.read(1, {"consistency": "linearizable"})
            reader = threading.Thread(target=read)
            reader.start()
            reader.join(1.0)
            print("answered while cut off:", "linearizable" in result)
            sys.stdout.flush()
            sys.stdin.readline()          # the test releases the held messages
            reader.join(20)
            print("linearizable:", result.get("linearizable"))
            try:
                node3.paxos.read(1, {"consistency": "eventual"})
            except xmlrpc.client.Fault as f:
                print("bad consistency:", f.faultCode)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, String(test.ports[2])]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var transcript = ""
        try await eventually("the read at node 3 started and was not answered while cut off") {
            transcript += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            return transcript.contains("answered while cut off: False\n") || transcript.contains("answered while cut off: True\n")
        }
        #expect(transcript.contains("local: []"), "\(transcript)")
        #expect(transcript.contains("answered while cut off: False"), "\(transcript)")
        for (node, rule) in rules { _ = try await test.call(node, "admin.faultRelease", [.int(rule), true]) }
        input.fileHandleForWriting.write(Data("go\n".utf8))
        try await eventually("the linearizable read answered", within: 30) {
            transcript += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            return transcript.contains("bad consistency: ") && transcript.hasSuffix("\n")
        }
        #expect(transcript.contains("linearizable: [{'instance': 1, 'value': 'acknowledged'}]"), "\(transcript)")
        #expect(transcript.contains("bad consistency: -32602"), "\(transcript)")
    }
}
