import PaxosCore

/// One state of the model: every node's core, what each has made durable, the messages in the
/// network, and the ghost variables the properties are stated over. Hashable as a whole, so that
/// the search can recognise a state reached by two paths.
struct ModelState: Hashable {
    var nodes: [CopyOnWrite<PaxosNode>]
    /// What each node's log holds durably: the `persist` records of the Readies it released, and
    /// the `persistEventually` records some fsync covered since.
    var durable: [CopyOnWrite<DurableState>]
    /// Per node, the hash of its core and its durable state, which is what the state's hash
    /// combines. A move changes one node, so a successor rehashes that node alone, not all of
    /// them: hashing states was half of the search's time. `ModelTransitions.apply` refreshes
    /// it for the node it moved; `ModelStateHashTests` checks every kind of move with
    /// `hasCurrentNodeHashes`.
    var nodeHashes: [Int] = []
    /// `persistEventually` records written but not yet covered by an fsync: a crash loses them.
    var unsynced: [[DurableRecord]]
    /// Messages sent and not consumed, as a set ordered by `key`: with duplication, a message is
    /// either there (deliverable any number of times) or not.
    var network: [NetworkMessage] = []
    /// Each node's armed timers (the model fires them at any time: time is abstract).
    var timers: [Set<TimerID>]
    var proposed: [Bool]
    /// Multi-Paxos: heartbeats each node has taken, and whether its client's deadline passed.
    var heartbeatsTaken: [UInt8]
    var deadlinePassed: [Bool]
    var crashesUsed: UInt8 = 0
    var diskLossesUsed: UInt8 = 0
    var rejoinRetriesUsed: UInt8 = 0
    /// Ghost: acceptors that accepted each (instance, ballot), with its command.
    var votes: [Vote] = []

    struct NetworkMessage: Hashable, Comparable {
        var key: String
        var envelope: Envelope
        /// The key's hash, computed once when the message is sent rather than every time a
        /// state holding it is fingerprinted.
        var keyHash: Int

        init(key: String, envelope: Envelope) {
            self.key = key
            self.envelope = envelope
            self.keyHash = key.hashValue
        }

        static func < (lhs: NetworkMessage, rhs: NetworkMessage) -> Bool { lhs.key < rhs.key }

        // The key spells the whole envelope: hashing and comparing it alone is enough, and cheaper.
        static func == (lhs: NetworkMessage, rhs: NetworkMessage) -> Bool { lhs.key == rhs.key }
        func hash(into hasher: inout Hasher) { hasher.combine(keyHash) }
    }

    struct Vote: Hashable, Comparable {
        var instance: InstanceNumber
        var ballot: Ballot
        var command: Command
        var acceptors: UInt64

        static func < (lhs: Vote, rhs: Vote) -> Bool {
            (lhs.instance, lhs.ballot) < (rhs.instance, rhs.ballot)
        }
    }

    /// Every field (the nodes through `nodeHashes`), written out so that the timer sets hash as
    /// a sorted list of small numbers: a `Set`'s own hash runs a seeded hasher per element, and
    /// fingerprinting states is much of the search's time.
    func hash(into hasher: inout Hasher) {
        hasher.combine(nodeHashes)
        hasher.combine(unsynced)
        hasher.combine(network)
        hasher.combine(timers.count)
        for set in timers {
            hasher.combine(set.count)
            for timer in ModelTransitions.timerOrder(set) { hasher.combine(timer) }
        }
        hasher.combine(proposed)
        hasher.combine(heartbeatsTaken)
        hasher.combine(deadlinePassed)
        hasher.combine(crashesUsed)
        hasher.combine(diskLossesUsed)
        hasher.combine(rejoinRetriesUsed)
        hasher.combine(votes)
    }

    static func nodeHash(_ node: PaxosNode, _ durable: DurableState) -> Int {
        var hasher = Hasher()
        hasher.combine(node)
        hasher.combine(durable)
        return hasher.finalize()
    }

