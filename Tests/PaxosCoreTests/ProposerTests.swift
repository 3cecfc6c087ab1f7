import PaxosCore
import Testing

// DESIGN.md section 3, steps 1, 2, 4, 5 and 7, seen from the proposer.

@Suite("Proposer (steps 1, 2, 4, 5, 7)")
struct ProposerTests {
    @Test("ballots order by round then node, and print as round.node")
    func ballotOrder() {
        #expect(ballot(3, 1) < ballot(3, 2))
        #expect(ballot(3, 5) < ballot(4, 1))
        #expect(!(ballot(3, 1) < ballot(3, 1)))
        #expect(Ballot.zero < ballot(1, 1))
        #expect([ballot(4, 1), ballot(3, 2), ballot(3, 1)].sorted() == [ballot(3, 1), ballot(3, 2), ballot(4, 1)])
        #expect(ballot(3, 1).description == "3.1")
    }

    @Test("step 1 and 2: propose makes its round durable, sends Prepare to every peer, and its own acceptor promises in the same step")
    func proposeSendsPrepareToAll() throws {
        var cluster = Cluster(size: 3)
        let ready = cluster.propose("A", instance: 1, at: 1)
        #expect(ready.persist == [.round(1), .promised(instance: 1, ballot: ballot(1, 1))])
        #expect(ready.messages == [
            Envelope(from: node(1), to: node(2), message: .prepare(instance: 1, ballot: ballot(1, 1))),
            Envelope(from: node(1), to: node(3), message: .prepare(instance: 1, ballot: ballot(1, 1))),
        ])
        #expect(ready.trace.first == .prepareSent(instance: 1, ballot: ballot(1, 1)))
        #expect(ready.trace.contains(.promised(instance: 1, ballot: ballot(1, 1), to: node(1), accepted: nil)))
        #expect(ready.timer(.proposer(1)) == cluster.configurations[node(1)]!.phaseTimeoutMilliseconds)
    }

    @Test("step 2: a submit's Prepare reaches the proposer's own acceptor in the same step")
    func submitPreparesItsOwnAcceptor() {
        var cluster = Cluster(size: 3)
        let ready = cluster.submit("A", at: 1)
        #expect(ready.persist == [.round(1), .promised(instance: 1, ballot: ballot(1, 1))])
        #expect(ready.sentPrepares == [ballot(1, 1), ballot(1, 1)])
        // One peer's promise is then a majority: Accept goes out at once.
        cluster.deliver(kind(.prepare, to: 2))
        let promise = cluster.deliver(kind(.promise, from: 2))
        #expect(promise.first?.messages(kind(.accept)).count == 2)
    }

    @Test("a one-node cluster chooses a submitted value in a single step")
    func singleNodeCluster() {
        var cluster = Cluster(size: 1)
        let ready = cluster.submit("only", at: 1, request: 42)
        #expect(ready.replies == [.submitted(42, instance: 1, value: "only")])
        #expect(cluster.lines(1) == ["1 only\n"])
    }

    @Test("step 4: two promises of three are a majority, and Accept goes to every node")
    func majorityOfThree() {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1)
        cluster.deliver(kind(.prepare, to: 2))
        let ready = cluster.deliver(kind(.promise, from: 2)).first!
        #expect(ready.messages(kind(.accept)).map(\.to) == [node(2), node(3)])
        #expect(ready.trace.contains { if case .acceptSent(1, ballot(1, 1), .value(_, "A")) = $0 { true } else { false } })
        // The proposer's own acceptor accepted in the same step, durably.
        #expect(ready.persist.count == 1)
        if case .accepted(1, let proposal) = ready.persist.first {
            #expect(proposal.ballot == ballot(1, 1))
            #expect(proposal.command.text == "A")
        } else {
            Issue.record("expected the proposer's own acceptance to be persisted, got \(ready.persist)")
        }
    }

    @Test("step 4: of five nodes, two promises are not a majority; the third is")
    func majorityOfFive() {
        var cluster = Cluster(size: 5)
        cluster.propose("A", instance: 1, at: 1)
        cluster.deliver(kind(.prepare))
        let second = cluster.deliver(kind(.promise, from: 2)).first!
        #expect(second.messages(kind(.accept)).isEmpty, "the proposer itself and node 2 are 2 of 5")
        let third = cluster.deliver(kind(.promise, from: 3)).first!
        #expect(third.messages(kind(.accept)).count == 4)
        let fourth = cluster.deliver(kind(.promise, from: 4)).first!
        #expect(fourth.messages.isEmpty, "a late promise sends no second Accept")
    }

    @Test("step 7: two Accepted of three choose the value; Learn goes to the peers and propose is answered")
    func chosenOnMajorityOfThree() throws {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1, request: 7)
        cluster.deliver(kind(.prepare, to: 2))
        cluster.deliver(kind(.promise))
        cluster.deliver(kind(.accept, to: 2))
        let ready = cluster.deliver(kind(.accepted, from: 2)).first!
        let chosen = try #require(ready.chosenRecords[1])
        #expect(chosen.text == "A")
        #expect(ready.messages(kind(.learn)).map(\.to) == [node(2), node(3)])
        #expect(ready.replies == [.proposed(7, instance: 1, chosen: chosen, ours: true)])
        #expect(ready.trace.contains(.chosen(instance: 1, ballot: ballot(1, 1), command: chosen)))
        #expect(ready.timers.contains(.cancel(.proposer(1))))
        #expect(cluster[1].chosenCommand(1) == chosen)
    }

    @Test("step 7: of five nodes, the value is chosen on the third acceptance, not before")
    func chosenOnMajorityOfFive() {
        var cluster = Cluster(size: 5)
        cluster.propose("A", instance: 1, at: 1)
        cluster.deliverAll(kind(.prepare))
        cluster.deliverAll(kind(.promise))
        cluster.deliverAll(kind(.accept))
        #expect(cluster.deliver(kind(.accepted, from: 2)).first!.chosenRecords.isEmpty)
        #expect(!cluster.deliver(kind(.accepted, from: 3)).first!.chosenRecords.isEmpty)
    }

    @Test("step 7: one acceptor's Accepted heard twice counts once")
    func duplicateAcceptedCountsOnce() {
        var cluster = Cluster(size: 5)
        cluster.propose("A", instance: 1, at: 1)
        cluster.deliverAll(kind(.prepare))
        cluster.deliverAll(kind(.promise))
        cluster.deliverAll(kind(.accept))
        let accepted = cluster.inFlight(kind(.accepted, from: 2))[0]
        cluster.deliver(accepted)
        let duplicate = cluster.deliver(accepted)
        #expect(duplicate.chosenRecords.isEmpty, "node 1 and node 2 are 2 of 5, however often node 2 says so")
        #expect(cluster[1].chosenCommand(1) == nil)
    }

    @Test("step 4: the proposer adopts the value with the highest accepted ballot", arguments: [false, true])
    func adoptsHighestAcceptedBallot(highestFirst: Bool) {
        var cluster = Cluster(size: 5)
        cluster.propose("mine", instance: 1, at: 1, request: 1)
        cluster.drop()
        let older = AcceptedProposal(ballot: ballot(1, 2), command: command("x", node: 2))
        let newer = AcceptedProposal(ballot: ballot(1, 3), command: command("y", node: 3))
        var promises = [
            Envelope(from: node(2), to: node(1), message: .promise(instance: 1, ballot: ballot(1, 1), accepted: older)),
            Envelope(from: node(3), to: node(1), message: .promise(instance: 1, ballot: ballot(1, 1), accepted: newer)),
        ]
        if highestFirst { promises.reverse() }
        cluster.deliver(promises[0])
        let ready = cluster.deliver(promises[1])
        let accepts = ready.messages(kind(.accept))
        #expect(accepts.count == 4)
        #expect(accepts.allSatisfy { $0.message == .accept(instance: 1, ballot: ballot(1, 1), command: newer.command) })
        #expect(ready.trace.contains(.valueAdopted(instance: 1, ballot: ballot(1, 1), adopted: newer)))
    }

    @Test("step 4: with no accepted value among the promises, the proposer keeps its own")
    func keepsOwnValue() {
        var cluster = Cluster(size: 3)
        cluster.propose("mine", instance: 1, at: 1)
        cluster.deliver(kind(.prepare, to: 2))
        let ready = cluster.deliver(kind(.promise, from: 2)).first!
        #expect(ready.messages(kind(.accept)).allSatisfy {
            if case .accept(_, _, .value(_, "mine"), _) = $0.message { true } else { false }
        })
        #expect(!ready.trace.contains { if case .valueAdopted = $0 { true } else { false } })
    }

    @Test("step 7: a Nack with a higher ballot backs off, then the next ballot is higher than anything seen")
    func nackBacksOffThenRetriesHigher() {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1)
        cluster.drop()
        let nack = Envelope(from: node(2), to: node(1), message: .nack(instance: 1, ballot: ballot(1, 1), promised: ballot(7, 3)))
        let ready = cluster.deliver(nack)
        let wait = ready.timer(.proposer(1))
        #expect(wait == 2, "the first backoff of randomizedExponential(base 2, max 200) is the base")
        #expect(ready.trace == [.preempted(instance: 1, ballot: ballot(1, 1), by: ballot(7, 3), retryAfterMilliseconds: 2)])
        #expect(ready.messages.isEmpty, "nothing is sent while backing off")
        // A second Nack of the same attempt changes nothing.
        #expect(cluster.deliver(nack).isEmpty)
        let retry = cluster.fire(.proposer(1), at: 1)
        #expect(retry.sentPrepares == [ballot(8, 1), ballot(8, 1)])
        #expect(retry.persist.first == .round(8))
    }

    @Test("step 7: a Nack that answers an older ballot is ignored")
    func staleNackIgnored() {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1)
        cluster.drop()
        cluster.fire(.proposer(1), at: 1)   // phase timeout
        cluster.fire(.proposer(1), at: 1)   // retry with 2.1
        cluster.drop()
        let late = cluster.deliver(Envelope(from: node(2), to: node(1),
                                            message: .nack(instance: 1, ballot: ballot(1, 1), promised: ballot(1, 3))))
        #expect(late.timers.isEmpty && late.trace.isEmpty, "ballot 2.1 is still waiting for answers")
    }

    @Test("a phase timeout without a majority starts over with a higher ballot after a backoff")
    func phaseTimeoutRetries() {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1)
        cluster.drop()
        let timeout = cluster.fire(.proposer(1), at: 1)
        #expect(timeout.trace == [.timedOut(instance: 1, ballot: ballot(1, 1), retryAfterMilliseconds: 2)])
        #expect(timeout.messages.isEmpty)
        #expect(timeout.timer(.proposer(1)) == 2)
        let retry = cluster.fire(.proposer(1), at: 1)
        #expect(retry.sentPrepares == [ballot(2, 1), ballot(2, 1)])
        // Once the peers answer, the retry succeeds.
        cluster.deliverAll()
        #expect(cluster[1].chosenCommand(1)?.text == "A")
    }

    @Test("Backoff.none retries at 0 ms")
    func noBackoff() {
        var cluster = Cluster(size: 3) { $0.backoff = .none }
        cluster.propose("A", instance: 1, at: 1)
        cluster.drop()
        #expect(cluster.fire(.proposer(1), at: 1).timer(.proposer(1)) == 0)
        cluster.fire(.proposer(1), at: 1)
        cluster.drop()
        let nack = cluster.deliver(Envelope(from: node(2), to: node(1),
                                            message: .nack(instance: 1, ballot: ballot(2, 1), promised: ballot(5, 2))))
        #expect(nack.timer(.proposer(1)) == 0)
    }

    @Test("randomized exponential backoff waits within [base, min(max, base × 2^failures)]")
    func exponentialBackoffBounds() {
        var cluster = Cluster(size: 3) { $0.backoff = .randomizedExponential(baseMilliseconds: 10, maxMilliseconds: 100) }
        cluster.propose("A", instance: 1, at: 1)
        var waits: [UInt64] = []
        for failures in 0..<12 {
            cluster.drop()
            let wait = cluster.fire(.proposer(1), at: 1).timer(.proposer(1))!
            waits.append(wait)
            #expect(wait >= 10 && wait <= min(100, 10 << UInt64(failures)), "failure \(failures) waited \(wait) ms")
            cluster.fire(.proposer(1), at: 1)
        }
        #expect(Set(waits).count > 2, "the waits are randomized: \(waits)")
    }

    @Test("step 1: the round is durable, so a restarted proposer never reuses a ballot")
    func roundIsDurable() {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1)
        cluster.drop()
        #expect(cluster.log(1).contains(.round(1)))
        cluster.crash(1)
        cluster.restart(1)
        let ready = cluster.propose("B", instance: 2, at: 1)
        #expect(ready.sentPrepares.first == ballot(2, 1))

        let recovered = PaxosNode(configuration: configuration(1, of: 3), recovered: DurableState(replaying: [.round(5)]))
        var node1 = recovered
        #expect(node1.onPropose(request: 1, instance: 1, value: "C").sentPrepares.first == ballot(6, 1))
    }

    @Test("step 1: rounds are reserved durably in blocks; a restart starts above the whole block")
    func roundsReservedInBlocks() {
        var node1 = PaxosNode(configuration: configuration(1, of: 3) { $0.roundReservation = 100 })
        let first = node1.onPropose(request: 1, instance: 1, value: "A")
        #expect(first.sentPrepares.first == ballot(1, 1))
        #expect(first.persist.contains(.round(100)), "one record reserves rounds 1-100")
        let second = node1.onPropose(request: 2, instance: 2, value: "B")
        #expect(second.sentPrepares.first == ballot(2, 1))
        #expect(!second.persist.contains { if case .round = $0 { true } else { false } }, "inside the block: no record, no fsync")

        var restarted = PaxosNode(configuration: configuration(1, of: 3) { $0.roundReservation = 100 },
                                  recovered: DurableState(replaying: first.persist))
        #expect(restarted.onPropose(request: 3, instance: 3, value: "C").sentPrepares.first == ballot(101, 1))
    }

    @Test("minimumRound is honoured: asked for round 3, the first ballot is 3.1")
    func minimumRound() {
        var cluster = Cluster(size: 3)
        let ready = cluster.propose("A", instance: 1, at: 1, minimumRound: 3)
        #expect(ready.sentPrepares.first == ballot(3, 1))
        #expect(ready.persist.first == .round(3))
    }

    @Test("step 1: minimumRound never takes a ballot below one already seen")
    func minimumRoundBelowSeen() {
        var cluster = Cluster(size: 3)
        cluster.propose("B", instance: 1, at: 2, minimumRound: 5)
        cluster.deliver(kind(.prepare, to: 1))
        let ready = cluster.propose("A", instance: 2, at: 1, minimumRound: 3)
        #expect(ready.sentPrepares.first == ballot(6, 1))
    }

    @Test("step 7: a proposer preempted in phase 2 adopts the preempting value on its retry")
    func preemptedInPhaseTwo() throws {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1, request: 1)
        cluster.deliverAll(kind(.prepare, to: 2))
        cluster.deliverAll(kind(.promise))
        // Node 3 prepares and gets node 2's promise before A's Accept reaches node 2.
        cluster.drop(kind(.accept, to: 3))
        cluster.propose("B", instance: 1, at: 3, request: 2)
        cluster.drop(kind(.prepare, from: 3, to: 1))
        cluster.deliver(kind(.prepare, from: 3, to: 2))
        cluster.deliver(kind(.promise, to: 3))
        let nack = cluster.deliver(kind(.accept, from: 1, to: 2)).first!
        #expect(nack.messages.map(\.message) == [.nack(instance: 1, ballot: ballot(1, 1), promised: ballot(1, 3))])
        cluster.deliverAll()
        // B is chosen by nodes 2 and 3; A's proposer learns it, or adopts it on its retry.
        cluster.fire(.proposer(1), at: 1)
        cluster.deliverAll()
        let reply = try #require(cluster.reply(to: 1))
        guard case .proposed(1, 1, let chosen, let ours) = reply else {
            Issue.record("unexpected reply \(reply)")
            return
        }
        #expect(chosen.text == "B")
        #expect(!ours)
        #expect(cluster.reply(to: 2) == .proposed(2, instance: 1, chosen: chosen, ours: true))
    }
}

