import PaxosCore
import Testing

// The learner and the replicated file (DESIGN.md sections 3 and 4): what is chosen is made
// durable, applied in instance order, once per command, and reported to the waiting client.

private func learn(_ instance: InstanceNumber, _ command: Command, from sender: UInt32 = 1, to addressee: UInt32) -> Envelope {
    Envelope(from: node(sender), to: node(addressee), message: .learn(instance: instance, command: command))
}

@Suite("Learner and replicated file")
struct LearnerTests {
    @Test("step 7: every node persists the choice as .chosen before it applies the line")
    func chosenIsPersistedEverywhere() {
        var cluster = Cluster(size: 3)
        cluster.submit("A", at: 1)
        cluster.deliverAll()
        for member in cluster.members {
            let chosen = cluster.logs[member]!.compactMap { if case .chosen(1, let c) = $0 { c } else { nil } }
            #expect(chosen.map(\.text) == ["A"], "node \(member)")
            #expect(cluster.files[member]!.map(\.line) == ["1 A\n"], "node \(member)")
        }
        #expect(cluster.traces[node(2)]!.contains { if case .learned(1, _) = $0 { true } else { false } })
    }

    @Test("submit: the reply carries the instance the value was applied as")
    func submitReplyCarriesInstance() {
        var cluster = Cluster(size: 3)
        cluster.submit("A", at: 1, request: 10)
        cluster.deliverAll()
        cluster.submit("B", at: 2, request: 11)
        cluster.deliverAll()
        #expect(cluster.reply(to: 10) == .submitted(10, instance: 1, value: "A"))
        #expect(cluster.reply(to: 11) == .submitted(11, instance: 2, value: "B"))
        #expect(Set(cluster.members.map { cluster.files[$0]!.map(\.line) }) == [["1 A\n", "2 B\n"]])
    }

    @Test("submit: concurrent submits at one node take consecutive instances")
    func concurrentSubmitsTakeConsecutiveInstances() {
        var cluster = Cluster(size: 3)
        let first = cluster.submit("A", at: 1, request: 1)
        let second = cluster.submit("B", at: 1, request: 2)
        #expect(first.sentPrepares.count == 2 && second.sentPrepares.count == 2)
        #expect(second.messages.allSatisfy { $0.message.instance == 2 })
        cluster.deliverAll()
        #expect(cluster.reply(to: 1) == .submitted(1, instance: 1, value: "A"))
        #expect(cluster.reply(to: 2) == .submitted(2, instance: 2, value: "B"))
    }

    @Test("file entries are contiguous in instance order: instance 2 waits for instance 1")
    func appliedInInstanceOrder() {
        var cluster = Cluster(size: 3)
        cluster.propose("B", instance: 2, at: 1, request: 1)
        cluster.deliverAll()
        #expect(cluster.reply(to: 1) != nil, "propose answers once chosen, applied or not")
        for member in cluster.members {
            #expect(cluster.nodes[member]!.chosenCommand(2)?.text == "B")
            #expect(cluster.nodes[member]!.appliedThrough == 0)
            #expect(cluster.files[member]!.isEmpty)
        }
        cluster.propose("A", instance: 1, at: 2)
        cluster.deliverAll()
        for member in cluster.members {
            #expect(cluster.files[member]!.map(\.line) == ["1 A\n", "2 B\n"])
            #expect(cluster.nodes[member]!.appliedThrough == 2)
        }
    }

    @Test("no-op instances advance the applied prefix but produce no file line")
    func noopHasNoLine() {
        var cluster = Cluster(size: 3)
        cluster.deliver(learn(1, .noop, to: 2))
        let ready = cluster.deliver(learn(2, command("v"), to: 2))
        #expect(ready.applied == [FileEntry(instance: 2, value: "v")])
        #expect(cluster[2].appliedThrough == 2)
        #expect(cluster.lines(2) == ["2 v\n"])
    }

    @Test("a command chosen twice is applied once, in its first instance")
    func chosenTwiceAppliedOnce() {
        var cluster = Cluster(size: 3)
        let twice = command("x", node: 1, sequence: 1)
        cluster.deliver(learn(1, twice, to: 2))
        cluster.deliver(learn(2, twice, to: 2))
        cluster.deliver(learn(3, command("y", node: 1, sequence: 2), to: 2))
        #expect(cluster.lines(2) == ["1 x\n", "3 y\n"])
        #expect(cluster[2].appliedThrough == 3)
    }

    @Test("two submissions of the same text are two commands, and two lines")
    func sameTextTwice() {
        var cluster = Cluster(size: 3)
        cluster.submit("same", at: 1)
        cluster.submit("same", at: 2)
        cluster.deliverAll()
        #expect(cluster.lines(3) == ["1 same\n", "2 same\n"])
    }

