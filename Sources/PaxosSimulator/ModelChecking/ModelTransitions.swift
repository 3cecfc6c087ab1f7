import PaxosCore

/// The moves of the model and their effect on a state. Each move is one event at one node, whose
/// Ready is performed at once: `persist` records durable, then messages into the network. The
/// `persistEventually` records wait for a fsync: the node's next `persist` covers them, and a
/// crash either comes before any fsync (they are lost) or after one (they are kept). A crash
/// between two moves therefore keeps exactly what released Readies persisted and what fsyncs
/// covered. (A crash that may keep them, rather than a move of its own for the background
/// fsync: the fsync alone changes nothing any node can see, and as a move it quadrupled the
/// states of the default search.)
enum ModelAction: Hashable {
    /// The node's client proposes the node's own value for instance 1.
    case propose(node: Int)
    /// Deliver a message in the network; `keep` leaves a copy behind (a later duplicate).
    case deliver(NetworkMessageIndex, keep: Bool)
    /// With `ModelCheckOptions.peerCalls`: every message in the network from one node to
    /// another, taken by the receiver as one step (`PaxosNode.onMessages`), as a live peer call
    /// or its answer is. Copies stay behind where messages may be duplicated.
    case deliverCall(from: Int, to: Int)
    case drop(NetworkMessageIndex)
    /// The node's proposer timer fires (a phase timeout or the end of a backoff).
    case timeout(node: Int)
    /// Multi-Paxos: the node's client submits the node's value.
    case submit(node: Int)
    /// Multi-Paxos: one of the node's timers fires (heartbeat, leadership, a proposer's).
    case timer(node: Int, TimerID)
    /// Multi-Paxos: the node's client gives up waiting (its proposer may be dropped).
    case deadline(node: Int)
    /// The node loses its volatile state and restarts from its log; `afterSync`: a background
    /// fsync covered its `persistEventually` records first.
    case crashAndRestart(node: Int, afterSync: Bool = false)
    /// The node's disk is lost: it restarts from an empty log, rebuilt (`paxos node --rejoin`).
    case loseDisk(node: Int)

    typealias NetworkMessageIndex = Int
}

struct ModelTransitions {
    let options: ModelCheckOptions
    let configurations: [PaxosConfiguration]
    static let instance: InstanceNumber = 1

    init(options: ModelCheckOptions) {
        precondition((1...7).contains(options.acceptors), "the model checks 1 to 7 acceptors")
        precondition((1...options.acceptors).contains(options.proposers), "proposers are some of the acceptors")
        self.options = options
        let members = (1...options.acceptors).map { NodeID(UInt32($0)) }
        configurations = members.map { member in
            if options.multiPaxos {
                // The live configuration: what runs is what is checked. Time is abstract, so
                // backoff adds nothing (a timer may fire at any moment anyway).
                var configuration = PaxosConfiguration.live(node: member, members: members, phaseTimeoutMilliseconds: 300,
                                                            heartbeatMilliseconds: 200, backoff: .none, randomSeed: 1)
                // With the few values of a model, every value would be sequential and the leader
                // would always vote: the path without its vote would go unchecked (the path with
                // it is the one a silent follower takes anyway).
                configuration.ownVoteOnSequentialValues = false
                configuration.mutations = options.mutations
                return configuration
            }
            var configuration = PaxosConfiguration(node: member, members: members)
            // Time is abstract here: a retry may come at any moment, so the wait itself adds nothing.
            configuration.backoff = .none
            // Proposers here run `propose`, never `submit`: the failure detector that picks the
            // distinguished proposer for submits would only multiply states.
            configuration.forwardSubmitsToDistinguishedProposer = false
            configuration.mutations = options.mutations
            return configuration
        }
    }

    static func value(ofProposer node: Int) -> String { String(UnicodeScalar(UInt8(65 + node))) }

