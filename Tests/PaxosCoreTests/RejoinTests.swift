import PaxosCore
import Testing

// Issue 16, "a rebuilt node" (`Rejoin`): a node whose data directory was lost votes on nothing
// until every other member has fenced its lost life with a rejoin ballot above every round
// they used, saw or reserved; then it promises that ballot from one above the highest instance
// they reported, and votes there once it has learned everything below.

extension Cluster {
    /// The node's disk is lost: it restarts from an empty log, rebuilt (`paxos node --rejoin`).
    @discardableResult
    mutating func rebuild(_ raw: UInt32, floor: UInt64, sourceLocation: SourceLocation = #_sourceLocation) -> Ready {
        let id = NodeID(raw)
        crash(raw)
        down.remove(id)
        logs[id] = []
        syncedCounts[id] = 0
        files[id] = []
        nodes[id] = PaxosNode(configuration: configurations[id]!, recovered: DurableState(), rejoiningAbove: floor)
        return perform(nodes[id]!.onStart(), at: id, sourceLocation: sourceLocation)
    }

    /// Rejoin attempts of `raw` until it is fenced (every answer delivered, nothing else).
    mutating func fence(_ raw: UInt32, attemptsMax: Int = 10) {
        let rejoinMessages: (Envelope) -> Bool = {
            [.rejoinPrepare, .rejoinPromise, .rejoinNack].contains($0.message.harnessKind)
        }
        for _ in 0..<attemptsMax {
            deliverAll(rejoinMessages)
            if case .fenced = DurableState(replaying: logs[NodeID(raw)]!).rejoin { return }
            fire(.rejoin, at: raw)
        }
        Issue.record("node \(raw) was not fenced after \(attemptsMax) attempts")
    }
}

@Suite("Rejoin: a rebuilt node fences its lost life before it votes")
struct RejoinTests {
    /// Two values chosen by all three nodes, then node 3's disk lost.
    static func clusterWithNode3Rebuilt(floor: UInt64 = 1_000,
                                        _ modify: (inout PaxosConfiguration) -> Void = { _ in }) -> Cluster {
        var cluster = Cluster(size: 3, modify)
        cluster.startAll()
        cluster.drop()
        cluster.submit("A", at: 1)
        cluster.deliverAll(kind(.prepare))
        cluster.deliverAll(kind(.promise))
        cluster.deliverAll()
        cluster.submit("B", at: 1)
        cluster.deliverAll()
        cluster.rebuild(3, floor: floor)
        return cluster
    }

    @Test("a rebuilt node answers no Prepare, Accept, range Prepare or read question until it votes")
    func silentWhileRejoining() {
        var cluster = Self.clusterWithNode3Rebuilt()
        #expect(!cluster[3].isVoting)
        cluster.drop()
        let high = ballot(5_000, 1)
        for message: Message in [.prepare(instance: 3, ballot: high),
                                 .accept(instance: 3, ballot: high, command: command("X")),
                                 .prepareFrom(from: 3, ballot: high),
                                 .readIndexRequest(read: 7)] {
            let ready = cluster.deliver(Envelope(from: node(1), to: node(3), message: message))
            #expect(ready.messages.isEmpty, "\(message) was answered: \(ready.messages)")
            #expect(ready.persist.isEmpty)
        }
        // An instance it knows chosen is answered with the decision, as always.
        cluster.deliver(Envelope(from: node(1), to: node(3), message: .learn(instance: 1, command: command("A", node: 1))))
        let ready = cluster.deliver(Envelope(from: node(2), to: node(3), message: .prepare(instance: 1, ballot: high)))
        #expect(ready.messages.map(\.message) == [.learn(instance: 1, command: command("A", node: 1))])
    }

    @Test("its first record is the rebuild, and its incarnation and rounds are above the floor")
    func recordsTheRebuildFirst() {
        let cluster = Self.clusterWithNode3Rebuilt(floor: 1_000)
        let log = cluster.logs[node(3)]!
        #expect(log.first == .rejoinStarted(floor: 1_000))
        #expect(cluster[3].incarnation > 1_000)
        let asks = cluster.inFlight(kind(.rejoinPrepare, from: 3))
        #expect(asks.count == 2, "every other member is asked")
        for ask in asks {
            guard case .rejoinPrepare(let fence) = ask.message else { continue }
            #expect(fence.round > 1_000 && fence.node == node(3))
        }
    }

