import PaxosCore
import Testing

// The tests above can fail: each deliberate mutation of the core breaks a rule they check.
// And a small seeded shuffle of the hand-wired cluster keeps agreement under drops, duplicates,
// reordering, crashes and restarts (the simulator goes much further; this guards the core alone).

@Suite("Deliberately broken cores are caught")
struct MutationTests {
    @Test("an acceptor that replies before persisting breaks the persist-before-send rule")
    func acceptorRepliesBeforePersisting() {
        var acceptor = PaxosNode(configuration: configuration(2, of: 3) { $0.mutations = [.acceptorRepliesBeforePersisting] })
        let ready = acceptor.onMessage(from: node(1), .prepare(instance: 1, ballot: ballot(1, 1)))
        #expect(!persistBeforeSendViolations(log: [], ready: ready, node: node(2)).isEmpty)
    }

    @Test("an acceptor that accepts below its promise breaks step 6")
    func acceptorAcceptsBelowPromise() {
        var acceptor = PaxosNode(configuration: configuration(2, of: 3) { $0.mutations = [.acceptorAcceptsBelowPromise] })
        _ = acceptor.onMessage(from: node(3), .prepare(instance: 1, ballot: ballot(2, 3)))
        let ready = acceptor.onMessage(from: node(1), .accept(instance: 1, ballot: ballot(1, 1), command: command("A")))
        #expect(ready.messages.map(\.message) == [.accepted(instance: 1, ballot: ballot(1, 1))])
    }

    @Test("a proposer that ignores accepted values breaks step 4")
    func proposerIgnoresAcceptedValues() {
        var cluster = Cluster(size: 3) { $0.mutations = [.proposerIgnoresAcceptedValues] }
        cluster.propose("mine", instance: 1, at: 1)
        cluster.drop()
        let accepted = AcceptedProposal(ballot: ballot(1, 0), command: command("theirs"))
        let ready = cluster.deliver(Envelope(from: node(2), to: node(1),
                                             message: .promise(instance: 1, ballot: ballot(1, 1), accepted: accepted)))
        #expect(ready.messages(kind(.accept)).allSatisfy {
            if case .accept(_, _, .value(_, "mine"), _) = $0.message { true } else { false }
        })
    }

    @Test("a proposer that counts one acceptor twice declares a minority a majority")
    func proposerCountsAcceptorTwice() {
        var cluster = Cluster(size: 5) { $0.mutations = [.proposerCountsAcceptorTwice] }
        cluster.propose("A", instance: 1, at: 1)
        cluster.deliverAll(kind(.prepare))
        cluster.deliverAll(kind(.promise))
        cluster.deliverAll(kind(.accept))
        let accepted = cluster.inFlight(kind(.accepted, from: 2))[0]
        cluster.deliver(accepted)
        #expect(!cluster.deliver(accepted).chosenRecords.isEmpty)
    }
}

@Suite("Agreement under a shuffled network")
struct ShuffledNetworkTests {
    @Test("agreement: whatever the schedule, no two nodes choose different values for one instance, and files are prefixes",
          arguments: 0..<100 as Range<UInt64>)
    func agreementUnderShuffle(seed: UInt64) {
        var random = SplitMix64(seed: seed &* 0x9E37_79B9 &+ 17)
        var cluster = Cluster(size: 3) { configuration in
            configuration.randomSeed = seed &+ UInt64(configuration.node.rawValue)
        }
        cluster.startAll()
        var submitted = 0
        var proposed = 0
        for _ in 0..<400 {
            let roll = random.next() % 100
            if roll < 6 && submitted < 6 {
                let at = UInt32(random.next() % 3 + 1)
                if !cluster.down.contains(node(at)) { cluster.submit("v\(submitted)", at: at) }
                submitted += 1
            } else if roll < 9 {
                let at = UInt32(random.next() % 3 + 1)
                if !cluster.down.contains(node(at)) {
                    cluster.propose("p\(proposed)", instance: random.next() % 4 + 1, at: at)
                    proposed += 1
                }
            } else if roll < 11 {
                let at = UInt32(random.next() % 3 + 1)
                if cluster.down.contains(node(at)) { cluster.restart(at) } else if cluster.down.isEmpty { cluster.crash(at) }
            } else if roll < 20 {
                // A timer of a running node goes off.
                let running = cluster.members.filter { !cluster.down.contains($0) }
                let armed = running.flatMap { member in cluster.timers[member]!.keys.map { (member, $0) } }
                if !armed.isEmpty {
                    let (member, timer) = armed[Int(random.next() % UInt64(armed.count))]
                    cluster.fire(timer, at: member.rawValue)
                }
            } else if !cluster.network.isEmpty {
                let index = Int(random.next() % UInt64(cluster.network.count))
                let envelope = cluster.network[index]
                let fate = random.next() % 10
                if fate == 0 {
                    cluster.network.remove(at: index)               // lost
                } else if fate == 1 {
                    cluster.deliver(envelope)                        // duplicated: delivered, and still in flight
                } else {
                    cluster.network.remove(at: index)
                    cluster.deliver(envelope)
                }
            }
        }
        // Heal: everyone up, everything delivered, heartbeats until the files agree.
        for member in cluster.members where cluster.down.contains(member) { cluster.restart(member.rawValue) }
        for _ in 0..<6 {
            cluster.deliverAll(stepsMax: 20_000)
            for member in cluster.members {
                for timer in cluster.timers[member]!.keys { cluster.fire(timer, at: member.rawValue) }
            }
        }
        cluster.deliverAll(stepsMax: 20_000)

        var chosen: [InstanceNumber: Command] = [:]
        for member in cluster.members {
            for entry in cluster.nodes[member]!.chosenInstances {
                if let other = chosen[entry.instance] {
                    #expect(other == entry.command, "seed \(seed): instance \(entry.instance) chose \(other) and \(entry.command)")
                } else {
                    chosen[entry.instance] = entry.command
                }
            }
        }
        let files = cluster.members.map { cluster.files[$0]!.map(\.line) }
        for file in files {
            let longest = files.max { $0.count < $1.count }!
            #expect(Array(longest.prefix(file.count)) == file, "seed \(seed): files are not prefixes of one another")
            let values = file.map { $0.split(separator: " ", maxSplits: 1)[1] }
            #expect(Set(values).count == values.count, "seed \(seed): a value appears twice in a file")
        }
        // Liveness once healed: every submit still waiting was decided, and the files are equal.
        for member in cluster.members {
            #expect(cluster.nodes[member]!.pendingSubmitCount == 0, "seed \(seed): node \(member) still has submits waiting")
        }
        #expect(Set(files).count == 1, "seed \(seed): files differ after healing")
        #expect(!chosen.isEmpty, "seed \(seed): nothing was chosen")
        // Every acknowledged submit is in every file, at the instance it was acknowledged as.
        for member in cluster.members {
            for case .submitted(_, let instance, let value) in cluster.replies[member]! {
                for other in cluster.members {
                    #expect(cluster.files[other]!.contains(FileEntry(instance: instance, value: value)),
                            "seed \(seed): acknowledged \(instance) \(value) missing at node \(other)")
                }
            }
        }
    }
}
