/// Everything that shapes a node's behaviour, injected by the shell or the simulator.
/// Times are in milliseconds of whatever clock the shell or the simulator runs.
public struct PaxosConfiguration: Hashable, Sendable {
    public var node: NodeID
    /// Every member of the cluster, this node included, in a fixed order.
    public var members: [NodeID]

    /// A proposer that hears no majority within this time starts again with a higher ballot.
    public var phaseTimeoutMilliseconds: UInt64 = 300
    /// A leader that left its own vote out of an Accept (`PaxosNode.sendAccept`) adds it if no
    /// majority answered within this time: a thirtieth of the phase timeout (10 ms by default),
    /// above a decision's usual time under load (4-5 ms at 64 connections on the test machine),
    /// so that the leader seldom votes, and short enough that a follower's stalled fsync costs
    /// the clients little (with a sixth, 50 ms, p99 at 64 connections reached 47 ms in one run
    /// of two, against 12-14 ms with a thirtieth; stop 40).
    public var ownVoteDelayMilliseconds: UInt64 { max(1, phaseTimeoutMilliseconds / 30) }
    /// A leader keeps its own vote in a value proposed alone (no other value of its own in
    /// flight) right after a value proposed alone: under sequential load, one client at a
    /// time, where the faster two of three acceptors then decide and a follower's slow fsync
    /// costs nothing, while without the leader a value waits for the slower of two followers,
    /// or the own-vote delay. Under load the first value after a batch's decision is alone
    /// too, but the one before it was not: that one still goes to the followers only, and the
    /// leader's fsyncs stay rare. The live node and the simulator run it; the model checker
    /// leaves it off, so that its few values still take the path without the leader's vote.
    public var ownVoteOnSequentialValues = false
    /// How a preempted proposer waits before its next round (step 7).
    public var backoff: Backoff = .randomizedExponential(baseMilliseconds: 2, maxMilliseconds: 200)
    /// Anti-entropy period: status to peers, catch-up and gap filling.
    public var heartbeatMilliseconds: UInt64 = 200

    /// Rounds reserved by one durable `.round` record (see `PaxosNode.startPrepare`).
    public var roundReservation: UInt64 = 100

    /// Submits go to one proposer, the lowest-numbered live member, which runs both phases;
    /// with several proposers at once they preempt each other (Lamport, "Paxos Made Simple" 2.4).
    public var forwardSubmitsToDistinguishedProposer = true
    /// A peer not heard from in this many heartbeats is taken for dead by the failure detector.
    public var peerSilenceHeartbeatsMax: UInt64 = 2
    /// Multi-Paxos: the distinguished proposer runs phase 1 once for all instances ahead and then
    /// only phase 2 per submit (see `Leadership`). Off, every submit runs both phases.
    public var multiPaxos = true
    /// Patience with the distinguished proposer, in heartbeats: how long a node waits for it to
    /// decide a forwarded submit, or to fill a gap, before acting itself.
    public var forwardPatienceHeartbeats: UInt64 = 3
    /// Times in all a submit is forwarded (to whoever is the distinguished proposer then)
    /// before its node proposes it itself.
    public var forwardAttemptsMax = 3

    /// Limits (DESIGN.md section 8: a limit on everything).
    public var proposalsInFlightMax = 64
    public var pendingSubmitsMax = 10_000
    public var catchUpEntriesMax = 512
    /// Bytes of values per catch-up reply, so that one reply stays well inside a message limit
    /// even when every character must be escaped by the wire encoding.
    public var catchUpValueBytesMax = 128 * 1024
    public var gapFillInstancesMax = 64
    /// How many applied instances back a client's retry of a named request is still recognised
    /// (`AppliedCommands`); about 140 bytes of memory per named request in the window (14 MB for the default, measured by ClientWindowMemoryBenchmark).
    public var clientRequestWindowInstances: UInt64 = 100_000
    /// How many applied instances back a command a node made for one submit is still known
    /// (`AppliedCommands`): its second copy, if both were chosen, is skipped within this distance.
    public var nodeCommandWindowInstances: UInt64 = 8_192
    /// Decisions kept in memory below the snapshot point (`PaxosNode.compact`), so that a peer
    /// a little behind (back from a short stop) catches up by entries instead of fetching the
    /// whole snapshot, as etcd keeps entries after its snapshot for slow followers.
    public var snapshotTailInstances: UInt64 = 2_048

    /// Messages to itself go out in `Ready.messages` like any other, instead of being handled
    /// inside the step, so that a shell can filter, hold or draw them (the lab's scenarios
    /// need "S1 does not receive its own Accept"). Either way they follow persist-before-send.
    public var selfDeliveryThroughShell = false

    /// Seed of the core's own pseudo-random generator (backoff jitter).
    public var randomSeed: UInt64 = 1

    /// Deliberate bugs, only to prove that the simulator and the model checker catch them.
    public var mutations: Set<Mutation> = []

    /// The most members a cluster may have: proposers count votes in one machine word.
    public static let membersMax = 64

    public init(node: NodeID, members: [NodeID]) {
        precondition(members.contains(node), "node \(node) is not one of the members \(members)")
        precondition(members.count <= Self.membersMax, "a cluster has at most \(Self.membersMax) members")
        precondition(Set(members).count == members.count, "members must be distinct")
        self.node = node
        self.members = members
    }

    public var quorum: Int { members.count / 2 + 1 }

    /// A node's configuration never changes while it runs, and the model checker fingerprints
    /// every state it reaches, each holding every node's configuration: hashing the node and
    /// its members is enough (equal configurations still hash alike; `==` compares everything).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(node)
        hasher.combine(members)
    }

    public enum Backoff: Hashable, Sendable {
        /// Retry at once: two duelling proposers can preempt each other forever (the lecture's livelock).
        case none
        /// Wait a random time in [base, min(max, base * 2^attempt)]: duellers drift apart and one wins.
        case randomizedExponential(baseMilliseconds: UInt64, maxMilliseconds: UInt64)
    }

    public enum Mutation: String, Hashable, Sendable, CaseIterable {
        /// The acceptor forgets that the instances up to its snapshot point are decided: it
        /// answers a Prepare or Accept there from an empty state (what compaction dropped).
        case acceptorVotesBelowSnapshotPoint
        /// The acceptor answers without making its promise or acceptance durable.
        case acceptorRepliesBeforePersisting
        /// The acceptor's promises and acceptances go with the decisions, whose fsync nobody
        /// waits for (`Ready.persistEventually`): its answers can leave before they are durable.
        case acceptorRecordsPersistEventually
        /// The acceptor accepts a ballot lower than its promise (breaks step 6).
        case acceptorAcceptsBelowPromise
        /// The proposer keeps its own value even when a promise carried an accepted one (breaks step 4).
        case proposerIgnoresAcceptedValues
        /// The proposer counts every Accepted message, so one acceptor heard twice makes a "majority".
        case proposerCountsAcceptorTwice
        /// A node rebuilt from an empty data directory skips the rejoin (`Rejoin`) and votes at
        /// once, with none of the promises of its lost life.
        case rejoinedNodeVotesAtOnce
        /// A peer call's step (`PaxosNode.onMessages`) keeps only the last message's records:
        /// the answers to the earlier ones leave with their promises and acceptances not durable.
        /// Only a search that delivers calls (`paxos model-check --peer-calls`) can see it.
        case callStepPersistsLastMessageOnly
    }
}
