import PaxosCore
import Testing

// Multi-Paxos (DESIGN.md section 3, last paragraph): the distinguished proposer runs phase 1 once
// for every instance from its first unapplied one on, then only phase 2 per submit. Each test
// names the rule of Basic Paxos that the shortcut must still keep.

@Suite("Multi-Paxos")
struct MultiPaxosTests {
    func multiPaxosCluster() -> Cluster {
        Cluster(size: 3) { $0.multiPaxos = true }
    }

    /// S1 leads (its range promise granted) and A is chosen in instance 1.
    func clusterLedByS1() -> Cluster {
        var cluster = multiPaxosCluster()
        cluster.submit("A", at: 1)
        cluster.deliverAll()
        return cluster
    }

    @Test("the first submit sends one range Prepare; once a majority promised, each submit is one Accept round")
    func leaderSkipsPhaseOne() throws {
        var cluster = multiPaxosCluster()
        let first = cluster.submit("A", at: 1)
        #expect(first.messages.map(\.message.harnessKind) == [.prepareFrom, .prepareFrom])
        #expect(first.messages.allSatisfy { $0.message == .prepareFrom(from: 1, ballot: ballot(1, 1)) })
        cluster.deliverAll()
        #expect(cluster.reply(to: 1) == .submitted(1, instance: 1, value: "A"))
        #expect(cluster.lines(2).isEmpty && cluster.lines(3).isEmpty, "no Learn of its own: A's decision waits for the next Accept")

        let second = cluster.submit("B", at: 1, request: 2)
        #expect(second.messages.map(\.message.harnessKind) == [.accept, .accept], "no phase 1 for B")
        #expect(second.messages.allSatisfy { $0.message.announcedChosen == [1] }, "A's decision rides on B's Accepts")
        #expect(!second.persist.contains { if case .accepted = $0 { true } else { false } },
                "the leader leaves its own vote out: its two followers make the majority")
        #expect(second.timer(.proposer(2)) == cluster[1].configuration.ownVoteDelayMilliseconds)
        let follower = cluster.deliver(kind(.accept, to: 2)).first
        #expect(follower?.chosenRecords[1]?.text == "A", "S2 learns A from the Accept, in the same write as B's acceptance")
        #expect(follower?.applied.map(\.line) == ["1 A\n"])
        cluster.deliverAll()
        #expect(cluster.reply(to: 2) == .submitted(2, instance: 2, value: "B"))
        #expect(cluster.inFlight(kind(.learn)).isEmpty)
        #expect(cluster.lines(3) == ["1 A\n"])
        // No Accept follows B's: the leader's next heartbeat tells the peers, and they catch up.
        cluster.fire(.heartbeat, at: 1)
        cluster.deliverAll()
        #expect(Set(cluster.members.map { cluster.lines($0.rawValue) }) == [["1 A\n", "2 B\n"]])
    }

    @Test("under a leadership, a phase timeout sends the same Accept again in the leader's ballot, not a phase 1")
    func lostAcceptIsSentAgain() {
        var cluster = clusterLedByS1()
        cluster.submit("B", at: 1, request: 2)
        let lost = cluster.drop()
        #expect(lost.map(\.message.harnessKind) == [.accept, .accept])
        let ownVote = cluster.fire(.proposer(2), at: 1)
        #expect(ownVote.messages.isEmpty, "the own-vote delay first adds the leader's vote, and sends nothing")
        #expect(ownVote.persist.contains { if case .accepted(2, _) = $0 { true } else { false } })
        #expect(ownVote.timer(.proposer(2)) == cluster[1].configuration.phaseTimeoutMilliseconds)
        let again = cluster.fire(.proposer(2), at: 1)
        #expect(again.messages.map(\.message.harnessKind) == [.accept, .accept], "no phase 1")
        #expect(again.messages.map(\.message.acceptedCommand) == lost.map(\.message.acceptedCommand))
        #expect(again.messages.allSatisfy {
            if case .accept(2, ballot(1, 1), _, _) = $0.message { true } else { false }
        }, "instance 2, still in the leader's ballot 1.1")
        #expect(again.timer(.proposer(2)) != nil)
        cluster.deliverAll()
        #expect(cluster.reply(to: 2) == .submitted(2, instance: 2, value: "B"))
        #expect(cluster[1].isLeading)
    }

    @Test("a leader leaves its own vote out while its followers make a majority; if they do not answer in time, it votes too")
    func ownVoteIsAddedWhenAFollowerIsSlow() {
        var cluster = clusterLedByS1()
        cluster.submit("B", at: 1, request: 2)
        cluster.drop(kind(.accept, to: 3))
        cluster.deliverAll()
        #expect(cluster.reply(to: 2) == nil, "S2 alone is no majority: the leader did not vote")
        #expect(cluster[1].acceptorState(2)?.accepted == nil)
        let ownVote = cluster.fire(.proposer(2), at: 1)
        #expect(ownVote.messages.isEmpty)
        #expect(cluster.reply(to: 2) == .submitted(2, instance: 2, value: "B"), "S2 and the leader's own vote decide B")
        #expect(cluster[1].acceptorState(2)?.accepted?.command.text == "B")
    }

    @Test("under sequential load a value alone after a value alone carries the leader's vote; the first alone after a batch does not")
    func ownVoteOnSequentialValues() {
        var cluster = Cluster(size: 3) {
            $0.multiPaxos = true
            $0.ownVoteOnSequentialValues = true
        }
        func votesAtOnce(_ ready: Ready, _ instance: InstanceNumber) -> Bool {
            ready.persist.contains { if case .accepted(instance, _) = $0 { true } else { false } }
        }
        cluster.submit("A", at: 1)
        cluster.deliverAll()
        let second = cluster.submit("B", at: 1, request: 2)
        #expect(votesAtOnce(second, 2), "A went alone, and B goes alone: the leader votes, the faster two of three decide")
        #expect(second.timer(.proposer(2)) == cluster[1].configuration.phaseTimeoutMilliseconds)
        let joining = cluster.submit("C", at: 1, request: 3)
        #expect(!votesAtOnce(joining, 3), "B is still in flight: C goes to the followers only")
        #expect(joining.timer(.proposer(3)) == cluster[1].configuration.ownVoteDelayMilliseconds)
        cluster.deliverAll()
        #expect(cluster.reply(to: 3) == .submitted(3, instance: 3, value: "C"))
        #expect(cluster[1].acceptorState(3)?.accepted == nil, "C was decided without the leader's vote")
        let afterBatch = cluster.submit("D", at: 1, request: 4)
        #expect(!votesAtOnce(afterBatch, 4), "D is alone, but C went with B: the load may not be sequential yet")
        cluster.deliverAll()
        let sequential = cluster.submit("E", at: 1, request: 5)
        #expect(votesAtOnce(sequential, 5), "D went alone, and so does E")
        cluster.deliverAll()
        #expect(cluster.reply(to: 5) == .submitted(5, instance: 5, value: "E"))
    }

    @Test("with a follower silent, the leader's Accepts carry its own vote at once")
    func ownVoteWhenAFollowerIsSilent() {
        var cluster = clusterLedByS1()
        cluster.crash(3)
        // More than `peerSilenceHeartbeatsMax` heartbeats without news of S3; S2 answers each.
        for _ in 0...cluster[1].configuration.peerSilenceHeartbeatsMax {
            cluster.fire(.heartbeat, at: 1)
            cluster.deliverAll()
        }
        let second = cluster.submit("B", at: 1, request: 2)
        #expect(second.messages.map(\.message.harnessKind) == [.accept, .accept])
        #expect(second.persist.contains { if case .accepted(2, _) = $0 { true } else { false } },
                "S2 alone is no majority: the leader votes in the same step")
        #expect(second.timer(.proposer(2)) == cluster[1].configuration.phaseTimeoutMilliseconds)
        cluster.deliverAll()
        #expect(cluster.reply(to: 2) == .submitted(2, instance: 2, value: "B"))
    }

    @Test("the node whose client waits for a forwarded submit hears of the decision at once, with every decision it missed")
    func originatorHearsAtOnce() {
        var cluster = multiPaxosCluster()
        cluster.submit("Z", at: 1)
        cluster.deliverAll()
        cluster.submit("A", at: 1)          // instance 2; its Accepts announce Z
        cluster.submit("B", at: 2)          // forwarded to S1: instance 3
        cluster.deliverAll { $0.message.harnessKind != .learn }
        #expect(cluster.inFlight(kind(.learn, to: 3)).isEmpty, "S3 waits for the next Accept")
        #expect(Set(cluster.inFlight(kind(.learn, to: 2)).compactMap(\.message.instance)) == [2, 3],
                "S2 hears of B and of A below it, so it can apply B")
        cluster.deliverAll()
        #expect(cluster.replies[node(2)]!.contains { if case .submitted(_, 3, "B") = $0 { true } else { false } })
        #expect(cluster.lines(2) == ["1 Z\n", "2 A\n", "3 B\n"])
        #expect(cluster.lines(3) == ["1 Z\n"])
    }

    @Test("a decision learned from an Accept's note is durable before the Accepted leaves, and survives a crash")
    func announcedDecisionSurvivesACrash() {
        var cluster = clusterLedByS1()
        cluster.submit("B", at: 1, request: 2)
        let follower = cluster.deliver(kind(.accept, to: 3)).first
        #expect(follower?.messages.map(\.message.harnessKind) == [.accepted])
        #expect(follower?.chosenRecords[1]?.text == "A", "in the same Ready as the Accepted, so written before it leaves")
        cluster.drop()
        cluster.crash(3)
        cluster.restart(3)
        #expect(cluster[3].chosenCommand(1)?.text == "A")
        #expect(cluster[3].fileEntries.map(\.line) == ["1 A\n"], "the file is rebuilt from the log with A")
    }

    @Test("an announced decision teaches only the value this acceptor accepted in the announcing ballot")
    func announcementNeedsTheSameBallot() {
        var cluster = multiPaxosCluster()
        let x = command("X", node: 1)
        cluster.deliver(Envelope(from: node(1), to: node(3), message: .accept(instance: 5, ballot: ballot(1, 1), command: x)))
        cluster.drop()
        let other = cluster.deliver(Envelope(from: node(2), to: node(3),
                                             message: .accept(instance: 6, ballot: ballot(2, 2), command: command("Y", node: 2), chosen: [5])))
        #expect(other.chosenRecords.isEmpty, "S3 accepted X in 1.1, not in 2.2: the note is not about its value")
        #expect(cluster[3].chosenCommand(5) == nil)
        let same = cluster.deliver(Envelope(from: node(1), to: node(3),
                                            message: .accept(instance: 7, ballot: ballot(1, 1), command: command("W", node: 1), chosen: [5])))
        #expect(same.chosenRecords == [5: x], "1.1's leader says instance 5 was chosen in 1.1, where S3 accepted X")
        #expect(cluster.lines(3).isEmpty, "instances 1 to 4 are still unknown")
    }

    @Test("step 4 over a range: a value accepted ahead is proposed again in the leader's ballot; new values take the free instances")
    func reportedValueIsProposedAgain() {
        var cluster = multiPaxosCluster()
        // S3 gets X accepted in instance 2 by itself only: X may or may not be chosen, as far as anyone can tell.
        cluster.propose("X", instance: 2, at: 3, request: 9)
        cluster.deliverAll(kind(.prepare))
        cluster.deliverAll(kind(.promise, to: 3))
        cluster.drop()
        #expect(cluster[3].acceptorState(2)?.accepted?.command.text == "X")

        cluster.submit("A", at: 1)
        cluster.drop(kind(.prepareFrom, to: 2))
        let promise = cluster.deliver(kind(.prepareFrom, to: 3)).first!
        guard case .promiseFrom(_, _, let accepted, _)? = promise.messages.first?.message else {
            Issue.record("S3 did not promise the range")
            return
        }
        #expect(accepted.map(\.instance) == [2], "S3 reports what it accepted in the range")
        let leading = cluster.deliver(kind(.promiseFrom, to: 1)).first!
        #expect(leading.messages.contains { $0.message == .accept(instance: 2, ballot: ballot(2, 1), command: accepted[0].proposal.command) },
                "X goes out again in the leader's ballot")
        #expect(leading.messages.contains { $0.message.instance == 1 && $0.message.harnessKind == .accept },
                "A takes instance 1, reported free, without its own phase 1")
        #expect(!leading.messages.contains { $0.message.harnessKind == .prepare })
        cluster.deliverAll()
        #expect(cluster.reply(to: 1) == .submitted(1, instance: 1, value: "A"))
        cluster.fire(.heartbeat, at: 1)
        cluster.deliverAll()
        #expect(Set(cluster.members.map { cluster.lines($0.rawValue) }) == [["1 A\n", "2 X\n"]])
    }

    @Test("step 4 over a range skips what the leader applied and compacted while its range Prepare was out")
    func appliedInstanceIsNotProposedAgain() throws {
        // No decision kept below the snapshot point: the leader then knows instance 1 only as
        // applied (the live node keeps a tail; the instance may be older than it).
        var cluster = Cluster(size: 3) { $0.multiPaxos = true; $0.snapshotTailInstances = 0 }
        // X is chosen in instance 1 by S2 and S3; S2 does not learn it, S1 hears nothing of it.
        cluster.propose("X", instance: 1, at: 3, request: 9)
        cluster.deliverAll { $0.to != node(1) && !($0.message.harnessKind == .learn && $0.to == node(2)) }
        cluster.drop()
        let x = try #require(cluster[2].acceptorState(1)?.accepted?.command)
        // S1's first range Prepare (1.1) is refused (S2 promised S3's 1.3); its next one, in
        // round 2, leaves; before the promises come back, S1 learns instance 1, applies it and
        // moves its snapshot point past it.
        cluster.submit("A", at: 1)
        cluster.deliverAll { $0.message.harnessKind == .prepareFrom || $0.message.harnessKind == .nackFrom }
        cluster.drop()
        cluster.fire(.leadership, at: 1)
        #expect(cluster.inFlight(kind(.prepareFrom, to: 2)).map(\.message) == [.prepareFrom(from: 1, ballot: ballot(2, 1))])
        cluster.deliver(Envelope(from: node(3), to: node(1), message: .catchUpReply(entries: [ChosenEntry(instance: 1, command: x)])))
        #expect(cluster[1].appliedThrough == 1)
        _ = cluster.nodes[node(1)]!.compact(through: 1, fileBytes: 4)
        cluster.drop(kind(.prepareFrom, to: 3))
        cluster.deliverAll(kind(.prepareFrom))
        let promises = cluster.inFlight(kind(.promiseFrom, to: 1))
        #expect(promises.contains {
            if case .promiseFrom(_, _, let accepted, _) = $0.message { accepted.contains { $0.instance == 1 } } else { false }
        }, "S2 reports X, accepted in instance 1")
        let leading = cluster.deliver(kind(.promiseFrom, to: 1)).flatMap(\.messages)
        #expect(!leading.contains { $0.message.instance == 1 && $0.message.harnessKind == .accept },
                "instance 1 is applied: proposing it again would wait forever for acceptors past their snapshot points")
        cluster.deliverAll()
        #expect(cluster.reply(to: 1) == .submitted(1, instance: 2, value: "A"))
    }

    @Test("a range promise refuses a lower ballot in every instance it covers, and survives a crash")
    func rangePromiseIsDurable() {
        var cluster = multiPaxosCluster()
        cluster.submit("A", at: 1)
        cluster.deliver(kind(.prepareFrom, to: 2))
        #expect(cluster.logs[node(2)]!.contains(.promisedFrom(from: 1, ballot: ballot(1, 1))))
        cluster.drop()
        cluster.crash(2)
        cluster.restart(2)
        cluster.drop()
        let low = Ballot(round: 1, node: NodeID(0))
        let prepare = cluster.deliver(Envelope(from: node(3), to: node(2), message: .prepare(instance: 7, ballot: low)))
        #expect(prepare.messages.map(\.message) == [.nack(instance: 7, ballot: low, promised: ballot(1, 1))])
        let accept = cluster.deliver(Envelope(from: node(3), to: node(2), message: .accept(instance: 9, ballot: low, command: command("B"))))
        #expect(accept.messages.map(\.message) == [.nack(instance: 9, ballot: low, promised: ballot(1, 1))])
        let higher = cluster.deliver(Envelope(from: node(3), to: node(2), message: .prepare(instance: 7, ballot: ballot(2, 3))))
        #expect(higher.messages.map(\.message.harnessKind) == [.promise], "a higher ballot still gets its promise")
    }

    @Test("a range Prepare below a promise anywhere in its range is refused")
    func rangePrepareBelowAnInstancePromiseIsRefused() {
        var cluster = multiPaxosCluster()
        cluster.propose("X", instance: 5, at: 3, minimumRound: 4)
        cluster.deliver(kind(.prepare, to: 2))
        cluster.drop()
        let refused = cluster.deliver(Envelope(from: node(1), to: node(2), message: .prepareFrom(from: 1, ballot: ballot(3, 1))))
        #expect(refused.messages.map(\.message) == [.nackFrom(from: 1, ballot: ballot(3, 1), promised: ballot(4, 3))])
        #expect(refused.persist.isEmpty)
        let above = cluster.deliver(Envelope(from: node(1), to: node(2), message: .prepareFrom(from: 6, ballot: ballot(3, 1))))
        #expect(above.messages.map(\.message.harnessKind) == [.promiseFrom], "the range above instance 5 is free of that promise")
    }

    @Test("a nack in the leader's ballot ends the leadership: the instance goes by Basic Paxos, new submits wait for the next leadership")
    func nackEndsLeadership() {
        var cluster = multiPaxosCluster()
        cluster.submit("A", at: 1)
        cluster.deliverAll()
        // S3 runs phase 1 in instance 2 with a higher ballot: the leader's Accept there is refused.
        cluster.propose("X", instance: 2, at: 3, request: 9, minimumRound: 7)
        cluster.deliver(kind(.prepare, to: 2))
        cluster.drop()
        cluster.submit("B", at: 1, request: 2)
        cluster.drop(kind(.accept, to: 3))
        let nack = cluster.deliver(kind(.accept, to: 2)).first!
        #expect(nack.messages.map(\.message) == [.nack(instance: 2, ballot: ballot(1, 1), promised: ballot(7, 3))])
        let ended = cluster.deliver(kind(.nack, to: 1)).first!
        #expect(ended.trace.contains(.leadershipEnded(instance: 1, ballot: ballot(1, 1), by: ballot(7, 3))))
        #expect(ended.timer(.leadership) != nil, "sought again after a backoff")
        let retry = cluster.fire(.proposer(2), at: 1)
        #expect(retry.sentPrepares == [ballot(8, 1), ballot(8, 1)], "instance 2 runs its own phase 1, above the nack")
        cluster.deliverAll()
        // X never reached an Accept, so phase 1 in 8.1 finds instance 2 free: B is chosen there.
        #expect(cluster.reply(to: 2) == .submitted(2, instance: 2, value: "B"))

        let waiting = cluster.submit("C", at: 1, request: 3)
        #expect(waiting.messages.isEmpty, "C waits for the next leadership rather than duel in phase 1")
        let sought = cluster.fire(.leadership, at: 1)
        #expect(sought.messages.map(\.message.harnessKind) == [.prepareFrom, .prepareFrom])
        cluster.deliverAll()
        #expect(cluster.reply(to: 3) == .submitted(3, instance: 3, value: "C"))
        cluster.fire(.heartbeat, at: 1)
        cluster.deliverAll()
        #expect(Set(cluster.members.map { cluster.lines($0.rawValue) }) == [["1 A\n", "2 B\n", "3 C\n"]])
    }
}

extension Message {
    var acceptedCommand: Command? {
        if case .accept(_, _, let command, _) = self { return command }
        return nil
    }

    var announcedChosen: [InstanceNumber] {
        if case .accept(_, _, _, let chosen) = self { return chosen }
        return []
    }
}
