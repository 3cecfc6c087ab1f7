import Foundation
import Logging
import NIOCore
import PaxosCore
import PaxosStorage
import XMLRPC

/// The shell around one `PaxosNode` (DESIGN.md section 2): feeds it events one at a time and
/// performs the effects of each `Ready` in order — records made durable by the group-commit log
/// first, then messages, replies, file lines and timers. Being an actor serializes the core.
///
/// One role per file: this one holds the state, life cycle and status; `+EffectLoop` performs
/// Readies and takes peer calls, `+Clients` serves submits and reads, `+Alarms` keeps time,
/// `+Admin` the reset and fault rules, `+History` snapshot points and installs. Their shared
/// state is internal rather than private for that reason.
public actor NodeRuntime {

    /// The node's one event loop, which serves its calls and sends to its peers, runs the actor
    /// too: a call's handler, the core's step and the messages' writes share one thread, so a
    /// submit wakes no other thread of this node until it waits for the disk.
    nonisolated let loop: any EventLoop
    nonisolated let loopExecutor: EventLoopTaskExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.executor.asUnownedSerialExecutor() }

    public let cluster: ClusterConfiguration
    public let member: ClusterConfiguration.Node
    public let options: NodeOptions
    let logger: Logger
    let metrics: NodeMetrics
    private let startedAt = ContinuousClock.now

    var core: PaxosNode
    let coreConfiguration: PaxosConfiguration
    let commitLog: GroupCommitLog
    let file: ReplicatedFile
    let snapshots: SnapshotStore
    let signing: RequestSigning
    /// The applied state at the snapshot point (its `compacted` record first): what a
    /// snapshot sent to a peer carries beside the file's bytes.
    var snapshotMetadata: [DurableRecord]
    /// A snapshot newer than the log's point, found at start-up (an install cut short).
    private let recoveredSnapshot: Snapshot?
    /// The snapshot file of the current point, once a peer asked for it, and one being written.
    var servedSnapshot: Snapshot?
    var materializing: (point: InstanceNumber, task: Task<Snapshot, any Error>)?
    var compacting = false
    /// The log ticket of the latest checkpoint (`compactLog`): snapshots older than its point
    /// are deleted once it is durable.
    var checkpointTicket: UInt64 = 0
    var fetchingSnapshot = false
    var snapshotFetchFailedAt: ContinuousClock.Instant?
    /// Bumped by a reset: work on the history started before it is dropped.
    var historyEpoch: UInt64 = 0
    let eraStore: EraStore
    var era: UInt64
    let peers: [NodeID: PeerLink]
    var faults = FaultInjector()
    private let recoveredFileBytes: Int

    /// The order of effects (persist, then the rest; Readies in order; own messages after the
    /// Ready that sent them): the component the simulator runs too.
    var pipeline = ReadyPipeline()
    /// A task waits for the log's fsync: one at a time, for everything held when it started,
    /// so the actor wakes once per fsync batch rather than once per Ready.
    var awaitingDurability = false
    /// `paxos.peer` calls waiting to be answered until the Readies they made (up to the ticket)
    /// are performed, so that the answer carries the messages those produced for the caller.
    var answerWaiters: [(ticket: UInt64, continuation: CheckedContinuation<Void, Never>)] = []

    /// What the shell must do at a due time: fire a core timer, or end a client's wait.
    enum Alarm: Hashable, Sendable {
        case timer(TimerID)
        case deadline(RequestID)
    }
    var alarms = TimerQueue<Alarm>()
    /// The loop's one scheduled task for the earliest alarm, and when it fires.
    var sleeper: (due: ContinuousClock.Instant, task: Scheduled<Void>)?
    /// The leader as the last heartbeat saw it, for the log line when it changes.
    var leaderSeen: (leader: NodeID, leading: Bool)?

    /// A waiting client gets the core's reply, or a fault when the shell gives up on it (stop, reset).
    var waiters: [RequestID: CheckedContinuation<Result<ClientReply, XMLRPCFault>, Never>] = [:]
    var nextRequest: RequestID = 1
    var stopping = false
    var draining = false
    /// A Ready's effects are being performed: no step may run now (`step`).
    var performing = false

    /// What happened here, for scenario printouts and diagrams: protocol steps and delivered
    /// messages, stamped with wall-clock time so several nodes' records can be merged.
    var observations: [Observation] = []
    private var observationSequence: UInt64 = 0

    public struct Observation: Sendable {
        public enum Kind: Sendable {
            case step(TraceEvent)
            case delivered(from: NodeID, Message)
        }
        public var sequence: UInt64
        public var timeNanoseconds: UInt64
        public var kind: Kind
    }

    init(loop: any EventLoop, cluster: ClusterConfiguration, member: ClusterConfiguration.Node, options: NodeOptions,
         recovered: DurableState, recoveredSnapshot: Snapshot? = nil, commitLog: GroupCommitLog, file: ReplicatedFile,
         snapshots: SnapshotStore, eraStore: EraStore, era: UInt64, signing: RequestSigning, metrics: NodeMetrics, logger: Logger,
         rejoiningAbove rejoinFloor: UInt64? = nil) {
        self.loop = loop
        self.loopExecutor = EventLoopTaskExecutor(loop)
        self.cluster = cluster
        self.member = member
        self.options = options
        self.logger = logger
        self.metrics = metrics
        // The same function builds the simulator's nodes: what the checkers test is what runs.
        var configuration = PaxosConfiguration.live(
            node: member.nodeID, members: cluster.members, phaseTimeoutMilliseconds: options.phaseTimeoutMilliseconds,
            heartbeatMilliseconds: options.heartbeatMilliseconds, backoff: options.backoff,
            randomSeed: UInt64.random(in: 1...UInt64.max))
        // The tail kept below the snapshot point is at most half the distance between points.
        configuration.snapshotTailInstances = min(configuration.snapshotTailInstances, options.snapshotIntervalInstances / 2)
        self.coreConfiguration = configuration
        self.core = PaxosNode(configuration: configuration, recovered: recovered, rejoiningAbove: rejoinFloor)
        self.commitLog = commitLog
        self.file = file
        self.snapshots = snapshots
        self.signing = signing
        self.recoveredSnapshot = recoveredSnapshot
        self.snapshotMetadata = recovered.compactedThrough == 0 ? []
            : [.compacted(through: recovered.compactedThrough, fileBytes: recovered.compactedFileBytes)]
                + recovered.appliedCommands.map { .appliedCommand($0.command, instance: $0.instance) }
        self.recoveredFileBytes = Int(recovered.compactedFileBytes)
        self.eraStore = eraStore
        self.era = era
        var peers: [NodeID: PeerLink] = [:]
        for node in cluster.nodes where node.id != member.id {
            peers[node.nodeID] = PeerLink(from: member.nodeID, to: node, members: cluster.members, valueBytesMax: options.valueBytesMax,
                                          executor: loopExecutor, signing: signing, metrics: metrics, logger: logger)
        }
        self.peers = peers
    }

    // MARK: - Life cycle

    /// Rebuilds the replicated file from the log if it is behind or damaged, then starts the core.
    func start() throws {
        for peer in peers.values { peer.deliverAnswers(to: self) }
        let rebuilt: Bool
        if let snapshot = recoveredSnapshot {
            rebuilt = try file.rebuild(snapshot: snapshot, store: snapshots, entries: core.fileEntries)
            // The log's checkpoint catches up with the snapshot the install left.
            compactLog(through: snapshot.instance, fileBytes: snapshot.fileByteCount)
            servedSnapshot = snapshot
        } else if core.compactedThrough > 0 {
            rebuilt = try file.rebuild(prefixBytes: recoveredFileBytes, through: core.compactedThrough, entries: core.fileEntries)
        } else {
            rebuilt = try file.rebuild(from: core.fileEntries)
        }
        if rebuilt {
            logger.notice("replicated file rebuilt from the log", metadata: ["file": "\(file.path)", "lines": "\(core.fileEntries.count)"])
        }
        for peer in peers.values { peer.setEra(era) }
        step { $0.onStart() }
        logger.notice("node started", metadata: [
            "incarnation": "\(core.incarnation)", "applied": "\(core.appliedThrough)", "era": "\(era)",
        ])
        if !core.isVoting {
            logger.notice("rebuilt node: learning only, until every other member has fenced its lost life (Rejoin)")
        }
    }

    /// Graceful stop: refuse new work, answer every waiting client, stop timers and peers.
    func stop() async {
        guard !stopping else { return }
        stopping = true
        for continuation in waiters.values {
            continuation.resume(returning: .failure(ApplicationFault.shuttingDown.fault("node \(member.id) is shutting down")))
        }
        waiters.removeAll()
        resumeAnswerWaiters(all: true)
        clearAlarms()
        for peer in peers.values { await peer.shutdown() }
        commitLog.close()
        logger.notice("node stopped")
    }

    public struct Status: Sendable {
        public var node: NodeID
        public var address: String
        public var applied: InstanceNumber
        public var highestChosen: InstanceNumber
        /// The snapshot point: instances up to here live in the file only (bounded history).
        public var snapshotPoint: InstanceNumber
        public var lines: Int
        public var file: String
        public var dataDirectory: String
        public var incarnation: UInt64
        public var era: UInt64
        public var pendingSubmits: Int
        public var activeProposals: Int
        /// The distinguished proposer as this node's failure detector sees it.
        public var leader: NodeID
        /// Whether this node leads (Multi-Paxos: its submits skip phase 1).
        public var leading: Bool
        /// The highest ballot round this node used or saw.
        public var ballotRound: UInt64
        /// The 99th percentile of the latest fsyncs, in seconds (nil before the first).
        public var fsyncP99Seconds: Double?
        public var uptimeSeconds: Double
        /// False while a rebuilt node fences its lost life or catches up (`Rejoin`).
        public var voting: Bool
    }

    public func status() -> Status {
        Status(node: member.nodeID, address: member.address, applied: core.appliedThrough,
               highestChosen: core.highestChosen, snapshotPoint: core.compactedThrough, lines: file.lineCount, file: file.path,
               dataDirectory: member.dataDirectory, incarnation: core.incarnation, era: era,
               pendingSubmits: core.pendingSubmitCount, activeProposals: core.activeProposals,
               leader: core.distinguishedProposer, leading: core.isLeading, ballotRound: core.highestRound,
               fsyncP99Seconds: metrics.recentFsyncP99.map { Double($0.nanoseconds) / 1e9 },
               uptimeSeconds: Double((ContinuousClock.now - startedAt).nanoseconds) / 1e9, voting: core.isVoting)
    }

    public func acceptorState(_ instance: InstanceNumber) -> AcceptorState? { core.acceptorState(instance) }
    public func chosenCommand(_ instance: InstanceNumber) -> Command? { core.chosenCommand(instance) }
    public var currentEra: UInt64 { era }

    public func observations(after sequence: UInt64) -> [Observation] {
        guard let first = observations.firstIndex(where: { $0.sequence > sequence }) else { return [] }
        return Array(observations[first...])
    }

    func record(_ events: [TraceEvent]) {
        metrics.traced(events)
        for event in events {
            observe(.step(event))
            // Debug, not info: a line per protocol step cost a formatted write (and glibc's
            // time-zone stat) on the path of every submit. `--log-level debug` shows them; the
            // lab reads them through admin.events.
            logger.debug("\(event)", metadata: ["node": "\(member.id)", "instance": "\(event.instance)"])
            if case .rejoined = event { logger.notice("rebuilt node votes again: \(event)") }
        }
    }

    func observe(_ kind: Observation.Kind) {
        observationSequence += 1
        observations.append(Observation(sequence: observationSequence, timeNanoseconds: Self.wallClockNanoseconds(), kind: kind))
        if observations.count > Self.observationsMax { observations.removeFirst(observations.count - Self.observationsMax / 2) }
    }

    /// Enough for the lab's scenarios, which poll every 20 ms; under load the buffer is full, so its size is
    /// memory the node always holds (about 1 KB per observation with its strings).
    static let observationsMax = 4_096

    static func wallClockNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    func checkServing() throws {
        if stopping { throw ApplicationFault.shuttingDown.fault("node \(member.id) is shutting down") }
    }

    func checkValue(_ value: String) throws {
        if let violation = ValueRules.check(value, valueBytesMax: options.valueBytesMax) {
            throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "invalid value: \(violation)")
        }
    }

    /// An I/O error on the log leaves the node unable to keep its promises: stop at once rather
    /// than answer anything more (the lesson of "fsyncgate").
    func failStop(_ message: String) -> Never {
        logger.critical("\(message); stopping the node")
        FileHandle.standardError.write(Data("paxos node \(member.id): \(message); stopping\n".utf8))
        exit(70)
    }

    static func fault(for failure: SubmitFailure) -> XMLRPCFault {
        switch failure {
        case .noQuorum: return ApplicationFault.noQuorum.fault(failure.description)
        case .outcomeUnknown: return ApplicationFault.outcomeUnknown.fault(failure.description)
        case .overloaded: return ApplicationFault.overloaded.fault(failure.description)
        case .compacted: return ApplicationFault.compacted.fault(failure.description)
        }
    }
}
