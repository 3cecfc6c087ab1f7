import PaxosCore
import Testing

// Crash-recovery (DESIGN.md sections 1 and 4): a node rebuilt from its log keeps every promise it
// made, every value it accepted and everything it knows to be chosen.

@Suite("Recovery")
struct RecoveryTests {
    @Test("a restarted node keeps its promises (DurableState replay)")
    func keepsPromises() {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1, minimumRound: 5)
        cluster.deliver(kind(.prepare, to: 2))
        cluster.drop()
        cluster.crash(2)
        cluster.restart(2)
        #expect(cluster[2].acceptorState(1) == AcceptorState(promised: ballot(5, 1)))
        cluster.drop()
        let ready = cluster.deliver(Envelope(from: node(3), to: node(2), message: .prepare(instance: 1, ballot: ballot(4, 3))))
        #expect(ready.messages.map(\.message) == [.nack(instance: 1, ballot: ballot(4, 3), promised: ballot(5, 1))])
        let accept = cluster.deliver(Envelope(from: node(3), to: node(2),
                                              message: .accept(instance: 1, ballot: ballot(4, 3), command: command("B"))))
        #expect(accept.messages.map(\.message) == [.nack(instance: 1, ballot: ballot(4, 3), promised: ballot(5, 1))])
    }

    @Test("a restarted node reports the value it accepted before the crash in its next promise")
    func keepsAcceptedValue() {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1)
        cluster.deliverAll(kind(.prepare))
        cluster.deliverAll(kind(.promise))
        cluster.deliver(kind(.accept, to: 2))
        cluster.drop()
        cluster.crash(2)
        cluster.restart(2)
        cluster.drop()
        let ready = cluster.deliver(Envelope(from: node(3), to: node(2), message: .prepare(instance: 1, ballot: ballot(2, 3))))
        guard case .promise(1, ballot(2, 3), let accepted?)? = ready.messages.first?.message else {
            Issue.record("expected a promise carrying A, got \(ready.messages)")
            return
        }
        #expect(accepted.ballot == ballot(1, 1))
        #expect(accepted.command.text == "A")
    }

    @Test("a restarted node keeps what was chosen and rebuilds its file without appending it again")
    func keepsChosenAndFile() {
        var cluster = Cluster(size: 3)
        cluster.submit("A", at: 1)
        cluster.deliverAll()
        cluster.submit("B", at: 2)
        cluster.deliverAll()
        let before = cluster.files[node(3)]!
        cluster.crash(3)
        let ready = cluster.restart(3)
        #expect(ready.applied.isEmpty, "the lines are in the file already")
        #expect(cluster[3].fileEntries == before)
        #expect(cluster[3].appliedThrough == 2)
        #expect(cluster[3].chosenInstances.map { $0.command.text } == ["A", "B"])
        // The same command chosen again later is still recognised as a duplicate after the restart.
        let duplicate = cluster.deliver(Envelope(from: node(1), to: node(3),
                                                 message: .learn(instance: 3, command: cluster[3].chosenCommand(1)!)))
        #expect(duplicate.applied.isEmpty)
        #expect(cluster[3].appliedThrough == 3)
    }

    @Test("incarnation increments on every start and is the first record of onStart's Ready")
    func incarnationPersistedFirst() {
        var cluster = Cluster(size: 3)
        let first = cluster.startAll()[node(1)]!
        #expect(first.persist == [.incarnation(1)])
        #expect(cluster[1].incarnation == 1)
        cluster.crash(1)
        let second = cluster.restart(1)
        #expect(second.persist.first == .incarnation(2))
        #expect(cluster[1].incarnation == 2)
        cluster.crash(1)
        #expect(cluster.restart(1).persist.first == .incarnation(3))
    }

    @Test("onStart asks every peer for what was chosen after the applied prefix and starts the heartbeat")
    func startAsksForCatchUp() {
        var cluster = Cluster(size: 3)
        cluster.deliver(Envelope(from: node(2), to: node(1), message: .learn(instance: 1, command: command("A"))))
        cluster.crash(1)
        let ready = cluster.restart(1)
        #expect(ready.messages == [
            Envelope(from: node(1), to: node(2), message: .catchUpRequest(from: 2)),
            Envelope(from: node(1), to: node(3), message: .catchUpRequest(from: 2)),
        ])
        #expect(ready.timer(.heartbeat) == cluster.configurations[node(1)]!.heartbeatMilliseconds)
    }

    @Test("commands of a new incarnation never reuse an identifier: the same text submitted again is a new line")
    func newIncarnationNewCommands() {
        var cluster = Cluster(size: 3)
        cluster.startAll()
        cluster.deliverAll()
        cluster.submit("A", at: 1)
        cluster.deliverAll()
        cluster.crash(1)
        cluster.restart(1)
        cluster.deliverAll()
        cluster.submit("A", at: 1)
        cluster.deliverAll()
        let firstID = cluster[1].chosenCommand(1)?.id
        let secondID = cluster[1].chosenCommand(2)?.id
        #expect(firstID?.incarnation == 1)
        #expect(secondID?.incarnation == 2)
        #expect(firstID != secondID)
        #expect(cluster.lines(2) == ["1 A\n", "2 A\n"])
    }

    @Test("a restarted proposer takes a ballot above the promises it made before the crash")
    func ballotAboveRecoveredPromises() {
        var cluster = Cluster(size: 3)
        cluster.propose("B", instance: 1, at: 3, minimumRound: 9)
        cluster.deliver(kind(.prepare, to: 1))
        cluster.drop()
        cluster.crash(1)
        cluster.restart(1)
        cluster.drop()
        #expect(cluster.propose("A", instance: 2, at: 1).sentPrepares.first == ballot(10, 1))
    }

    @Test("DurableState replay: promises only rise, acceptance implies a promise, choice freezes the acceptor")
    func durableStateReplay() {
        let a = AcceptedProposal(ballot: ballot(2, 1), command: command("A"))
        var state = DurableState(replaying: [
            .promised(instance: 1, ballot: ballot(3, 2)),
            .promised(instance: 1, ballot: ballot(2, 2)),
            .accepted(instance: 2, proposal: a),
            .round(7), .round(4),
            .incarnation(3), .incarnation(2),
        ])
        #expect(state.acceptors[1] == AcceptorState(promised: ballot(3, 2)))
        #expect(state.acceptors[2] == AcceptorState(promised: ballot(2, 1), accepted: a))
        #expect(state.highestRound == 7)
        #expect(state.incarnation == 3)
        state.apply(.chosen(instance: 2, command: command("A")))
        #expect(state.acceptors[2] == AcceptorState(promised: ballot(2, 1), accepted: a), "kept for the record")
        state.apply(.promised(instance: 2, ballot: ballot(9, 9)))
        #expect(state.acceptors[2] == AcceptorState(promised: ballot(2, 1), accepted: a), "a chosen instance's acceptor never changes")
        #expect(state.chosen[2] == command("A"))
    }
}
