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
}
