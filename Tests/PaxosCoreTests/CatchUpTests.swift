import PaxosCore
import Testing

// Catch-up and gaps (DESIGN.md section 3): a node that missed Learn messages asks its peers; a gap
// nobody can fill is decided by a no-op proposal, which adopts any value accepted there (step 4).

private func learn(_ instance: InstanceNumber, _ text: String, sequence: UInt64, to addressee: UInt32) -> Envelope {
    Envelope(from: node(2), to: node(addressee),
             message: .learn(instance: instance, command: command(text, node: 2, sequence: sequence)))
}

@Suite("Catch-up and gaps")
struct CatchUpTests {
    /// Instance 1 chosen A without node 3 hearing of it, instance 2 chosen B with node 3 knowing.
    private func clusterWithGapAtNode3() -> Cluster {
        var cluster = Cluster(size: 3)
        cluster.submit("A", at: 1)
        cluster.deliverAll { !($0.message.harnessKind == .learn && $0.to == node(3)) }
        cluster.drop(kind(.learn, to: 3))
        cluster.submit("B", at: 1)
        cluster.deliverAll()
        return cluster
    }

    @Test("gap filled by catch-up: a heartbeat asks the peers, and their replies fill it in order")
    func gapFilledByCatchUp() {
        var cluster = clusterWithGapAtNode3()
        #expect(cluster[3].chosenCommand(2)?.text == "B")
        #expect(cluster[3].appliedThrough == 0)
        #expect(cluster.lines(3).isEmpty)
        let heartbeat = cluster.fire(.heartbeat, at: 3)
        #expect(heartbeat.messages(kind(.catchUpRequest)).map(\.message) == [.catchUpRequest(from: 1), .catchUpRequest(from: 1)])
        #expect(heartbeat.timer(.heartbeat) != nil, "the heartbeat sets itself again")
        cluster.deliverAll(kind(.catchUpRequest))
        cluster.deliverAll(kind(.catchUpReply))
        #expect(cluster.lines(3) == ["1 A\n", "2 B\n"])
        #expect(cluster.lines(3) == cluster.lines(1))
    }

    @Test("a gap younger than one heartbeat is left to catch-up: no no-op at the first heartbeat that sees it")
    func youngGapNotFilledByNoop() {
        var cluster = clusterWithGapAtNode3()
        let heartbeat = cluster.fire(.heartbeat, at: 3)
        #expect(heartbeat.messages(kind(.prepare)).isEmpty)
        #expect(cluster[3].activeProposals == 0)
    }

    @Test("a status from a peer that is ahead triggers a catch-up request; one from a peer behind does not")
    func statusTriggersCatchUp() {
        var cluster = clusterWithGapAtNode3()
        let ahead = cluster.deliver(Envelope(from: node(1), to: node(3), message: .status(appliedThrough: 2)))
        #expect(ahead.messages == [Envelope(from: node(3), to: node(1), message: .catchUpRequest(from: 1))])
        let behind = cluster.deliver(Envelope(from: node(3), to: node(1), message: .status(appliedThrough: 0)))
        #expect(behind.messages.isEmpty)
        cluster.deliverAll()
        #expect(cluster.lines(3) == ["1 A\n", "2 B\n"])
    }

    @Test("every heartbeat tells the peers how far this node has applied")
    func heartbeatSendsStatus() {
        var cluster = Cluster(size: 3)
        let ready = cluster.fire(.heartbeat, at: 2)
        #expect(ready.messages.map(\.message) == [.status(appliedThrough: 0), .status(appliedThrough: 0)])
        #expect(ready.messages.map(\.to) == [node(1), node(3)])
    }

