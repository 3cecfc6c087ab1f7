import Logging
import NIOConcurrencyHelpers
import PaxosCore
import XMLRPC

/// The outgoing side of one peer: queues messages and sends them as batches in `paxos.peer`
/// calls by the rules of `PeerQueue` (in order, one call in flight, what is queued meanwhile
/// travels together), which the simulator follows too.
/// Paxos tolerates loss, so a full queue or an unreachable peer drops messages (the proposer's
/// timeout and the heartbeat recover), and nothing here ever blocks the node.
final class PeerLink: Sendable {
    static let callTimeout: Duration = .seconds(2)

    let target: ClusterConfiguration.Node
    private let from: NodeID
    private let client: XMLRPCClient
    private let logger: Logger
    private let metrics: NodeMetrics
    private let state = NIOLockedValueBox(State())
    /// The node's event loop: a call is written and its answer read there, next to the actor.
    private let executor: EventLoopTaskExecutor

    private struct State {
        var queue = PeerQueue()
        var era: UInt64 = 0
        var closed = false
        var reachable = true
        var dropped = 0
        /// A task will take the queued messages as a call once the loop's current work is done.
        var takeScheduled = false

        /// Every call that may start now, with the era it is sent in.
        mutating func takeCalls() -> [(UInt64, [Message])] {
            var calls: [(UInt64, [Message])] = []
            while let batch = queue.takeCall() { calls.append((era, batch)) }
            return calls
        }
    }

    init(from: NodeID, to target: ClusterConfiguration.Node, executor: EventLoopTaskExecutor, signing: RequestSigning,
         metrics: NodeMetrics, logger: Logger) {
        self.from = from
        self.executor = executor
        self.target = target
        self.logger = logger
        self.metrics = metrics
        // Every batch is signed as this node: the peer checks the code before it decodes a byte.
        self.client = XMLRPCClient(host: target.host, port: target.port, path: "/RPC2",
                                   configuration: signing.clientConfiguration(as: .node(from.rawValue)), group: executor.loop)
    }

    func setEra(_ era: UInt64) { state.withLockedValue { $0.era = era } }

    /// Queues `messages`. A link with no call in flight does not send them at once: a task on
    /// the node's loop takes what is queued after the loop's current work (the other requests
    /// read in the same turn, the other Readies of one fsync), so all of it leaves in one call
    /// rather than the first message alone and the rest a round trip later.
    func enqueue(_ messages: [Message]) {
        let schedule = state.withLockedValue { state -> Bool in
            guard !state.closed else { return false }
            state.dropped += state.queue.enqueue(messages)
            guard state.queue.callsInFlight < PeerQueue.callsInFlightMax, !state.takeScheduled else { return false }
            state.takeScheduled = true
            return true
        }
        if schedule { Task(executorPreference: executor) { self.takeQueued() } }
    }

    private func takeQueued() {
        let batches = state.withLockedValue { state -> [(UInt64, [Message])] in
            state.takeScheduled = false
            return state.closed ? [] : state.takeCalls()
        }
        for (era, batch) in batches { start(batch, era: era) }
    }

    func clear() { state.withLockedValue { $0.queue.removeAll() } }

    func shutdown() async {
        state.withLockedValue { $0.closed = true; $0.queue.removeAll() }
        await client.shutdown()
    }

    private func send(_ batch: [Message], era: UInt64) async {
        let parameters = PeerCall.encode(from: from, era: era, messages: batch)
        var failure: String? = nil
        let started = ContinuousClock.now
        do {
            _ = try await client.call("paxos.peer", parameters, timeout: Self.callTimeout)
        } catch {
            failure = "\(error)"
        }
        metrics.peerCall(to: target.id, took: ContinuousClock.now - started, messages: batch.count, failed: failure != nil)
        let (next, becameReachable, becameUnreachable) = state.withLockedValue { state -> ([(UInt64, [Message])], Bool, Bool) in
            state.queue.callEnded()
            let wasReachable = state.reachable
            state.reachable = failure == nil
            return (state.takeCalls(), !wasReachable && state.reachable, wasReachable && !state.reachable)
        }
        if becameUnreachable {
            logger.notice("peer \(target.id) at \(target.address) unreachable: \(failure ?? "")")
        } else if becameReachable {
            logger.notice("peer \(target.id) at \(target.address) reachable again")
        }
        for (era, batch) in next { start(batch, era: era) }
    }

    private func start(_ batch: [Message], era: UInt64) {
        Task(executorPreference: executor) { await self.send(batch, era: era) }
    }
}
