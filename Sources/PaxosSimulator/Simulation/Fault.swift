/// The kinds of trouble a run may inject. A run's fault mix is part of its identity: the same seed
/// with another mix is another run.
public enum Fault: String, CaseIterable, Hashable, Sendable, Comparable {
    /// A message is lost.
    case drop
    /// A message arrives twice.
    case duplicate
    /// Messages on one link overtake each other (without it, every link is FIFO).
    case reorder
    /// A message takes far longer than usual.
    case delay
    /// Links are cut for a while, both ways between two groups or one way only, then heal.
    case partition
    /// A node stops (volatile state and unsynced writes lost) and later restarts from its log.
    case crash
    /// A crash may also leave the last write half on disk.
    case torn
    /// A message sent long ago arrives again (a stale Promise, Accept or Accepted of an old ballot).
    case stale
    /// Several nodes run single-decree `propose` on one instance at once, near the leader's
    /// frontier: dueling ballots, and a leader preempted in the middle of its range.
    case contend
    /// A crash may also lose the node's whole disk: it restarts empty and rejoins, as
    /// `paxos node --rejoin` does (`Rejoin`: it votes again only once it has fenced its lost
    /// life). Fewer than a majority are without their state at once. With the mutation
    /// `rejoinedNodeVotesAtOnce` it votes at once, and the checkers see agreement break.
    case amnesia
    /// Now and then an fsync takes 10 to 100 times its usual time, or 100 to 1,000 (a disk's
    /// latency spike: this project's virtual disk measured 150 µs to 4 ms): the windows between
    /// a write and its durability widen, and other steps (catch-up, a snapshot point, a crash)
    /// fall inside them. Needs `crash` to matter: without crashes an fsync takes no time.
    case stall

    /// The faults `all` and the swarm draw from: every kind the node survives.
    public static let survivable: [Fault] = allCases

    public static func < (lhs: Fault, rhs: Fault) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A set of faults, written on the command line as `drop,duplicate,crash`, `all` or `none`.
public struct FaultMix: Hashable, Sendable, CustomStringConvertible {
    public var faults: Set<Fault>

    public init(_ faults: Set<Fault>) { self.faults = faults }

    public static let none = FaultMix([])
    public static let all = FaultMix(Set(Fault.survivable))
    /// The network misbehaves but no node fails.
    public static let network = FaultMix([.drop, .duplicate, .reorder, .delay, .partition])
    /// Nodes fail but the network is polite.
    public static let crashes = FaultMix([.crash, .torn])

    public func contains(_ fault: Fault) -> Bool { faults.contains(fault) }

    public enum ParseError: Error, CustomStringConvertible {
        case unknown(String)
        public var description: String {
            guard case .unknown(let name) = self else { return "" }
            let known = Fault.allCases.map(\.rawValue).joined(separator: ", ")
            return "unknown fault '\(name)'; known: \(known), all, none"
        }
    }

    public init(parsing text: String) throws {
        var faults = Set<Fault>()
        for part in text.split(separator: ",").map({ $0.trimmingSpaces() }) where !part.isEmpty {
            switch part {
            case "all": faults.formUnion(Fault.survivable)
            case "none": break
            default:
                guard let fault = Fault(rawValue: part) else { throw ParseError.unknown(part) }
                faults.insert(fault)
            }
        }
        self.faults = faults
    }

    /// Canonical spelling, in a fixed order, for replay commands.
    public var description: String {
        if faults.isEmpty { return "none" }
        if faults == FaultMix.all.faults { return "all" }
        return faults.sorted().map(\.rawValue).joined(separator: ",")
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
