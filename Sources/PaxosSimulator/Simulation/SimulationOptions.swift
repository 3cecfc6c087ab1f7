import PaxosCore

/// Everything that determines a run besides its seed. Two runs with equal options and seeds are
/// the same run, event for event.
public struct SimulationOptions: Hashable, Sendable {
    public static let nodesRange = 3...7

    public var nodes = 3
    /// Events processed while faults are injected; then the faults stop and liveness is checked.
    public var steps = 600
    public var faults = FaultMix.all
    /// Deliberate bugs given to every node's core, to prove the checkers can fail.
    public var mutations: Set<PaxosConfiguration.Mutation> = []
    /// These options were drawn from the seed (`SwarmOptions`): the seed alone replays the run.
    public var swarm = false

    // Workload.
    /// Mean simulated time between two client submits, at random live nodes.
    public var submitIntervalMicroseconds: UInt64 = 1_500
    /// A client gives up on a submit after this long (the core answers through `onDeadline`).
    public var submitDeadlineMilliseconds: UInt64 = 2_000
    /// Submits made after the faults stop: each must be acknowledged as chosen.
    public var calmSubmits = 3
    /// Where clients send submits: 0 spreads them over the live nodes, n sends them all to node
    /// n while it is up (a follower that forwards everything, or the leader itself).
    public var submitTarget = 0
    /// With the `contend` fault: how often several nodes propose on one instance at once.
    public var contendIntervalMaximumMicroseconds: UInt64 = 400_000
    /// Linearizable reads at random live nodes, one per this interval on average while the
    /// faults last (0: none). Each must contain every value acknowledged before it began.
    public var readIntervalMicroseconds: UInt64 = 20_000
    /// Per mille of submits that carry a client's request id; a named submit that fails (not
    /// chosen, or outcome unknown) is retried once at another live node with the same id, and
    /// the file check holds it to one line.
    public var namedSubmitsPerMille: UInt64 = 500
    /// A node (by index) that stays down once the faults stop: the cluster must still answer
    /// every request and settle with only a majority up (nil: every node comes back).
    public var calmNodeDown: Int? = nil

    // Network (microseconds).
    /// Messages between nodes travel as the live node sends them (`PeerQueue`): in calls, one
    /// in flight per link, what is queued meanwhile together in the next call, each call taken
    /// by its receiver as one step (`PaxosNode.onMessages`) whose records go to the log in one
    /// write; a fault drops, delays or duplicates a whole call, and a
    /// link stays in order (the `reorder` fault only reorders duplicates and stale replays).
    /// Off: every message travels alone with its own latency, and links reorder freely.
    public var peerCalls = true
    public var latencyMinimumMicroseconds: UInt64 = 100
    public var latencyMaximumMicroseconds: UInt64 = 900
    /// Without the reorder fault every link is FIFO: one fixed latency.
    public var fixedLatencyMicroseconds: UInt64 = 500
    public var longDelayMaximumMicroseconds: UInt64 = 300_000
    /// Per-message probabilities, in parts per thousand.
    public var dropPerMille: UInt64 = 40
    public var duplicatePerMille: UInt64 = 30
    public var delayPerMille: UInt64 = 20
    /// With the `stale` fault: a sent message also comes back, much later, from the run's recent past.
    public var stalePerMille: UInt64 = 5

    // Disk.
    public var disk = Disk.writeAheadLog

    public enum Disk: String, Hashable, Sendable, CaseIterable {
        /// The real `PaxosLog` over the storage's `InMemoryFileSystem` (crash and torn writes at byte level).
        case writeAheadLog = "wal"
        /// Records kept as values, no encoding: the protocol's cost alone.
        case records
    }
    /// How long an fsync takes when crashes are possible (a crash in between loses the writes).
    public var syncMicroseconds: UInt64 = 150
    /// With the `stall` fault: per mille of fsyncs (of the log, the file or a snapshot chunk)
    /// that take 10 to 1,000 times `syncMicroseconds` (`Simulation.syncDuration`).
    public var stallPerMille: UInt64 = 30

    // Faults over time (microseconds): a partition or a crash starts every so often and lasts a while.
    public var partitionIntervalMaximumMicroseconds: UInt64 = 40_000
    public var partitionDurationMaximumMicroseconds: UInt64 = 30_000
    public var crashIntervalMaximumMicroseconds: UInt64 = 40_000
    public var downtimeMaximumMicroseconds: UInt64 = 30_000

    // Core timing (milliseconds of simulated time).
    public var phaseTimeoutMilliseconds: UInt64 = 30
    public var heartbeatMilliseconds: UInt64 = 20
    public var backoff = PaxosConfiguration.Backoff.randomizedExponential(baseMilliseconds: 1, maxMilliseconds: 20)

    // Bounded history.
    /// A node moves its snapshot point (compacts its log and memory) once it has applied this
    /// many instances past the last one (0: never). Small, so that seeds run through many
    /// compactions, and nodes fall behind them and install snapshots.
    public var snapshotIntervalInstances: UInt64 = 24
    /// Decisions a node keeps below its snapshot point for peers a little behind
    /// (`PaxosConfiguration.snapshotTailInstances`), scaled to the simulator's short runs.
    public var snapshotTailInstances: UInt64 = 8

    // Limits.
    /// After the faults stop, everything must settle within this much simulated time.
    public var livenessBoundMilliseconds: UInt64 = 10_000
    /// A hard cap on the events of one run, so that a runaway run ends as a failure, not a hang.
    public var eventsMax = 2_000_000
    /// Steps kept for the trace of a failing run.
    public var traceStepsMax = 40

    public init() {}

    public init(nodes: Int, steps: Int, faults: FaultMix) {
        precondition(Self.nodesRange.contains(nodes), "a simulated cluster has \(Self.nodesRange) nodes")
        self.nodes = nodes
        self.steps = steps
        self.faults = faults
    }
}
