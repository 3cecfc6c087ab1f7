import Foundation
import PaxosServer
import Testing
import XMLRPC

#if canImport(Glibc)
import Glibc
#endif

/// Issue 16 live: nodes move their snapshot point every 20 instances; a node killed and left
/// behind the point installs a peer's snapshot; a restart starts from the checkpoint; a named
/// retry from below the point gets its first outcome; reads come from the file.
@Suite("Bounded history, live", .serialized)
struct BoundedHistoryTests {
    @Test("a node behind its peers' snapshot point installs a snapshot and catches up; restarts start from the checkpoint")
    func laggingNodeInstallsSnapshot() async throws {
        let test = try TestCluster(nodeArguments: ["--snapshot-every", "20"])
        defer { test.tearDown() }
        try await test.start()
        _ = try await test.call(1, "paxos.submit", [.string("named"), .string("request-bounded-1")])
        for i in 1...59 { _ = try await test.call(1, "paxos.submit", [.string("a\(i)")]) }
        try await eventually("node 3 holds 60 lines", within: 60) { test.fileContents(3).split(separator: "\n").count == 60 }
        #expect(test.cluster.kill(node: 3) != nil)
        for i in 1...60 { _ = try await test.call(1, "paxos.submit", [.string("b\(i)")]) }
        // Far enough past node 3 (60 applied, a tail of 10 below each point) that only a snapshot can catch it up.
        try await eventually("node 1's snapshot point passed 100", within: 30) {
            (try await test.call(1, "paxos.status").structValue?["snapshotPoint"]?.intValue ?? 0) >= 100
        }

        try test.cluster.start(node: 3)
        try await test.cluster.waitUntilServing(nodes: [3], timeoutSeconds: 90)
        try await eventually("node 3's file equals node 1's", within: 60) { test.fileContents(3) == test.fileContents(1) }
        // The line is logged after the file is in place: wait for it too.
        try await eventually("node 3 logs the install", within: 30) { test.logContents(3).contains("snapshot installed") }

        // The log is compacted: only the segments since the last point are left.
        let walFiles = try FileManager.default.contentsOfDirectory(atPath: test.node(1).dataDirectory + "/wal")
        #expect(walFiles.count <= 2, "\(walFiles)")

        // A named retry from below the point gets its first outcome, read from the file.
        let retry = try await test.call(2, "paxos.submit", [.string("named"), .string("request-bounded-1")]).structValue
        #expect(retry?["instance"]?.intValue == 1)
        #expect(retry?["value"]?.stringValue == "named")

        // Reads come from the file, below the point too.
        let read = try await test.call(3, "paxos.read", [.int(1)])
        #expect(read.arrayValue?.count == 120)

        // Killed again, node 3 restarts from its own checkpoint with everything applied.
        #expect(test.cluster.kill(node: 3) != nil)
        try test.cluster.start(node: 3)
        try await test.cluster.waitUntilServing(nodes: [3], timeoutSeconds: 90)
        let status = try await test.call(3, "paxos.status").structValue
        #expect(status?["applied"]?.intValue == 120)
        #expect(test.fileContents(3) == test.fileContents(1))
        _ = try await test.call(3, "paxos.submit", [.string("after")])
        try await eventually("every node holds 121 lines", within: 30) {
            [1, 2, 3].allSatisfy { test.fileContents($0).split(separator: "\n").count == 121 }
        }

        // Node 3 moves its own point past the installed snapshot: that file goes, once the
        // checkpoint that replaces it is durable (`removeSnapshotsOnceDurable`). Its point comes
        // from the install's log line: the file itself may be gone already, if node 3's own
        // point passed it while catching up.
        let installLine = try #require(test.logContents(3).split(separator: "\n").last { $0.contains("snapshot installed") })
        let installedPoint = try #require(installLine.firstMatch(of: #/through=(\d+)/#).flatMap { UInt64($0.1) })
        for i in 1...40 { _ = try await test.call(1, "paxos.submit", [.string("c\(i)")]) }
        try await eventually("node 3's point passes the installed snapshot", within: 30) {
            (try await test.call(3, "paxos.status").structValue?["snapshotPoint"]?.intValue ?? 0) > Int(installedPoint)
        }
        try await eventually("node 3 deletes the snapshot it installed", within: 30) {
            (try snapshotInstances(of: test, node: 3)).allSatisfy { $0 > installedPoint }
        }
    }

    /// The snapshot files a node stores (their points), oldest first.
    private func snapshotInstances(of test: TestCluster, node: UInt32) throws -> [UInt64] {
        let directory = test.node(node).dataDirectory + "/snapshots"
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".snap") }
            .compactMap { UInt64($0.dropLast(5).drop { !$0.isNumber }) }
            .sorted()
    }

    @Test("a node killed while it fetches or installs a snapshot starts on its old state or the new one, and converges")
    func killedDuringSnapshotInstall() async throws {
        let test = try TestCluster(nodeArguments: ["--snapshot-every", "20"])
        defer { test.tearDown() }
        try await test.start()
        #expect(test.cluster.kill(node: 3) != nil)
        for i in 1...80 { _ = try await test.call(1, "paxos.submit", [.string("v\(i)")]) }
        try await eventually("node 1's snapshot point passed 40", within: 30) {
            (try await test.call(1, "paxos.status").structValue?["snapshotPoint"]?.intValue ?? 0) >= 40
        }
        try test.cluster.start(node: 3)
        // Killed at once when it starts fetching: before, during or after the install.
        try await eventually("node 3 fetches a snapshot", within: 60) { test.logContents(3).contains("fetching a snapshot") }
        #expect(test.cluster.kill(node: 3) != nil)
        try test.cluster.start(node: 3)
        try await test.cluster.waitUntilServing(nodes: [3], timeoutSeconds: 90)
        try await eventually("node 3's file equals node 1's", within: 60) { test.fileContents(3) == test.fileContents(1) }
        let status = try await test.call(3, "paxos.status").structValue
        #expect(status?["applied"]?.intValue == 80)
    }
}

/// The largest `paxos.snapshot` answer must pass the receiving client's decoder: 1 MiB chunks
/// did not (base64 makes 1.4 MB of text, over its 1 MiB limit), which only a file of more than
/// 1 MiB showed.
@Suite("Snapshot chunks on the wire")
struct SnapshotChunkWireTests {
    @Test func theLargestChunkDecodesWithinTheDefaultLimits() throws {
        let data = (0..<SnapshotTransferLimits.chunkBytes).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let answer = XMLRPCValue.struct(XMLRPCStruct([
            ("through", .int(1 << 40)), ("totalBytes", .int(1 << 40)), ("offset", .int(1 << 39)), ("data", .base64(data)),
        ]))
        let bytes = XMLRPCCodec.encodeResponse(.success(answer))
        #expect(try XMLRPCCodec.decodeResponse(bytes).get() == answer)
    }
}