    @Test("gap filled by a no-op after a heartbeat: nobody knows the instance, so the distinguished proposer decides it")
    func gapFilledByNoop() {
        var cluster = Cluster(size: 3)
        cluster.propose("B", instance: 2, at: 2)
        cluster.deliverAll()
        #expect(cluster[1].appliedThrough == 0)
        #expect(cluster[1].distinguishedProposer == node(1))
        cluster.fire(.heartbeat, at: 1)                 // nobody answers: nobody knows instance 1
        cluster.deliverAll()
        #expect(cluster[1].appliedThrough == 0)
        let second = cluster.fire(.heartbeat, at: 1)    // the gap outlived a heartbeat
        #expect(second.messages(kind(.prepare)).map(\.message) == [
            .prepare(instance: 1, ballot: ballot(2, 1)), .prepare(instance: 1, ballot: ballot(2, 1)),
        ])
        cluster.deliverAll()
        for member in cluster.members {
            #expect(cluster.nodes[member]!.chosenCommand(1) == Command.noop, "node \(member)")
            #expect(cluster.nodes[member]!.appliedThrough == 2, "node \(member)")
            #expect(cluster.files[member]!.map(\.line) == ["2 B\n"], "node \(member)")
        }
    }

    /// S2 got B chosen in instance 2 by S2 and S3 (Basic Paxos); nothing of it reached S1.
    func clusterWhereS1MissedB() -> Cluster {
        var cluster = Cluster(size: 3)
        cluster.propose("B", instance: 2, at: 2)
        cluster.deliverAll { $0.to != node(1) }
        cluster.drop()
        return cluster
    }

    @Test("another node leaves a gap to the distinguished proposer for forwardPatienceHeartbeats, then fills it itself")
    func gapLeftToTheDistinguishedProposer() {
        var cluster = clusterWhereS1MissedB()
        // S1, the distinguished proposer, never heard of instance 2 (no Prepare, Accept or Learn
        // of it reached S1, and the statuses that would tell it the others accepted a value
        // there are lost), so it sees no gap to fill.
        let toTheLeaderButStatuses = { (envelope: Envelope) in envelope.to != node(1) || envelope.message.harnessKind != .status }
        let patience = cluster[3].configuration.forwardPatienceHeartbeats
        for beat in 1..<patience {
            cluster.fire(.heartbeat, at: 1)
            cluster.deliverAll(toTheLeaderButStatuses)
            #expect(cluster[3].distinguishedProposer == node(1))
            let ready = cluster.fire(.heartbeat, at: 3)
            #expect(ready.messages(kind(.prepare)).isEmpty, "heartbeat \(beat): a no-op here would compete with the leader's")
            cluster.deliverAll(toTheLeaderButStatuses)
            cluster.drop()
        }
        cluster.fire(.heartbeat, at: 1)
        cluster.deliverAll(toTheLeaderButStatuses)
        cluster.drop()
        let last = cluster.fire(.heartbeat, at: 3)
        #expect(last.messages(kind(.prepare)).map(\.message) == [
            .prepare(instance: 1, ballot: ballot(2, 3)), .prepare(instance: 1, ballot: ballot(2, 3)),
        ], "the leader never filled it: S3 steps in")
        cluster.deliverAll()
        cluster.fire(.heartbeat, at: 3)                 // S3's status shows S1 that it is behind
        cluster.deliverAll()
        #expect(Set(cluster.members.map { cluster.lines($0.rawValue) }) == [["2 B\n"]])
        #expect(cluster[3].chosenCommand(1) == Command.noop)
    }

    @Test("the distinguished proposer decides an instance its peers accepted a value in, told by their status")
    func gapThePeersAcceptedIsFilledByTheDistinguishedProposer() {
        var cluster = clusterWhereS1MissedB()
        // S1 heard nothing of instance 2 but the others' statuses: "accepted through 2".
        for _ in 0..<2 {
            cluster.fire(.heartbeat, at: 2)
            cluster.fire(.heartbeat, at: 3)
            cluster.deliverAll { $0.message.harnessKind == .status }
            cluster.drop()
        }
        // Once the gap outlived a heartbeat of its own, S1 decides instances 1 and 2 with no-ops,
        // which adopt B where it was accepted.
        var prepares: [Message] = []
        for _ in 0..<2 {
            prepares += cluster.fire(.heartbeat, at: 1).messages(kind(.prepare)).map(\.message)
            cluster.deliverAll()
        }
        #expect(Set(prepares.compactMap(\.instance)) == [1, 2], "S1, not S3, fills the gap")
        cluster.deliverAll()
        cluster.fire(.heartbeat, at: 1)
        cluster.deliverAll()
        #expect(Set(cluster.members.map { cluster.lines($0.rawValue) }) == [["2 B\n"]])
    }

    @Test("a value the survivors accepted and nobody learned is decided at their heartbeats, with no submit to start a leader")
    func acceptedInstanceOfADeadLeaderIsFinished() {
        var cluster = Cluster(size: 3)
        let a = command("A", node: 1)
        // S1's Accept reaches both others, so A is chosen; then S1 is gone, before anyone learns it.
        for peer: UInt32 in [2, 3] {
            cluster.deliver(Envelope(from: node(1), to: node(peer), message: .accept(instance: 1, ballot: ballot(1, 1), command: a)))
        }
        cluster.drop()
        let withoutS1: (Envelope) -> Bool = { $0.from != node(1) && $0.to != node(1) }
        for _ in 0...cluster[2].configuration.forwardPatienceHeartbeats {
            for survivor: UInt32 in [2, 3] {
                cluster.fire(.heartbeat, at: survivor)
                cluster.deliverAll(withoutS1)
                cluster.drop()
            }
        }
        for survivor: UInt32 in [2, 3] {
            #expect(cluster.nodes[node(survivor)]!.chosenCommand(1) == a, "S\(survivor)")
            #expect(cluster.lines(survivor) == ["1 A\n"], "S\(survivor)")
        }
    }

    @Test("a value a node accepted in its own ballot, whose proposer a restart took, is decided at its heartbeats")
    func ownAcceptedValueOfAnEarlierLifeIsFinished() {
        var cluster = Cluster(size: 3)
        cluster.startAll()
        cluster.drop()
        // S3 proposes C for instance 1; S2 and S3 accept it (chosen), and nobody learns it.
        cluster.propose("C", instance: 1, at: 3)
        cluster.deliverAll(kind(.prepare))
        cluster.deliverAll(kind(.promise))
        cluster.deliverAll(kind(.accept))
        cluster.drop()
        #expect(cluster[3].chosenCommand(1) == nil)
        // S3 restarts (its proposer gone) and S2 stays down: S1 never heard of instance 1.
        cluster.crash(2)
        cluster.crash(3)
        cluster.restart(3)
        cluster.drop()
        for _ in 0...cluster[3].configuration.forwardPatienceHeartbeats {
            for survivor: UInt32 in [1, 3] {
                cluster.fire(.heartbeat, at: survivor)
                cluster.deliverAll()
            }
        }
        for survivor: UInt32 in [1, 3] {
            #expect(cluster.nodes[node(survivor)]!.chosenCommand(1)?.text == "C", "S\(survivor)")
        }
    }

    @Test("step 4: a no-op that fills a gap adopts a value accepted there, so nothing chosen is lost")
    func noopAdoptsAcceptedValue() {
        var cluster = Cluster(size: 3)
        let a = command("A", node: 1)
        cluster.deliver(Envelope(from: node(1), to: node(2), message: .accept(instance: 1, ballot: ballot(1, 1), command: a)))
        cluster.drop()
        cluster.propose("B", instance: 2, at: 2)
        cluster.deliverAll()
        for _ in 1..<cluster[3].configuration.forwardPatienceHeartbeats {
            cluster.fire(.heartbeat, at: 3)
            cluster.deliverAll()
        }
        cluster.fire(.heartbeat, at: 3)
        cluster.deliver(kind(.prepare, from: 3))
        guard let adopted = cluster.deliver(kind(.promise, from: 2)).first else {
            Issue.record("S2 did not promise S3's no-op")
            return
        }
        #expect(adopted.trace.contains {
            if case .valueAdopted(1, _, let proposal) = $0 { proposal == AcceptedProposal(ballot: ballot(1, 1), command: a) } else { false }
        })
        cluster.deliverAll()
        #expect(Set(cluster.members.map { cluster.files[$0]!.map(\.line) }) == [["1 A\n", "2 B\n"]])
    }

    @Test("catch-up replies hold at most catchUpEntriesMax entries, and a full reply asks for more")
    func catchUpEntriesMax() {
        var cluster = Cluster(size: 3) { $0.catchUpEntriesMax = 2 }
        for instance in 1...5 { cluster.deliver(learn(InstanceNumber(instance), "v\(instance)", sequence: UInt64(instance), to: 1)) }
        cluster.deliver(Envelope(from: node(3), to: node(1), message: .catchUpRequest(from: 1)))
        var sizes: [Int] = []
        while let reply = cluster.inFlight(kind(.catchUpReply)).first {
            guard case .catchUpReply(let entries) = reply.message else { break }
            sizes.append(entries.count)
            cluster.deliverAll(kind(.catchUpReply))
            cluster.deliverAll(kind(.catchUpRequest))
        }
        #expect(sizes == [2, 2, 1])
        #expect(cluster.lines(3) == ["1 v1\n", "2 v2\n", "3 v3\n", "4 v4\n", "5 v5\n"])
    }

    @Test("catch-up replies hold at most catchUpValueBytesMax bytes of values, but never less than one entry")
    func catchUpValueBytesMax() {
        var cluster = Cluster(size: 3) { $0.catchUpValueBytesMax = 10 }
        for instance in 1...4 { cluster.deliver(learn(InstanceNumber(instance), "aaaa", sequence: UInt64(instance), to: 1)) }
        cluster.deliver(learn(5, String(repeating: "b", count: 20), sequence: 5, to: 1))
        var sizes: [Int] = []
        for request in [1, 3, 5] as [InstanceNumber] {
            let ready = cluster.deliver(Envelope(from: node(3), to: node(1), message: .catchUpRequest(from: request)))
            guard case .catchUpReply(let entries)? = ready.messages.first?.message else {
                Issue.record("no reply to a catch-up from \(request)")
                continue
            }
            sizes.append(entries.count)
        }
        #expect(sizes == [2, 2, 1])
        // A node with nothing to offer stays silent.
        let nothing = cluster.deliver(Envelope(from: node(3), to: node(1), message: .catchUpRequest(from: 6)))
        #expect(nothing.messages.isEmpty)
    }

    @Test("a catch-up cut short by the byte budget continues on the peer's next status")
    func byteBoundedCatchUpContinues() {
        var cluster = Cluster(size: 3) { $0.catchUpValueBytesMax = 10 }
        for instance in 1...6 { cluster.deliver(learn(InstanceNumber(instance), "aaaa", sequence: UInt64(instance), to: 1)) }
        cluster.drop()
        cluster.deliver(Envelope(from: node(3), to: node(1), message: .catchUpRequest(from: 1)))
        cluster.deliverAll()
        #expect(cluster[3].appliedThrough == 2)
        for _ in 0..<2 {
            cluster.fire(.heartbeat, at: 1)
            cluster.drop(anyMessage(to: 2))
            cluster.deliverAll()
        }
        #expect(cluster[3].appliedThrough == 6)
    }
}
