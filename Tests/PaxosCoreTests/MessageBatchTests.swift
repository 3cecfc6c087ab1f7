import PaxosCore
import Testing

// `PaxosNode.onMessages`: the messages of one peer call taken as one step, the way the live
// node's `paxos.peer` and the simulator's peer calls take them. The step must do what the
// messages taken one by one do, only with one Ready. These tests pin it for one call; the model
// checker's `--peer-calls` search (`PeerCallModelCheckerTests`) checks it over every state.

@Suite("A peer call's messages as one step")
struct MessageBatchTests {
    /// Node 2 of three, which promised ballot (1, 1) at instances 1 and 3, and the records it
    /// made durable doing so.
    func acceptor() -> (node: PaxosNode, log: [DurableRecord]) {
        var node = PaxosNode(configuration: configuration(2, of: 3))
        var log: [DurableRecord] = []
        for instance: InstanceNumber in [1, 3] {
            let ready = node.onMessage(from: NodeID(1), .prepare(instance: instance, ballot: ballot(1, 1)))
            log += ready.persist + ready.persistEventually
        }
        return (node, log)
    }

    /// A call mixing what a leader's call carries: Accepts, one refused (instance 3 promised a
    /// higher ballot), a decision announced, and a Prepare.
    let call: [Message] = [
        .accept(instance: 1, ballot: ballot(1, 1), command: command("A")),
        .accept(instance: 2, ballot: ballot(1, 1), command: command("B", sequence: 2)),
        .prepare(instance: 3, ballot: ballot(2, 3)),
        .accept(instance: 3, ballot: ballot(1, 1), command: command("C", sequence: 3)),
        .accept(instance: 4, ballot: ballot(1, 1), command: command("D", sequence: 4), chosen: [1]),
    ]

    @Test("one Ready holding every effect of the messages taken one by one, in their order, and the same state after")
    func sameAsOneByOne() {
        var oneByOne = acceptor().node
        var expected = Ready()
        for message in call {
            let ready = oneByOne.onMessage(from: NodeID(1), message)
            expected.persist += ready.persist
            expected.persistEventually += ready.persistEventually
            expected.messages += ready.messages
            expected.replies += ready.replies
            expected.applied += ready.applied
            expected.timers += ready.timers
            expected.trace += ready.trace
        }
        var together = acceptor().node
        let ready = together.onMessages(from: NodeID(1), call)
        #expect(ready == expected)
        #expect(together == oneByOne)
        // The call did something of each kind: records, answers, a refusal.
        #expect(ready.persist.count >= 3)
        #expect(ready.messages.contains { if case .nack = $0.message { return true } else { return false } })
    }

    @Test("its answers wait for all its records: none leaves before the last record is durable")
    func answersAfterEveryRecord() {
        var (node, log) = acceptor()
        let ready = node.onMessages(from: NodeID(1), call)
        #expect(persistBeforeSendViolations(log: log, ready: ready, node: node.id).isEmpty)
    }

    @Test("a call from a node that is not a member does nothing")
    func nonMemberIgnored() {
        var node = acceptor().node
        let before = node
        #expect(node.onMessages(from: NodeID(9), call).isEmpty)
        #expect(node == before)
    }
}
