import PaxosCore
import Testing

// A deterministic test bench for the pure core, in the spirit of etcd's raft_paper_test.go:
// nodes are plain values, the "network" is an array of envelopes the test delivers, holds or
// drops by hand, and every Ready is checked against the persist-before-send rule as it is performed.

func node(_ raw: UInt32) -> NodeID { NodeID(raw) }
func ballot(_ round: UInt64, _ node: UInt32) -> Ballot { Ballot(round: round, node: NodeID(node)) }

func memberIDs(_ count: Int) -> [NodeID] { (1...count).map { NodeID(UInt32($0)) } }

func configuration(_ raw: UInt32, of count: Int,
                   _ modify: (inout PaxosConfiguration) -> Void = { _ in }) -> PaxosConfiguration {
    var configuration = PaxosConfiguration(node: NodeID(raw), members: memberIDs(count))
    // The paper's rule, one durable round per Prepare; reservation in blocks has its own test.
    configuration.roundReservation = 1
    // Basic Paxos, both phases per submit, as the tests of the seven steps expect; Multi-Paxos
    // has its own tests.
    configuration.multiPaxos = false
    modify(&configuration)
    return configuration
}

/// A value with a command identifier, as a peer's proposer would have sent it.
func command(_ text: String, node: UInt32 = 9, incarnation: UInt64 = 1, sequence: UInt64 = 1) -> Command {
    .value(CommandID(node: NodeID(node), incarnation: incarnation, sequence: sequence), text)
}

enum MessageKind: Hashable, Sendable {
    case prepare, promise, accept, accepted, nack, learn, forward, status, catchUpRequest, catchUpReply
    case prepareFrom, promiseFrom, nackFrom
    case readIndexRequest, readIndexReply
    case rejoinPrepare, rejoinPromise, rejoinNack, rejoinSynced
    case snapshotOffer
}

extension Message {
    var harnessKind: MessageKind {
        switch self {
        case .prepare: return .prepare
        case .promise: return .promise
        case .accept: return .accept
        case .accepted: return .accepted
        case .nack: return .nack
        case .learn: return .learn
        case .forward: return .forward
        case .status: return .status
        case .catchUpRequest: return .catchUpRequest
        case .catchUpReply: return .catchUpReply
        case .prepareFrom: return .prepareFrom
        case .promiseFrom: return .promiseFrom
        case .nackFrom: return .nackFrom
        case .readIndexRequest: return .readIndexRequest
        case .readIndexReply: return .readIndexReply
        case .rejoinPrepare: return .rejoinPrepare
        case .rejoinPromise: return .rejoinPromise
        case .rejoinNack: return .rejoinNack
        case .rejoinSynced: return .rejoinSynced
        case .snapshotOffer: return .snapshotOffer
        }
    }
}

/// Matches envelopes by kind and, optionally, sender and addressee.
func kind(_ kind: MessageKind, from sender: UInt32? = nil, to addressee: UInt32? = nil) -> (Envelope) -> Bool {
    { envelope in
        envelope.message.harnessKind == kind
            && (sender.map { envelope.from == NodeID($0) } ?? true)
            && (addressee.map { envelope.to == NodeID($0) } ?? true)
    }
}

func anyMessage(from sender: UInt32? = nil, to addressee: UInt32? = nil) -> (Envelope) -> Bool {
    { envelope in
        (sender.map { envelope.from == NodeID($0) } ?? true) && (addressee.map { envelope.to == NodeID($0) } ?? true)
    }
}

extension Ready {
    func messages(_ match: (Envelope) -> Bool) -> [Envelope] { messages.filter(match) }

    var sentPrepares: [Ballot] {
        messages.compactMap { if case .prepare(_, let ballot) = $0.message { return ballot } else { return nil } }
    }

    var promisedRecords: [Ballot] {
        persist.compactMap { if case .promised(_, let ballot) = $0 { return ballot } else { return nil } }
    }

    var chosenRecords: [InstanceNumber: Command] {
        var result: [InstanceNumber: Command] = [:]
        for case .chosen(let instance, let command) in persistEventually { result[instance] = command }
        return result
    }