// The lab's textbook scenarios (DESIGN.md section 1), told as the lecture tells them.
@Suite("Scenarios of the lab")
struct ScenarioTests {
    @Test("single proposer: A is chosen and every node learns it")
    func singleProposer() {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1, request: 1, minimumRound: 3)
        cluster.deliverAll()
        for member in cluster.members {
            #expect(cluster.nodes[member]!.chosenCommand(1)?.text == "A")
            #expect(cluster.files[member]!.map(\.line) == ["1 A\n"])
        }
        #expect(cluster.traces[node(1)]!.contains { if case .chosen(1, ballot(3, 1), _) = $0 { true } else { false } })
    }

    @Test("two proposers, A accepted by a majority first: B prepares later, adopts A, and answers A")
    func bAdoptsA() throws {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1, request: 1, minimumRound: 3)
        cluster.deliverAll(kind(.prepare))
        cluster.deliverAll(kind(.promise))
        cluster.deliverAll(kind(.accept))
        cluster.drop()                        // the Accepted and the Learn are lost
        cluster.propose("B", instance: 1, at: 3, request: 2, minimumRound: 4)
        let readies = cluster.deliver(kind(.prepare, from: 3))
        #expect(readies.allSatisfy { ready in
            ready.messages.allSatisfy {
                if case .promise(1, ballot(4, 3), let accepted?) = $0.message { accepted.ballot == ballot(3, 1) } else { false }
            }
        })
        let adopted = cluster.deliver(kind(.promise, from: 1)).first!
        #expect(adopted.trace.contains { if case .valueAdopted(1, ballot(4, 3), _) = $0 { true } else { false } })
        cluster.deliverAll()
        let reply = try #require(cluster.reply(to: 2))
        guard case .proposed(2, 1, let chosen, let ours) = reply else { Issue.record("\(reply)"); return }
        #expect(chosen.text == "A")
        #expect(!ours, "B's propose reports A's value, not its own")
        #expect(Set(cluster.members.map { cluster.files[$0]!.map(\.line) }) == [["1 A\n"]])
    }

    @Test("two proposers, A accepted only by its own acceptor: B's quorum never saw A, so B's own value wins")
    func bsOwnValueWins() throws {
        var cluster = Cluster(size: 3)
        cluster.propose("A", instance: 1, at: 1, request: 1, minimumRound: 3)
        cluster.deliver(kind(.prepare, to: 2))
        cluster.deliver(kind(.promise))                      // node 1 accepts A itself, sends Accept to 2 and 3
        cluster.drop(kind(.prepare, to: 3))
        let heldAccepts = cluster.drop(kind(.accept))        // held: they arrive late
        cluster.propose("B", instance: 1, at: 3, request: 2, minimumRound: 4)
        cluster.drop(kind(.prepare, to: 1))
        cluster.deliverAll()                                 // nodes 2 and 3 choose B in 4.3
        for accept in heldAccepts { cluster.deliver(accept) } // refused: promised 4.3
        cluster.deliverAll()
        #expect(cluster[3].chosenCommand(1)?.text == "B")
        // A retries, learns B (or adopts it), and reports it.
        cluster.fire(.proposer(1), at: 1)
        cluster.deliverAll()
        let reply = try #require(cluster.reply(to: 1))
        guard case .proposed(1, 1, let chosen, let ours) = reply else { Issue.record("\(reply)"); return }
        #expect(chosen.text == "B")
        #expect(!ours)
    }

    @Test("livelock: with no backoff, each proposer's Prepare overtakes the other's Accept, round after round")
    func livelockWithoutBackoff() {
        var cluster = Cluster(size: 3) { $0.backoff = .none }
        cluster.propose("A", instance: 1, at: 1)
        cluster.deliverAll(kind(.prepare, from: 1))
        cluster.deliverAll(kind(.promise, to: 1))            // A's Accepts are on their way
        var ballots: [Ballot] = []
        for round in 0..<5 {
            for (proposer, rival): (UInt32, UInt32) in [(3, 1), (1, 3)] {
                let prepare = round == 0 && proposer == 3
                    ? cluster.propose("B", instance: 1, at: 3)
                    : cluster.fire(.proposer(1), at: proposer)
                ballots += prepare.sentPrepares.prefix(1)
                cluster.deliverAll(kind(.prepare, from: proposer))
                cluster.deliverAll(kind(.promise, to: proposer))    // a majority promises; its Accepts leave
                cluster.deliverAll(kind(.accept, from: rival))      // the rival's Accepts arrive too late
                cluster.deliverAll(kind(.nack, to: rival))
                #expect(cluster.timer(.proposer(1), at: rival) == 0, "the rival retries at once")
            }
        }
        #expect(cluster.members.allSatisfy { cluster.nodes[$0]!.chosenCommand(1) == nil }, "nothing is ever chosen")
        #expect(ballots == ballots.sorted() && Set(ballots).count == ballots.count, "ballots keep rising: \(ballots)")
        #expect(ballots.count == 10)
    }
}
