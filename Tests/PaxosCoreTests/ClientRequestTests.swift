import PaxosCore
import Testing

// Issue 13: a client names its request, and a retry of it at any node is answered with the
// first outcome instead of appending the value again (the window of ClientRequestWindow).

@Suite("Client-named requests: retries answered with the first outcome")
struct ClientRequestTests {
    let requestX = CommandID.clientNamed(0xDEAD_BEEF, 42)

    func submitted(_ reply: ClientReply?) -> (InstanceNumber, String)? {
        if case .submitted(_, let instance, let value)? = reply { return (instance, value) }
        return nil
    }

    @Test("a retry at another node, after the first call was answered, gets the same instance; the value is in every file once")
    func retryElsewhereGetsFirstOutcome() {
        var cluster = Cluster(size: 3)
        let first = cluster.newRequest()
        cluster.submit("x", at: 2, request: first, clientCommand: requestX)
        cluster.deliverAll()
        #expect(submitted(cluster.reply(to: first))! == (1, "x"))
        cluster.submit("y", at: 1)
        cluster.deliverAll()
        for node in [UInt32(3), 1, 2] {
            let retry = cluster.newRequest()
            let ready = cluster.submit("x", at: node, request: retry, clientCommand: requestX)
            #expect(submitted(ready.replies.first)! == (1, "x"), "node \(node) answers at once, from its table")
            #expect(ready.messages.isEmpty && ready.persist.isEmpty)
        }
        #expect(Set(cluster.members.map { cluster.lines($0.rawValue) }) == [["1 x\n", "2 y\n"]])
    }

    @Test("a retry at the node where the first attempt still waits takes over the wait; the first call is answered 'outcome unknown'")
    func retryTakesOverTheWait() {
        var cluster = Cluster(size: 3)
        let first = cluster.newRequest()
        cluster.submit("x", at: 2, request: first, clientCommand: requestX)
        let retry = cluster.newRequest()
        let ready = cluster.submit("x", at: 2, request: retry, clientCommand: requestX)
        #expect(ready.replies == [.failed(first, .outcomeUnknown)])
        #expect(ready.messages.isEmpty, "no second forward or proposal for the same request")
        cluster.deliverAll()
        #expect(submitted(cluster.reply(to: retry))! == (1, "x"))
        #expect(Set(cluster.members.map { cluster.lines($0.rawValue) }) == [["1 x\n"]])
    }

    @Test("the same named request proposed by two nodes at once is applied once, and both calls get the instance where it was applied")
    func chosenTwiceAppliedOnce() {
        var cluster = Cluster(size: 3) { $0.forwardSubmitsToDistinguishedProposer = false }
        let atOne = cluster.newRequest(), atTwo = cluster.newRequest()
        cluster.submit("x", at: 1, request: atOne, clientCommand: requestX)
        cluster.submit("x", at: 2, request: atTwo, clientCommand: requestX)
        cluster.deliverAll()
        for _ in 0..<3 { for node in [UInt32(1), 2, 3] { cluster.fire(.heartbeat, at: node) }; cluster.deliverAll() }
        let lines = cluster.lines(3)
        #expect(lines.filter { $0.hasSuffix(" x\n") }.count == 1, "\(lines)")
        #expect(Set(cluster.members.map { cluster.lines($0.rawValue) }).count == 1)
        let instance = submitted(cluster.reply(to: atOne))?.0
        #expect(instance != nil && submitted(cluster.reply(to: atTwo))?.0 == instance)
        #expect(lines.first { $0.hasSuffix(" x\n") } == "\(instance ?? 0) x\n")
    }

    @Test("a request chosen but not applied at its deadline is answered 'outcome unknown': a lower instance not yet known here may hold it too",
          arguments: [[InstanceNumber(3), 5], [5, 3], [5]])
    func deadlineBeforeApplyIsOutcomeUnknown(learnedOrder: [InstanceNumber]) {
        var node = PaxosNode(configuration: configuration(2, of: 3))
        _ = node.onStart()
        _ = node.onSubmit(request: 7, value: "x", clientCommand: requestX)
        for instance in learnedOrder {
            _ = node.onMessage(from: NodeID(1), .learn(instance: instance, command: .value(requestX, "x")))
        }
        #expect(node.appliedThrough == 0, "instances 1 and 2 are not known: nothing is applied yet")
        let ready = node.onDeadline(request: 7)
        #expect(ready.replies == [.failed(7, .outcomeUnknown)])
        // The retry, once everything is known, is told where the line is: the lower instance.
        for instance in [InstanceNumber(1), 2, 3, 4, 5] where !learnedOrder.contains(instance) {
            _ = node.onMessage(from: NodeID(1), .learn(instance: instance, command: instance == 3 ? .value(requestX, "x") : .noop))
        }
        let retry = node.onSubmit(request: 8, value: "x", clientCommand: requestX)
        #expect(submitted(retry.replies.first)! == (3, "x"))
    }

    @Test("after a crash and restart the node rebuilds the table from its log and still answers a retry with the first outcome")
    func tableSurvivesRestart() {
        var cluster = Cluster(size: 3)
        cluster.submit("x", at: 1, clientCommand: requestX)
        cluster.deliverAll()
        cluster.crash(3)
        cluster.restart(3)
        let retry = cluster.newRequest()
        let ready = cluster.submit("x", at: 3, request: retry, clientCommand: requestX)
        #expect(submitted(ready.replies.first)! == (1, "x"))
    }

    @Test("a retry older than the window is a new request, at every node alike; a request without a name is never deduplicated")
    func windowForgets() {
        var cluster = Cluster(size: 3) { $0.clientRequestWindowInstances = 2 }
        cluster.submit("x", at: 1, clientCommand: requestX)
        cluster.submit("a", at: 1)
        cluster.submit("b", at: 1)
        cluster.deliverAll()
        cluster.submit("c", at: 1, clientCommand: CommandID.clientNamed(1, 1))   // applying it expires x
        cluster.deliverAll()
        let late = cluster.newRequest()
        cluster.submit("x", at: 2, request: late, clientCommand: requestX)
        cluster.deliverAll()
        #expect(submitted(cluster.reply(to: late))?.0 == 5)
        cluster.submit("a", at: 1)
        cluster.deliverAll()
        let expected = ["1 x\n", "2 a\n", "3 b\n", "4 c\n", "5 x\n", "6 a\n"]
        for _ in 0..<2 { for node in [UInt32(1), 2, 3] { cluster.fire(.heartbeat, at: node) }; cluster.deliverAll() }
        #expect(Set(cluster.members.map { cluster.lines($0.rawValue) }) == [expected])
    }
}