    /// The delay of the last `set` of `id` in this Ready, if any.
    func timer(_ id: TimerID) -> UInt64? {
        var result: UInt64? = nil
        for case .set(let timer, let after) in timers where timer == id { result = after }
        return result
    }
}

/// The persist-before-send rule (DESIGN.md sections 2 and 4), checked against the node's log as it
/// will be once this Ready's records are durable: every promise and acceptance that leaves the
/// node must already be backed by a durable record, and every decision announced, applied or
/// acknowledged by a record written (`persistEventually`: a decision may be forgotten in a crash
/// and learned again, a promise may not). Returns the violations, in words.
func persistBeforeSendViolations(log: [DurableRecord], ready: Ready, node: NodeID) -> [String] {
    let durable = DurableState(replaying: log + ready.persist)
    let written = DurableState(replaying: log + ready.persist + ready.persistEventually)
    var violations: [String] = []
    func promisedDurably(_ instance: InstanceNumber, _ ballot: Ballot) -> Bool {
        durable.chosen[instance] != nil
            || durable.rangePromise.promise(at: instance, own: durable.acceptors[instance]?.promised ?? .zero) >= ballot
    }
    func acceptedDurably(_ instance: InstanceNumber, _ ballot: Ballot) -> Bool {
        durable.chosen[instance] != nil || (durable.acceptors[instance]?.accepted?.ballot ?? .zero) >= ballot
    }
    for envelope in ready.messages {
        switch envelope.message {
        case .promise(let instance, let ballot, _) where !promisedDurably(instance, ballot):
            violations.append("node \(node) sends promise \(ballot) for instance \(instance) before persisting it")
        case .accepted(let instance, let ballot) where !acceptedDurably(instance, ballot):
            violations.append("node \(node) sends Accepted \(ballot) for instance \(instance) before persisting it")
        case .promiseFrom(let from, let ballot, _, _) where !(durable.rangePromise.covers(from) && durable.rangePromise.ballot >= ballot):
            violations.append("node \(node) sends promise \(ballot) for instances \(from)... before persisting it")
        case .prepareFrom(let from, let ballot) where durable.highestRound < ballot.round:
            violations.append("node \(node) sends Prepare \(ballot) for instances \(from)... before its round is durable")
        case .prepare(let instance, let ballot) where durable.highestRound < ballot.round:
            violations.append("node \(node) sends Prepare \(ballot) for instance \(instance) before its round is durable")
        case .learn(let instance, let command) where written.chosen[instance] != command:
            violations.append("node \(node) announces \(command) in instance \(instance) before persisting it")
        default:
            break
        }
    }
    for event in ready.trace {
        switch event {
        case .promised(let instance, let ballot, _, _) where !promisedDurably(instance, ballot):
            violations.append("node \(node) promised \(ballot) in instance \(instance) without a record")
        case .acceptedValue(let instance, let ballot, _, _) where !acceptedDurably(instance, ballot):
            violations.append("node \(node) accepted \(ballot) in instance \(instance) without a record")
        default:
            break
        }
    }
    for entry in ready.applied where written.chosen[entry.instance] == nil {
        violations.append("node \(node) applies instance \(entry.instance) before persisting it as chosen")
    }
    for reply in ready.replies {
        switch reply {
        case .submitted(_, let instance, _) where written.chosen[instance] == nil:
            violations.append("node \(node) acknowledges instance \(instance) before persisting it as chosen")
        case .proposed(_, let instance, let command, _) where written.chosen[instance] != command:
            violations.append("node \(node) answers propose(\(instance)) before persisting the choice")
        default:
            break
        }
    }
    return violations
}

/// A cluster of `PaxosNode`s wired by hand. Nothing happens unless the test says so.
struct Cluster {
    let members: [NodeID]
    var nodes: [NodeID: PaxosNode] = [:]
    var configurations: [NodeID: PaxosConfiguration] = [:]
    /// Messages sent and not yet delivered or dropped, in sending order.
    var network: [Envelope] = []
    /// What each node's log holds (every record a Ready asked to persist).
    var logs: [NodeID: [DurableRecord]] = [:]
    /// How many records of each log the last fsync covered: a step with `persist` records syncs
    /// the log written so far; `persistEventually` records wait for the next such step.
    var syncedCounts: [NodeID: Int] = [:]
    var files: [NodeID: [FileEntry]] = [:]
    var replies: [NodeID: [ClientReply]] = [:]
    var timers: [NodeID: [TimerID: UInt64]] = [:]
    var traces: [NodeID: [TraceEvent]] = [:]
    /// Crashed nodes: messages to them are lost.
    var down: Set<NodeID> = []
    private var nextRequest: RequestID = 1

