import PaxosCore

/// The interesting things a run made happen, counted: a seed that never contests an instance
/// cannot find a bug that lives in contested instances, so the counts say what the seeds
/// actually exercised (and a test fails if a fault mix stops producing one of them).
public enum CoverageEvent: Int, CaseIterable, Hashable, Sendable {
    /// Step 4: a proposer gave up its own value for one a promise reported.
    case valueAdopted
    /// A Prepare or an Accept refused (Nack), Basic or range.
    case nack
    /// A proposer preempted by a higher ballot, or timed out, and starting again higher.
    case proposerPreempted
    case proposerTimedOut
    case leadershipGained
    /// A leadership ended by a higher ballot (as opposed to a lost majority or a timeout).
    case leadershipPreempted
    case leadershipLost
    /// Values a new leader proposed again after its range promise reported them.
    case reproposedAfterRangePromise
    /// A Promise or Accepted of a ballot older than the addressee's latest arrived.
    case staleAnswerArrived
    case decisionAnnounced
    case catchUpReplied
    case noopChosen
    case commandChosenTwice
    case deadlinePassed
    case contestedInstance
    case staleMessageReplayed
    case crashWithUnsyncedWrites
    case tornWriteRecovered
    /// A crash tore a log write holding several steps' records (the fsync thread writes all that
    /// was staged since it last ran, in one write, as live).
    case tornWriteOfSeveralSteps
    case selfMessageDelivered
    /// A failed submit retried at another node under its request id.
    case namedSubmitRetried
    /// A linearizable read answered, and one that had to wait for its node to catch up.
    case linearizableReadAnswered
    case linearizableReadWaited
    /// A node rebuilt after losing its disk fenced its lost life and votes again (`Fault.amnesia`).
    case rejoinCompleted
    case snapshotTaken
    case snapshotInstalled
    /// A snapshot install (transfer, stored file, or checkpoint not yet synced) cut by a crash.
    case crashDuringSnapshotInstall
    /// A start-up found a snapshot transfer the crash cut short, its last chunk maybe torn (or a
    /// snapshot file unfit, deleted), and did not use it.
    case tornSnapshotIgnoredAtStart
    /// A start-up used a stored snapshot newer than its log's point (a crash after the store,
    /// before the checkpoint was synced).
    case startedFromStoredSnapshot
    /// A transfer cut by a crash resumed from its partial file.
    case snapshotTransferResumed
    /// A received snapshot failed its checksum (a torn piece held garbage) and was deleted.
    case snapshotRefused
    /// A peer call carried several messages, taken as one step with one log write
    /// (`SimulationOptions.peerCalls`).
    case peerCallBatched
    /// An answer to a peer call carried messages back to the caller (`PeerQueue.takeAnswer`).
    case answerCarriedMessages
    /// A peer call waited until the answer to the receiver's own call, which it names, was taken.
    case callWaitedForAnswer
    /// A snapshot point moved behind what its node had applied meanwhile (the file's sync
    /// took a while, as live).
    case snapshotPointBehindApplied
    /// An fsync that took 10 to 1,000 times its usual time (`Fault.stall`).
    case syncStalled
    /// A snapshot point moved while the checkpoint of a snapshot installed (or started from)
    /// before it was not durable yet (a crash is aimed at the window: a restart needs the
    /// stored snapshot).
    case snapshotPointOverUnsyncedInstall
    /// A rebuilt node voted again before the checkpoint of the snapshot that caught it up was
    /// durable (a restart then finds its votes only through the stored snapshot).
    case votingBeforeInstallCheckpointSynced
    /// A snapshot point past a snapshot the node installed or restarted from, whose deletion
    /// follows once this point's checkpoint is durable.
    case snapshotPointOverStoredSnapshot
    /// A rebuilt node crashed (aimed) before the checkpoint of such a point was durable.
    case crashBeforeCheckpointOverStoredSnapshot
    /// A rebuilt node crashed (aimed) before the checkpoint of a snapshot it just installed was
    /// durable: it restarts from the stored snapshot.
    case crashBeforeInstallCheckpointOfRebuiltNode
    /// The faults stopped with no submit to follow, and the leader crashed (aimed) while it held
    /// decisions not yet durable (`Simulation.stopFaults`).
    case leaderCrashedAsFaultsStop
}

