import Logging
import NIOConcurrencyHelpers
import PaxosCore
import XMLRPC

/// The outgoing side of one peer: queues messages and sends them as batches in `paxos.peer`
/// calls, one call in flight at a time, so a peer receives this node's messages in the order
/// they were sent (as over one TCP stream: a Learn never overtakes the Accept before it). Under
/// load, messages queued while a call is in flight travel together in the next one, so the
/// number of HTTP requests grows slower than the load.
/// Paxos tolerates loss, so a full queue or an unreachable peer drops messages (the proposer's
/// timeout and the heartbeat recover), and nothing here ever blocks the node.
final class PeerLink: Sendable {
    static let callsInFlightMax = 1
    static let queuedMessagesMax = 20_000
    static let batchMessagesMax = 512
    /// Estimated request bytes per batch, well under the peers' body limit even if every
    /// character of a value must be escaped.
    static let batchBytesMax = 512 * 1024
    static let callTimeout: Duration = .seconds(2)

    let target: ClusterConfiguration.Node
    private let from: NodeID
    private let client: XMLRPCClient
    private let logger: Logger
    private let metrics: NodeMetrics
    private let state = NIOLockedValueBox(State())

    private struct State {
        var queue: [Message] = []
        var callsInFlight = 0
        var era: UInt64 = 0
        var closed = false
        var reachable = true
        var dropped = 0
    }

    init(from: NodeID, to target: ClusterConfiguration.Node, signing: RequestSigning, metrics: NodeMetrics, logger: Logger) {
        self.from = from
        self.target = target
        self.logger = logger
        self.metrics = metrics
        // Every batch is signed as this node: the peer checks the code before it decodes a byte.
        self.client = XMLRPCClient(host: target.host, port: target.port, path: "/RPC2",
                                   configuration: signing.clientConfiguration(as: .node(from.rawValue)))
    }

    func setEra(_ era: UInt64) { state.withLockedValue { $0.era = era } }

    func enqueue(_ messages: [Message]) {
        let batches = state.withLockedValue { state -> [(UInt64, [Message])] in
            guard !state.closed else { return [] }
            let room = Self.queuedMessagesMax - state.queue.count
            if messages.count > room { state.dropped += messages.count - max(room, 0) }
            state.queue.append(contentsOf: messages.prefix(max(room, 0)))
            return Self.takeBatches(&state)
        }
        for (era, batch) in batches { Task { await self.send(batch, era: era) } }
    }

    func clear() { state.withLockedValue { $0.queue.removeAll() } }

    func shutdown() async {
        state.withLockedValue { $0.closed = true; $0.queue.removeAll() }
        await client.shutdown()
    }

    private static func takeBatches(_ state: inout State) -> [(UInt64, [Message])] {
        var batches: [(UInt64, [Message])] = []
        while state.callsInFlight < callsInFlightMax, !state.queue.isEmpty {
            var bytes = 0
            var count = 0
            for message in state.queue {
                let estimate = estimatedBytes(message)
                if count > 0 && (count >= batchMessagesMax || bytes + estimate > batchBytesMax) { break }
                bytes += estimate
                count += 1
            }
            batches.append((state.era, Array(state.queue.prefix(count))))
            state.queue.removeFirst(count)
            state.callsInFlight += 1
        }
        return batches
    }

    private static func estimatedBytes(_ message: Message) -> Int {
        let valueBytes: Int
        switch message {
        case .accept(_, _, let command, let chosen): valueBytes = (command.text?.utf8.count ?? 0) + chosen.count * 8
        case .learn(_, let command), .forward(let command): valueBytes = command.text?.utf8.count ?? 0
        case .promise(_, _, let accepted): valueBytes = accepted?.command.text?.utf8.count ?? 0
        case .catchUpReply(let entries): valueBytes = entries.reduce(0) { $0 + ($1.command.text?.utf8.count ?? 0) + 300 }
        case .promiseFrom(_, _, let accepted, let chosen):
            valueBytes = accepted.reduce(0) { $0 + ($1.proposal.command.text?.utf8.count ?? 0) + 400 }
                + chosen.reduce(0) { $0 + ($1.command.text?.utf8.count ?? 0) + 300 }
        default: valueBytes = 0
        }
        // Worst-case escaping (`&amp;` for `&`) is five bytes per byte; 400 bytes of markup per message.
        return 400 + valueBytes * 5
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
            state.callsInFlight -= 1
            let wasReachable = state.reachable
            state.reachable = failure == nil
            return (Self.takeBatches(&state), !wasReachable && state.reachable, wasReachable && !state.reachable)
        }
        if becameUnreachable {
            logger.notice("peer \(target.id) at \(target.address) unreachable: \(failure ?? "")")
        } else if becameReachable {
            logger.notice("peer \(target.id) at \(target.address) reachable again")
        }
        for (era, batch) in next { Task { await self.send(batch, era: era) } }
    }
}