    init(size: Int = 3, _ modify: (inout PaxosConfiguration) -> Void = { _ in }) {
        members = memberIDs(size)
        for member in members {
            var configuration = PaxosConfiguration(node: member, members: members)
            configuration.randomSeed = UInt64(member.rawValue)
            configuration.roundReservation = 1
            configuration.multiPaxos = false
            modify(&configuration)
            configurations[member] = configuration
            nodes[member] = PaxosNode(configuration: configuration)
            logs[member] = []
            files[member] = []
            replies[member] = []
            timers[member] = [:]
            traces[member] = []
        }
    }

    subscript(_ raw: UInt32) -> PaxosNode { nodes[NodeID(raw)]! }

    /// The state a crash of node `raw` now would leave: its log up to the last fsync.
    func syncedState(_ raw: UInt32) -> DurableState {
        DurableState(replaying: logs[NodeID(raw)]!.prefix(syncedCounts[NodeID(raw)] ?? 0))
    }

    // MARK: Performing effects

    @discardableResult
    mutating func perform(_ ready: Ready, at id: NodeID,
                          sourceLocation: SourceLocation = #_sourceLocation) -> Ready {
        for violation in persistBeforeSendViolations(log: logs[id]!, ready: ready, node: id) {
            Issue.record(Comment(rawValue: violation), sourceLocation: sourceLocation)
        }
        logs[id]!.append(contentsOf: ready.persist)
        if !ready.persist.isEmpty { syncedCounts[id] = logs[id]!.count }
        logs[id]!.append(contentsOf: ready.persistEventually)
        if let last = files[id]!.last, let first = ready.applied.first, first.instance <= last.instance {
            Issue.record("node \(id) applies instance \(first.instance) after \(last.instance)", sourceLocation: sourceLocation)
        }
        files[id]!.append(contentsOf: ready.applied)
        replies[id]!.append(contentsOf: ready.replies)
        traces[id]!.append(contentsOf: ready.trace)
        for envelope in ready.messages {
            if envelope.from != id { Issue.record("node \(id) sends as \(envelope.from)", sourceLocation: sourceLocation) }
            if envelope.to == id {
                Issue.record("node \(id) sends itself a message through the network", sourceLocation: sourceLocation)
            }
        }
        network.append(contentsOf: ready.messages)
        for request in ready.timers {
            switch request {
            case .set(let timer, let after): timers[id]![timer] = after
            case .cancel(let timer): timers[id]![timer] = nil
            }
        }
        return ready
    }

    // MARK: Events

    @discardableResult
    mutating func startAll(sourceLocation: SourceLocation = #_sourceLocation) -> [NodeID: Ready] {
        var result: [NodeID: Ready] = [:]
        for member in members { result[member] = perform(nodes[member]!.onStart(), at: member, sourceLocation: sourceLocation) }
        return result
    }

    mutating func newRequest() -> RequestID {
        defer { nextRequest += 1 }
        return nextRequest
    }

    @discardableResult
    mutating func submit(_ value: String, at raw: UInt32, request: RequestID? = nil, clientCommand: CommandID? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation) -> Ready {
        let id = NodeID(raw)
        let request = request ?? newRequest()
        return perform(nodes[id]!.onSubmit(request: request, value: value, clientCommand: clientCommand), at: id,
                       sourceLocation: sourceLocation)
    }

    @discardableResult
    mutating func propose(_ value: String, instance: InstanceNumber, at raw: UInt32, request: RequestID? = nil,
                          minimumRound: UInt64 = 0, sourceLocation: SourceLocation = #_sourceLocation) -> Ready {
        let id = NodeID(raw)
        let request = request ?? newRequest()
        return perform(nodes[id]!.onPropose(request: request, instance: instance, value: value, minimumRound: minimumRound),
                       at: id, sourceLocation: sourceLocation)
    }

