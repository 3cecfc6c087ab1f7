/// The rules by which a node's messages to one peer travel, shared by the live node's
/// `PeerLink` and the simulator, so that the checkers see the batches that run:
/// - messages leave in the order they were sent, in calls, with at most `callsInFlightMax`
///   call in flight, so a peer receives them in order (as over one TCP stream: a Learn never
///   overtakes the Accept before it);
/// - what is queued while a call is in flight travels together in the next call, bounded in
///   messages and in estimated bytes, so the number of calls grows slower than the load and
///   the receiver takes a call's messages as one step (`PaxosNode.onMessages`), its records in
///   one write;
/// - the answer to the peer's own call carries what is queued for it (`takeAnswer`): a node
///   answers a call once the steps it made are performed, so the messages they produced for the
///   caller (an acceptor's Accepteds to the leader whose Accepts it took) ride back on that
///   exchange instead of in a call of their own. While such an answer is being prepared, no call
///   to that peer starts (what is queued meanwhile leaves in the answer), and an answer carries
///   messages only when no call of ours to that peer is in flight, so each message leaves once,
///   in order. An answer and the call sent right after it travel on two connections, so a call
///   names the peer's call whose answer last carried messages (`answeredCall`), and the peer
///   takes it only once that call of its own has ended, its answer taken (`mayTakeCall`): what
///   a node sends a peer is taken in the order it was sent. (Naming the call, rather than
///   waiting for every call in flight, keeps two nodes calling each other at once from waiting
///   for each other.)
/// - a full queue drops what does not fit (Paxos tolerates loss: the proposer's timeout and the
///   heartbeat recover), and nothing here ever makes the node wait.
///
/// Pure bookkeeping: the shell sends the calls and answers and says when each one ends.
public struct PeerQueue: Sendable {
    public static let callsInFlightMax = 1
    public static let queuedMessagesMax = 20_000
    public static let batchMessagesMax = 512
    /// Estimated request bytes per call, well under the peers' body limit even if every
    /// character of a value must be escaped.
    public static let batchBytesMax = 512 * 1024

    private var queue = FIFO<Message>()
    public private(set) var callsInFlight = 0
    /// Calls of the peer that this node took and has not answered yet.
    public private(set) var answersPending = 0
    /// The number of our latest call (0 before the first): numbers run from the first one given
    /// at `init` and wrap within 1..<2^31 (an XML-RPC int). A live node starts at a random one, so
    /// that a restarted node's numbers do not match what its peers remember of its last life.
    public private(set) var callNumber: Int
    /// The number of the peer's call whose answer last carried our messages (0: none yet).
    public private(set) var answeredCall = 0
    public static let callNumberLimit = 1 << 31

    public init(firstCallNumber: Int = 1) {
        precondition(firstCallNumber > 0 && firstCallNumber < Self.callNumberLimit, "call numbers are 1..<2^31")
        callNumber = firstCallNumber - 1
    }

    public var queuedCount: Int { queue.count }

    /// Queues `messages` behind those already queued; returns how many did not fit and were dropped.
    public mutating func enqueue(_ messages: [Message]) -> Int {
        var dropped = 0
        for message in messages where !enqueue(message) { dropped += 1 }
        return dropped
    }

    /// Queues one message; false if the queue is full and it was dropped.
    public mutating func enqueue(_ message: Message) -> Bool {
        guard queue.count < Self.queuedMessagesMax else { return false }
        queue.append(message)
        return true
    }

    /// The next call to send, if one may start now: the oldest queued messages within the
    /// bounds. The call counts as in flight until `callEnded`.
    public mutating func takeCall() -> [Message]? {
        guard answersPending == 0, callsInFlight < Self.callsInFlightMax, !queue.isEmpty else { return nil }
        callsInFlight += 1
        callNumber = callNumber % (Self.callNumberLimit - 1) + 1
        return takeBatch()
    }

    /// Whether a call of the peer that names `answered` (its `answeredCall` when it sent it) may
    /// be taken now: not while that call of ours is in flight, since its answer holds messages
    /// the peer sent before this call. (One call in flight: the one numbered `callNumber`.)
    public func mayTakeCall(answered: Int) -> Bool {
        !(callsInFlight > 0 && answered != 0 && answered == callNumber)
    }

    /// The peer called: its answer will carry messages (`takeAnswer`), so no call starts until then.
    public mutating func answerStarted() {
        answersPending += 1
    }

    /// The messages the answer to the peer's call numbered `number` carries, within a call's
    /// bounds: the oldest queued, unless a call of ours to the peer is in flight (they would
    /// overtake it). Our next call names that call (`answeredCall`). The shell then starts a
    /// call if messages are left (`takeCall`).
    public mutating func takeAnswer(toCall number: Int) -> [Message] {
        precondition(answersPending > 0, "an answer taken for a call never started")
        answersPending -= 1
        guard callsInFlight == 0, !queue.isEmpty else { return [] }
        answeredCall = number
        return takeBatch()
    }

    /// The oldest queued messages within the bounds of one call.
    private mutating func takeBatch() -> [Message] {
        var batch: [Message] = []
        batch.reserveCapacity(min(queue.count, Self.batchMessagesMax))
        var bytes = 0
        // Taken out and put back when it does not fit: looking at the first in place copied
        // every message once more.
        while batch.count < Self.batchMessagesMax, let next = queue.popFirst() {
            let estimate = Self.estimatedBytes(next)
            if !batch.isEmpty && bytes + estimate > Self.batchBytesMax {
                queue.prepend(next)
                break
            }
            bytes += estimate
            batch.append(next)
        }
        return batch
    }

    /// A call ended, delivered or failed (a failed call's messages are lost, as Paxos allows).
    public mutating func callEnded() {
        precondition(callsInFlight > 0, "a call ended that was never taken")
        callsInFlight -= 1
    }

    /// Forgets what is queued (a reset, or a crash of the sender).
    public mutating func removeAll() {
        queue = FIFO()
    }

    /// A message's size on the wire at worst: 400 bytes of markup, and five bytes per byte of
    /// a value (`&amp;` for `&`).
    static func estimatedBytes(_ message: Message) -> Int {
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
        return 400 + valueBytes * 5
    }
}
