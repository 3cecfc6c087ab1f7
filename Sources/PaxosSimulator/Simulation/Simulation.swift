import PaxosCore

/// One run of a whole cluster: the real cores, a simulated network, disks, clients and clock, all
/// driven by one seeded generator. `Simulation(seed:options:).run()` is a pure function of its
/// arguments: the same seed and options replay the same events in the same order.
///
/// A run has two phases. For `options.steps` events, faults are injected as the fault mix allows.
/// Then the faults stop: links heal, crashed nodes restart, a few last submits are made, and the
/// cluster must settle (every request answered, every calm submit chosen, every node's file equal)
/// within `options.livenessBoundMilliseconds` of simulated time.
final class Simulation {
    // A run is one thread's work and no access to these properties spans a call that could
    // reach them again (the whole suite ran clean with the checks on): their dynamic
    // exclusivity checks, several per event and about 6% of a run, are switched off.
    let seed: UInt64
    let options: SimulationOptions
    @exclusivity(unchecked) var random: SplitMix64
    @exclusivity(unchecked) var now: SimulatedTime = 0
    @exclusivity(unchecked) var queue = EventQueue<SimulationEvent>()
    @exclusivity(unchecked) var nodes: [SimulatedNode] = []
    @exclusivity(unchecked) var checker: InvariantChecker
    @exclusivity(unchecked) var figures = RunFigures()
    @exclusivity(unchecked) var trace: TraceRecorder?
    /// With a clock (`paxos simulate --cost`): the time each event takes, by kind and phase.
    let costClock: (@Sendable () -> UInt64)?
    @exclusivity(unchecked) var cost = SimulationCost()
    // Faults.
    @exclusivity(unchecked) var faultsActive = true
    /// Cut links, indexed `from * nodes + to`.
    @exclusivity(unchecked) var linkCut: [Bool]
    /// What each node queued for each peer and its call in flight, indexed `from * nodes + to`
    /// (`SimulationOptions.peerCalls`).
    @exclusivity(unchecked) var peerQueues: [PeerQueue]
    @exclusivity(unchecked) var partitionNumber = 0
    @exclusivity(unchecked) var syncMicroseconds: UInt64
    /// The fault mix as plain switches: asked for on every message, where a `Set` lookup costs a hash.
    let dropFaults, duplicateFaults, reorderFaults, delayFaults, partitionFaults, crashFaults, tornFaults: Bool
    /// `Fault.amnesia`: some crashes also lose the disk.
    let amnesiaFaults: Bool
    let staleFaults, contendFaults: Bool
    /// `Fault.stall`: some fsyncs take far longer (`syncDuration`).
    let stallFaults: Bool
    /// The last messages sent, from which the `stale` fault replays one long after.
    @exclusivity(unchecked) var recentEnvelopes: [Envelope] = []
    @exclusivity(unchecked) var recentNext = 0
    @exclusivity(unchecked) var recentCounter = 0
    static let recentEnvelopesMax = 64
    /// Whether the mix has any fault at all.
    let anyFaults: Bool

    // Clients.
    @exclusivity(unchecked) var nextRequest: RequestID = 1
    @exclusivity(unchecked) var requests = ClientRequests()
    @exclusivity(unchecked) var calmSubmitsAcknowledged = 0
    @exclusivity(unchecked) var calmStartedAt: SimulatedTime?
    /// The node meant to stay down after the faults waits for a rebuilt node to vote again.
    @exclusivity(unchecked) var calmCrashPending = false

    init(seed: UInt64, options: SimulationOptions, tracing: Bool = false, costClock: (@Sendable () -> UInt64)? = nil) {
        precondition(SimulationOptions.nodesRange.contains(options.nodes), "a simulated cluster has \(SimulationOptions.nodesRange) nodes")
        self.seed = seed
        self.options = options
        self.costClock = costClock
        self.random = SplitMix64(seed: seed)
        self.checker = InvariantChecker(nodes: options.nodes)
        self.linkCut = Array(repeating: false, count: options.nodes * options.nodes)
        self.peerQueues = Array(repeating: PeerQueue(), count: options.nodes * options.nodes)
        let faults = options.faults
        dropFaults = faults.contains(.drop)
        duplicateFaults = faults.contains(.duplicate)
        reorderFaults = faults.contains(.reorder)
        delayFaults = faults.contains(.delay)
        partitionFaults = faults.contains(.partition)
        crashFaults = faults.contains(.crash)
        tornFaults = faults.contains(.torn)
        amnesiaFaults = faults.contains(.amnesia)
        staleFaults = faults.contains(.stale)
        contendFaults = faults.contains(.contend)
        stallFaults = faults.contains(.stall)
        anyFaults = !faults.faults.isEmpty
        // Without crashes nobody can tell an fsync from an instant one: skip the event.
        self.syncMicroseconds = crashFaults ? options.syncMicroseconds : 0
        if tracing { trace = TraceRecorder(stepsMax: options.traceStepsMax) }
        let members = (1...options.nodes).map { NodeID(UInt32($0)) }
        for member in members {
            // The live node's configuration (self-delivery through the shell included), with
            // the simulation's timings: the checkers test what runs.
            var configuration = PaxosConfiguration.live(
                node: member, members: members,
                phaseTimeoutMilliseconds: options.phaseTimeoutMilliseconds,
                heartbeatMilliseconds: options.heartbeatMilliseconds,
                backoff: options.backoff, randomSeed: random.next())
            configuration.mutations = options.mutations
            configuration.snapshotTailInstances = options.snapshotTailInstances
            nodes.append(SimulatedNode(configuration: configuration, disk: Self.makeDisk(options.disk)))
        }
    }

