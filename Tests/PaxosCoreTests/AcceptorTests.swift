import PaxosCore
import Testing

// DESIGN.md section 3, steps 3 and 6, seen from one acceptor: node 2 of three, fed messages by hand.

@Suite("Acceptor (steps 3 and 6)")
struct AcceptorTests {
    var acceptor = PaxosNode(configuration: configuration(2, of: 3))
    var log: [DurableRecord] = []

    /// Hands `message` from `sender` to the acceptor and checks the Ready's persist-before-send rule.
    mutating func receive(_ message: Message, from sender: UInt32,
                          sourceLocation: SourceLocation = #_sourceLocation) -> Ready {
        let ready = acceptor.onMessage(from: NodeID(sender), message)
        for violation in persistBeforeSendViolations(log: log, ready: ready, node: acceptor.id) {
            Issue.record(Comment(rawValue: violation), sourceLocation: sourceLocation)
        }
        log += ready.persist + ready.persistEventually
        return ready
    }

    @Test("step 3: an acceptor with nothing accepted promises a ballot and reports no value")
    mutating func promiseWithoutValue() {
        let ready = receive(.prepare(instance: 1, ballot: ballot(1, 1)), from: 1)
        #expect(ready.persist == [.promised(instance: 1, ballot: ballot(1, 1))])
        #expect(ready.messages == [Envelope(from: node(2), to: node(1),
                                            message: .promise(instance: 1, ballot: ballot(1, 1), accepted: nil))])
        #expect(acceptor.acceptorState(1) == AcceptorState(promised: ballot(1, 1)))
    }

    @Test("step 3: an acceptor promises a higher ballot and reports its accepted value")
    mutating func promiseReportsAcceptedValue() {
        let value = command("A", node: 1)
        _ = receive(.prepare(instance: 1, ballot: ballot(1, 1)), from: 1)
        _ = receive(.accept(instance: 1, ballot: ballot(1, 1), command: value), from: 1)
        let ready = receive(.prepare(instance: 1, ballot: ballot(2, 3)), from: 3)
        #expect(ready.persist == [.promised(instance: 1, ballot: ballot(2, 3))])
        #expect(ready.messages.map(\.message) == [
            .promise(instance: 1, ballot: ballot(2, 3), accepted: AcceptedProposal(ballot: ballot(1, 1), command: value)),
        ])
        #expect(ready.messages.map(\.to) == [node(3)])
        #expect(acceptor.acceptorState(1)?.promised == ballot(2, 3))
    }

    @Test("step 3: an acceptor refuses a Prepare below its promise with a Nack naming its promise")
    mutating func nackBelowPromise() {
        _ = receive(.prepare(instance: 1, ballot: ballot(2, 3)), from: 3)
        let ready = receive(.prepare(instance: 1, ballot: ballot(2, 1)), from: 1)
        #expect(ready.persist.isEmpty, "a refusal changes nothing, so nothing is persisted")
        #expect(ready.messages.map(\.message) == [.nack(instance: 1, ballot: ballot(2, 1), promised: ballot(2, 3))])
        #expect(ready.messages.map(\.to) == [node(1)])
        #expect(acceptor.acceptorState(1)?.promised == ballot(2, 3))
        #expect(ready.trace == [.prepareRefused(instance: 1, ballot: ballot(2, 1), to: node(1), promised: ballot(2, 3))])
    }

    @Test("step 3: a duplicate Prepare of the promised ballot gets the same promise and no new record")
    mutating func duplicatePrepare() {
        let first = receive(.prepare(instance: 1, ballot: ballot(1, 1)), from: 1)
        let second = receive(.prepare(instance: 1, ballot: ballot(1, 1)), from: 1)
        #expect(first.persist.count == 1)
        #expect(second.persist.isEmpty)
        #expect(second.messages == first.messages)
    }

    @Test("step 3: the zero ballot is never promised")
    mutating func zeroBallotRefused() {
        let ready = receive(.prepare(instance: 1, ballot: .zero), from: 1)
        #expect(ready.persist.isEmpty)
        #expect(ready.messages.map(\.message) == [.nack(instance: 1, ballot: .zero, promised: .zero)])
    }

    @Test("step 3: promises are per instance")
    mutating func promisesPerInstance() {
        _ = receive(.prepare(instance: 1, ballot: ballot(5, 3)), from: 3)
        let ready = receive(.prepare(instance: 2, ballot: ballot(1, 1)), from: 1)
        #expect(ready.messages.map(\.message) == [.promise(instance: 2, ballot: ballot(1, 1), accepted: nil)])
    }

    @Test("step 6: an acceptor accepts at a ballot equal to its promise")
    mutating func acceptAtPromise() {
        let value = command("A", node: 1)
        _ = receive(.prepare(instance: 1, ballot: ballot(1, 1)), from: 1)
        let ready = receive(.accept(instance: 1, ballot: ballot(1, 1), command: value), from: 1)
        let proposal = AcceptedProposal(ballot: ballot(1, 1), command: value)
        #expect(ready.persist == [.accepted(instance: 1, proposal: proposal)])
        #expect(ready.messages.map(\.message) == [.accepted(instance: 1, ballot: ballot(1, 1))])
        #expect(acceptor.acceptorState(1) == AcceptorState(promised: ballot(1, 1), accepted: proposal))
    }

    @Test("step 6: an acceptor accepts above its promise (no Prepare seen) and raises its promise")
    mutating func acceptAbovePromise() {
        let value = command("A", node: 3)
        _ = receive(.prepare(instance: 1, ballot: ballot(1, 1)), from: 1)
        let ready = receive(.accept(instance: 1, ballot: ballot(2, 3), command: value), from: 3)
        #expect(ready.messages.map(\.message) == [.accepted(instance: 1, ballot: ballot(2, 3))])
        #expect(acceptor.acceptorState(1)?.promised == ballot(2, 3))
        let late = receive(.prepare(instance: 1, ballot: ballot(2, 1)), from: 1)
        #expect(late.messages.map(\.message) == [.nack(instance: 1, ballot: ballot(2, 1), promised: ballot(2, 3))])
    }

    @Test("step 6: an acceptor refuses an Accept below its promise")
    mutating func refuseAcceptBelowPromise() {
        _ = receive(.prepare(instance: 1, ballot: ballot(1, 1)), from: 1)
        _ = receive(.prepare(instance: 1, ballot: ballot(2, 3)), from: 3)
        let ready = receive(.accept(instance: 1, ballot: ballot(1, 1), command: command("A", node: 1)), from: 1)
        #expect(ready.persist.isEmpty)
        #expect(ready.messages.map(\.message) == [.nack(instance: 1, ballot: ballot(1, 1), promised: ballot(2, 3))])
        #expect(acceptor.acceptorState(1) == AcceptorState(promised: ballot(2, 3)))
    }

    @Test("step 6: a duplicate Accept is acknowledged again without a new record")
    mutating func duplicateAccept() {
        let value = command("A", node: 1)
        _ = receive(.accept(instance: 1, ballot: ballot(1, 1), command: value), from: 1)
        let again = receive(.accept(instance: 1, ballot: ballot(1, 1), command: value), from: 1)
        #expect(again.persist.isEmpty)
        #expect(again.messages.map(\.message) == [.accepted(instance: 1, ballot: ballot(1, 1))])
    }

    @Test("step 6: a later ballot's value replaces the accepted one")
    mutating func laterAcceptReplaces() {
        _ = receive(.accept(instance: 1, ballot: ballot(1, 1), command: command("A", node: 1)), from: 1)
        _ = receive(.accept(instance: 1, ballot: ballot(2, 3), command: command("B", node: 3)), from: 3)
        #expect(acceptor.acceptorState(1)?.accepted == AcceptedProposal(ballot: ballot(2, 3), command: command("B", node: 3)))
    }

    @Test("Ready: the promise record comes in the same Ready as the Promise it backs")
    mutating func promisePersistedBeforeSent() {
        let ready = receive(.prepare(instance: 7, ballot: ballot(3, 1)), from: 1)
        #expect(ready.persist.contains(.promised(instance: 7, ballot: ballot(3, 1))))
        #expect(ready.messages.contains { $0.message == .promise(instance: 7, ballot: ballot(3, 1), accepted: nil) })
    }

    @Test("Ready: the acceptance record comes in the same Ready as the Accepted it backs")
    mutating func acceptancePersistedBeforeSent() {
        let value = command("v", node: 1)
        let ready = receive(.accept(instance: 4, ballot: ballot(1, 1), command: value), from: 1)
        #expect(ready.persist == [.accepted(instance: 4, proposal: AcceptedProposal(ballot: ballot(1, 1), command: value))])
        #expect(ready.messages.map(\.message) == [.accepted(instance: 4, ballot: ballot(1, 1))])
    }

    @Test("an acceptor of a chosen instance answers Prepare and Accept with the chosen value")
    mutating func chosenInstanceAnswersWithLearn() {
        let value = command("A", node: 1)
        _ = receive(.learn(instance: 1, command: value), from: 1)
        let prepare = receive(.prepare(instance: 1, ballot: ballot(9, 3)), from: 3)
        let accept = receive(.accept(instance: 1, ballot: ballot(9, 3), command: command("B", node: 3)), from: 3)
        #expect(prepare.messages.map(\.message) == [.learn(instance: 1, command: value)])
        #expect(accept.messages.map(\.message) == [.learn(instance: 1, command: value)])
        #expect(prepare.persist.isEmpty && accept.persist.isEmpty)
    }

    @Test("a message from a node outside the configuration is ignored")
    mutating func nonMemberIgnored() {
        let ready = receive(.prepare(instance: 1, ballot: ballot(1, 7)), from: 7)
        #expect(ready.isEmpty)
        #expect(acceptor.acceptorState(1) == nil)
    }
}

