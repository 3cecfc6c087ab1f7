import PaxosCore
import Testing

// Issue 13: a linearizable read returns a prefix holding every value acknowledged before it
// began, whichever node it is asked at (ReadQuorums: a majority's highest accepted or chosen
// instance, then this node applies up to it).

@Suite("Linearizable reads by read quorum")
struct LinearizableReadTests {
    @Test("a node that missed a decision answers a read only after it has learned it")
    func laggingNodeCatchesUpFirst() {
        var cluster = Cluster(size: 3)
        let submit = cluster.newRequest()
        cluster.submit("a", at: 1, request: submit)
        cluster.deliverAll { $0.to != node(3) }
        cluster.drop()
        #expect(cluster.reply(to: submit) == .submitted(submit, instance: 1, value: "a"))
        #expect(cluster.lines(3).isEmpty, "node 3 heard nothing")

        let read = cluster.newRequest()
        cluster.read(at: 3, request: read)
        #expect(cluster.inFlight(kind(.readIndexRequest, from: 3)).count == 2)
        cluster.deliver(kind(.readIndexRequest))
        cluster.deliver(kind(.readIndexReply))
        #expect(cluster.replies[node(3)]!.isEmpty, "a majority says instance 1 exists: not readable yet")
        cluster.deliverAll()
        #expect(cluster.replies[node(3)]! == [.readable(read, through: 1)])
        #expect(cluster.lines(3) == ["1 a\n"])
    }

    @Test("a value accepted by a majority whose proposer died before anyone learned it is decided before the read returns")
    func acceptedButUnlearnedIsDecidedFirst() {
        var cluster = Cluster(size: 3)
        cluster.submit("v", at: 1)
        cluster.deliverAll { $0.message.harnessKind != .accepted }   // S2, S3 accept; S1 never hears
        cluster.crash(1)
        let read = cluster.newRequest()
        cluster.read(at: 2, request: read)
        cluster.deliverAll()
        #expect(cluster.replies[node(2)]!.isEmpty, "instance 1 was accepted by a majority: the read waits for it")
        for _ in 0..<6 where cluster.replies[node(2)]!.isEmpty {
            cluster.fire(.heartbeat, at: 2)
            cluster.fire(.heartbeat, at: 3)
            cluster.deliverAll()
            if cluster.timer(.proposer(1), at: 2) != nil {
                cluster.fire(.proposer(1), at: 2)
                cluster.deliverAll()
            }
        }
        #expect(cluster.replies[node(2)]! == [.readable(read, through: 1)])
        #expect(cluster.lines(2) == ["1 v\n"], "the gap's no-op adopted the accepted value (step 4)")
    }

    @Test("without a majority the read waits, and its deadline answers it 'not served' (fault 1); its question is asked again at each heartbeat")
    func noMajorityNoRead() {
        var cluster = Cluster(size: 3)
        cluster.crash(2)
        cluster.crash(3)
        let read = cluster.newRequest()
        cluster.read(at: 1, request: read)
        cluster.deliverAll()
        #expect(cluster.replies[node(1)]!.isEmpty)
        let heartbeat = cluster.fire(.heartbeat, at: 1)
        #expect(heartbeat.messages(kind(.readIndexRequest)).count == 2)
        cluster.deadline(request: read, at: 1)
        #expect(cluster.replies[node(1)]! == [.failed(read, .noQuorum)])
        #expect(cluster.fire(.heartbeat, at: 1).messages(kind(.readIndexRequest)).isEmpty, "a read that ended is not asked again")
    }
}
