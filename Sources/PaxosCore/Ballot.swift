/// A proposal number `round.node` (DESIGN.md section 3): ordered by round, then by node, so two
/// proposers can never use the same ballot and every proposer can always find a higher one.
public struct Ballot: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var round: UInt64
    public var node: NodeID

    public init(round: UInt64, node: NodeID) {
        self.round = round
        self.node = node
    }

    /// Lower than any ballot a proposer uses (rounds start at 1): what a fresh acceptor has promised.
    public static let zero = Ballot(round: 0, node: NodeID(0))

    public static func < (lhs: Ballot, rhs: Ballot) -> Bool {
        (lhs.round, lhs.node.rawValue) < (rhs.round, rhs.node.rawValue)
    }

    /// Printed as in the lecture's slides: "3.1" is round 3 of server 1.
    public var description: String { "\(round).\(node)" }
}
