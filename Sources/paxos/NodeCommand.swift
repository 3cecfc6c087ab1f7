import ArgumentParser
import Foundation
import Logging
import PaxosServer

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run one node, as the cluster configuration describes it (address, data directory)."
    )

    @Option(help: "This node's id in the configuration.")
    var id: UInt32

    @Option(help: "The cluster configuration (the cluster.json that `paxos cluster` writes).")
    var config: String

    @Flag(help: "Enable admin methods (reset, fault injection) even if the configuration does not.")
    var enableAdmin = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Protocol steps are at debug.")
    var logLevel: String = "info"

    @Option(help: "Log format: text (one readable line per event) or json (one JSON object per line).")
    var logFormat: String = "text"

    @Option(help: "Milliseconds a client request may wait before it gets a fault.")
    var requestTimeoutMs: UInt64 = 5_000

    @Option(help: "Milliseconds a proposer waits for a majority before it retries with a higher ballot.")
    var phaseTimeoutMs: UInt64 = 300

    @Option(help: "The cluster secret file (default: the one the configuration names as secretFile).")
    var secretFile: String?

    @Option(help: "Require HTTP Basic authentication for the client methods: a file of `user:password` lines, mode 0600.")
    var clientPasswordFile: String?

    @Flag(help: ArgumentHelp(
        "Rebuild a node whose data directory was lost: it starts on an empty directory as a learner and votes again only once every other member has fenced the promises it forgot.",
        discussion: "Without it, a node on an empty data directory refuses to start if a peer reports data."))
    var rejoin = false
    @Option(help: "Move the snapshot point (compact the log and memory) after this many applied instances; 0 never does.")
    var snapshotEvery: UInt64 = NodeOptions().snapshotIntervalInstances

    @Option(help: "Stop gracefully when the process with this pid is gone (set by the commands that start nodes).")
    var exitWithParent: Int32?

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown log level '\(logLevel)'; use trace, debug, info, notice, warning, error or critical")
        }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format must be text or json") }
        guard requestTimeoutMs >= 100 else { throw ValidationError("--request-timeout-ms must be at least 100") }
        guard phaseTimeoutMs >= 10 else { throw ValidationError("--phase-timeout-ms must be at least 10") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        let nodeID = id
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            handler.metadata["node"] = "\(nodeID)"
            return handler
        }
        if let parent = exitWithParent { watchParent(parent) }
        var options = NodeOptions()
        options.requestDeadlineMilliseconds = requestTimeoutMs
        options.phaseTimeoutMilliseconds = phaseTimeoutMs
        if enableAdmin { options.adminEnabled = true }
        options.secretFile = secretFile
        options.clientPasswordFile = clientPasswordFile
        options.rejoin = rejoin
        options.snapshotIntervalInstances = snapshotEvery
        do {
            try await NodeHost.run(configurationPath: config, nodeID: id, options: options, logger: Logger(label: "paxos.node"))
        } catch {
            FileHandle.standardError.write(Data("paxos node \(id): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Nodes started by `paxos cluster`, a scenario or the benchmark end with the command that
/// started them, even when it is killed outright: once the parent is gone (the node has been
/// handed to another process), the node sends itself SIGTERM and shuts down gracefully.
private func watchParent(_ parent: Int32) {
    let thread = Thread {
        while getppid() == parent { usleep(200_000) }
        kill(getpid(), SIGTERM)
    }
    thread.name = "paxos-parent-watch"
    thread.start()
}