    func initialState() -> ModelState {
        var state = ModelState(nodes: configurations.map { CopyOnWrite(PaxosNode(configuration: $0)) },
                               durable: configurations.map { _ in CopyOnWrite(DurableState()) },
                               unsynced: Array(repeating: [], count: configurations.count),
                               timers: Array(repeating: [], count: configurations.count),
                               proposed: Array(repeating: false, count: configurations.count),
                               heartbeatsTaken: Array(repeating: 0, count: configurations.count),
                               deadlinePassed: Array(repeating: false, count: configurations.count))
        for node in state.nodes.indices {
            var ready = state.nodes[node].value.onStart()
            // A brand-new cluster has nothing to catch up on: its catch-up requests could only
            // ever be answered with nothing, so they are left out of the search.
            ready.messages.removeAll()
            perform(ready, node: node, in: &state)
            state.refreshNodeHash(node)
        }
        return state
    }

    /// Every move enabled in `state`, in an order that depends only on the state.
    func actions(in state: ModelState) -> [ModelAction] {
        var actions: [ModelAction] = []
        for node in 0..<options.proposers where !state.proposed[node] {
            actions.append(options.multiPaxos ? .submit(node: node) : .propose(node: node))
        }
        if options.multiPaxos {
            let contender = options.acceptors - 1
            if options.contender && contender >= options.proposers && !state.proposed[contender] {
                actions.append(.propose(node: contender))
            }
            for node in 0..<options.proposers where state.proposed[node] && !state.deadlinePassed[node] {
                actions.append(.deadline(node: node))
            }
            for node in state.nodes.indices {
                // In a fixed order: the set's own order depends on hashing.
                for timer in Self.timerOrder(state.timers[node]) {
                    if timer == .heartbeat && Int(state.heartbeatsTaken[node]) >= options.heartbeats { continue }
                    if timer == .rejoin && Int(state.rejoinRetriesUsed) >= options.rejoinRetries { continue }
                    actions.append(.timer(node: node, timer))
                }
            }
        }
        for index in state.network.indices {
            // With duplication a message is never consumed: it may arrive again at any time.
            // Consuming it as well would only add the states where it happens not to arrive
            // again, which the states where it is never chosen again already cover.
            actions.append(.deliver(index, keep: options.duplicates))
            if options.explicitDrops { actions.append(.drop(index)) }
        }
        if options.peerCalls {
            for (from, to) in Self.linksHoldingSeveral(state) { actions.append(.deliverCall(from: from, to: to)) }
        }
        if !options.multiPaxos {
            for node in state.nodes.indices where state.timers[node].contains(.proposer(Self.instance)) {
                actions.append(.timeout(node: node))
            }
            // A rebuilt node asks again for its rejoin ballot after a refusal or a timeout.
            if Int(state.rejoinRetriesUsed) < options.rejoinRetries {
                for node in state.nodes.indices where state.timers[node].contains(.rejoin) {
                    actions.append(.timer(node: node, .rejoin))
                }
            }
        }
        if Int(state.diskLossesUsed) < options.diskLosses {
            // As in the simulator: a rebuilt node here restarts at once, so "without its state"
            // is "not voting".
            let withoutState = state.nodes.indices.filter { !state.nodes[$0].value.isVoting }.count
            if DiskLossBudget.allowsAnother(members: state.nodes.count, withoutState: withoutState) {
                for node in state.nodes.indices where state.nodes[node].value.isVoting {
                    actions.append(.loseDisk(node: node))
                }
            }
        }
        if Int(state.crashesUsed) < options.crashes {
            for node in state.nodes.indices {
                actions.append(.crashAndRestart(node: node))
                if !state.unsynced[node].isEmpty { actions.append(.crashAndRestart(node: node, afterSync: true)) }
            }
        }
        return actions
    }

    /// Performs `action`. Returns false when it would start a ballot beyond the bound on rounds:
    /// the search does not follow that move (the bound, as in TLA+ specs of Paxos, is on ballot
    /// numbers, so every proposer's ballots stay within rounds 1...`options.rounds`).
    @discardableResult
    func apply(_ action: ModelAction, to state: inout ModelState) -> Bool {
        let (moved, roundsStarted) = perform(action, on: &state)
        // Every move changes at most the node it names (`ModelStateHashTests` walks the moves to
        // check it): only that node's hash needs computing again.
        if let moved { state.refreshNodeHash(moved) }
        return roundsStarted <= UInt64(options.rounds)
    }