extension CoverageEvent {
    public var name: String {
        switch self {
        case .valueAdopted: return "values adopted (step 4)"
        case .nack: return "nacks"
        case .proposerPreempted: return "proposers preempted"
        case .proposerTimedOut: return "proposers timed out"
        case .leadershipGained: return "leaderships gained"
        case .leadershipPreempted: return "leaderships preempted"
        case .leadershipLost: return "leaderships lost otherwise"
        case .reproposedAfterRangePromise: return "re-proposals after a range promise"
        case .staleAnswerArrived: return "answers of an older ballot arriving"
        case .decisionAnnounced: return "decisions learned from a later Accept"
        case .catchUpReplied: return "catch-up replies with values"
        case .noopChosen: return "no-ops chosen (gaps filled)"
        case .commandChosenTwice: return "commands chosen in two instances (applied once)"
        case .deadlinePassed: return "client deadlines passed (proposers dropped)"
        case .contestedInstance: return "instances proposed by several nodes at once"
        case .staleMessageReplayed: return "old messages replayed late"
        case .crashWithUnsyncedWrites: return "crashes losing unsynced writes"
        case .tornWriteRecovered: return "torn writes recovered"
        case .tornWriteOfSeveralSteps: return "torn writes of several steps' records"
        case .selfMessageDelivered: return "messages to itself through the shell"
        case .namedSubmitRetried: return "failed named submits retried elsewhere"
        case .linearizableReadAnswered: return "linearizable reads answered"
        case .linearizableReadWaited: return "linearizable reads that waited for their node"
        case .rejoinCompleted: return "rebuilt nodes voting again"
        case .snapshotTaken: return "snapshot points taken (log and memory compacted)"
        case .snapshotInstalled: return "snapshots installed by a node behind"
        case .crashDuringSnapshotInstall: return "crashes during a snapshot install"
        case .tornSnapshotIgnoredAtStart: return "cut or torn snapshot files ignored at start-up"
        case .startedFromStoredSnapshot: return "start-ups from a stored snapshot"
        case .snapshotTransferResumed: return "snapshot transfers resumed after a crash"
        case .snapshotRefused: return "received snapshots refused (checksum)"
        case .peerCallBatched: return "peer calls of several messages (one log write)"
        case .answerCarriedMessages: return "answers to peer calls carrying messages back"
        case .callWaitedForAnswer: return "peer calls put aside until the answer they name is taken"
        case .snapshotPointBehindApplied: return "snapshot points behind the applied instance"
        case .syncStalled: return "fsyncs stalled (10-1,000 times as long)"
        case .snapshotPointOverUnsyncedInstall: return "snapshot points over an install not yet synced"
        case .votingBeforeInstallCheckpointSynced: return "rebuilt nodes voting before their install's checkpoint is synced"
        case .snapshotPointOverStoredSnapshot: return "snapshot points past a snapshot installed or started from"
        case .crashBeforeCheckpointOverStoredSnapshot: return "rebuilt nodes crashed before such a point's checkpoint is durable"
        case .crashBeforeInstallCheckpointOfRebuiltNode: return "rebuilt nodes crashed before their install's checkpoint is durable"
        case .leaderCrashedAsFaultsStop: return "leaders crashed with unsynced decisions as the faults stop"
        }
    }
}

/// One counter per `CoverageEvent`.
public struct Coverage: Hashable, Sendable {
    private var counts = [Int](repeating: 0, count: CoverageEvent.allCases.count)

    public init() {}

    public subscript(event: CoverageEvent) -> Int {
        get { counts[event.rawValue] }
        set { counts[event.rawValue] = newValue }
    }

    mutating func count(_ event: CoverageEvent, _ amount: Int = 1) { counts[event.rawValue] += amount }

    public mutating func add(_ other: Coverage) {
        for index in counts.indices { counts[index] += other.counts[index] }
    }

    /// The events that never happened.
    public var missing: [CoverageEvent] { CoverageEvent.allCases.filter { self[$0] == 0 } }

    /// One line per event, with its count, for `paxos simulate`.
    public func table(seeds: Int) -> String {
        let width = CoverageEvent.allCases.map(\.name.count).max() ?? 0
        return CoverageEvent.allCases.map { event in
            let name = event.name.rightPadded(to: width)
            let count = self[event]
            let perSeed = seeds > 0 ? Double(count) / Double(seeds) : 0
            return "  \(name)  \(String(count).leftPadded(to: 10))  (\(formatDecimal(perSeed, places: 2)) per seed)"
        }.joined(separator: "\n")
    }
}
