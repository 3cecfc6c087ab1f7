/// Linearizable reads (issue 13), by a read quorum rather than through the leader, so that they
/// stay correct whichever proposer decided what (Multi-Paxos leader, Basic Paxos fallback, the
/// lab's `propose`):
///
/// 1. The reading node asks every member for the highest instance in which it has accepted a
///    value or knows one chosen (`readIndexRequest` / `readIndexReply`).
/// 2. Once a majority has answered, `through` is the highest of their answers. Any value
///    acknowledged before the read began was accepted by a majority before the question left,
///    and every two majorities share an acceptor, so its instance is at most `through`.
/// 3. The read is answered once this node has applied every instance up to `through`: its file
///    then holds every value acknowledged before the read began. Instances up to `through` that
///    nobody decides are filled by the node's gap filling (`horizon`), a no-op adopting any
///    accepted value there, as for any gap.
struct ReadQuorums: Hashable, Sendable {
    struct Read: Hashable, Sendable {
        var answered = MemberSet()
        var highest: InstanceNumber = 0
        /// Set once a majority answered: the instance the node must have applied.
        var through: InstanceNumber?
    }

    /// Reads waiting at once; more are refused as overloaded (a limit on everything).
    static let readsMax = 10_000

    private(set) var reads: [RequestID: Read] = [:]
    /// The highest `through` of any read since the node started: gap filling decides every
    /// instance up to it, so that no read waits on an instance nobody proposes.
    private(set) var horizon: InstanceNumber = 0

    var isFull: Bool { reads.count >= Self.readsMax }

    mutating func start(_ request: RequestID) { reads[request] = Read() }

    /// Member `index` answered `highest`; returns the read's `through` when this answer made
    /// the majority.
    mutating func onReply(_ request: RequestID, from index: Int, highest: InstanceNumber, quorum: Int) -> InstanceNumber? {
        guard let position = reads.index(forKey: request), reads.values[position].through == nil,
              reads.values[position].answered.insert(index) else { return nil }
        reads.values[position].highest = max(reads.values[position].highest, highest)
        guard reads.values[position].answered.count >= quorum else { return nil }
        let through = reads.values[position].highest
        reads.values[position].through = through
        horizon = max(horizon, through)
        return through
    }

    /// Removes and returns the reads whose `through` is applied, lowest request first.
    mutating func takeSatisfied(appliedThrough: InstanceNumber) -> [RequestID] {
        guard !reads.isEmpty else { return [] }
        let satisfied = reads.filter { ($0.value.through ?? .max) <= appliedThrough }.keys.sorted()
        for request in satisfied { reads[request] = nil }
        return satisfied
    }

    /// Reads still waiting for a majority, whose question may have been lost.
    var gathering: [RequestID] { reads.filter { $0.value.through == nil }.keys.sorted() }

    mutating func cancel(_ request: RequestID) -> Bool { reads.removeValue(forKey: request) != nil }
}