    func run() -> SimulationResult {
        for index in nodes.indices {
            trace?.beginStep(at: now, "S\(index + 1) starts")
            absorb(nodes[index].core.onStart(), node: index)
        }
        scheduleNextSubmit()
        if partitionFaults { schedulePartition() }
        if crashFaults { scheduleCrash() }
        if contendFaults { scheduleContention() }
        if options.readIntervalMicroseconds > 0 { scheduleNextRead() }

        while checker.violation == nil, let time = queue.firstTime {
            now = time
            figures.events += 1
            if let costClock {
                handleMeasured(queue.removeFirst(), clock: costClock)
            } else {
                handle(queue.removeFirst())
            }
            if figures.events == options.steps {
                cost.setDecisions(checker.decisions, in: .faults)
                stopFaults()
            }
            if calmCrashPending { crashCalmNodeOnceOthersVote() }
            if calmStartedAt != nil, isSettled {
                checker.checkAcknowledgedValuesAreInFiles()
                checker.checkFileMatchesChosen()
                break
            }
            if let calmStart = calmStartedAt, now - calmStart > .milliseconds(options.livenessBoundMilliseconds) {
                checker.fail(.liveness, unsettledReason)
                break
            }
            if figures.events >= options.eventsMax {
                checker.fail(.liveness, "the run did not settle within \(options.eventsMax) events; \(unsettledReason)")
                break
            }
        }
        if checker.violation == nil && calmStartedAt == nil {
            checker.fail(.liveness, "the run ran out of events before its \(options.steps) steps")
        }
        figures.decisions = checker.decisions
        cost.setDecisions(checker.decisions - cost.decisions[SimulationCost.Phase.faults.rawValue], in: .calm)
        figures.coverage.count(.noopChosen, checker.noopsChosen)
        figures.coverage.count(.commandChosenTwice, checker.commandsChosenTwice)
        figures.simulatedMicroseconds = now
        let violation = checker.violation.map {
            Violation(property: $0.property, detail: $0.detail, step: figures.events, simulatedMicroseconds: now)
        }
        return SimulationResult(seed: seed, options: options, figures: figures, violation: violation,
                                trace: trace?.steps ?? [], cost: costClock == nil ? nil : cost)
    }

    /// `handle`, timed by the caller's clock: the phase is the one the event happens in (the
    /// faults stop after the last faulty step is handled).
    private func handleMeasured(_ event: SimulationEvent, clock: () -> UInt64) {
        let kind = SimulationCost.Kind(event)
        let phase: SimulationCost.Phase = faultsActive ? .faults : .calm
        let started = clock()
        handle(event)
        cost.add(kind, in: phase, nanoseconds: clock() &- started)
    }

    private func handle(_ event: SimulationEvent) {
        switch event {
        case .deliver(let envelope):
            deliver(envelope)
        case .peerCall(let call):
            arrive(call)
        case .peerAnswer(let answer):
            arrive(answer)
        case .timer(let node, let life, let timer):
            fireTimer(node: node, life: life, timer)
        case .syncDone(let node, let life):
            finishSync(node: node, life: life)
        case .submit:
            submitAtRandomNode()
        case .deadline(let node, let life, let request):
            expire(request, node: node, life: life)
        case .crashSomeNode:
            crashSomeNode()
        case .restart(let node):
            // A node meant to stay down after the faults does not come back on a late timer.
            if faultsActive || node != options.calmNodeDown { restart(node) }
        case .partitionStart:
            startPartition()
        case .partitionHeal(let partition):
            healPartition(partition)
        case .contend:
            proposeContended()
        case .read:
            readAtRandomNode()
        case .snapshotArrives(let node, let life, let peer):
            snapshotArrives(node: node, life: life, from: peer)
        case .snapshotChunkSynced(let node, let life):
            snapshotChunkSynced(node: node, life: life)
        case .snapshotStored(let node, let life):
            installStoredSnapshot(node: node, life: life)
        case .compactionDue(let node, let life, let point, let lines):
            finishCompaction(node: node, life: life, point: point, lines: lines)
        case .crashDuringInstall(let node, let life):
            crashDuringInstall(node: node, life: life)
        case .crashBeforeSynced(let node, let life, let ticket, let window):
            crashBeforeSynced(node: node, life: life, ticket: ticket, window: window)
        }
    }

    static func makeDisk(_ kind: SimulationOptions.Disk) -> any SimulatedDisk {
        switch kind {
        case .records:
            return RecordDisk()
        case .writeAheadLog:
            do { return try WALDisk() } catch { preconditionFailure("a fresh in-memory log failed to open: \(error)") }
        }
    }

    /// Uniform in `range` (bounds included), from the run's generator.
    func randomValue(in range: ClosedRange<UInt64>) -> UInt64 {
        range.lowerBound + random.next() % (range.upperBound - range.lowerBound + 1)
    }

    func happens(perMille: UInt64) -> Bool { random.next() % 1_000 < perMille }
}
