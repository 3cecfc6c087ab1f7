/// A member of the cluster. Nodes are numbered from 1, as the lecture's S1..S5.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// A Paxos instance: one slot of the replicated log, numbered from 1.
public typealias InstanceNumber = UInt64

/// A client request as the shell knows it; the core only hands it back in a `ClientReply`.
public typealias RequestID = UInt64
