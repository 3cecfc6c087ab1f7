import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The namespace harness (`scripts/netns/`), driven as a user drives it: three nodes on three
/// network namespace "hosts" joined by a bridge, each at its own address, a client host, and an
/// iptables partition. Issue 17's proof that nodes on different hosts work and that a node cut
/// off from the others cannot get anything chosen on its own.
struct NetnsHarness {
    static let scripts: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/netns").path
    /// A prefix of its own, so that a manual `netns.sh` session (prefix `pxn`) is left alone.
    static let prefix = "pxt"
    static let subnet = "10.77.0"
    /// The nodes' request deadline: the isolated node's fault 1 comes only when it passes, so
    /// shorter than the suite's 30 s, but with room for a debug build on a busy 2-core machine.
    static let requestTimeoutMilliseconds = 8_000

    /// Namespaces need root and iproute2; anywhere else the test skips itself, saying why.
    static let unavailableReason: String? = {
        if getuid() != 0 { return "network namespaces need root (uid \(getuid()))" }
        if !["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].contains(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return "iproute2's ip is not installed"
        }
        // Root in a container without CAP_SYS_ADMIN still cannot make a namespace: try one.
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["unshare", "--net", "true"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return "unshare (util-linux) is not installed" }
        probe.waitUntilExit()
        return probe.terminationStatus == 0 ? nil : "this root cannot create a network namespace (unshare --net failed)"
    }()

    let stateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-netns-test-\(UUID().uuidString)").path

