import PaxosCore
import PaxosStorage

/// One node as the simulator hosts it: the real core, its disk, its replicated file, and the
/// shell's duties (hold effects until their records are synced, keep timers, remember clients).
struct SimulatedNode {
    var core: PaxosNode
    var isUp = true
    /// Grows at every crash; events of an earlier life are ignored.
    var life: UInt32 = 0
    var disk: any SimulatedDisk
    /// The live node's order of effects (`ReadyPipeline`): Readies wait for their records'
    /// sync, in order, and own messages follow the Ready that sent them.
    var pipeline = ReadyPipeline()
    /// Tickets of the disk's appends: the last written, and the last one a sync covered (a
    /// sync covers everything written before it: group commit).
    var appendedTicket: UInt64 = 0
    var syncedTicket: UInt64 = 0
    var syncInFlight = false
    /// The ticket the fsync in flight covers: the last one written when it started.
    var syncTarget: UInt64 = 0
    /// When the fsync under way ends (its `syncDone` event), for crashes aimed before it.
    var syncEndsAt: SimulatedTime = 0
    /// A checkpoint's ticket, which an fsync must cover soon even if no Ready waits for it
    /// (the live `GroupCommitLog.compact` demands it of the sync thread).
    var demandedTicket: UInt64 = 0
    /// Snapshots older than `point` are deleted once the checkpoint at `point` (its ticket) is
    /// durable, as the live `removeSnapshotsOnceDurable`.
    var snapshotRemoval: (point: InstanceNumber, ticket: UInt64)? = nil
    var draining = false
    /// Messages were queued for peers: calls start once the node's current work is done, as
    /// the live `PeerLink` takes its queue in a task after the loop's current work.
    var callsToStart = false
    /// Peer calls taken and not answered yet: the caller, its life, and the ticket of the
    /// Readies the call made, which must be performed first (as the live `paxos.peer` waits).
    var pendingAnswers: [PendingAnswer] = []
    /// Peer calls that arrived while this node's own call to their sender, whose answer they
    /// name, was in flight: taken once it ends (`PeerQueue.mayTakeCall`).
    var parkedCalls: [SimulatedPeerCall] = []

    struct PendingAnswer {
        var caller: Int
        var callerLife: UInt32
        /// The caller's number for the call, which its next call names if the answer carries messages.
        var call: Int
        var ticket: UInt64
    }
    /// Decisions written with `persistEventually` and not yet synced, with their ticket: a
    /// crash may take them (the node then learns them again), so the checker must not count
    /// them as remembered.
    var unsyncedDecisions: [(ticket: UInt64, instance: InstanceNumber)] = []
    /// The replicated file: one line per applied value.
    var file: [FileEntry] = []
    /// The last snapshot point's applied state and how many lines of `file` it covers: what a
    /// peer that is behind installs (the live node sends the file's bytes and these records).
    var snapshotMetadata: [DurableRecord] = []
    var snapshotLines = 0
    /// A snapshot fetch is on its way (one at a time, as in the live shell).
    var fetchingSnapshot = false
    /// A snapshot point waits for the file's sync (one at a time, as in the live shell).
    var compacting = false
    /// This node's snapshot as it sends it to a peer behind: made at the first request for its
    /// point, as the live node writes its snapshot file (and forgotten in a crash, as its memory).
    var servedSnapshot: SnapshotCopy? = nil
    /// An install under way (`WALDisk`): the peer's snapshot being received, then stored and
    /// waiting for its install step, then the ticket of the install's checkpoint until a sync
    /// covers it.
    var snapshotTransfer: SnapshotCopy? = nil
    var storedSnapshot: Snapshot? = nil
    var installCheckpointTicket: UInt64 = 0
    /// The last crash cut a snapshot transfer (maybe tearing its last chunk): the next start-up
    /// finds a partial file and must not use it.
    var snapshotCutAtCrash = false
    /// The armed timers and their events, to cancel or replace them (a handful: the heartbeat
    /// and one per proposal in flight, so a list beats a dictionary).
    var timers: [(id: TimerID, event: EventQueue<SimulationEvent>.Handle)] = []
    /// The highest ballot this node has sent a Prepare or an Accept in (for coverage: an answer
    /// below it is an answer of an older attempt arriving late).
    var latestBallot = Ballot.zero
    /// The last crash tore a write, which the next recovery must drop.
    var tornAtCrash = false
    /// The disk was lost (`Fault.amnesia`) and the node has not restarted from a log of its
    /// new life yet: it restarts rebuilt (`paxos node --rejoin`), above `rejoinFloor`.
    var diskLost = false
    /// Above every round and incarnation of its lost lives: what the live node's wall clock gives.
    var rejoinFloor: UInt64 = 0
    /// The node has restarted rebuilt since it last lost its disk: its log holds a rejoin, and a
    /// restart that loses what made it vote again brings it back behind its fence.
    var rebuiltSinceDiskLoss = false
    /// The point of a snapshot this node installed or restarted from: its log's checkpoint
    /// there needs the snapshot's file (the replicated file's lines up to the point came from
    /// it) until a later point's checkpoint is durable, and then the snapshot is deleted.
    var pointOfStoredSnapshot: InstanceNumber? = nil
    /// The node voted when it last crashed (and kept its disk): it must restart voting.
    var votedAtCrash = false
    /// Client requests this node has not answered yet, in the order they came.
    var outstanding: [RequestID] = []

    var isReceivingSnapshot: Bool { snapshotTransfer != nil && storedSnapshot == nil }

    var isInstallingSnapshot: Bool {
        snapshotTransfer != nil || storedSnapshot != nil || installCheckpointTicket > syncedTicket
    }

    /// A mutating method, so that the caller reaches the list in place: reading
    /// `nodes[index].outstanding` from outside copied the whole node, core included.
    mutating func forgetOutstanding(_ request: RequestID) {
        if let position = outstanding.firstIndex(of: request) { outstanding.remove(at: position) }
    }

    init(configuration: PaxosConfiguration, disk: any SimulatedDisk) {
        self.core = PaxosNode(configuration: configuration)
        self.disk = disk
    }
}
