import Foundation
import Logging
import NIOCore
import PaxosCore
import PaxosStorage
import XMLRPC

/// The shell around one `PaxosNode` (DESIGN.md section 2): feeds it events one at a time and
/// performs the effects of each `Ready` in order — records made durable by the group-commit log
/// first, then messages, replies, file lines and timers. Being an actor serializes the core.
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

    // Internal rather than private: the history extension (NodeRuntime+History) works on them.
    var core: PaxosNode
    private let coreConfiguration: PaxosConfiguration
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
    var fetchingSnapshot = false
    var snapshotFetchFailedAt: ContinuousClock.Instant?
    /// Bumped by a reset: work on the history started before it is dropped.
    var historyEpoch: UInt64 = 0
    private let eraStore: EraStore
    private var era: UInt64
    private let peers: [NodeID: PeerLink]
    private var faults = FaultInjector()
    private let recoveredFileBytes: Int

    /// The order of effects (persist, then the rest; Readies in order; own messages after the
    /// Ready that sent them): the component the simulator runs too.
    private var pipeline = ReadyPipeline()
    /// A task waits for the log's fsync: one at a time, for everything held when it started,
    /// so the actor wakes once per fsync batch rather than once per Ready.
    private var awaitingDurability = false

    /// What the shell must do at a due time: fire a core timer, or end a client's wait.
    enum Alarm: Hashable, Sendable {
        case timer(TimerID)
        case deadline(RequestID)
    }
    private var alarms = TimerQueue<Alarm>()
    /// The loop's one scheduled task for the earliest alarm, and when it fires.
    private var sleeper: (due: ContinuousClock.Instant, task: Scheduled<Void>)?
    /// The leader as the last heartbeat saw it, for the log line when it changes.
    private var leaderSeen: (leader: NodeID, leading: Bool)?

    /// A waiting client gets the core's reply, or a fault when the shell gives up on it (stop, reset).
    private var waiters: [RequestID: CheckedContinuation<Result<ClientReply, XMLRPCFault>, Never>] = [:]
    private var nextRequest: RequestID = 1
    var stopping = false
    private var draining = false

    /// What happened here, for scenario printouts and diagrams: protocol steps and delivered
    /// messages, stamped with wall-clock time so several nodes' records can be merged.
    private var observations: [Observation] = []
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
            peers[node.nodeID] = PeerLink(from: member.nodeID, to: node, executor: loopExecutor, signing: signing, metrics: metrics, logger: logger)
        }
        self.peers = peers
    }

    // MARK: - Life cycle

    /// Rebuilds the replicated file from the log if it is behind or damaged, then starts the core.
    func start() throws {
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
        clearAlarms()
        for peer in peers.values { await peer.shutdown() }
        commitLog.close()
        logger.notice("node stopped")
    }

    // MARK: - Client requests

    public struct Submitted: Sendable {
        public var instance: InstanceNumber
        public var value: String
    }

    /// - Parameter clientCommand: the identity of a client-named request (`ClientRequestID`).
    public func submit(_ value: String, clientCommand: CommandID? = nil) async throws -> Submitted {
        try checkServing()
        try checkValue(value)
        switch try await request({ core, request in core.onSubmit(request: request, value: value, clientCommand: clientCommand) }) {
        case .submitted(_, let instance, let value):
            return Submitted(instance: instance, value: value)
        case .appliedEarlier(_, let instance):
            // A retry of a request applied below the snapshot point: its line is in the file.
            guard let line = try? file.entries(from: instance, limit: 1).first, line.instance == instance else {
                throw Self.fault(for: .outcomeUnknown)
            }
            return Submitted(instance: instance, value: line.value)
        case .failed(_, let failure):
            throw Self.fault(for: failure)
        case .proposed, .readable:
            preconditionFailure("a submit is answered as a submit")
        }
    }

    public struct Proposed: Sendable {
        public var instance: InstanceNumber
        public var chosen: Command
        public var ours: Bool
    }

    public func propose(instance: InstanceNumber, value: String, minimumRound: UInt64) async throws -> Proposed {
        try checkServing()
        try checkValue(value)
        guard instance >= 1 else { throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "instances are numbered from 1") }
        let answer = try await request { core, request in
            core.onPropose(request: request, instance: instance, value: value, minimumRound: minimumRound)
        }
        switch answer {
        case .proposed(_, let instance, let chosen, let ours):
            return Proposed(instance: instance, chosen: chosen, ours: ours)
        case .failed(_, let failure):
            throw Self.fault(for: failure)
        case .submitted, .readable, .appliedEarlier:
            preconditionFailure("a propose is answered as a propose")
        }
    }

    /// The applied instances from `start` on, as this node has them (a local read: it may miss
    /// what was chosen elsewhere and not yet learned here).
    public nonisolated func read(from start: InstanceNumber) async throws -> [FileEntry] {
        try entries(await fileReader(), from: start)
    }

    /// A linearizable read: the applied instances from `start` on, once this node has applied
    /// every value that was acknowledged anywhere before the call began (`ReadQuorums`).
    public nonisolated func linearizableRead(from start: InstanceNumber) async throws -> [FileEntry] {
        try entries(await readableFile(), from: start)
    }

    /// The file once the core said a linearizable read may be answered (`ReadQuorums`).
    private func readableFile() async throws -> ReplicatedFileReader {
        try checkServing()
        switch try await request({ core, request in core.onRead(request: request) }) {
        case .readable:
            return file.reader
        case .failed(_, let failure):
            throw Self.fault(for: failure)
        case .submitted, .proposed, .appliedEarlier:
            preconditionFailure("a read is answered as a read")
        }
    }

    /// At most this many lines per read: a client pages with `from` (README, XML-RPC methods).
    public static let readEntriesMax = 10_000

    private func fileReader() -> ReplicatedFileReader { file.reader }

    /// From the replicated file on disk (the node keeps no old line in memory), off the actor:
    /// the reader covers every line a reply of this node has announced, since replies follow
    /// the lines in a Ready, and those lines never change.
    private nonisolated func entries(_ reader: ReplicatedFileReader, from start: InstanceNumber) throws -> [FileEntry] {
        do {
            return try reader.entries(from: max(start, 1), limit: Self.readEntriesMax)
        } catch {
            logger.error("cannot read the replicated file", metadata: ["error": "\(error)"])
            throw XMLRPCFault(code: XMLRPCFault.internalError, message: "cannot read the replicated file: \(error)")
        }
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

    // MARK: - Peers

    /// Messages from a peer of the same era (a reset starts a new era; older messages are stale).
    public func receive(from sender: NodeID, era senderEra: UInt64, messages: [Message]) {
        guard !stopping, senderEra == era, sender != member.nodeID else { return }
        // Every message of the call is a step of its own, but their records go to the log in
        // one write (one ticket), and their effects wait for one fsync.
        var readies: [Ready] = []
        readies.reserveCapacity(messages.count)
        for message in messages {
            if message.isProtocolStep { observe(.delivered(from: sender, message)) }
            if case .catchUpReply(let entries) = message { metrics.received(catchUpEntries: entries.count) }
            let ready = core.onMessage(from: sender, message)
            record(ready.trace)
            readies.append(ready)
        }
        hand(readies)
    }

    // MARK: - Reset (the lab's "restart")

    /// Empties this node: log (keeping the incarnation, so command ids stay unique), file, and
    /// state; every waiting client is told. Afterwards the node lives in `newEra`.
    public func resetLocal(era newEra: UInt64) async throws {
        try checkServing()
        clearAlarms()
        for continuation in waiters.values {
            continuation.resume(returning: .failure(ApplicationFault.resetDuringRequest.fault("the cluster was reset while this request waited")))
        }
        waiters.removeAll()
        pipeline.removeAll()
        for peer in peers.values { peer.clear() }
        faults.clear()
        let incarnation = core.incarnation
        try commitLog.reset(keepingIncarnation: incarnation)
        try file.reset()
        historyEpoch += 1
        snapshotMetadata = []
        servedSnapshot = nil
        try snapshots.removeSnapshots(olderThan: .max)
        try eraStore.write(newEra)
        era = newEra
        for peer in peers.values { peer.setEra(newEra) }
        var recovered = DurableState()
        recovered.incarnation = incarnation
        core = PaxosNode(configuration: coreConfiguration, recovered: recovered)
        observations.removeAll()
        step { $0.onStart() }
        logger.notice("node reset", metadata: ["era": "\(newEra)"])
    }

    // MARK: - Fault injection (admin)

    public func addFaultRule(action: String, to: NodeID?, type: String?, instance: InstanceNumber?) throws -> Int {
        guard let action = FaultInjector.Action(rawValue: action) else {
            throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "action must be one of: drop, hold")
        }
        if let type, !Self.messageKinds.contains(type) {
            throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "type must be one of: \(Self.messageKinds.joined(separator: ", "))")
        }
        guard let id = faults.add(action: action, to: to, type: type, instance: instance) else {
            throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "too many fault rules (at most \(FaultInjector.rulesMax))")
        }
        return id
    }

    /// Sends what the rule held (without removing it); with `remove`, the rule goes too. Returns how many were released.
    public func releaseFaultRule(_ id: Int?, remove: Bool) -> Int {
        let released = remove ? faults.remove(rule: id) : faults.release(rule: id)
        deliver(released)
        drain()
        return released.count
    }

    public var heldMessages: Int { faults.held.count }

    /// Every rule with how many messages it holds now.
    public func faultRules() -> [(rule: FaultInjector.Rule, held: Int)] {
        faults.rules.map { rule in (rule, faults.held.filter { $0.rule == rule.id }.count) }
    }

    /// Removes every rule and throws away what they held.
    public func clearFaults() {
        faults.clear()
    }

    /// The lecture's livelock needs proposers that retry at once; everything else wants backoff.
    public func setTiming(backoff: PaxosConfiguration.Backoff, phaseTimeoutMilliseconds: UInt64) {
        core.setTiming(backoff: backoff, phaseTimeoutMilliseconds: phaseTimeoutMilliseconds)
    }

    static let messageKinds = ["prepare", "promise", "accept", "accepted", "nack", "learn", "forward", "status", "catchUpRequest", "catchUpReply"]

    // MARK: - The effect loop

    /// Messages pass the fault filter, then go to their peer; messages to this node come back
    /// as events (after the drain that sent them, never inside it).
    private func send(_ envelopes: [Envelope]) {
        let admitted = envelopes.filter { faults.admit($0) }
        metrics.filtered(envelopes.count - admitted.count)
        deliver(admitted)
    }

    private func deliver(_ envelopes: [Envelope]) {
        var byPeer: [NodeID: [Message]] = [:]
        var order: [NodeID] = []
        var ownMessages = false
        for envelope in envelopes {
            if envelope.to == member.nodeID {
                pipeline.addOwnMessage(envelope.message)
                ownMessages = true
                continue
            }
            if byPeer[envelope.to] == nil { order.append(envelope.to) }
            byPeer[envelope.to, default: []].append(envelope.message)
        }
        for peer in order { peers[peer]?.enqueue(byPeer[peer]!) }
        if ownMessages { drain() }
    }

    /// Runs one event through the core and hands its Ready to the pipeline behind its records.
    func step(_ event: (inout PaxosNode) -> Ready) {
        let ready = event(&core)
        record(ready.trace)
        metrics.appended(records: ready.persist.count + ready.persistEventually.count)
        var persistTicket: UInt64? = nil
        do {
            if !ready.persist.isEmpty { persistTicket = try commitLog.append(ready.persist) }
            // Written after, in log order, and never waited for (`Ready.persistEventually`): no
            // fsync of their own, which the next step's records would wait behind.
            if !ready.persistEventually.isEmpty { _ = try commitLog.appendLazily(ready.persistEventually) }
        } catch {
            failStop("cannot append to the log: \(error)")
        }
        if let now = addToPipeline(ready, persistTicket: persistTicket) { perform(now) }
        drain()
    }

    /// `step` for the Readies of several events taken in a row: their records are written
    /// together, under one ticket, which every Ready with records waits for. A Ready is never
    /// performed before its own records are durable, nor before an earlier one: the pipeline's
    /// order is the same as for single steps, only the log writes fewer times.
    private func hand(_ readies: [Ready]) {
        let records = ReadyPipeline.records(of: readies)
        metrics.appended(records: records.persist.count + records.eventually.count)
        var ticket: UInt64? = nil
        do {
            if !records.persist.isEmpty { ticket = try commitLog.append(records.persist) }
            if !records.eventually.isEmpty { _ = try commitLog.appendLazily(records.eventually) }
        } catch {
            failStop("cannot append to the log: \(error)")
        }
        let performable = addToPipeline(batch: readies, persistTicket: ticket)
        // Own messages that performing one of these sends wait until all are performed: their
        // steps come after every step of this call.
        let wasDraining = draining
        draining = true
        perform(performable)
        draining = wasDraining
        drain()
    }

    /// Performs whatever the pipeline releases (effects of durable Readies, messages to this
    /// node) until it must wait for the disk. Never nested: a step taken for an own message
    /// only adds to the pipeline, and this loop goes on.
    private func drain() {
        guard !draining else { return }
        draining = true
        while true {
            var durable: [Ready] = []
            while let ready = takeDurableReady() { durable.append(ready) }
            if !durable.isEmpty {
                perform(durable)
                continue
            }
            guard let message = takeOwnMessage() else { break }
            if message.isProtocolStep { observe(.delivered(from: member.nodeID, message)) }
            step { $0.onMessage(from: member.nodeID, message) }
        }
        draining = false
        awaitDurability()
    }

    // Each access to the pipeline in a function of its own: written inline as
    // `if let … = pipeline.takeReady(…) { perform } else if let … = pipeline.takeOwnMessage()`,
    // the optimized build merged the two accesses into one scope and a later access on the
    // same thread was reported as simultaneous ("Fatal access conflict"), a crash only the
    // release build showed.
    @inline(never)
    private func addToPipeline(_ ready: Ready, persistTicket: UInt64?) -> Ready? {
        let durable = commitLog.durableTicket
        return pipeline.add(ready, persistTicket: persistTicket, durableTicket: durable)
    }

    @inline(never)
    private func addToPipeline(batch readies: [Ready], persistTicket: UInt64?) -> [Ready] {
        let durable = commitLog.durableTicket
        return pipeline.add(batch: readies, persistTicket: persistTicket, durableTicket: durable)
    }

    @inline(never)
    private func takeDurableReady() -> Ready? {
        let durable = commitLog.durableTicket
        return pipeline.takeReady(durableTicket: durable)
    }

    @inline(never)
    private func takeOwnMessage() -> Message? {
        pipeline.takeOwnMessage()
    }

    private func awaitDurability() {
        guard !awaitingDurability, let ticket = pipeline.awaitedTicket(durableTicket: commitLog.durableTicket) else { return }
        awaitingDurability = true
        // On the loop: the log's (nonisolated) wait resumes there, straight from the fsync
        // thread, rather than through a thread of Swift's global executor first.
        Task(executorPreference: loopExecutor) {
            var failure: (any Error)? = nil
            do {
                try await self.commitLog.waitUntilDurable(ticket)
            } catch {
                failure = error
            }
            await self.durabilityReached(failure: failure)
        }
    }

    private func durabilityReached(failure: (any Error)?) {
        if let failure { failStop("cannot make the log durable: \(failure)") }
        awaitingDurability = false
        drain()
    }

    /// Readies released together: their lines go to the file in one write, before any of
    /// their effects (a reply announces a line that is in the file), then each is performed.
    private func perform(_ readies: [Ready]) {
        if readies.count == 1 { return perform(readies[0]) }
        var lines: [FileEntry] = []
        for ready in readies { lines += ready.applied }
        writeLines(lines)
        for ready in readies { perform(ready, linesWritten: true) }
    }

    private func perform(_ ready: Ready, linesWritten: Bool = false) {
        if !linesWritten { writeLines(ready.applied) }
        if let offer = ready.snapshotWanted { fetchSnapshot(offer) }
        if !ready.messages.isEmpty {
            send(ready.messages)
        }
        for reply in ready.replies {
            alarms.cancel(.deadline(reply.request))
            waiters.removeValue(forKey: reply.request)?.resume(returning: .success(reply))
        }
        for timer in ready.timers {
            switch timer {
            case .set(let id, let milliseconds): arm(.timer(id), afterMilliseconds: milliseconds)
            case .cancel(let id): alarms.cancel(.timer(id))
            }
        }
    }

    private func writeLines(_ applied: [FileEntry]) {
        guard !applied.isEmpty else { return }
        // Lines a snapshot installed meanwhile already holds are not written again.
        let last = file.lastInstance ?? 0
        let lines = applied[0].instance > last ? applied : applied.filter { $0.instance > last }
        do {
            try file.append(lines)
        } catch {
            // The file is a view of the log: the next start rebuilds it.
            logger.error("cannot append to the replicated file: \(error)", metadata: ["file": "\(file.path)"])
        }
        compactIfDue()
    }

    // MARK: - Alarms

    private func arm(_ alarm: Alarm, afterMilliseconds milliseconds: UInt64) {
        let due = ContinuousClock.now + .milliseconds(Int64(clamping: milliseconds))
        alarms.schedule(alarm, at: due)
        wakeSleeper()
    }

    /// Makes the sleeper fire by the earliest alarm: rescheduled only when that is sooner than
    /// it fires now (a client's deadline, seconds ahead, never is while the heartbeat runs).
    private func wakeSleeper() {
        guard let earliest = alarms.earliest else { return }
        if let sleeper, sleeper.due <= earliest { return }
        sleeper?.task.cancel()
        // A timer of the node's own loop: it fires there, waking no other thread.
        let delay = TimeAmount.nanoseconds(max(0, (earliest - ContinuousClock.now).nanoseconds))
        let task = loop.scheduleTask(in: delay) {
            self.assumeIsolated { $0.ring(sleeperDue: earliest) }
        }
        sleeper = (earliest, task)
    }

    private func ring(sleeperDue: ContinuousClock.Instant) {
        guard sleeper?.due == sleeperDue else { return }  // replaced by a sooner one
        sleeper = nil
        let now = ContinuousClock.now
        while !stopping, let alarm = alarms.popNextDue(now: now) {
            switch alarm {
            case .timer(let id):
                step { $0.onTimer(id) }
                if id == .heartbeat { onHeartbeatDone() }
            case .deadline(let request):
                if waiters[request] != nil { step { $0.onDeadline(request: request) } }
            }
        }
        wakeSleeper()
    }

    /// After a heartbeat: the metrics' view of the node, and a log line when the leader changed.
    private func onHeartbeatDone() {
        metrics.refresh(core: core, walBytes: commitLog.logSizeBytes)
        let leader = core.distinguishedProposer, leading = core.isLeading
        if let seen = leaderSeen, seen.leader != leader || seen.leading != leading {
            logger.info(leading ? "this node leads" : "the leader is node \(leader)", metadata: [
                "leader": "\(leader)", "previousLeader": "\(seen.leader)", "applied": "\(core.appliedThrough)",
            ])
        }
        leaderSeen = (leader, leading)
    }

    private func clearAlarms() {
        alarms.removeAll()
        sleeper?.task.cancel()
        sleeper = nil
    }

    /// Registers a waiting client, runs the event, and arms the deadline.
    private func request(_ event: (inout PaxosNode, RequestID) -> Ready) async throws -> ClientReply {
        let request = nextRequest
        nextRequest += 1
        let deadline = options.requestDeadlineMilliseconds
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<ClientReply, XMLRPCFault>, Never>) in
            waiters[request] = continuation
            arm(.deadline(request), afterMilliseconds: deadline)
            step { event(&$0, request) }
        }
        return try outcome.get()
    }

    private func record(_ events: [TraceEvent]) {
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

    private func observe(_ kind: Observation.Kind) {
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

    private func checkServing() throws {
        if stopping { throw ApplicationFault.shuttingDown.fault("node \(member.id) is shutting down") }
    }

    private func checkValue(_ value: String) throws {
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
