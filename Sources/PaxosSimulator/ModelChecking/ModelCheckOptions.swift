import PaxosCore

/// The tiny configuration the model checker explores exhaustively.
public struct ModelCheckOptions: Hashable, Sendable {
    /// Nodes; every node is an acceptor and a learner.
    public var acceptors = 3
    /// The first `proposers` nodes each propose their own value for instance 1, once.
    public var proposers = 2
    /// Ballot rounds 1...rounds may be used (ballot `2.1` is round 2 of S1): a move that would start
    /// a higher ballot is not followed.
    public var rounds = 1
    /// Crash-and-restart transitions allowed in one path.
    public var crashes = 1
    /// A delivered message may be delivered again, any number of times (the network duplicates).
    public var duplicates = true
    /// Dropping a message is an explicit transition. Off by default: no transition ever waits for
    /// a message, so "dropped" and "never delivered" reach the same node states, and safety holds
    /// in both or neither; making drops explicit only multiplies the network states.
    public var explicitDrops = false
    public var mutations: Set<PaxosConfiguration.Mutation> = []
    /// A limit on the search, so that a configuration too large ends with a message, not a swap storm.
    public var statesMax = 20_000_000

    public init() {}

    public init(acceptors: Int, proposers: Int, rounds: Int, crashes: Int) {
        self.acceptors = acceptors
        self.proposers = proposers
        self.rounds = rounds
        self.crashes = crashes
    }
}