    @Test("a learner ignores a second Learn of an instance it knows")
    func duplicateLearnIgnored() {
        var cluster = Cluster(size: 3)
        cluster.deliver(learn(1, command("v"), to: 2))
        #expect(cluster.deliver(learn(1, command("v"), to: 2)).isEmpty)
    }

    @Test("submit moves on to the next instance when another value is chosen in its instance")
    func submitMovesOnWhenAnotherValueChosen() throws {
        var cluster = Cluster(size: 3)
        cluster.submit("A", at: 1, request: 1)
        cluster.drop()                                      // A's Prepares are lost
        cluster.propose("B", instance: 1, at: 3, request: 2)
        cluster.drop(kind(.prepare, to: 1))
        cluster.deliverAll { $0.to != node(1) }             // B is chosen by nodes 2 and 3
        #expect(cluster[3].chosenCommand(1)?.text == "B")
        let learned = cluster.deliver(kind(.learn, to: 1)).first!
        #expect(learned.messages(kind(.prepare)).allSatisfy { $0.message.instance == 2 })
        #expect(learned.sentPrepares.count == 2, "A is proposed again, for instance 2, in the same step")
        cluster.deliverAll()
        #expect(cluster.reply(to: 1) == .submitted(1, instance: 2, value: "A"))
        #expect(Set(cluster.members.map { cluster.files[$0]!.map(\.line) }) == [["1 B\n", "2 A\n"]])
    }

