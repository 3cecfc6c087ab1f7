import ArgumentParser
import Foundation
import PaxosServer

#if canImport(Glibc)
import Glibc
#endif

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Run a local cluster of real node processes on 127.0.0.1, in the foreground until Ctrl-C.",
        discussion: """
            Node i listens on 127.0.0.1:(base-port + i - 1) and keeps its log and replicated file in \
            <data-dir>/node-i. The cluster is described in <data-dir>/cluster.json, which \
            `paxos node --id N --config <data-dir>/cluster.json` uses to restart one node by hand. \
            Started again on the same data directory, the cluster resumes with its files and state.
            """
    )

    @Option(help: "Number of nodes (1-9).")
    var nodes = 3

    @Option(help: "Port of node 1; node i uses base-port + i - 1.")
    var basePort = 8000

    @Option(help: "Directory for cluster.json and every node's data.")
    var dataDir = "./paxos-data"

    @Flag(help: "Show every node's log here instead of in <data-dir>/node-i/node.log.")
    var verbose = false

    @Option(help: "Log level of the nodes (protocol steps are at debug).")
    var logLevel = "info"

    @Option(help: "Log format of the nodes: text or json (one JSON object per line).")
    var logFormat = "text"

    @Option(help: "Require HTTP Basic authentication for the client methods (off for the local lab): a file of `user:password` lines, mode 0600.")
    var clientPasswordFile: String?

    @Option(help: "Each node moves its snapshot point (compacts its log and memory) after this many applied instances; 0 never does.")
    var snapshotEvery: UInt64 = NodeOptions().snapshotIntervalInstances

    func validate() throws {
        guard (1...9).contains(nodes) else { throw ValidationError("--nodes must be between 1 and 9") }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
        guard (1...(65535 - nodes + 1)).contains(basePort) else { throw ValidationError("--base-port leaves no room for \(nodes) ports") }
    }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let configuration = ClusterConfiguration.local(nodes: nodes, basePort: basePort, dataDirectory: dataDir)
        let root = URL(fileURLWithPath: dataDir).standardizedFileURL.path
        let configurationPath = root + "/cluster.json"
        if FileManager.default.fileExists(atPath: configurationPath),
           let existing = try? ClusterConfiguration.load(path: configurationPath),
           existing.nodes.map(\.id) != configuration.nodes.map(\.id) {
            printError("""
                \(configurationPath) describes a cluster of \(existing.nodes.count) nodes; changing the membership of \
                an existing cluster is not supported. Use another --data-dir, or --nodes \(existing.nodes.count).
                """)
            throw ExitCode(64)
        }
        let cluster = LocalCluster(configuration: configuration, configurationPath: configurationPath,
                                   executable: LocalCluster.currentExecutable,
                                   nodeArguments: ["--log-level", logLevel, "--log-format", logFormat, "--snapshot-every", String(snapshotEvery)]
                                       + (clientPasswordFile.map { ["--client-password-file", URL(fileURLWithPath: $0).standardizedFileURL.path] } ?? []),
                                   inheritOutput: verbose)
        cluster.onUnexpectedExit = { id, status, bySignal in
            let how = bySignal ? "was killed by signal \(status)" : "exited with status \(status)"
            say("node \(id) \(how); the other nodes keep running. Restart it with:\n  paxos node --id \(id) --config \(configurationPath)")
        }
        let signals = SignalWaiter(signals: [SIGINT, SIGTERM])
        try cluster.startAll()
        do {
            try await cluster.waitUntilServing(timeoutSeconds: 30)
        } catch {
            cluster.stopAll()
            throw error
        }
        say("Paxos cluster of \(nodes) nodes is running (Ctrl-C stops it):")
        for node in configuration.nodes {
            say("  node \(node.id)  http://\(node.address)/RPC2  pid \(cluster.pid(of: node.id).map(String.init) ?? "-")  file \(node.dataDirectory)/\(NodeHost.replicatedFileName)")
        }
        say("""
            Configuration: \(configurationPath)
            Secret:        \(cluster.secretPath ?? "-") (members and admin calls; keep it private)
            Try:  paxos submit hello --node 127.0.0.1:\(basePort)
                  paxos status --node 127.0.0.1:\(basePort)
                  python3 -c "import xmlrpc.client as x; print(x.ServerProxy('http://127.0.0.1:\(basePort)/RPC2').paxos.submit('hi'))"
            """)
        await signals.wait()
        say("stopping the cluster")
        cluster.stopAll()
    }
}

/// Waits for one of the given signals (which it takes from their default action).
final class SignalWaiter: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "paxos.signals")
    private var continuation: CheckedContinuation<Void, Never>?
    private var fired = false

    init(signals: [Int32]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
            sources.append(source)
        }
    }

    private func fire() {
        if let continuation { self.continuation = nil; continuation.resume() } else { fired = true }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            queue.async {
                if self.fired { continuation.resume() } else { self.continuation = continuation }
            }
        }
    }
}
