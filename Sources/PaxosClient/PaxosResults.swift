import XMLRPC

/// What a node answers to a submit once the value is chosen: its instance, the value, and the
/// node that answered. A retry with the same request id gets the first outcome again.
public struct PaxosSubmitted: Sendable, Hashable {
    public var instance: Int
    public var value: String
    public var node: Int
    /// The id the submit travelled with (the caller's, or the one the client made up).
    public var requestID: String
    /// Attempts made, this one included (more than one: the client failed over).
    public var attempts: Int
}

/// One applied instance: a line of the replicated file.
public struct PaxosEntry: Sendable, Hashable {
    public var instance: Int
    public var value: String

    public init(instance: Int, value: String) {
        self.instance = instance
        self.value = value
    }
}

/// How fresh a read must be.
public enum PaxosReadConsistency: String, Sendable {
    /// What the node answering has applied: fast, but it may trail the cluster.
    case local
    /// Contains every value acknowledged before the read began (the node confirms with a
    /// majority first).
    case linearizable
}

/// The part of `paxos.status()` a client needs: who answered, and the members it knows.
public struct PaxosNodeStatus: Sendable {
    public var node: Int
    public var applied: Int
    public var leader: Int
    public var members: [(node: Int, address: String)]
    /// The whole answer, for anything else a caller wants to show.
    public var raw: XMLRPCStruct
}