    @Test("step 4: a submit whose proposer adopts another value moves on to the next instance")
    func submitMovesOnAfterAdopting() {
        var cluster = Cluster(size: 3)
        // Node 3's earlier proposal of B reached node 2 only.
        cluster.deliver(Envelope(from: node(3), to: node(2),
                                 message: .accept(instance: 1, ballot: ballot(1, 3), command: command("B", node: 3))))
        cluster.drop()
        cluster.submit("A", at: 1, request: 1)
        cluster.drop(kind(.prepare, to: 3))
        cluster.deliver(kind(.prepare, to: 2))
        cluster.deliver(kind(.nack, from: 2))               // 1.1 is below node 2's promise of 1.3
        let retry = cluster.fire(.proposer(1), at: 1)
        #expect(retry.sentPrepares.first == ballot(2, 1))
        cluster.drop(kind(.prepare, to: 3))
        cluster.deliver(kind(.prepare, to: 2))
        let adopted = cluster.deliver(kind(.promise, from: 2)).first!
        #expect(adopted.trace.contains { if case .valueAdopted(1, _, _) = $0 { true } else { false } })
        #expect(adopted.messages(kind(.accept)).allSatisfy {
            if case .accept(1, _, .value(_, "B"), _) = $0.message { true } else { false }
        })
        // A moves on to instance 2 at once, while instance 1 is being decided for B.
        #expect(adopted.messages(kind(.prepare)).map(\.message) == [
            .prepare(instance: 2, ballot: ballot(3, 1)), .prepare(instance: 2, ballot: ballot(3, 1)),
        ])
        cluster.deliver(kind(.accept, to: 2))
        let chosen = cluster.deliver(kind(.accepted, from: 2)).first!
        #expect(chosen.chosenRecords[1]?.text == "B")
        cluster.deliverAll()
        #expect(cluster.reply(to: 1) == .submitted(1, instance: 2, value: "A"))
        #expect(cluster.lines(3) == ["1 B\n", "2 A\n"])
    }

    @Test("deadline before any Accept carried the value reports noQuorum, and the proposer stops")
    func deadlineBeforeAcceptIsNoQuorum() {
        var cluster = Cluster(size: 3)
        cluster.crash(2)
        cluster.crash(3)
        cluster.submit("A", at: 1, request: 5)
        cluster.fire(.proposer(1), at: 1)                   // phase timeout
        cluster.fire(.proposer(1), at: 1)                   // retry, still alone
        let ready = cluster.deadline(request: 5, at: 1)
        #expect(ready.replies == [.failed(5, .noQuorum)])
        #expect(ready.timers.contains(.cancel(.proposer(1))))
        #expect(ready.persist.isEmpty && ready.applied.isEmpty && ready.messages.isEmpty)
        #expect(cluster[1].activeProposals == 0)
        #expect(cluster[1].pendingSubmitCount == 0)
        // A late timer is harmless, and once the peers are back the next submit gets instance 1.
        #expect(cluster.fire(.proposer(1), at: 1).isEmpty)
        cluster.restart(2)
        cluster.restart(3)
        cluster.deliverAll()
        cluster.submit("B", at: 1, request: 6)
        cluster.deliverAll()
        #expect(cluster.reply(to: 6) == .submitted(6, instance: 1, value: "B"))
        #expect(cluster.lines(2) == ["1 B\n"])
    }

    @Test("deadline after the Accept left reports outcomeUnknown, and phase 2 still decides the instance")
    func deadlineAfterAcceptIsOutcomeUnknown() {
        var cluster = Cluster(size: 3)
        cluster.submit("A", at: 1, request: 5)
        cluster.deliverAll(kind(.prepare))
        cluster.deliverAll(kind(.promise))
        let ready = cluster.deadline(request: 5, at: 1)
        #expect(ready.replies == [.failed(5, .outcomeUnknown)])
        #expect(cluster[1].activeProposals == 1)
        cluster.deliverAll()
        #expect(cluster.lines(1) == ["1 A\n"], "it was chosen after all, and every file has it")
        #expect(cluster.replies[node(1)]!.count == 1, "the client was answered once")
    }

    @Test("deadline of a submit chosen but not yet applied answers 'outcome unknown': instance 1, unknown here, may hold it too")
    func deadlineOfChosenButUnapplied() {
        var cluster = Cluster(size: 3)
        cluster.submit("A", at: 1, request: 1)
        cluster.submit("B", at: 1, request: 2)
        cluster.drop { $0.message.instance == 1 }
        cluster.deliverAll { $0.message.instance == 2 }
        #expect(cluster[1].chosenCommand(2)?.text == "B")
        #expect(cluster[1].appliedThrough == 0)
        #expect(cluster.deadline(request: 2, at: 1).replies == [.failed(2, .outcomeUnknown)])
    }

    @Test("deadline of a propose before any Accept reports noQuorum")
    func proposeDeadline() {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1, request: 3)
        cluster.drop()
        #expect(cluster.deadline(request: 3, at: 1).replies == [.failed(3, .noQuorum)])
        #expect(cluster[1].activeProposals == 0)
    }

    @Test("propose on an instance already chosen answers at once with the chosen value")
    func proposeOnChosenInstance() {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1, request: 1)
        cluster.deliverAll()
        let ready = cluster.propose("B", instance: 1, at: 2, request: 2)
        #expect(ready.messages.isEmpty && ready.persist.isEmpty)
        #expect(ready.replies.count == 1)
        guard case .proposed(2, 1, let chosen, let ours)? = ready.replies.first else { return }
        #expect(chosen.text == "A")
        #expect(!ours)
    }

    @Test("a second propose of an instance already being proposed waits for the same outcome")
    func secondProposeWaits() {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1, request: 1)
        let second = cluster.propose("B", instance: 1, at: 1, request: 2)
        #expect(second.messages.isEmpty)
        cluster.deliverAll()
        guard case .proposed(1, 1, let chosen, true)? = cluster.reply(to: 1) else {
            Issue.record("\(String(describing: cluster.reply(to: 1)))")
            return
        }
        #expect(cluster.reply(to: 2) == .proposed(2, instance: 1, chosen: chosen, ours: false))
    }
}

@Suite("Limits")
struct LimitTests {
    @Test("pendingSubmitsMax: one submit too many is refused as overloaded, with nothing written")
    func pendingSubmitsMax() {
        var cluster = Cluster(size: 3) { $0.pendingSubmitsMax = 2 }
        cluster.submit("A", at: 1)
        cluster.submit("B", at: 1)
        let refused = cluster.submit("C", at: 1, request: 99)
        #expect(refused.replies == [.failed(99, .overloaded(limit: 2))])
        #expect(refused.persist.isEmpty && refused.messages.isEmpty)
        cluster.deliverAll()
        #expect(cluster.lines(1) == ["1 A\n", "2 B\n"])
        cluster.submit("C", at: 1, request: 100)
        cluster.deliverAll()
        #expect(cluster.reply(to: 100) == .submitted(100, instance: 3, value: "C"))
    }

    @Test("proposalsInFlightMax: extra submits wait their turn, in order")
    func proposalsInFlightMax() {
        var cluster = Cluster(size: 3) { $0.proposalsInFlightMax = 2 }
        for value in ["A", "B", "C", "D"] { cluster.submit(value, at: 1) }
        #expect(cluster[1].activeProposals == 2)
        cluster.deliverAll()
        #expect(cluster.lines(1) == ["1 A\n", "2 B\n", "3 C\n", "4 D\n"])
        #expect(cluster[1].activeProposals == 0)
    }
}