    /// The node the move changed (nil for none), and the highest round it started.
    private func perform(_ action: ModelAction, on state: inout ModelState) -> (moved: Int?, roundsStarted: UInt64) {
        var roundsStarted: UInt64 = 0
        let moved: Int?
        switch action {
        case .propose(let node):
            moved = node
            state.proposed[node] = true
            let ready = state.nodes[node].value.onPropose(request: RequestID(node + 1), instance: Self.instance,
                                                    value: Self.value(ofProposer: node))
            roundsStarted = perform(ready, node: node, in: &state)
        case .deliver(let index, let keep):
            let envelope = state.network[index].envelope
            if !keep { state.network.remove(at: index) }
            let node = Int(envelope.to.rawValue) - 1
            moved = node
            roundsStarted = perform(state.nodes[node].value.onMessage(from: envelope.from, envelope.message), node: node, in: &state)
        case .deliverCall(let from, let to):
            moved = to
            let link = Self.messages(from: from, to: to, in: state)
            let messages = link.map { state.network[$0].envelope.message }
            if !options.duplicates {
                for index in link.reversed() { state.network.remove(at: index) }
            }
            roundsStarted = perform(state.nodes[to].value.onMessages(from: NodeID(UInt32(from + 1)), messages), node: to, in: &state)
        case .drop(let index):
            moved = nil
            state.network.remove(at: index)
        case .timeout(let node):
            moved = node
            state.timers[node].remove(.proposer(Self.instance))
            roundsStarted = perform(state.nodes[node].value.onTimer(.proposer(Self.instance)), node: node, in: &state)
        case .submit(let node):
            moved = node
            state.proposed[node] = true
            let ready = state.nodes[node].value.onSubmit(request: RequestID(node + 1), value: Self.value(ofProposer: node))
            roundsStarted = perform(ready, node: node, in: &state)
        case .timer(let node, let timer):
            moved = node
            state.timers[node].remove(timer)
            if timer == .heartbeat { state.heartbeatsTaken[node] += 1 }
            if timer == .rejoin { state.rejoinRetriesUsed += 1 }
            roundsStarted = perform(state.nodes[node].value.onTimer(timer), node: node, in: &state)
        case .deadline(let node):
            moved = node
            state.deadlinePassed[node] = true
            roundsStarted = perform(state.nodes[node].value.onDeadline(request: RequestID(node + 1)), node: node, in: &state)
        case .crashAndRestart(let node, let afterSync):
            moved = node
            state.crashesUsed += 1
            state.timers[node] = []
            if afterSync { syncUnsynced(node: node, in: &state) }
            state.unsynced[node] = []
            state.nodes[node] = CopyOnWrite(PaxosNode(configuration: configurations[node], recovered: state.durable[node].value))
            roundsStarted = perform(state.nodes[node].value.onStart(), node: node, in: &state)
        case .loseDisk(let node):
            moved = node
            state.diskLossesUsed += 1
            state.timers[node] = []
            state.unsynced[node] = []
            // The floor stands for the live node's wall clock: above every round and incarnation
            // the lost life used. Its votes stay in `votes`: they happened.
            let lost = state.nodes[node].value
            state.durable[node] = CopyOnWrite(DurableState())
            state.nodes[node] = CopyOnWrite(PaxosNode(configuration: configurations[node], recovered: DurableState(),
                                                      rejoiningAbove: max(lost.highestRound, lost.incarnation)))
            // Its rejoin ballot is above every round: not a ballot the bound on rounds counts.
            _ = perform(state.nodes[node].value.onStart(), node: node, in: &state)
        }
        return (moved, roundsStarted)
    }

