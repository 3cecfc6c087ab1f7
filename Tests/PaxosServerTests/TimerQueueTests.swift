@testable import PaxosServer
import Testing

/// The node's alarms: one heap, served one alarm at a time, with cancelled and re-armed entries
/// skipped when they come due.
@Suite("Timer queue")
struct TimerQueueTests {
    let start = ContinuousClock.now

    @Test("due alarms come out earliest first, one at a time; later ones stay")
    func order() {
        var queue = TimerQueue<String>()
        queue.schedule("c", at: start + .milliseconds(30))
        queue.schedule("a", at: start + .milliseconds(10))
        queue.schedule("b", at: start + .milliseconds(20))
        queue.schedule("later", at: start + .seconds(5))
        let now = start + .milliseconds(30)
        var fired: [String] = []
        while let key = queue.popNextDue(now: now) { fired.append(key) }
        #expect(fired == ["a", "b", "c"])
        #expect(queue.earliest == start + .seconds(5))
        #expect(!queue.isEmpty)
    }

    @Test("an alarm cancelled, or re-armed later, by an earlier one due at the same time does not fire now")
    func cancelAndRearmInBetween() {
        var queue = TimerQueue<String>()
        queue.schedule("heartbeat", at: start + .milliseconds(1))
        queue.schedule("proposer", at: start + .milliseconds(2))
        queue.schedule("deadline", at: start + .milliseconds(3))
        let now = start + .milliseconds(5)
        #expect(queue.popNextDue(now: now) == "heartbeat")
        // What the heartbeat's step does: cancels the proposer, pushes the deadline back.
        queue.cancel("proposer")
        queue.schedule("deadline", at: start + .milliseconds(50))
        #expect(queue.popNextDue(now: now) == nil)
        #expect(queue.popNextDue(now: start + .milliseconds(50)) == "deadline")
        #expect(queue.isEmpty)
    }

    @Test("cancelled and re-armed entries do not pile up: the heap stays within a few times the live alarms")
    func staleEntriesAreDropped() {
        var queue = TimerQueue<Int>()
        // A busy leader: every request arms a deadline seconds ahead and is answered at once.
        for request in 0..<100_000 {
            queue.schedule(request, at: start + .seconds(5) + .microseconds(Int64(request)))
            if request >= 64 { queue.cancel(request - 64) }  // 64 requests in flight
            queue.schedule(-1, at: start + .milliseconds(Int64(request % 100)))  // a timer re-armed
            #expect(queue.heldCount <= 3 * 65 + 64 + 2)
        }
        // The live ones still fire, in order, and nothing cancelled does.
        var fired: [Int] = []
        while let key = queue.popNextDue(now: start + .seconds(10)) { fired.append(key) }
        #expect(fired == [-1] + Array(100_000 - 64 ..< 100_000))
        #expect(queue.isEmpty)
        #expect(queue.heldCount == 0)
    }
}
