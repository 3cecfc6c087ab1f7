/// The rules by which a node's messages to one peer travel, shared by the live node's
/// `PeerLink` and the simulator, so that the checkers see the batches that run:
/// - messages leave in the order they were sent, in calls, with at most `callsInFlightMax`
///   call in flight, so a peer receives them in order (as over one TCP stream: a Learn never
///   overtakes the Accept before it);
/// - what is queued while a call is in flight travels together in the next call, bounded in
///   messages and in estimated bytes, so the number of calls grows slower than the load and
///   the receiver writes a call's records to its log at once (`ReadyPipeline.add(batch:)`);
/// - a full queue drops what does not fit (Paxos tolerates loss: the proposer's timeout and the
///   heartbeat recover), and nothing here ever makes the node wait.
///
/// Pure bookkeeping: the shell sends the calls and says when each one ends.
public struct PeerQueue: Sendable {
    public static let callsInFlightMax = 1
    public static let queuedMessagesMax = 20_000
    public static let batchMessagesMax = 512
    /// Estimated request bytes per call, well under the peers' body limit even if every
    /// character of a value must be escaped.
    public static let batchBytesMax = 512 * 1024

    private var queue = FIFO<Message>()
    public private(set) var callsInFlight = 0

    public init() {}

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
        guard callsInFlight < Self.callsInFlightMax, !queue.isEmpty else { return nil }
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
        callsInFlight += 1
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
