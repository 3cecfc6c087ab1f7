import Foundation
import Logging
import NIOPosix
import PaxosCore
import PaxosStorage
import ServiceLifecycle
import Synchronization
import XMLRPC

/// Starts one node as the cluster configuration describes it and runs it until SIGTERM or
/// SIGINT, then stops it gracefully (swift-service-lifecycle).
public enum NodeHost {
    public static let replicatedFileName = "replicated.txt"

    public static func run(configurationPath: String, nodeID: UInt32, options: NodeOptions, logger: Logger) async throws {
        ProcessMemory.configureAllocator()
        let cluster = try ClusterConfiguration.load(path: configurationPath)
        guard let member = cluster.node(nodeID) else {
            throw ConfigurationError("node \(nodeID) is not in \(configurationPath) (it lists \(cluster.nodes.map { String($0.id) }.joined(separator: ", ")))")
        }
        guard let secretPath = options.secretFile ?? cluster.secretPath(configurationPath: configurationPath) else {
            throw ConfigurationError("\(configurationPath) names no cluster secret, and only members holding it may change the log; \(ClusterSecret.howToCreate)")
        }
        let secret = try ClusterSecret.load(path: secretPath)
        let clientPasswords = try options.clientPasswordFile.map(ClientPasswords.load)
        let service = NodeService(cluster: cluster, member: member, options: options, secret: secret,
                                  clientPasswords: clientPasswords, logger: logger)
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}

/// One node as a service: storage, runtime, XML-RPC server.
final class NodeService: Service {
    let cluster: ClusterConfiguration
    let member: ClusterConfiguration.Node
    let options: NodeOptions
    let secret: ClusterSecret
    let clientPasswords: ClientPasswords?
    let logger: Logger

    init(cluster: ClusterConfiguration, member: ClusterConfiguration.Node, options: NodeOptions, secret: ClusterSecret,
         clientPasswords: ClientPasswords?, logger: Logger) {
        self.cluster = cluster
        self.member = member
        self.options = options
        self.secret = secret
        self.clientPasswords = clientPasswords
        self.logger = logger
    }

