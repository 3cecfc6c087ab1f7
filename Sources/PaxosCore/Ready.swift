/// What one step of the core asks the shell to do, in the order it must be done (etcd's `Ready`):
///
/// 1. make every record of `persist` durable (write and fsync the log), and write the records
///    of `persistEventually` after them;
/// 2. only then send `messages`, answer `replies`, append `applied` to the replicated file, and
///    set or cancel `timers`.
///
/// Grouping the effects this way makes "persist before send" a property of the type rather than
/// of every call site: nothing that depends on a state change can leave before the change is on disk.
/// `ReadyPipeline` is the one implementation of that order, for the live node and the simulator.
public struct Ready: Hashable, Sendable {
    /// Promises, acceptances, reserved rounds, incarnations: what this node must never forget
    /// once anyone has heard of it. Durable before any other effect of this Ready.
    public var persist: [DurableRecord] = []
    /// Decisions (`chosen`): knowledge, not promises. A value is chosen once a majority has
    /// durably accepted it, so a node that forgets a decision in a crash learns it again from
    /// its peers; nothing here waits for these records' fsync (etcd does not sync its commit
    /// index either). Written after `persist`, so they are durable with the next fsync, and a
    /// restart that finds them skips a catch-up.
    public var persistEventually: [DurableRecord] = []
    public var messages: [Envelope] = []
    public var replies: [ClientReply] = []
    /// New lines of the replicated file, in instance order, continuing the previous ones.
    public var applied: [FileEntry] = []
    public var timers: [TimerRequest] = []
    /// The protocol steps taken, for logs, scenario printouts and sequence diagrams.
    public var trace: [TraceEvent] = []
    /// A peer offered a snapshot through an instance above what this node applied: the shell
    /// fetches it (if it is not fetching one already) and hands it to `PaxosNode.installSnapshot`.
    public var snapshotWanted: SnapshotOffer? = nil

    public init() {}

    public var isEmpty: Bool {
        persist.isEmpty && persistEventually.isEmpty && messages.isEmpty && replies.isEmpty && applied.isEmpty && timers.isEmpty
            && trace.isEmpty && snapshotWanted == nil
    }

    /// Empties every list, keeping its storage (when this Ready is its only owner) for reuse.
    mutating func removeAll() {
        persist.empty()
        persistEventually.empty()
        messages.empty()
        replies.empty()
        applied.empty()
        timers.empty()
        trace.empty()
        snapshotWanted = nil
    }
}

private extension Array {
    /// Removes every element and keeps the storage. A step's lists hold a few elements each:
    /// taking them off the end one by one costs less than the general range replacement that
    /// `removeAll(keepingCapacity:)` goes through, even for an empty list.
    mutating func empty() {
        while !isEmpty { removeLast() }
    }
}

/// Emptied Readies a shell gave back (`PaxosNode.recycle`), whose storage later steps fill
/// instead of allocating. Storage, not state: every pool equals every other, so two nodes in
/// the same state stay equal (and hash alike) for the model checker whatever their pools hold.
struct ReadyPool: Hashable, Sendable {
    /// A shell holding many Readies at once (behind a slow fsync) gives back more than one
    /// step needs; more than this many are let go.
    static let capacity = 8

    private var spares: [Ready] = []

    mutating func take() -> Ready { spares.popLast() ?? Ready() }

    mutating func put(_ ready: consuming Ready) {
        guard spares.count < Self.capacity else { return }
        ready.removeAll()
        spares.append(ready)
    }

    static func == (lhs: ReadyPool, rhs: ReadyPool) -> Bool { true }
    func hash(into hasher: inout Hasher) {}
}

/// A timer the core owns. Setting a timer that is already set replaces it.
public enum TimerID: Hashable, Sendable {
    /// The proposer of an instance: phase timeout or the end of a backoff.
    case proposer(InstanceNumber)
    /// Anti-entropy and gap filling.
    case heartbeat
    /// The distinguished proposer's range Prepare heard no majority in time.
    case leadership
    /// A rebuilt node's next attempt to fence its lost life (`Rejoin`).
    case rejoin
}

public enum TimerRequest: Hashable, Sendable {
    case set(TimerID, afterMilliseconds: UInt64)
    case cancel(TimerID)
}

/// The answer to a client's request.
public enum ClientReply: Hashable, Sendable {
    /// `submit`: the value was chosen and applied as `instance`.
    case submitted(RequestID, instance: InstanceNumber, value: String)
    /// `propose`: `chosen` is the value of `instance`; `ours` tells whether it was this request's.
    case proposed(RequestID, instance: InstanceNumber, chosen: Command, ours: Bool)
    /// A linearizable read may be answered: this node has applied every instance up to
    /// `through`, which holds every value acknowledged before the read began.
    case readable(RequestID, through: InstanceNumber)
    /// A retried named submit that was applied at `instance`, below the snapshot point: the
    /// value is the file's line there, which the shell reads (the core keeps no old lines).
    case appliedEarlier(RequestID, instance: InstanceNumber)
    case failed(RequestID, SubmitFailure)

    public var request: RequestID {
        switch self {
        case .submitted(let request, _, _), .proposed(let request, _, _, _), .readable(let request, _), .failed(let request, _),
             .appliedEarlier(let request, _):
            return request
        }
    }
}

public enum SubmitFailure: Hashable, Sendable, CustomStringConvertible {
    /// The deadline passed before any Accept carried the value: it was not chosen and never will be.
    case noQuorum
    /// The deadline passed after an Accept carried the value: it may still be chosen later.
    case outcomeUnknown
    /// Too many submits are waiting already.
    case overloaded(limit: Int)
    /// A propose for an instance below the snapshot point: it is decided, and only the file holds its line.
    case compacted(through: InstanceNumber)

    public var description: String {
        switch self {
        case .noQuorum:
            return "no majority of nodes answered before the deadline; the value was not chosen"
        case .outcomeUnknown:
            return "the deadline passed while the value was being accepted; it may still be chosen"
        case .overloaded(let limit):
            return "the node has \(limit) submits waiting already; try again later"
        case .compacted(let through):
            return "instances through \(through) are decided and compacted into the snapshot; read the file for them"
        }
    }
}

/// A peer's snapshot point, above what this node applied.
public struct SnapshotOffer: Hashable, Sendable {
    public var peer: NodeID
    public var through: InstanceNumber

    public init(peer: NodeID, through: InstanceNumber) {
        self.peer = peer
        self.through = through
    }
}
