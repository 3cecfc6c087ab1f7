/// Identifies one client submission across the whole life of the cluster, so that a value that
/// happens to be chosen in two instances (a retried proposal whose first Accept survived) is
/// applied once, and so that two clients submitting the same text stay two submissions.
///
/// `incarnation` grows every time a node starts (it is durable), so a restarted node can never
/// reuse a sequence number of a previous life.
public struct CommandID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var node: NodeID
    public var incarnation: UInt64
    public var sequence: UInt64

    public init(node: NodeID, incarnation: UInt64, sequence: UInt64) {
        self.node = node
        self.incarnation = incarnation
        self.sequence = sequence
    }

    public static func < (lhs: CommandID, rhs: CommandID) -> Bool {
        (lhs.node.rawValue, lhs.incarnation, lhs.sequence) < (rhs.node.rawValue, rhs.incarnation, rhs.sequence)
    }

    public var description: String { "\(node)/\(incarnation)/\(sequence)" }

    /// The identity of a command whose client named it (`paxos.submit(value, requestId)`):
    /// node 0, which is no member, and 124 bits that the shell derives from the request id (a
    /// hash, so every node that receives a retry of the request derives the same identity).
    /// Both halves stay within `WireLimits.commandCounterMax`.
    public static func clientNamed(_ high: UInt64, _ low: UInt64) -> CommandID {
        CommandID(node: NodeID(0), incarnation: high & (WireLimits.commandCounterMax - 1),
                  sequence: low & (WireLimits.commandCounterMax - 1))
    }

    /// Named by a client (see `clientNamed`) rather than made by a node for one submit.
    public var isClientNamed: Bool { node.rawValue == 0 }

    /// One word for the hasher instead of three fields (20 bytes): a node looks identifiers up
    /// several times per decision. The three fields are folded so that identifiers of one node
    /// and life (consecutive sequences) never collide; equality still compares every field.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(folded)
    }

    /// What a `Set` or `Dictionary` asks for: the folded word, keyed by the table's seed, through
    /// a 64-bit finalizer (MurmurHash3's, a bijection in which every input bit reaches every
    /// output bit), without building a `Hasher` (SipHash) per lookup, which was most of the cost
    /// of a node's lookups by identifier.
    public func _rawHashValue(seed: Int) -> Int {
        Int(truncatingIfNeeded: Self.mix(folded ^ (UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15)))
    }

    private var folded: UInt64 {
        sequence ^ (incarnation &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(node.rawValue) << 48)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var x = value
        x ^= x >> 33
        x &*= 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 33
        x &*= 0xC4CE_B9FE_1A85_EC53
        x ^= x >> 33
        return x
    }
}

/// What an instance decides: a client's value, or a no-op that fills a gap nobody has a value for.
public enum Command: Hashable, Sendable, CustomStringConvertible {
    case value(CommandID, String)
    case noop

    public var id: CommandID? {
        if case .value(let id, _) = self { return id }
        return nil
    }

    public var text: String? {
        if case .value(_, let text) = self { return text }
        return nil
    }

    public var description: String {
        switch self {
        case .value(_, let text): return text
        case .noop: return "no-op"
        }
    }
}

/// A value an acceptor has accepted, with the ballot it was accepted in.
public struct AcceptedProposal: Hashable, Sendable, CustomStringConvertible {
    public var ballot: Ballot
    public var command: Command

    public init(ballot: Ballot, command: Command) {
        self.ballot = ballot
        self.command = command
    }

    public var description: String { "(\(ballot), \(command))" }
}

/// What an acceptor accepted in one instance, as a range promise reports it.
public struct AcceptedEntry: Hashable, Sendable {
    public var instance: InstanceNumber
    public var proposal: AcceptedProposal

    public init(instance: InstanceNumber, proposal: AcceptedProposal) {
        self.instance = instance
        self.proposal = proposal
    }
}

/// One chosen instance.
public struct ChosenEntry: Hashable, Sendable {
    public var instance: InstanceNumber
    public var command: Command

    public init(instance: InstanceNumber, command: Command) {
        self.instance = instance
        self.command = command
    }
}

/// One line of the replicated file: `<instance> <value>`. No-ops and second copies of a command
/// chosen twice are not lines, so every replica renders the same bytes from the same log.
public struct FileEntry: Hashable, Sendable {
    public var instance: InstanceNumber
    public var value: String

    public init(instance: InstanceNumber, value: String) {
        self.instance = instance
        self.value = value
    }

    public var line: String { "\(instance) \(value)\n" }
}