    /// Returns the highest round of a ballot this Ready started (0 if none).
    @discardableResult
    private func perform(_ ready: Ready, node: Int, in state: inout ModelState) -> UInt64 {
        var highestRound: UInt64 = 0
        if !ready.persist.isEmpty {
            // One fsync covers everything written before, in log order.
            syncUnsynced(node: node, in: &state)
            for record in ready.persist { state.durable[node].value.apply(record) }
        }
        state.unsynced[node].append(contentsOf: ready.persistEventually)
        for event in ready.trace {
            switch event {
            case .prepareSent(_, let ballot), .rangePrepareSent(_, let ballot):
                highestRound = max(highestRound, ballot.round)
            case .acceptedValue(let instance, let ballot, _, let command):
                state.recordVote(acceptor: node, instance: instance, ballot: ballot, command: command)
            default:
                break
            }
        }
        for envelope in ready.messages { state.insert(envelope) }
        for timer in ready.timers {
            switch timer {
            case .set(let id, _):
                // Basic Paxos: the heartbeat (anti-entropy, liveness only) and the leadership
                // (submits only; that model proposes) are left out.
                if options.multiPaxos || id == .proposer(Self.instance) || id == .rejoin { state.timers[node].insert(id) }
            case .cancel(let id):
                state.timers[node].remove(id)
            }
        }
        return highestRound
    }

    private func syncUnsynced(node: Int, in state: inout ModelState) {
        for record in state.unsynced[node] { state.durable[node].value.apply(record) }
        state.unsynced[node] = []
    }

    /// The links between two nodes on which the network holds two messages or more, in a fixed
    /// order: on a link with one, a call is that message's delivery. (A node's messages to
    /// itself are no call: the live shell steps them one at a time.)
    static func linksHoldingSeveral(_ state: ModelState) -> [(from: Int, to: Int)] {
        let nodes = state.nodes.count
        var counts = Array(repeating: 0, count: nodes * nodes)
        for message in state.network {
            counts[(Int(message.envelope.from.rawValue) - 1) * nodes + Int(message.envelope.to.rawValue) - 1] += 1
        }
        return counts.indices.filter { counts[$0] >= 2 && $0 / nodes != $0 % nodes }.map { (from: $0 / nodes, to: $0 % nodes) }
    }

    /// The positions in the network of the messages from `from` to `to`, in the network's order.
    static func messages(from: Int, to: Int, in state: ModelState) -> [Int] {
        state.network.indices.filter {
            Int(state.network[$0].envelope.from.rawValue) == from + 1 && Int(state.network[$0].envelope.to.rawValue) == to + 1
        }
    }

    /// Timers in an order that depends only on what they are.
    static func timerOrder(_ timers: Set<TimerID>) -> [TimerID] {
        timers.sorted { rank($0) < rank($1) }
    }

    private static func rank(_ timer: TimerID) -> UInt64 {
        switch timer {
        case .heartbeat: return 0
        case .leadership: return 1
        case .rejoin: return 2
        case .proposer(let instance): return 3 + instance
        }
    }

    func describe(_ action: ModelAction, in state: ModelState) -> String {
        switch action {
        case .propose(let node):
            return "S\(node + 1) proposes \(Self.value(ofProposer: node))"
        case .deliver(let index, let keep):
            let envelope = state.network[index].envelope
            return "S\(envelope.to) <- S\(envelope.from) \(MessageDescription.text(of: envelope.message))\(keep ? " (a copy stays in the network)" : "")"
        case .deliverCall(let from, let to):
            let messages = Self.messages(from: from, to: to, in: state).map { MessageDescription.text(of: state.network[$0].envelope.message) }
            return "S\(to + 1) <- S\(from + 1) one call: \(messages.joined(separator: "; "))\(options.duplicates ? " (copies stay in the network)" : "")"
        case .drop(let index):
            let envelope = state.network[index].envelope
            return "drop S\(envelope.from) -> S\(envelope.to) \(MessageDescription.text(of: envelope.message))"
        case .timeout(let node):
            return "S\(node + 1) proposer timer fires"
        case .submit(let node):
            return "S\(node + 1)'s client submits \(Self.value(ofProposer: node))"
        case .timer(let node, let timer):
            return "S\(node + 1) timer \(timer) fires"
        case .deadline(let node):
            return "S\(node + 1)'s client deadline passes"
        case .crashAndRestart(let node, let afterSync):
            return "S\(node + 1) crashes\(afterSync ? " after a fsync of its decisions" : "") and restarts from its log"
        case .loseDisk(let node):
            return "S\(node + 1) loses its disk and restarts rebuilt (--rejoin)"
        }
    }
}
