import Foundation
import PaxosCore
import XMLRPC

#if canImport(Glibc)
import Glibc
#endif

/// Real node processes on this machine, one `paxos node` each, as `paxos cluster`, the
/// scenarios, the benchmark and the tests start them. It starts, kills and restarts nodes and
/// waits for them to answer; it never restarts a node by itself.
public final class LocalCluster: @unchecked Sendable {
    public let configuration: ClusterConfiguration
    public let configurationPath: String
    public let executable: String
    /// Extra arguments for every `paxos node` (log level, timeouts).
    public let nodeArguments: [String]
    /// Node output goes to `<data>/node.log` unless it is inherited (the cluster's `--verbose`).
    public let inheritOutput: Bool

    private let lock = NSLock()
    private var processes: [UInt32: Process] = [:]
    private var stopping = false
    /// Told when a node process ends on its own (not through `kill` or `stop`).
    public var onUnexpectedExit: (@Sendable (UInt32, Int32, Bool) -> Void)?

    public init(configuration: ClusterConfiguration, configurationPath: String, executable: String,
                nodeArguments: [String] = [], inheritOutput: Bool = false) {
        self.configuration = configuration
        self.configurationPath = configurationPath
        self.executable = executable
        self.nodeArguments = nodeArguments
        self.inheritOutput = inheritOutput
    }

    /// The running `paxos` binary: nodes run the same build as the command that starts them.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Writes the configuration, creates the cluster secret it names if there is none yet (a
    /// cluster started again on its data directory keeps its secret), and starts every node.
    public func startAll() throws {
        try configuration.write(path: configurationPath)
        if let secretPath, !FileManager.default.fileExists(atPath: secretPath) {
            try ClusterSecret.generate(atPath: secretPath)
        }
        for node in configuration.nodes { try start(node: node.id) }
    }

    /// The cluster secret's file, as the configuration names it.
    public var secretPath: String? { configuration.secretPath(configurationPath: configurationPath) }

    /// Signs calls as an operator with the cluster's secret (admin calls, the lab).
    public func operatorSigning() throws -> RequestSigning {
        guard let secretPath else { throw ConfigurationError("\(configurationPath) names no cluster secret") }
        return RequestSigning(secret: try ClusterSecret.load(path: secretPath))
    }

    /// Starts node `id`; `extraArguments` go to this start only (e.g. `--rejoin`).
    public func start(node id: UInt32, extraArguments: [String] = []) throws {
        guard let node = configuration.node(id) else { throw ConfigurationError("no node \(id) in the cluster") }
        try FileManager.default.createDirectory(atPath: node.dataDirectory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["node", "--id", String(id), "--config", configurationPath,
                             "--exit-with-parent", String(getpid())] + nodeArguments + extraArguments
        if !inheritOutput {
            let logPath = node.dataDirectory + "/node.log"
            if !FileManager.default.fileExists(atPath: logPath) {
                _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            handle.seekToEndOfFile()
            process.standardOutput = handle
            process.standardError = handle
        }
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [weak self] finished in
            guard let self else { return }
            let expected = self.lock.withLock { () -> Bool in
                let current = self.processes[id]
                if current === finished { self.processes[id] = nil; return self.stopping }
                return true  // replaced or killed on purpose
            }
            if !expected {
                self.onUnexpectedExit?(id, finished.terminationStatus, finished.terminationReason == .uncaughtSignal)
            }
        }
        try process.run()
        lock.withLock { processes[id] = process }
    }

    public func pid(of id: UInt32) -> Int32? { lock.withLock { processes[id]?.processIdentifier } }

    public var runningNodes: [UInt32] { lock.withLock { processes.keys.sorted() } }

    /// Kills a node with `signal` (SIGKILL by default: no chance to clean up), waits for it to
    /// end, and returns its exit status (nil if it was not running).
    @discardableResult
    public func kill(node id: UInt32, signal: Int32 = SIGKILL) -> Int32? {
        guard let process = lock.withLock({ processes.removeValue(forKey: id) }) else { return nil }
        Glibc.kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGTERM to every node (graceful), SIGKILL to any still running after `graceSeconds`.
    public func stopAll(graceSeconds: Double = 5) {
        let all = lock.withLock { () -> [Process] in
            stopping = true
            defer { processes.removeAll() }
            return Array(processes.values)
        }
        for process in all where process.isRunning { Glibc.kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(graceSeconds)
        for process in all {
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning {
                Glibc.kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
    }

    /// The last lines a node logged, for error messages.
    public func logTail(of node: ClusterConfiguration.Node, lines: Int = 5) -> String {
        let log = (try? String(contentsOfFile: node.dataDirectory + "/node.log", encoding: .utf8)) ?? ""
        let tail = log.split(separator: "\n").suffix(lines).joined(separator: "\n")
        return tail.isEmpty ? "(its log \(node.dataDirectory)/node.log is empty)" : tail
    }

    /// Waits until the given nodes (all by default) answer `paxos.status`. The default is generous:
    /// the test suite starts a dozen clusters at once beside its model checks, and debug nodes
    /// on two busy cores took more than 30 s to answer there.
    public func waitUntilServing(nodes ids: [UInt32]? = nil, timeoutSeconds: Double = 90) async throws {
        let targets = (ids ?? configuration.nodes.map(\.id)).compactMap { configuration.node($0) }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        // Signed, so that a node requiring client passwords answers too.
        let clientConfiguration = (try? operatorSigning())?.clientConfiguration(as: .operator) ?? XMLRPCClientConfiguration()
        for node in targets {
            let client = XMLRPCClient(host: node.host, port: node.port, configuration: clientConfiguration)
            defer { Task { await client.shutdown() } }
            while true {
                if (try? await client.call("paxos.status", [], timeout: .seconds(1))) != nil { break }
                if lock.withLock({ processes[node.id] == nil }) {
                    throw ConfigurationError("node \(node.id) exited before it answered on \(node.address): \(logTail(of: node))")
                }
                if Date() > deadline {
                    throw ConfigurationError("node \(node.id) did not answer on \(node.address) within \(Int(timeoutSeconds)) s: \(logTail(of: node))")
                }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
        }
    }
}