    func run() async throws {
        // One thread runs the node: its actor, its server and its peer links (NodeRuntime.loop).
        // The group commit's fsync thread is the only other thread on a submit's path.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await run(on: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    private func run(on group: MultiThreadedEventLoopGroup) async throws {
        let directory = member.dataDirectory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ConfigurationError("cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        let fileSystem = PosixFileSystem()
        let (log, logState) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        logger.info("log recovered", metadata: [
            "file": "\(log.path)", "records": "\(log.recovery.records)", "bytes": "\(log.recovery.validBytes)",
            "droppedTailBytes": "\(log.recovery.droppedTailBytes)", "chosen": "\(logState.chosen.count)",
            "snapshotPoint": "\(logState.compactedThrough)",
        ])
        let rejoinFloor = try await checkDataDirectory(records: log.recovery.records, logPath: log.path)
        // The log's state, or a snapshot newer than its point installed from a peer just before
        // a stop (the rule the simulator's restarts run too).
        let snapshots = try SnapshotStore(dataDirectory: directory, fileSystem: fileSystem)
        let start = try StartingState.choose(log: logState, snapshots: snapshots)
        let recovered = start.state, recoveredSnapshot = start.snapshot
        for path in start.discardedSnapshotFiles {
            logger.warning("a snapshot file cut short or damaged was deleted", metadata: ["file": "\(path)"])
        }
        if let snapshot = recoveredSnapshot {
            logger.notice("starting from a snapshot installed before the stop", metadata: ["through": "\(snapshot.instance)"])
        }
        let metrics = NodeMetrics(peers: cluster.nodes.map(\.id).filter { $0 != member.id })
        let commitLog = GroupCommitLog(log: log, syncObserver: { metrics.synced($0) })
        let file = try ReplicatedFile(path: directory + "/" + NodeHost.replicatedFileName, fileSystem: fileSystem)
        let eraStore = EraStore(directory: directory)
        let era = try eraStore.read()
        let adminEnabled = options.adminEnabled ?? cluster.adminEnabled

        let signing = RequestSigning(secret: secret)
        let runtime = NodeRuntime(loop: group.next(), cluster: cluster, member: member, options: options, recovered: recovered,
                                  recoveredSnapshot: recoveredSnapshot, commitLog: commitLog, file: file, snapshots: snapshots,
                                  eraStore: eraStore, era: era, signing: signing, metrics: metrics, logger: logger,
                                  rejoiningAbove: rejoinFloor)
        try await runtime.start()

        let access = NodeAccessPolicy(secret: secret, members: cluster.nodes.map(\.id), clientPasswords: clientPasswords,
                                      logger: logger)
        let registry = XMLRPCMethodRegistry(accessDenied: { access.accessDenied(method: $0, caller: $1) })
        NodeMethods.register(on: registry, runtime: runtime, cluster: cluster, adminEnabled: adminEnabled,
                             resetCoordinator: ResetCoordinator(runtime: runtime, cluster: cluster, signing: signing),
                             access: access)
        var serverConfiguration = XMLRPCServerConfiguration()
        serverConfiguration.host = member.host
        serverConfiguration.port = member.port
        serverConfiguration.bodyBytesMax = options.requestBodyBytesMax
        serverConfiguration.authenticator = { access.authenticate($0) }
        // Answers to members' calls carry protocol messages: signed as this node, for that call.
        serverConfiguration.responseHeaders = signing.answerHeaders(as: .node(member.id))
        // Prometheus scrapes with GET; the figures say nothing a client could not learn from
        // paxos.status, so they need no credentials.
        let serving = ServerReference()
        serverConfiguration.resources["/metrics"] = XMLRPCResource(contentType: "text/plain; version=0.0.4; charset=utf-8") {
            metrics.render(openConnections: serving.server?.connectionCount ?? 0)
        }
        serverConfiguration.handlerExecutor = runtime.loopExecutor
        // Reads of up to 10,000 lines, snapshot chunks of 512 KiB and the lab's event lists are
        // read and encoded off the loop; a multicall may hold any of them.
        serverConfiguration.methodsOffEventLoop = ["paxos.read", "paxos.snapshot", "admin.events", "system.multicall"]
        let server = XMLRPCServer(configuration: serverConfiguration, registry: registry, group: group)
        serving.server = server
        do {
            try await server.start()
        } catch {
            await runtime.stop()
            throw ConfigurationError("node \(member.id) cannot listen on \(member.address): \(error)")
        }
        logger.notice("node \(member.id) serving XML-RPC on http://\(member.address)/RPC2", metadata: [
            "file": "\(directory)/\(NodeHost.replicatedFileName)", "admin": "\(adminEnabled)",
            "clients": "\(clientPasswords.map { "\($0.users.count) users, HTTP Basic authentication" } ?? "anyone")",
        ])

        // Run until SIGTERM/SIGINT (graceful shutdown) or cancellation.
        try? await gracefulShutdown()
        logger.notice("shutting down")
        try? await server.shutdown()
        await runtime.stop()
    }
}

extension NodeService {
    /// A node on an empty data directory may be a member that lost its disk: voting at once,
    /// it could break promises it no longer remembers. Returns the floor of a rebuild
    /// (`--rejoin`), nil for an ordinary start; throws when the start would be unsafe.
    func checkDataDirectory(records: Int, logPath: String) async throws -> UInt64? {
        let directory = member.dataDirectory
        if options.rejoin {
            guard records == 0 else {
                throw ConfigurationError("--rejoin is for a node whose data directory was lost, but \(logPath) holds \(records) records: node \(member.id) has its state; start it without --rejoin")
            }
            guard cluster.nodes.count > 1 else {
                throw ConfigurationError("--rejoin: a one-node cluster has no other member to rebuild node \(member.id) from")
            }
            // Above every round and incarnation of the lost life, which counted from 1 (or
            // from an earlier rebuild's clock): the new life's ballots and command ids never
            // repeat one of the old, even one still in flight.
            let floor = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000))
            logger.notice("rebuilding node \(member.id) from an empty data directory", metadata: ["floor": "\(floor)"])
            return floor
        }
        guard records == 0, cluster.nodes.count > 1 else { return nil }
        let probe = ClusterDataProbe(cluster: cluster, member: member, signing: RequestSigning(secret: secret))
        if let witness = await probe.firstPeerWithData(timeoutSeconds: options.emptyDirectoryProbeSeconds) {
            throw ConfigurationError("the data directory \(directory) is empty, but node \(witness.node) has data (applied \(witness.applied), round \(witness.round)): node \(member.id) has lost its state, and voting at once could break promises it no longer remembers. Start it with --rejoin to rebuild it safely.")
        }
        return nil
    }
}

/// The server, for the metrics it serves itself (it exists only after its configuration).
private final class ServerReference: Sendable {
    private let reference = Mutex<XMLRPCServer?>(nil)
    var server: XMLRPCServer? {
        get { reference.withLock { $0 } }
        set { reference.withLock { $0 = newValue } }
    }
}
