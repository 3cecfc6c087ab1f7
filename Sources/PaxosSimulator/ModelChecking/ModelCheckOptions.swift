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
    /// Disk losses allowed in one path: the node restarts from an empty log, rebuilt as
    /// `paxos node --rejoin` does (`Rejoin`), while at most n minus a majority nodes are without
    /// their state. Its old votes still count for what was chosen (they happened), which is what
    /// a safe rejoin must respect.
    public var diskLosses = 0
    /// With disk losses: how many times in one path a rebuilt node asks again for its rejoin
    /// ballot (each attempt takes a higher round, so unbounded they would never end).
    public var rejoinRetries = 2
    /// A delivered message may be delivered again, any number of times (the network duplicates).
    public var duplicates = true
    /// Dropping a message is an explicit transition. Off by default: no transition ever waits for
    /// a message, so "dropped" and "never delivered" reach the same node states, and safety holds
    /// in both or neither; making drops explicit only multiplies the network states.
    public var explicitDrops = false
    /// A node may also take every message in the network from one peer as one step
    /// (`PaxosNode.onMessages`), as the live node takes a peer call or an answer: the search
    /// then checks that a call's one step is what its messages' single steps are, rather than
    /// taking it as argued. Off by default: it adds a move per link holding two messages or more,
    /// and, within a bound on depth, the states several single moves would have needed.
    public var peerCalls = false
    public var mutations: Set<PaxosConfiguration.Mutation> = []
    /// A limit on the search, so that a configuration too large ends with a message, not a swap storm.
    public var statesMax = 20_000_000
    /// The most states any search numbers (a state's parent is kept in 32 bits); a larger
    /// `statesMax` stops there.
    public static let statesLimit = Int(Int32.max)
    /// Explore only paths of at most this many moves (iterative deepening raises it step by
    /// step); nil explores until no new state appears.
    public var depthMax: Int? = nil
    /// Threads that expand each level of the search. The result does not depend on it: only
    /// how long the search takes.
    public var workers = 1
    /// Frontier states expanded per round of the search's passes: bounds the moves held at
    /// once (about twenty per state, 16 bytes each). The result does not depend on it either.
    public var chunkStates = 1 << 16

    /// Multi-Paxos through `submit`, with the live node's configuration (self-delivery through
    /// the shell, forwarding to the distinguished proposer, range promises, leadership,
    /// decisions announced on the next Accept): the first `proposers` nodes each submit a
    /// value; heartbeats (which move the failure detector, so the distinguished proposer can
    /// change), the leadership and proposer timers and client deadlines fire at any time.
    public var multiPaxos = false
    /// Multi-Paxos: heartbeats each node may take in one path (each is a step of the failure
    /// detector; unbounded, the heartbeat counter alone would make the state space infinite).
    public var heartbeats = 1
    /// Multi-Paxos: the last node also runs single-decree `propose` on instance 1, once: a
    /// ballot that competes with the leader's range (a leader preempted in mid-range).
    public var contender = true

    /// The values that may be chosen: the proposers' and, in Multi-Paxos, the contender's.
    public var offeredValues: Set<String> {
        var nodes = Array(0..<proposers)
        if multiPaxos && contender && acceptors - 1 >= proposers { nodes.append(acceptors - 1) }
        return Set(nodes.map { String(UnicodeScalar(UInt8(65 + $0))) })
    }

    public init() {}

    public init(acceptors: Int, proposers: Int, rounds: Int, crashes: Int) {
        self.acceptors = acceptors
        self.proposers = proposers
        self.rounds = rounds
        self.crashes = crashes
    }
}