    mutating func refreshNodeHash(_ node: Int) {
        if nodeHashes.count != nodes.count { nodeHashes = Array(repeating: 0, count: nodes.count) }
        nodeHashes[node] = Self.nodeHash(nodes[node].value, durable[node].value)
    }

    var hasCurrentNodeHashes: Bool {
        nodeHashes == nodes.indices.map { Self.nodeHash(nodes[$0].value, durable[$0].value) }
    }

    mutating func insert(_ envelope: Envelope) {
        let message = NetworkMessage(key: Self.key(envelope), envelope: envelope)
        var low = 0
        var high = network.count
        while low < high {
            let middle = (low + high) / 2
            if network[middle].key < message.key { low = middle + 1 } else { high = middle }
        }
        if low < network.count && network[low].key == message.key { return }
        network.insert(message, at: low)
    }

    mutating func recordVote(acceptor: Int, instance: InstanceNumber, ballot: Ballot, command: Command) {
        if let index = votes.firstIndex(where: { $0.instance == instance && $0.ballot == ballot && $0.command == command }) {
            votes[index].acceptors |= 1 << UInt64(acceptor)
        } else {
            votes.append(Vote(instance: instance, ballot: ballot, command: command, acceptors: 1 << UInt64(acceptor)))
            votes.sort()
        }
    }

    /// A total order of messages that depends only on their content.
    static func key(_ envelope: Envelope) -> String {
        "\(envelope.from)>\(envelope.to) " + exactDescription(envelope.message)
    }

    private static func exactDescription(_ message: Message) -> String {
        switch message {
        case .prepare(let instance, let ballot):
            return "prepare \(instance) \(ballot)"
        case .promise(let instance, let ballot, let accepted):
            return "promise \(instance) \(ballot) \(accepted.map { "\($0.ballot) \(exact($0.command))" } ?? "-")"
        case .accept(let instance, let ballot, let command, let chosen):
            return "accept \(instance) \(ballot) \(exact(command))" + (chosen.isEmpty ? "" : " chosen \(chosen)")
        case .accepted(let instance, let ballot):
            return "accepted \(instance) \(ballot)"
        case .nack(let instance, let ballot, let promised):
            return "nack \(instance) \(ballot) \(promised)"
        case .learn(let instance, let command):
            return "learn \(instance) \(exact(command))"
        case .prepareFrom(let from, let ballot):
            return "prepareFrom \(from) \(ballot)"
        case .promiseFrom(let from, let ballot, let accepted, let chosen):
            return "promiseFrom \(from) \(ballot) " + accepted.map { "\($0.instance)=\($0.proposal.ballot) \(exact($0.proposal.command))" }.joined(separator: ",")
                + " chosen " + chosen.map { "\($0.instance)=\(exact($0.command))" }.joined(separator: ",")
        case .nackFrom(let from, let ballot, let promised):
            return "nackFrom \(from) \(ballot) \(promised)"
        case .forward(let command):
            return "forward \(exact(command))"
        case .status(let applied, let accepted):
            return "status \(applied) \(accepted)"
        case .catchUpRequest(let from):
            return "catchup? \(from)"
        case .catchUpReply(let entries):
            return "catchup! " + entries.map { "\($0.instance)=\(exact($0.command))" }.joined(separator: ",")
        case .readIndexRequest(let read):
            return "read? \(read)"
        case .readIndexReply(let read, let highest):
            return "read! \(read) \(highest)"
        case .rejoinPrepare(let ballot):
            return "rejoin? \(ballot)"
        case .rejoinPromise(let ballot, let highest):
            return "rejoin! \(ballot) \(highest)"
        case .rejoinNack(let ballot, let round):
            return "rejoin nack \(ballot) \(round)"
        case .snapshotOffer(let through):
            return "snapshot! \(through)"
        case .rejoinSynced:
            return "rejoin synced"
        }
    }

    private static func exact(_ command: Command) -> String {
        switch command {
        case .noop: return "noop"
        case .value(let id, let text): return "\(id):\(text)"
        }
    }
}