    @Test("a member grants only a round above every round it used, saw or reserved; else it nacks with its round")
    func grantNeedsAHigherRound() {
        var cluster = Self.clusterWithNode3Rebuilt()
        cluster.drop()
        let low = cluster.deliver(Envelope(from: node(3), to: node(1), message: .rejoinPrepare(ballot: ballot(1, 3))))
        guard case .rejoinNack(_, let round)? = low.messages.first?.message else {
            Issue.record("expected a nack, got \(low.messages)")
            return
        }
        #expect(round >= cluster[1].highestRound)
        #expect(low.persist.isEmpty)
        let fence = ballot(round + 1, 3)
        let granted = cluster.deliver(Envelope(from: node(3), to: node(1), message: .rejoinPrepare(ballot: fence)))
        // Durable before the answer: a range promise from above what node 1 has applied.
        #expect(granted.persist == [.promisedFrom(from: 3, ballot: fence)])
        #expect(granted.messages.map(\.message) == [.rejoinPromise(ballot: fence, highestInstance: 2)])
        // Node 1 now refuses any lower ballot above its applied prefix.
        let accept = cluster.deliver(Envelope(from: node(2), to: node(1),
                                              message: .accept(instance: 3, ballot: ballot(round, 2), command: command("Y"))))
        #expect(accept.messages.map(\.message) == [.nack(instance: 3, ballot: ballot(round, 2), promised: fence)])
    }

    @Test("a majority of grants is not enough: it votes once every other member granted, from one above the highest instance reported")
    func fencedByEveryOtherMember() {
        var cluster = Self.clusterWithNode3Rebuilt()
        // Node 1 grants; node 2's answer is lost.
        cluster.deliver(kind(.rejoinPrepare, to: 1))
        cluster.deliverAll(kind(.rejoinPromise, from: 1))
        cluster.drop(kind(.rejoinPrepare, to: 2))
        #expect(!cluster[3].isVoting, "node 1 and itself are a majority, but node 2 may hold a ballot node 1 has not seen")
        #expect(!cluster.logs[node(3)]!.contains { if case .rejoinFenced = $0 { return true } else { return false } })
        // The attempt times out; the next one, higher, is granted by both.
        cluster.fire(.rejoin, at: 3)
        cluster.deliverAll(kind(.rejoinPrepare))
        cluster.deliverAll(kind(.rejoinPromise))
        let fenced = cluster.logs[node(3)]!.compactMap { record -> (InstanceNumber, Ballot)? in
            if case .rejoinFenced(let from, let ballot) = record { return (from, ballot) } else { return nil }
        }
        #expect(fenced.count == 1)
        #expect(fenced.first?.0 == 3, "instances 1 and 2 were chosen: it votes from 3")
        // It still has to learn instances 1 and 2 before it votes.
        #expect(!cluster[3].isVoting)
        cluster.deliverAll()
        #expect(cluster[3].isVoting)
        #expect(cluster.lines(3) == cluster.lines(1))
        #expect(cluster.traces[node(3)]!.contains { if case .rejoined(3, _) = $0 { return true } else { return false } })
    }

    @Test("a promise the lost life made to node 1 is below the fence, so the rebuilt node never accepts below it")
    func forgottenPromiseIsBelowTheFence() {
        // The floor (the old life's own rounds) is low; node 1's ballot 900.1 reached node 3
        // before its disk was lost (the Prepare to node 2 is still on its way): node 1 has used
        // round 900, so it grants only a higher round.
        var cluster = Cluster(size: 3)
        cluster.startAll()
        cluster.drop()
        cluster.submit("A", at: 1)
        cluster.deliverAll()
        cluster.propose("P", instance: 3, at: 1, minimumRound: 900)
        cluster.deliver(kind(.prepare, to: 3))
        cluster.drop(kind(.promise))
        #expect(cluster[3].acceptorState(3)?.promised == ballot(900, 1))
        cluster.rebuild(3, floor: 10)
        cluster.fence(3)
        cluster.deliverAll(kind(.catchUpRequest))
        cluster.deliverAll(kind(.catchUpReply))
        #expect(cluster[3].isVoting)
        guard case .rejoinFenced(_, let fence)? = cluster.logs[node(3)]!.last(where: {
            if case .rejoinFenced = $0 { return true } else { return false }
        }) else {
            Issue.record("not fenced")
            return
        }
        #expect(fence > ballot(900, 1))
        cluster.drop()
        let accept = cluster.deliver(Envelope(from: node(1), to: node(3),
                                              message: .accept(instance: 3, ballot: ballot(900, 1), command: command("P", node: 1))))
        #expect(accept.messages.map(\.message) == [.nack(instance: 3, ballot: ballot(900, 1), promised: fence)])
    }

