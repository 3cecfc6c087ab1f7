import Foundation
import PaxosClient
import Testing
import XMLRPC

#if canImport(Glibc)
import Glibc
#endif

/// The Swift `PaxosClient` library against real node processes with nodes killed and paused.
@Suite("PaxosClient library", .serialized)
struct PaxosClientTests {
    /// Short attempts and pauses, so failovers happen well inside a test's time.
    private func configuration(attemptSeconds: Int = 3) -> PaxosClientConfiguration {
        var configuration = PaxosClientConfiguration()
        configuration.attemptTimeout = .seconds(attemptSeconds)
        configuration.connectTimeout = .seconds(1)
        configuration.backoffInitial = .milliseconds(20)
        configuration.backoffMax = .milliseconds(200)
        configuration.startWithFirstNode = true
        return configuration
    }

    private func client(_ test: TestCluster, order: [UInt32], attemptSeconds: Int = 3) -> PaxosClient {
        PaxosClient(nodes: order.map { PaxosNodeAddress(host: test.node($0).host, port: test.node($0).port) },
                    configuration: configuration(attemptSeconds: attemptSeconds))
    }

    @Test("the first node is down: the submit is made at the next one, and its retry with the same id answers the same instance without a second copy")
    func failsOverFromADeadNode() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        test.cluster.kill(node: 1)

        let client = client(test, order: [1, 2, 3])
        defer { Task { await client.shutdown() } }
        let first = try await client.submit("failover-one", deadline: .now + .seconds(30))
        #expect(first.value == "failover-one")
        #expect(first.node == 2 || first.node == 3)
        #expect(first.attempts == 2, "node 1 refused the connection, node 2 answered")
        #expect(first.requestID.count == 36)  // a UUID

        let again = try await client.submit("failover-one", requestID: first.requestID, deadline: .now + .seconds(30))
        #expect(again.instance == first.instance, "a retry with the same id answers the first outcome")
        let next = try await client.submit("failover-two", deadline: .now + .seconds(30))
        #expect(next.instance > first.instance)
        try await eventually("nodes 2 and 3 hold each value once") {
            [2, 3].allSatisfy { test.fileContents($0) == "\(first.instance) failover-one\n\(next.instance) failover-two\n" }
        }
    }

    @Test("the first node is paused (SIGSTOP): the attempt times out, the submit is made elsewhere with the same id; resumed, the node holds the value once")
    func failsOverFromAPausedNode() async throws {
        let test = try TestCluster(nodeArguments: ["--request-timeout-ms", "2000"])
        defer { test.resume(3); test.tearDown() }
        try await test.start()
        _ = try await test.call(1, "paxos.submit", [.string("before")])
        test.pause(3)

        let client = client(test, order: [3, 1, 2], attemptSeconds: 1)
        defer { Task { await client.shutdown() } }
        let started = ContinuousClock.now
        let submitted = try await client.submit("while-paused", deadline: .now + .seconds(30))
        #expect(submitted.node == 1 || submitted.node == 2)
        #expect(ContinuousClock.now - started >= .seconds(1), "the paused node was tried first")

        test.resume(3)
        try await eventually("every file holds both values once", within: 20) {
            [1, 2, 3].allSatisfy { test.fileContents($0) == "1 before\n\(submitted.instance) while-paused\n" }
        }
    }

    @Test("a value with a line break is refused with fault -32602 at the first node, not retried elsewhere")
    func invalidValueIsNotRetried() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        let client = client(test, order: [1, 2, 3])
        defer { Task { await client.shutdown() } }
        do {
            _ = try await client.submit("two\nlines", deadline: .now + .seconds(10))
            Issue.record("a value with a line break was accepted")
        } catch {
            #expect(error.kind == .rejected)
            #expect(error.lastFault?.code == XMLRPCFault.invalidParameters)
            #expect(error.attempts == 1)
        }
        #expect([1, 2, 3].allSatisfy { test.fileContents($0).isEmpty })
    }

    @Test("no node up: the submit ends at its deadline as not chosen, no node answered, after several attempts; with a limit, after that many")
    func everyNodeDownEndsNotChosen() async throws {
        let ports = try TestCluster.freePortRange(count: 3)
        let client = PaxosClient(nodes: (0..<3).map { PaxosNodeAddress(host: "127.0.0.1", port: ports + $0) },
                                 configuration: configuration())
        defer { Task { await client.shutdown() } }
        let started = ContinuousClock.now
        do {
            // Long enough for three refused connections and the back-off between them on a
            // loaded machine (one second gave two attempts while other builds ran).
            _ = try await client.submit("nobody", deadline: .now + .seconds(3))
            Issue.record("a submit succeeded with every node down")
        } catch {
            #expect(error.kind == .notChosen)
            #expect(error.noNodeAnswered)
            #expect(error.attempts >= 3, "every node was tried")
            #expect(error.requestID != nil)
        }
        #expect(ContinuousClock.now - started < .seconds(10), "the deadline bounds the retries")

        var limited = configuration()
        limited.attemptsMax = 2
        let twice = PaxosClient(nodes: [PaxosNodeAddress(host: "127.0.0.1", port: ports)], configuration: limited)
        defer { Task { await twice.shutdown() } }
        do {
            _ = try await twice.submit("nobody", deadline: .now + .seconds(60))
            Issue.record("a submit succeeded with every node down")
        } catch {
            #expect(error.kind == .notChosen && error.attempts == 2, "\(error)")
        }
    }

    @Test("a linearizable read made after a submit was acknowledged contains it, at any node; a local read answers too")
    func linearizableReadSeesAcknowledgedValues() async throws {
        let test = try TestCluster()
        defer { test.tearDown() }
        try await test.start()
        let writer = client(test, order: [1, 2, 3])
        defer { Task { await writer.shutdown() } }
        var acknowledged: [PaxosEntry] = []
        for index in 1...5 {
            let done = try await writer.submit("read-me-\(index)", deadline: .now + .seconds(30))
            acknowledged.append(PaxosEntry(instance: done.instance, value: done.value))
        }
        for id: UInt32 in [3, 2] {
            let reader = client(test, order: [id])
            defer { Task { await reader.shutdown() } }
            let entries = try await reader.read(consistency: .linearizable, deadline: .now + .seconds(30))
            #expect(Set(acknowledged).isSubset(of: Set(entries)), "node \(id) answered \(entries)")
        }
        let local = try await writer.read(from: 3, deadline: .now + .seconds(30))
        #expect(local.allSatisfy { $0.instance >= 3 })
        let status = try await writer.status(deadline: .now + .seconds(10))
        #expect(status.members.count == 3)
    }
}
