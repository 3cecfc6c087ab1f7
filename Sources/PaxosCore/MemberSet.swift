/// A set of cluster members, as bits by position in `PaxosConfiguration.members`: what a
/// proposer counts (promises, acceptances) without the allocation and hashing of a `Set`.
/// Clusters are small (`PaxosConfiguration.membersMax`), so one word holds any of them.
struct MemberSet: Hashable, Sendable {
    private var bits: UInt64 = 0

    var count: Int { bits.nonzeroBitCount }

    /// Adds the member at `index` in the configuration's member list; true if it was not in yet.
    @discardableResult
    mutating func insert(_ index: Int) -> Bool {
        precondition(index >= 0 && index < PaxosConfiguration.membersMax, "member index \(index) out of range")
        let bit: UInt64 = 1 << UInt64(index)
        defer { bits |= bit }
        return bits & bit == 0
    }

    func contains(_ index: Int) -> Bool { bits & (1 << UInt64(index)) != 0 }
}
