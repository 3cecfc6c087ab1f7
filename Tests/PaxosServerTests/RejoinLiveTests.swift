import Foundation
import PaxosServer
import Testing
import XMLRPC

#if canImport(Glibc)
import Glibc
#endif

/// Issue 16, "a rebuilt node", against real node processes: a node whose data directory is
/// lost refuses to start as a voter while the cluster has data, and `--rejoin` rebuilds it.
@Suite("Live node: a rebuilt node (--rejoin)", .serialized)
struct RejoinLiveTests {
    /// Exit statuses of nodes that ended on their own.
    final class Exits: @unchecked Sendable {
        private let lock = NSLock()
        private var statuses: [UInt32: Int32] = [:]
        func note(_ id: UInt32, _ status: Int32) { lock.withLock { statuses[id] = status } }
        func status(_ id: UInt32) -> Int32? { lock.withLock { statuses[id] } }
        func forget(_ id: UInt32) { lock.withLock { statuses[id] = nil } }
    }

    @Test("kill -9 and an empty data directory: refused without --rejoin, caught up with it (from a snapshot), and the cluster keeps accepting submits")
    func rebuiltNodeRejoins() async throws {
        // Snapshot points every 4 instances: the rebuilt node catches up from a peer's snapshot.
        let test = try TestCluster(nodeArguments: ["--snapshot-every", "4"])
        defer { test.tearDown() }
        let exits = Exits()
        test.cluster.onUnexpectedExit = { id, status, _ in exits.note(id, status) }
        try await test.start()
        for i in 1...10 { _ = try await test.call(UInt32(i % 3 + 1), "paxos.submit", [.string("before-\(i)")]) }
        try await eventually("node 3 holds the ten lines") { test.fileContents(3).split(separator: "\n").count == 10 }

        test.cluster.kill(node: 3)
        try FileManager.default.removeItem(atPath: test.node(3).dataDirectory)
        _ = try await test.call(1, "paxos.submit", [.string("while-3-is-gone")])

        // Without --rejoin: the peers have data, so it refuses, and says what to do.
        try test.cluster.start(node: 3)
        try await eventually("node 3 exits", within: 60) { exits.status(3) != nil }
        #expect(exits.status(3) != 0)
        exits.forget(3)
        let refusal = test.logContents(3)
        #expect(refusal.contains("is empty") && refusal.contains("--rejoin"), "\(refusal.suffix(600))")
        #expect(!test.cluster.runningNodes.contains(3))

        // With --rejoin: it learns, fences, and votes again; its file is the others'.
        try test.cluster.start(node: 3, extraArguments: ["--rejoin"])
        try await test.cluster.waitUntilServing(nodes: [3], timeoutSeconds: 120)
        try await eventually("node 3 votes again with node 1's file", within: 60) {
            let status = try await test.call(3, "paxos.status").structValue
            return status?["voting"]?.boolValue == true && test.fileContents(3) == test.fileContents(1)
        }
        #expect(test.fileContents(3).split(separator: "\n").count == 11)
        #expect(test.logContents(3).contains("rebuilt node votes again"))
        #expect(test.logContents(3).contains("snapshot installed"), "the peers compacted, so it caught up from a snapshot")

        // The cluster keeps accepting submits, at every node, the rebuilt one included; with
        // node 1 down, node 3's vote is needed for each.
        for i in 1...6 { _ = try await test.call(UInt32(i % 3 + 1), "paxos.submit", [.string("after-\(i)")]) }
        test.cluster.kill(node: 1)
        _ = try await test.call(3, "paxos.submit", [.string("needs-node-3")])
        try test.cluster.start(node: 1)
        try await test.cluster.waitUntilServing(nodes: [1])
        try await eventually("every file holds the eighteen lines", within: 60) {
            let files = [1, 2, 3].map { test.fileContents($0) }
            return files[0].split(separator: "\n").count == 18 && files.allSatisfy { $0 == files[0] }
        }

        // Its directory holds its state now: --rejoin is refused, a plain restart is fine.
        test.cluster.kill(node: 3, signal: SIGTERM)
        try test.cluster.start(node: 3, extraArguments: ["--rejoin"])
        try await eventually("node 3 refuses --rejoin", within: 60) { exits.status(3) != nil }
        #expect(exits.status(3) != 0)
        #expect(test.logContents(3).contains("has its state"))
        try test.cluster.start(node: 3)
        try await test.cluster.waitUntilServing(nodes: [3])
        let status = try await test.call(3, "paxos.status").structValue
        #expect(status?["voting"]?.boolValue == true)
        #expect(test.fileContents(3) == test.fileContents(1))
    }
}
