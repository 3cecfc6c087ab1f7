import Logging
import NIOConcurrencyHelpers
import PaxosCore
import XMLRPC

/// The outgoing side of one peer: queues messages and sends them as batches in `paxos.peer`
/// calls, or in the answers to the peer's own calls, by the rules of `PeerQueue` (in order, one
/// call in flight, what is queued meanwhile travels together), which the simulator follows too.
/// The messages an answer to one of our calls carries are handed to the node like a call's.
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
    /// Who takes the messages answers carry; weak: the node owns its links.
    private let receiver = NIOLockedValueBox(WeakRuntime())
    /// What an answer is checked against, as the node checks a call (`PeerCall.decode`).
    private let members: [NodeID]
    private let valueBytesMax: Int

    private struct WeakRuntime { weak var runtime: NodeRuntime? }

    private struct State {
        /// Call numbers start at a random one (`PeerQueue.callNumber`).
        var queue = PeerQueue(firstCallNumber: Int.random(in: 1..<PeerQueue.callNumberLimit))
        var era: UInt64 = 0
        var closed = false
        var reachable = true
        var dropped = 0
        /// A task will take the queued messages as a call once the loop's current work is done.
        var takeScheduled = false
        /// Calls of the peer waiting until our call in flight has ended (`PeerQueue.mayTakeCall`).
        var callEndWaiters: [CheckedContinuation<Void, Never>] = []

        /// Whether a task should take the queue as a call after the loop's current work: one
        /// could start now (`PeerQueue.takeCall`) and no task is scheduled already.
        mutating func scheduleTakeIfCallMayStart() -> Bool {
            guard !closed, !takeScheduled, queue.queuedCount > 0, queue.answersPending == 0,
                  queue.callsInFlight < PeerQueue.callsInFlightMax else { return false }
            takeScheduled = true
            return true
        }

        /// Every call that may start now: its parameters, and how many messages it carries.
        mutating func takeCalls(from: NodeID) -> [Call] {
            var calls: [Call] = []
            while let batch = queue.takeCall() {
                calls.append(Call(parameters: PeerCall.encode(from: from, era: era, messages: batch, call: queue.callNumber,
                                                              answered: queue.answeredCall),
                                  messageCount: batch.count))
            }
            return calls
        }
    }

    private struct Call {
        var parameters: [XMLRPCValue]
        var messageCount: Int
    }

    init(from: NodeID, to target: ClusterConfiguration.Node, members: [NodeID], valueBytesMax: Int,
         executor: EventLoopTaskExecutor, signing: RequestSigning, metrics: NodeMetrics, logger: Logger) {
        self.from = from
        self.members = members
        self.valueBytesMax = valueBytesMax
        self.executor = executor
        self.target = target
        self.logger = logger
        self.metrics = metrics
        // Every batch is signed as this node: the peer checks the code before it decodes a byte.
        // Its answer must be signed by the peer, for this very call, before a byte of it is decoded.
        var configuration = signing.clientConfiguration(as: .node(from.rawValue))
        configuration.responseCheck = signing.answerCheck(from: .node(target.id))
        self.client = XMLRPCClient(host: target.host, port: target.port, path: "/RPC2",
                                   configuration: configuration, group: executor.loop)
    }

    /// The node that takes the messages answers carry (set once it is built).
    func deliverAnswers(to runtime: NodeRuntime) { receiver.withLockedValue { $0.runtime = runtime } }

    func setEra(_ era: UInt64) { state.withLockedValue { $0.era = era } }

    /// Queues `messages`. A link with no call in flight does not send them at once: a task on
    /// the node's loop takes what is queued after the loop's current work (the other requests
    /// read in the same turn, the other Readies of one fsync), so all of it leaves in one call
    /// rather than the first message alone and the rest a round trip later.
    func enqueue(_ messages: [Message]) {
        let schedule = state.withLockedValue { state -> Bool in
            guard !state.closed else { return false }
            state.dropped += state.queue.enqueue(messages)
            return state.scheduleTakeIfCallMayStart()
        }
        if schedule { Task(executorPreference: executor) { self.takeQueued() } }
    }

    /// The peer called us: until `takeAnswer`, what we queue for it waits for that answer.
    func answerStarted() { state.withLockedValue { $0.queue.answerStarted() } }

    /// What the answer to the peer's call numbered `call` carries (`PeerQueue.takeAnswer`);
    /// what is left leaves in a call of its own.
    func takeAnswer(toCall call: Int) -> [Message] {
        let (messages, schedule) = state.withLockedValue { state -> ([Message], Bool) in
            let messages = state.closed ? [] : state.queue.takeAnswer(toCall: call)
            return (messages, state.scheduleTakeIfCallMayStart())
        }
        if schedule { Task(executorPreference: executor) { self.takeQueued() } }
        return messages
    }

    private func takeQueued() {
        let calls = state.withLockedValue { state -> [Call] in
            state.takeScheduled = false
            return state.closed ? [] : state.takeCalls(from: from)
        }
        for call in calls { start(call) }
    }

    /// Returns once a call of the peer that names `answered` may be taken: our call of that
    /// number has ended, the messages of its answer taken, since the peer sent them before this
    /// call (`PeerQueue.mayTakeCall`). Our call ends within `callTimeout` whatever the peer does.
    func untilAnswerTaken(ofCall answered: Int) async {
        guard !state.withLockedValue({ $0.queue.mayTakeCall(answered: answered) || $0.closed }) else { return }
        await withCheckedContinuation { continuation in
            let now = state.withLockedValue { state -> Bool in
                if state.queue.mayTakeCall(answered: answered) || state.closed { return true }
                state.callEndWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func clear() { state.withLockedValue { $0.queue.removeAll() } }

    func shutdown() async {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            state.queue.removeAll()
            defer { state.callEndWaiters = [] }
            return state.callEndWaiters
        }
        for waiter in waiters { waiter.resume() }
        await client.shutdown()
    }

    private func send(_ call: Call) async {
        var failure: String? = nil
        let started = ContinuousClock.now
        var answer: PeerCall.Decoded? = nil
        do {
            let value = try await client.call("paxos.peer", call.parameters, timeout: Self.callTimeout)
            answer = try PeerCall.decodeAnswer(value, from: target.nodeID, members: members, valueBytesMax: valueBytesMax)
        } catch {
            failure = "\(error)"
        }
        metrics.peerCall(to: target.id, took: ContinuousClock.now - started, messages: call.messageCount, failed: failure != nil)
        // The answer's messages are taken before the call ends: the peer's calls waiting for
        // it (`untilAnswerTaken`) were sent after that answer.
        if let answer, !answer.messages.isEmpty, let runtime = receiver.withLockedValue({ $0.runtime }) {
            await runtime.receive(from: answer.from, era: answer.era, messages: answer.messages)
        }
        let (next, waiters, becameReachable, becameUnreachable) = state.withLockedValue { state in
            state.queue.callEnded()
            let wasReachable = state.reachable
            state.reachable = failure == nil
            // Calls of the peer waiting for this one's answer may be taken now.
            var waiters: [CheckedContinuation<Void, Never>] = []
            swap(&waiters, &state.callEndWaiters)
            return (state.takeCalls(from: from), waiters, !wasReachable && state.reachable, wasReachable && !state.reachable)
        }
        for waiter in waiters { waiter.resume() }
        if becameUnreachable {
            logger.notice("peer \(target.id) at \(target.address) unreachable: \(failure ?? "")")
        } else if becameReachable {
            logger.notice("peer \(target.id) at \(target.address) reachable again")
        }
        for next in next { start(next) }
    }

    private func start(_ call: Call) {
        Task(executorPreference: executor) { await self.send(call) }
    }
}