@Suite("AcceptorState transitions")
struct AcceptorStateTests {
    @Test("step 3: promise iff the ballot is at least the promise and not zero")
    func prepareTransitions() {
        var state = AcceptorState()
        #expect(state.onPrepare(.zero) == .nack(promised: .zero))
        #expect(state.onPrepare(ballot(1, 2)) == .promise(accepted: nil))
        #expect(state.onPrepare(ballot(1, 2)) == .promise(accepted: nil))
        #expect(state.onPrepare(ballot(1, 1)) == .nack(promised: ballot(1, 2)))
        #expect(state.promised == ballot(1, 2))
    }

    @Test("step 6: accept iff the ballot is at least the promise; the broken-acceptor switch accepts anyway")
    func acceptTransitions() {
        var state = AcceptorState(promised: ballot(2, 2))
        #expect(state.onAccept(ballot(1, 1), command: .noop) == .nack(promised: ballot(2, 2)))
        #expect(state.accepted == nil)
        #expect(state.onAccept(ballot(2, 2), command: .noop) == .accepted)
        #expect(state.accepted == AcceptedProposal(ballot: ballot(2, 2), command: .noop))
        var broken = AcceptorState(promised: ballot(2, 2))
        #expect(broken.onAccept(ballot(1, 1), command: .noop, acceptBelowPromise: true) == .accepted)
        #expect(broken.promised == ballot(2, 2), "accepting below a promise must not lower it")
    }
}
