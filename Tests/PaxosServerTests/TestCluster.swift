import Foundation
import PaxosServer
import XMLRPC

#if canImport(Glibc)
import Glibc
#endif

/// A real cluster of `paxos node` processes on 127.0.0.1 for one test: free ports, a temporary
/// data directory, and cleanup of every process and file when the test ends.
final class TestCluster: @unchecked Sendable {
    let cluster: LocalCluster
    let root: String
    var configuration: ClusterConfiguration { cluster.configuration }

    /// The `paxos` executable built next to the test bundle.
    static var executable: String {
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        // On Linux the test binary sits in the build directory itself; elsewhere inside a bundle.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("paxos").path) && directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("paxos").path
    }

    /// The request deadline of the test nodes, unless a test sets its own. These tests check
    /// outcomes, not timing: on a 2-core CI machine that also runs the model checker and a
    /// dozen other clusters, the 5 s default was once too short for a first submit (its
    /// peers' first fsyncs and answers were that slow), and the test failed on fault 1.
    static let requestTimeoutMillisecondsDefault = 30_000

    init(nodes: Int = 3, nodeArguments: [String] = [], adminEnabled: Bool = true) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-test-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let basePort = try Self.freePortRange(count: nodes)
        var configuration = ClusterConfiguration.local(nodes: nodes, basePort: basePort, dataDirectory: root)
        configuration.adminEnabled = adminEnabled
        cluster = LocalCluster(configuration: configuration, configurationPath: root + "/cluster.json",
                               executable: Self.executable,
                               nodeArguments: ["--log-level", "info"] + Self.withDefaultDeadline(nodeArguments))
    }

    private static func withDefaultDeadline(_ arguments: [String]) -> [String] {
        arguments.contains("--request-timeout-ms") ? arguments
            : ["--request-timeout-ms", String(requestTimeoutMillisecondsDefault)] + arguments
    }

    func start() async throws {
        try cluster.startAll()
        // The suite starts about twelve debug clusters in its first second, beside the model
        // check and the simulations on their own threads: on two cores a node then took more
        // than 30 s to answer (three fresh-clone runs of five failed so, none later in the run).
        try await cluster.waitUntilServing(timeoutSeconds: 120)
    }

    /// Stops every node and removes the data directory.
    func tearDown() {
        cluster.stopAll(graceSeconds: 3)
        try? FileManager.default.removeItem(atPath: root)
    }

    func node(_ id: UInt32) -> ClusterConfiguration.Node { configuration.node(id)! }

    /// A client of node `id`, signing its calls as `principal` with the cluster's secret (the
    /// tests act as the operator unless they say otherwise), or anonymous when nil.
    func client(_ id: UInt32, as principal: ClusterPrincipal? = .operator) -> XMLRPCClient {
        let node = node(id)
        guard let principal else { return XMLRPCClient(host: node.host, port: node.port) }
        return XMLRPCClient(host: node.host, port: node.port,
                            configuration: try! cluster.operatorSigning().clientConfiguration(as: principal))
    }

    func call(_ id: UInt32, _ method: String, _ parameters: [XMLRPCValue] = [], timeoutSeconds: Int = 20,
              as principal: ClusterPrincipal? = .operator) async throws -> XMLRPCValue {
        let client = client(id, as: principal)
        defer { Task { await client.shutdown() } }
        do {
            return try await client.call(method, parameters, timeout: .seconds(timeoutSeconds))
        } catch {
            throw NodeCallError(method: method, node: id, underlying: error, logTails: logTails())
        }
    }

    /// The last lines of every node's log, so a failure on CI shows what the nodes saw.
    func logTails(lines: Int = 15) -> String {
        configuration.nodes.map { node in
            let tail = logContents(node.id).split(separator: "\n").suffix(lines).joined(separator: "\n")
            return "--- node \(node.id) log, last \(lines) lines ---\n" + tail
        }.joined(separator: "\n")
    }

    func filePath(_ id: UInt32) -> String { node(id).dataDirectory + "/" + NodeHost.replicatedFileName }

    func fileContents(_ id: UInt32) -> String {
        (try? String(contentsOfFile: filePath(id), encoding: .utf8)) ?? ""
    }

    func logContents(_ id: UInt32) -> String {
        (try? String(contentsOfFile: node(id).dataDirectory + "/node.log", encoding: .utf8)) ?? ""
    }

    var ports: [Int] { configuration.nodes.map(\.port) }

    /// Finds `count` consecutive ports nobody listens on.
    static func freePortRange(count: Int) throws -> Int {
        guard let base = PortProbe.freeRange(count: count) else { throw ConfigurationError("no free port range found") }
        return base
    }
}

/// Waits until `condition` holds, checking every 20 ms, and fails after `seconds`.
func eventually(_ what: String, within seconds: Double = 15, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
    throw TimeoutError(description: "timed out after \(seconds) s waiting for: \(what)")
}

/// A failed call to a test node, with what the nodes logged.
struct NodeCallError: Error, CustomStringConvertible {
    var method: String
    var node: UInt32
    var underlying: any Error
    var logTails: String
    var description: String { "\(method) on node \(node): \(underlying)\n\(logTails)" }
}

/// The XML-RPC fault behind an error from `TestCluster.call`, if it was one.
func faultOf(_ error: any Error) -> XMLRPCFault? {
    ((error as? NodeCallError)?.underlying ?? error) as? XMLRPCFault
}

struct TimeoutError: Error, CustomStringConvertible {
    var description: String
}

/// Runs a Python 3 script with arguments; returns its exit status and output (stdout and stderr).
/// Waits without blocking a thread: a workload script can run for a minute, and blocking one of
/// the test process's two cooperative threads for that long starved every other test's waits
/// (nodes "did not answer within 30 s" while they were answering).
func runPython(_ script: String, arguments: [String] = [], timeoutSeconds: Double = 120) async throws -> (status: Int32, output: String) {
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-python-\(UUID().uuidString).out").path
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    defer { try? handle.close() }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while process.isRunning && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
    }
    process.waitUntilExit()
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    return (process.terminationStatus, output)
}