    @Test("a crash while rejoining restarts it rejoining, and once fenced it restarts fenced (DurableState replay)")
    func rejoinIsDurable() {
        var cluster = Self.clusterWithNode3Rebuilt(floor: 1_000)
        cluster.drop()
        cluster.crash(3)
        cluster.restart(3)
        #expect(!cluster[3].isVoting)
        #expect(cluster[3].incarnation > 1_001, "still above the floor, and above the last life")
        #expect(DurableState(replaying: cluster.logs[node(3)]!).rejoin == .fencing)
        cluster.fence(3)
        cluster.drop()
        guard case .fenced(let from, let fence) = DurableState(replaying: cluster.logs[node(3)]!).rejoin else {
            Issue.record("not fenced")
            return
        }
        cluster.crash(3)
        cluster.restart(3)
        #expect(!cluster[3].isVoting, "instances below the fence are not learned yet")
        cluster.deliverAll()
        #expect(cluster[3].isVoting)
        let ready = cluster.deliver(Envelope(from: node(1), to: node(3), message: .prepareFrom(from: from, ballot: ballot(fence.round - 1, 1))))
        #expect(ready.messages.map(\.message) == [.nackFrom(from: from, ballot: ballot(fence.round - 1, 1), promised: fence)])
    }

    @Test("the step that lets a rebuilt node vote again syncs its decisions below the fence: a crash right after it restarts the node voting",
          arguments: [false, true])
    func votingAgainSurvivesACrash(learnsWhileFencing: Bool) {
        var cluster = Self.clusterWithNode3Rebuilt(floor: 1_000)
        if learnsWhileFencing {
            cluster.drop(kind(.rejoinPrepare))
            cluster.deliverAll()   // catch-up: instances 1 and 2 learned before the fence
            #expect(cluster[3].appliedThrough == 2 && !cluster[3].isVoting)
            cluster.fire(.rejoin, at: 3)
        } else {
            cluster.drop { $0.message.harnessKind != .rejoinPrepare }
        }
        cluster.fence(3)
        cluster.deliverAll()
        #expect(cluster[3].isVoting)
        let restarted = PaxosNode(configuration: cluster.configurations[node(3)]!, recovered: cluster.syncedState(3))
        #expect(restarted.isVoting, "a crash after the step that lifted the fence must not put the node behind it again")
        #expect(restarted.appliedThrough == 2)
    }

