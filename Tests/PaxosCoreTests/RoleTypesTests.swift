@testable import PaxosCore
import Testing

// The types `PaxosNode` keeps its roles' state in, on their own: what each promises its node.

@Suite("FailureDetector")
struct FailureDetectorTests {
    // Members listed out of id order: the distinguished proposer is the lowest id, not the first.
    let members = [NodeID(3), NodeID(1), NodeID(2)]

    @Test("a member is silent after more than silenceMax heartbeats without news; the node itself never is")
    func silence() {
        var detector = FailureDetector(members: members, own: NodeID(2), silenceMax: 2)
        detector.heard(fromMemberAt: 1)                       // node 1, at heartbeat 0
        detector.heartbeat(); detector.heartbeat()
        #expect(!detector.isSilent(memberAt: 1))              // 2 heartbeats: not more than 2
        detector.heartbeat()
        #expect(detector.isSilent(memberAt: 1))
        #expect(!detector.isSilent(memberAt: 2))              // itself, never heard from
        detector.heard(fromMemberAt: 1)
        #expect(!detector.isSilent(memberAt: 1))
        #expect(detector.heartbeats == 3)
    }

    @Test("the distinguished proposer is the lowest id heard from lately, else the node itself")
    func distinguished() {
        var detector = FailureDetector(members: members, own: NodeID(2), silenceMax: 1)
        #expect(detector.distinguishedIndex == 1)             // node 1: heard at heartbeat 0, now 0
        #expect(detector.heardCount == 3)
        detector.heartbeat(); detector.heartbeat()
        #expect(detector.distinguishedIndex == 2)             // node 1 and 3 silent: node 2 itself
        #expect(detector.heardCount == 1)
        detector.heard(fromMemberAt: 0)                       // node 3 is back, but node 2 is lower
        #expect(detector.distinguishedIndex == 2)
        #expect(detector.heardCount == 2)
        detector.heard(fromMemberAt: 1)
        #expect(detector.distinguishedIndex == 1)
    }
}

@Suite("SubmitTracker")
struct SubmitTrackerTests {
    typealias PendingSubmit = PaxosNode.PendingSubmit
    let a = CommandID(node: NodeID(1), incarnation: 1, sequence: 1)
    let b = CommandID(node: NodeID(1), incarnation: 1, sequence: 2)

    func submit(_ id: CommandID, client: UInt64?) -> PendingSubmit {
        PendingSubmit(request: client, command: .value(id, "v"), state: .queued)
    }

    @Test("a retry takes the waiting client's place; the earlier client is handed back once")
    func takeOver() {
        var tracker = SubmitTracker()
        tracker.add(a, submit(a, client: 10), queued: true)
        #expect(tracker.takeOver(a, for: RequestID(11)) == RequestID(10))
        #expect(tracker.remove(waitingFor: RequestID(10)) == nil)          // no longer waiting
        let removed = tracker.remove(waitingFor: RequestID(11))
        #expect(removed?.commandID == a)
        #expect(removed?.submit.request == RequestID(11))
        #expect(tracker.count == 0)
    }

    @Test("removing a command forgets its client; a forwarded submit has none")
    func removeForgetsTheClient() {
        var tracker = SubmitTracker()
        tracker.add(a, submit(a, client: 10), queued: false)
        tracker.add(b, submit(b, client: nil), queued: true)
        #expect(tracker.commandIDsInOrder == [a, b])
        #expect(tracker.remove(a)?.request == RequestID(10))
        #expect(tracker.remove(waitingFor: RequestID(10)) == nil)
        #expect(tracker.contains(b) && !tracker.contains(a))
        #expect(tracker.takeOver(b, for: RequestID(12)) == nil)            // it had no client
        #expect(tracker.remove(waitingFor: RequestID(12))?.commandID == b)
    }

    @Test("the queue keeps its order; a requeued command goes first")
    func queue() {
        var tracker = SubmitTracker()
        tracker.add(a, submit(a, client: 10), queued: true)
        tracker.add(b, submit(b, client: 11), queued: true)
        #expect(tracker.nextQueued() == a)
        tracker.enqueueFirst(a)
        #expect(tracker.nextQueued() == a)
        #expect(tracker.nextQueued() == b)
        #expect(!tracker.hasQueued && tracker.nextQueued() == nil)
        #expect(tracker.update(a) { $0.state = .chosen; return true } == true)
        #expect(tracker.update(CommandID(node: NodeID(2), incarnation: 1, sequence: 1)) { _ in true } == nil)
    }
}
