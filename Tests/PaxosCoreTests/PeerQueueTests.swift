import PaxosCore
import Testing

// How a node's messages to one peer travel (`PeerQueue`), for the live `PeerLink` and the
// simulator's peer calls alike.

@Suite("Peer queue: in order, one call in flight, what waits travels together, bounded")
struct PeerQueueTests {
    func status(_ instance: InstanceNumber) -> Message { .status(appliedThrough: instance) }

    @Test("one call at a time; what is queued meanwhile leaves together, in order, once it ends")
    func oneCallInFlight() {
        var queue = PeerQueue()
        let none = queue.takeCall()
        #expect(none == nil, "nothing queued")
        _ = queue.enqueue([status(1)])
        let first = queue.takeCall()
        #expect(first == [status(1)])
        let dropped = queue.enqueue([status(2), status(3)])
        let queued = queue.enqueue(status(4))
        #expect(dropped == 0 && queued)
        let whileInFlight = queue.takeCall()
        #expect(whileInFlight == nil, "a call is in flight")
        queue.callEnded()
        let second = queue.takeCall()
        #expect(second == [status(2), status(3), status(4)])
        queue.callEnded()
        let third = queue.takeCall()
        #expect(third == nil && queue.callsInFlight == 0)
    }

    @Test("a call carries at most batchMessagesMax messages; the rest follow in order")
    func boundedInMessages() {
        var queue = PeerQueue()
        let messages = (1...UInt64(PeerQueue.batchMessagesMax + 3)).map(status)
        _ = queue.enqueue(messages)
        let first = queue.takeCall()
        #expect(first == Array(messages.prefix(PeerQueue.batchMessagesMax)))
        queue.callEnded()
        let second = queue.takeCall()
        #expect(second == Array(messages.suffix(3)))
    }

    @Test("a call stays within its bytes, but always carries at least one message")
    func boundedInBytes() {
        var queue = PeerQueue()
        // Each of these is estimated at about 200 KiB (five bytes per byte of value).
        let big = Command.value(CommandID(node: NodeID(1), incarnation: 1, sequence: 1), String(repeating: "x", count: 40_000))
        let accept = Message.accept(instance: 1, ballot: Ballot(round: 1, node: NodeID(1)), command: big)
        _ = queue.enqueue([accept, accept, accept])
        let first = queue.takeCall()
        #expect(first?.count == 2)
        queue.callEnded()
        let second = queue.takeCall()
        #expect(second?.count == 1)
    }

    @Test("a full queue drops what does not fit, and says how much")
    func fullQueueDrops() {
        var queue = PeerQueue()
        let messages = (1...UInt64(PeerQueue.queuedMessagesMax + 5)).map(status)
        let dropped = queue.enqueue(messages)
        let queued = queue.enqueue(status(0))
        #expect(dropped == 5 && !queued)
        #expect(queue.queuedCount == PeerQueue.queuedMessagesMax)
        queue.removeAll()
        let call = queue.takeCall()
        #expect(queue.queuedCount == 0 && call == nil)
    }

    @Test("an answer carries what is queued for the caller, unless a call of ours is in flight; no call starts while one is prepared")
    func answersCarryQueuedMessages() {
        var queue = PeerQueue()
        queue.answerStarted()
        _ = queue.enqueue([status(1), status(2)])
        let blocked = queue.takeCall()
        #expect(blocked == nil, "the answer being prepared takes what is queued")
        #expect(queue.takeAnswer(toCall: 7) == [status(1), status(2)])
        #expect(queue.answeredCall == 7 && queue.answersPending == 0)

        _ = queue.enqueue([status(3)])
        let call = queue.takeCall()
        #expect(call == [status(3)] && queue.callsInFlight == 1)
        queue.answerStarted()
        _ = queue.enqueue([status(4)])
        #expect(queue.takeAnswer(toCall: 8).isEmpty, "it would overtake the call in flight")
        #expect(queue.answeredCall == 7, "an empty answer names nothing")
        queue.callEnded()
        let next = queue.takeCall()
        #expect(next == [status(4)], "what the answer left leaves in the next call")
    }

    @Test("a peer's call that names our call in flight waits for its answer; others, and crossing calls, do not")
    func callsNamingOurCallWait() {
        var queue = PeerQueue(firstCallNumber: 41)
        #expect(queue.mayTakeCall(answered: 41), "no call of ours in flight")
        _ = queue.enqueue([status(1)])
        _ = queue.takeCall()
        #expect(queue.callNumber == 41)
        #expect(!queue.mayTakeCall(answered: 41), "the peer answered our call 41 before it sent this one")
        #expect(queue.mayTakeCall(answered: 40), "an older call of ours, ended already")
        #expect(queue.mayTakeCall(answered: 0), "the peer answered none of ours: two nodes calling each other at once")
        queue.callEnded()
        #expect(queue.mayTakeCall(answered: 41))
    }

    @Test("call numbers stay within an XML-RPC int and wrap to 1")
    func callNumbersWrap() {
        var queue = PeerQueue(firstCallNumber: PeerQueue.callNumberLimit - 1)
        for expected in [PeerQueue.callNumberLimit - 1, 1, 2] {
            _ = queue.enqueue([status(1)])
            _ = queue.takeCall()
            #expect(queue.callNumber == expected)
            queue.callEnded()
        }
    }
}
