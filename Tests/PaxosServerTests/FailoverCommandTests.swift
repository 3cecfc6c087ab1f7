import Foundation
import Testing

/// The two commands people type to submit with failover: `paxos submit` and
/// `python3 clients/python/paxos_client.py`, against real nodes with one killed.
@Suite("Failover commands", .serialized)
struct FailoverCommandTests {
    @Test("paxos submit --config: node 1 is dead, the submit is made at another member and prints its instance")
    func paxosSubmitFailsOverWithConfig() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        test.cluster.kill(node: 1)

        let submit = try ChildProcess.paxos(["submit", "cli-failover", "--config", test.cluster.configurationPath, "--timeout", "30"])
        let result = try await submit.exit(within: 60)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("instance 1: cli-failover"), "\(result.output)")
        try await eventually("nodes 2 and 3 hold the value") { [2, 3].allSatisfy { test.fileContents($0) == "1 cli-failover\n" } }
    }

    @Test("paxos submit --data-dir: the members come from the cluster.json there; --node names the first to ask")
    func paxosSubmitFindsMembersInDataDirectory() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        test.cluster.kill(node: 2)

        let submit = try ChildProcess.paxos(["submit", "from-data-dir", "--data-dir", test.root, "--node", test.node(2).address,
                                             "--timeout", "30"])
        let result = try await submit.exit(within: 60)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("instance 1: from-data-dir"), "\(result.output)")
    }

    @Test("paxos submit without a configuration asks the first node for the members; a second submit with the same --request-id prints the same instance and adds nothing")
    func paxosSubmitRequestIdIsIdempotent() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        let empty = test.root + "/no-such-dir"
        let arguments = ["submit", "once", "--data-dir", empty, "--node", test.node(3).address, "--request-id", "cli-id-1"]
        for _ in 0..<2 {
            let result = try await ChildProcess.paxos(arguments).exit(within: 60)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("instance 1: once"), "\(result.output)")
        }
        let other = try await ChildProcess.paxos(["submit", "twice", "--data-dir", empty, "--node", test.node(3).address]).exit(within: 60)
        #expect(other.output.contains("instance 2: twice"), "\(other.output)")
        try await eventually("every file holds each value once") { [1, 2, 3].allSatisfy { test.fileContents($0) == "1 once\n2 twice\n" } }
    }

    @Test("paxos submit with no node listening ends at --timeout with exit status 2; a value with a line break gets exit status 1 at once")
    func paxosSubmitExitStatuses() async throws {
        let port = try TestCluster.freePortRange(count: 1)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-nothing-\(UUID().uuidString.prefix(8))").path
        let down = try await ChildProcess.paxos(["submit", "nobody", "--node", "127.0.0.1:\(port)", "--data-dir", folder,
                                                 "--timeout", "1"]).exit(within: 30)
        #expect(down.status == 2, "\(down.output)")
        #expect(down.output.contains("not chosen"), "\(down.output)")

        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        let bad = try await ChildProcess.paxos(["submit", "two\nlines", "--config", test.cluster.configurationPath]).exit(within: 30)
        #expect(bad.status == 1, "\(bad.output)")
        #expect(bad.output.contains("-32602"), "\(bad.output)")
        let badAddress = try await ChildProcess.paxos(["submit", "x", "--node", "nowhere"]).exit(within: 30)
        #expect(badAddress.status == 64, "\(badAddress.output)")
    }

    @Test("paxos_client.py: the first node is dead, submit fails over; the same --request-id answers the same instance; reads and status answer; a bad address is a usage error")
    func pythonClientFailsOver() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        test.cluster.kill(node: 1)
        let nodes = test.addresses.joined(separator: ",")

        let first = try await ChildProcess.python("paxos_client.py", ["--nodes", nodes, "submit", "py-one", "--request-id", "py-id-1"])
            .exit(within: 60)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("instance 1: py-one"), "\(first.output)")
        let again = try await ChildProcess.python("paxos_client.py", ["--nodes", nodes, "submit", "py-one", "--request-id", "py-id-1"])
            .exit(within: 60)
        #expect(again.output.contains("instance 1: py-one"), "\(again.output)")

        let read = try await ChildProcess.python("paxos_client.py", ["--nodes", nodes, "read", "--linearizable"]).exit(within: 60)
        #expect(read.status == 0 && read.output.contains("1 py-one"), "\(read.output)")
        let status = try await ChildProcess.python("paxos_client.py", ["--nodes", nodes, "status"]).exit(within: 60)
        #expect(status.status == 0 && status.output.contains("members:"), "\(status.output)")
        try await eventually("nodes 2 and 3 hold the value once") { [2, 3].allSatisfy { test.fileContents($0) == "1 py-one\n" } }

        let badAddress = try await ChildProcess.python("paxos_client.py", ["--nodes", "nowhere", "submit", "x"]).exit(within: 30)
        #expect(badAddress.status == 64 && badAddress.output.contains("HOST:PORT"), "\(badAddress.output)")
    }

    @Test("paxos_client.py as a library: a fault that no retry fixes raises Rejected with its code; every node down raises NotChosen before the deadline")
    func pythonClientErrors() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        let script = """
            import sys, time
            sys.path.insert(0, sys.argv[1])
            import paxos_client
            up = paxos_client.PaxosClient(sys.argv[2].split(","), timeout=10)
            try:
                up.submit("two\\nlines")
                sys.exit("a value with a line break was accepted")
            except paxos_client.Rejected as e:
                assert e.fault_code == -32602 and e.attempts == 1, (e.fault_code, e.attempts)
            down = paxos_client.PaxosClient(["127.0.0.1:%s" % sys.argv[3]], timeout=1, backoff_initial=0.01, backoff_max=0.1)
            started = time.monotonic()
            try:
                down.submit("nobody")
                sys.exit("a submit succeeded with no node")
            except paxos_client.NotChosen as e:
                assert e.no_node_answered and e.attempts >= 2 and e.request_id, (e.no_node_answered, e.attempts)
            assert time.monotonic() - started < 5
            try:
                paxos_client.PaxosClient(["nowhere"])
                sys.exit("a bad address was taken")
            except ValueError:
                pass
            print("ok")
            """
        let port = try TestCluster.freePortRange(count: 1)
        let result = try await runPython(script, arguments: [pythonClientsDirectory, test.addresses.joined(separator: ","), String(port)])
        #expect(result.status == 0 && result.output.contains("ok"), "\(result.output)")
        #expect([1, 2, 3].allSatisfy { test.fileContents($0).isEmpty })
    }
}