    @discardableResult
    mutating func read(at raw: UInt32, request: RequestID, sourceLocation: SourceLocation = #_sourceLocation) -> Ready {
        let id = NodeID(raw)
        return perform(nodes[id]!.onRead(request: request), at: id, sourceLocation: sourceLocation)
    }

    @discardableResult
    mutating func deadline(request: RequestID, at raw: UInt32, sourceLocation: SourceLocation = #_sourceLocation) -> Ready {
        let id = NodeID(raw)
        return perform(nodes[id]!.onDeadline(request: request), at: id, sourceLocation: sourceLocation)
    }

    /// A timer of `raw` goes off (whether or not the node set it: a late timer must be harmless).
    @discardableResult
    mutating func fire(_ timer: TimerID, at raw: UInt32, sourceLocation: SourceLocation = #_sourceLocation) -> Ready {
        let id = NodeID(raw)
        timers[id]![timer] = nil
        return perform(nodes[id]!.onTimer(timer), at: id, sourceLocation: sourceLocation)
    }

    func timer(_ timer: TimerID, at raw: UInt32) -> UInt64? { timers[NodeID(raw)]![timer] }

    // MARK: The network

    func inFlight(_ match: (Envelope) -> Bool = { _ in true }) -> [Envelope] { network.filter(match) }

    /// Hands one envelope to its addressee (lost if the addressee is down).
    @discardableResult
    mutating func deliver(_ envelope: Envelope, sourceLocation: SourceLocation = #_sourceLocation) -> Ready {
        guard !down.contains(envelope.to) else { return Ready() }
        return perform(nodes[envelope.to]!.onMessage(from: envelope.from, envelope.message), at: envelope.to,
                       sourceLocation: sourceLocation)
    }

    /// Delivers every envelope now in flight that matches, in sending order. What they cause stays
    /// in flight for the test to deliver next. Returns the Readies of the addressees.
    @discardableResult
    mutating func deliver(_ match: (Envelope) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) -> [Ready] {
        let selected = network.filter(match)
        network.removeAll(where: match)
        return selected.map { deliver($0, sourceLocation: sourceLocation) }
    }

    /// Delivers matching envelopes, including the ones they cause, until none is left in flight.
    mutating func deliverAll(_ match: (Envelope) -> Bool = { _ in true }, stepsMax: Int = 100_000,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        var steps = 0
        while let index = network.firstIndex(where: match) {
            let envelope = network.remove(at: index)
            deliver(envelope, sourceLocation: sourceLocation)
            steps += 1
            if steps >= stepsMax {
                Issue.record("the cluster did not settle in \(stepsMax) deliveries", sourceLocation: sourceLocation)
                return
            }
        }
    }

    /// Loses every envelope in flight that matches.
    @discardableResult
    mutating func drop(_ match: (Envelope) -> Bool = { _ in true }) -> [Envelope] {
        let dropped = network.filter(match)
        network.removeAll(where: match)
        return dropped
    }

    // MARK: Crashes

    /// The node stops: its volatile state and the messages addressed to it are lost; its log stays.
    mutating func crash(_ raw: UInt32) {
        let id = NodeID(raw)
        down.insert(id)
        network.removeAll { $0.to == id }
        timers[id] = [:]
    }

    /// The node starts again from its log, as the shell does: replay, then `onStart`.
    @discardableResult
    mutating func restart(_ raw: UInt32, sourceLocation: SourceLocation = #_sourceLocation) -> Ready {
        let id = NodeID(raw)
        down.remove(id)
        nodes[id] = PaxosNode(configuration: configurations[id]!, recovered: DurableState(replaying: logs[id]!))
        files[id] = nodes[id]!.fileEntries
        return perform(nodes[id]!.onStart(), at: id, sourceLocation: sourceLocation)
    }

    // MARK: Reading

    func lines(_ raw: UInt32) -> [String] { files[NodeID(raw)]!.map(\.line) }

    func reply(to request: RequestID) -> ClientReply? {
        for member in members {
            if let reply = replies[member]!.first(where: { $0.request == request }) { return reply }
        }
        return nil
    }

    func log(_ raw: UInt32) -> [DurableRecord] { logs[NodeID(raw)]! }
}