    @Test("through the shell, a caught-up node votes only once its note to itself arrives, after its step's records are synced; a peer's note means nothing")
    func votesOnceItsDecisionsAreDurable() {
        var cluster = Self.clusterWithNode3Rebuilt(floor: 1_000)
        cluster.drop { $0.message.harnessKind != .rejoinPrepare }
        cluster.fence(3)
        var node3 = cluster.nodes[node(3)]!
        var shellConfiguration = node3.configuration
        shellConfiguration.selfDeliveryThroughShell = true
        node3 = PaxosNode(configuration: shellConfiguration, recovered: cluster.syncedState(3))
        _ = node3.onStart()
        #expect(!node3.isVoting)
        let entries = [ChosenEntry(instance: 1, command: cluster[1].chosenCommand(1)!),
                       ChosenEntry(instance: 2, command: cluster[1].chosenCommand(2)!)]
        let caughtUp = node3.onMessage(from: node(1), .catchUpReply(entries: entries))
        #expect(node3.appliedThrough == 2 && !node3.isVoting, "caught up, its decisions not durable yet")
        #expect(caughtUp.persist.contains(.chosen(instance: 2, command: entries[1].command)), "synced with this step")
        #expect(caughtUp.messages.contains(Envelope(from: node(3), to: node(3), message: .rejoinSynced)))
        let heartbeat = node3.onTimer(.heartbeat)
        #expect(heartbeat.messages.contains(Envelope(from: node(3), to: node(3), message: .rejoinSynced)),
                "a note a fault rule dropped is sent again at the heartbeat")
        _ = node3.onMessage(from: node(1), .rejoinSynced)
        #expect(!node3.isVoting, "another node's note means nothing")
        _ = node3.onMessage(from: node(3), .rejoinSynced)
        #expect(node3.isVoting)
    }

    @Test("a rebuilt node proposes nothing before it is fenced: its submits wait")
    func noProposalsWhileFencing() {
        var cluster = Self.clusterWithNode3Rebuilt { $0.forwardSubmitsToDistinguishedProposer = false }
        cluster.drop()
        let ready = cluster.submit("C", at: 3)
        #expect(ready.messages.isEmpty)
        cluster.fence(3)
        cluster.deliverAll()
        #expect(cluster.lines(3).last == "3 C\n", "once fenced, it proposes with a round above the fence")
    }

    @Test("a checkpoint (snapshot point) of a rebuilt node that does not vote yet keeps saying so, first")
    func checkpointKeepsTheRejoin() {
        var cluster = Self.clusterWithNode3Rebuilt(floor: 1_000)
        cluster.drop(kind(.rejoinPrepare))
        cluster.deliverAll()   // catch-up: node 3 learns instances 1 and 2, still fencing
        #expect(cluster[3].appliedThrough == 2 && !cluster[3].isVoting)
        var node3 = cluster.nodes[node(3)]!
        let checkpoint = node3.compact(through: 2, fileBytes: UInt64(cluster.lines(3).joined().utf8.count)).checkpoint
        #expect(checkpoint.first == .rejoinStarted(floor: 0))
        let replayed = DurableState(replaying: checkpoint)
        #expect(replayed.rejoin == .fencing)
        #expect(replayed.incarnation > 1_000 && replayed.highestRound > 1_000, "the floor lives on in the incarnation and rounds")
        // A voting node's checkpoint says nothing of a rejoin.
        var node1 = cluster.nodes[node(1)]!
        #expect(DurableState(replaying: node1.compact(through: 2, fileBytes: 0).checkpoint).rejoin == RejoinProgress.none)
    }

    @Test("an instance below the fence that nobody decided (accepted, never learned) is filled by the rebuilt node, which then votes")
    func fillsGapsBelowTheFence() {
        var cluster = Cluster(size: 3)
        cluster.startAll()
        cluster.drop()
        cluster.submit("A", at: 1)
        cluster.deliverAll()
        // Instance 2: node 1's X reaches nodes 1 and 2, and nobody hears of a decision.
        cluster.propose("X", instance: 2, at: 1)
        cluster.deliverAll(kind(.prepare))
        cluster.deliverAll(kind(.promise))
        cluster.deliver(kind(.accept, to: 2))
        cluster.drop()
        cluster.crash(1)
        cluster.restart(1)
        cluster.drop()
        cluster.rebuild(3, floor: 1_000)
        cluster.fence(3)
        cluster.deliverAll()
        #expect(cluster[3].appliedThrough == 1 && !cluster[3].isVoting, "fenced from 3, instance 2 undecided")
        for _ in 0..<6 where !cluster[3].isVoting {
            cluster.fire(.heartbeat, at: 3)
            cluster.deliverAll()
        }
        #expect(cluster[3].isVoting)
        #expect(cluster[3].chosenCommand(2)?.text == "X", "the no-op adopted the accepted value (step 4)")
    }

    @Test("mutation rejoinedNodeVotesAtOnce: the rebuilt node skips the fence")
    func mutationVotesAtOnce() {
        var cluster = Cluster(size: 3) { $0.mutations = [.rejoinedNodeVotesAtOnce] }
        cluster.startAll()
        cluster.drop()
        cluster.rebuild(3, floor: 10)
        #expect(cluster[3].isVoting)
        #expect(cluster.inFlight(kind(.rejoinPrepare)).isEmpty)
    }
}
