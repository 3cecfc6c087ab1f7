/// The node's clock-free failure detector: the heartbeats it has had, and the last one in which
/// it heard from each member. From these alone it names the distinguished proposer (the
/// lowest-numbered member heard from lately) and says whether a majority is heard. Nodes may
/// briefly disagree on both; that costs only duels, never safety.
///
/// Time is counted in the node's own heartbeats, not read from a clock, so the core stays pure
/// and the simulator and the model checker drive it as the live node does.
struct FailureDetector: Hashable, Sendable {
    /// Heartbeats this node has had.
    private(set) var heartbeats: UInt64 = 0
    /// By position in the members: the heartbeat in which each was last heard from.
    private var heardAt: [UInt64]
    /// Positions in the members, lowest node id first: the distinguished proposer's order.
    private let indicesByID: [Int]
    /// This node's position in the members: it always hears itself.
    private let own: Int?
    /// A member not heard from in more than this many heartbeats is taken for dead.
    private let silenceMax: UInt64

    init(members: [NodeID], own id: NodeID, silenceMax: UInt64) {
        heardAt = Array(repeating: 0, count: members.count)
        indicesByID = members.indices.sorted { members[$0] < members[$1] }
        own = members.firstIndex(of: id)
        self.silenceMax = silenceMax
    }

    mutating func heartbeat() { heartbeats += 1 }

    mutating func heard(fromMemberAt index: Int) { heardAt[index] = heartbeats }

    /// Whether the member at `index` has been silent for more than `silenceMax` heartbeats.
    func isSilent(memberAt index: Int) -> Bool {
        index != own && heartbeats - heardAt[index] > silenceMax
    }

    /// The position of the lowest-numbered member heard from lately (this node, if none lower is).
    var distinguishedIndex: Int? {
        indicesByID.first { !isSilent(memberAt: $0) }
    }

    /// How many members (this node included) were heard from lately.
    var heardCount: Int {
        heardAt.indices.reduce(0) { count, index in isSilent(memberAt: index) ? count : count + 1 }
    }
}