    func address(_ node: Int) -> String { "\(Self.subnet).\(10 + node):8000" }
    func filePath(_ node: Int) -> String { "\(stateDirectory)/node-\(node)/replicated.txt" }
    func fileLines(_ node: Int) -> [String] {
        ((try? String(contentsOfFile: filePath(node), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// `scripts/netns/netns.sh arguments…` with this test's prefix, state directory and binary;
    /// fails the test on a non-zero exit.
    @discardableResult
    func netns(_ arguments: [String], within seconds: Double = 60) async throws -> String {
        let child = try ChildProcess("/usr/bin/env", [
            "PAXOS_NETNS_PREFIX=\(Self.prefix)", "PAXOS_NETNS_DIR=\(stateDirectory)",
            "PAXOS_BIN=\(TestCluster.executable)", "PAXOS_NETNS_REQUEST_TIMEOUT_MS=\(Self.requestTimeoutMilliseconds)",
            Self.scripts + "/netns.sh"] + arguments)
        defer { child.stop() }
        let (status, output) = try await child.exit(within: seconds)
        try #require(status == 0, "netns.sh \(arguments.joined(separator: " ")) exited \(status):\n\(output)")
        return output
    }

    /// One submit at one node from the client host, recorded in the history; its outcome line.
    func submit(_ value: String, at node: Int, history: String) async throws -> String {
        let output = try await netns(["client", "python3", Self.scripts + "/submit_once.py", "--node", address(node),
                                      "--value", value, "--history", history, "--timeout", "20"])
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes every namespace and process of this test, whatever state the test left.
    func tearDown() async {
        _ = try? await netns(["down"])
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }
}

@Suite("Nodes on network namespace hosts", .serialized)
struct NetnsClusterTests {
    /// Skipped, with the reason in the test report, where namespaces cannot be made (not root).
    @Test("3 namespace hosts: a submit through every node; node 3 cut off by iptables gets fault 1 while the majority chooses; after healing every file is identical and the history checker passes",
          .enabled(if: NetnsHarness.unavailableReason == nil, "\(NetnsHarness.unavailableReason ?? "")"))
    func isolatedNodeCannotChooseAlone() async throws {
        let harness = NetnsHarness()
        let history = harness.stateDirectory + "-history.jsonl"
        defer { try? FileManager.default.removeItem(atPath: history) }
        do {
            try await harness.netns(["up", "--nodes", "3"])
            // Each node, reached at its own address from another host, gets a value chosen.
            for node in 1...3 {
                let outcome = try await harness.submit("via-node-\(node)", at: node, history: history)
                #expect(outcome.hasPrefix("ok "), "submit through node \(node): \(outcome)")
            }

            try await harness.netns(["isolate", "3"])
            // Node 3 learns that it hears nobody (no heartbeat answers): it then names itself
            // the distinguished proposer. From then on the README promises fault 1, not 2.
            try await eventually("isolated node 3 sees itself as the only proposer", within: 10) {
                let status = try await harness.netns(["client", "python3", pythonClientsDirectory + "/paxos_client.py",
                                                      "--nodes", harness.address(3), "--timeout", "5", "status"])
                return status.contains("leader: 3\n")
            }
            let alone = try await harness.submit("alone-at-node-3", at: 3, history: history)
            #expect(alone == "fault 1", "a submit at the isolated node: \(alone)")
            let majority = try await harness.submit("majority-without-3", at: 1, history: history)
            #expect(majority.hasPrefix("ok "), "a submit at the majority side: \(majority)")
            for node in 1...3 {
                #expect(!harness.fileLines(node).contains { $0.hasSuffix(" alone-at-node-3") }, "node \(node)'s file")
            }
            #expect(!harness.fileLines(3).contains { $0.hasSuffix(" majority-without-3") }, "the cut-off node learned a value")

            try await harness.netns(["heal"])
            // Healed, node 3 catches up (heartbeats trigger it) and serves submits again.
            try await eventually("node 3's file equal to node 1's after healing", within: 15) {
                let lines = harness.fileLines(1)
                return lines.count == 4 && harness.fileLines(2) == lines && harness.fileLines(3) == lines
            }
            let healed = try await harness.submit("after-healing", at: 3, history: history)
            #expect(healed.hasPrefix("ok "), "a submit at node 3 after healing: \(healed)")
            try await eventually("every file holds the last value", within: 15) {
                let lines = harness.fileLines(1)
                return lines.count == 5 && harness.fileLines(2) == lines && harness.fileLines(3) == lines
            }

            let checker = try ChildProcess.python("history_checker.py", [history] + (1...3).map(harness.filePath))
            defer { checker.stop() }
            let (status, output) = try await checker.exit(within: 30)
            #expect(status == 0, "history checker:\n\(output)")
            #expect(output.contains("history: 6 submits (5 ok, 0 of them after retries, 1 fault, 0 unknown"), "history checker:\n\(output)")
        } catch {
            await harness.tearDown()
            throw error
        }
        await harness.tearDown()
        // Nothing of the test outlives it.
        let leftovers = try await ChildProcess("/usr/bin/env", ["ip", "netns", "list"]).exit(within: 10).output
        #expect(!leftovers.contains("\(NetnsHarness.prefix)-"), "namespaces left: \(leftovers)")
    }

    /// Issue 17's short run in CI: seeded random schedules of network and process faults on
    /// namespace hosts, failover clients recording a history, and the checker (agreement, no
    /// loss, no duplicates, real-time order, stale reads, files identical after healing).
    @Test("a 40 s seeded fault schedule on namespace hosts (partitions, loss, kills, pauses): the history checker passes and the files converge",
          .enabled(if: NetnsHarness.unavailableReason == nil, "\(NetnsHarness.unavailableReason ?? "")"))
    func seededFaultScheduleKeepsEveryGuarantee() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-fault-suite-test-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let child = try ChildProcess("/usr/bin/env", [
            "PAXOS_NETNS_PREFIX=pxs", "PAXOS_BIN=\(TestCluster.executable)",
            "PAXOS_NETNS_REQUEST_TIMEOUT_MS=\(NetnsHarness.requestTimeoutMilliseconds)",
            // The debug build catches up a paused node's backlog slower than the release
            // build's one second (measured 4-7 s here, more on a loaded machine).
            "PAXOS_FAULT_SUITE_LIVENESS_S=30",
            NetnsHarness.scripts + "/fault-suite.sh", "--seed", "17", "--seconds", "40", "--out", output])
        defer { child.stop() }
        let (status, report) = try await child.exit(within: 240)
        #expect(status == 0, "fault-suite.sh exited \(status):\n\(report)")
        #expect(report.contains(": PASS"), "\(report)")
        #expect(FileManager.default.fileExists(atPath: output + "/report.svg"), "the run's picture")
    }
}
