import PaxosCore
import Testing

// Submits go to one proposer (Lamport, "Paxos Made Simple", section 2.4): a node forwards a
// client's value to the distinguished proposer and answers the client once the value is applied.
// A forward that leads nowhere is sent again, and in the end the node proposes the value itself.

@Suite("Forwarding to the distinguished proposer")
struct ForwardingTests {
    @Test("a submit at another node is forwarded to the distinguished proposer, and answered where it was made")
    func submitIsForwarded() {
        var cluster = Cluster(size: 3)
        let submitted = cluster.submit("A", at: 2)
        #expect(submitted.messages.map(\.message.harnessKind) == [.forward])
        #expect(submitted.messages.map(\.to) == [node(1)])
        cluster.deliverAll()
        #expect(cluster.replies[node(2)]!.contains { if case .submitted(_, 1, "A") = $0 { true } else { false } })
        #expect(Set(cluster.members.map { cluster.lines($0.rawValue) }) == [["1 A\n"]])
    }

    @Test("a forward the leader never decided is sent again after forwardPatienceHeartbeats; after forwardAttemptsMax the node proposes it")
    func forwardIsRetriedThenTakenBack() {
        var cluster = Cluster(size: 3)
        cluster.submit("A", at: 2)
        cluster.drop()                                   // the first forward is lost
        let patience = Int(cluster[2].configuration.forwardPatienceHeartbeats)
        let attempts = cluster[2].configuration.forwardAttemptsMax
        var forwards = 1
        for beat in 1...(patience * attempts) {
            cluster.fire(.heartbeat, at: 1)              // S2 keeps hearing S1, the distinguished proposer
            cluster.deliverAll(kind(.status, from: 1, to: 2))
            cluster.drop()
            let ready = cluster.fire(.heartbeat, at: 2)
            let forwarded = ready.messages(kind(.forward, to: 1))
            let prepared = ready.messages(kind(.prepare))
            if beat % patience == 0 && forwards < attempts {
                #expect(forwarded.count == 1, "heartbeat \(beat): forwarded again")
                #expect(prepared.isEmpty)
                forwards += 1
            } else if beat == patience * attempts {
                #expect(forwarded.isEmpty, "heartbeat \(beat): \(attempts) forwards were enough")
                #expect(prepared.count == 2, "S2 proposes A itself")
            } else {
                #expect(forwarded.isEmpty && prepared.isEmpty, "heartbeat \(beat)")
            }
            if beat < patience * attempts { cluster.drop() }
        }
        cluster.deliverAll()
        #expect(cluster.replies[node(2)]!.contains { if case .submitted(_, 1, "A") = $0 { true } else { false } })
        #expect(Set(cluster.members.map { cluster.lines($0.rawValue) }) == [["1 A\n"]])
    }
}
