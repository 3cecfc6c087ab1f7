import PaxosCore
import Testing

// Bounded history (DESIGN.md, "Bounded history"): a snapshot point drops what the node no longer
// needs, refuses to vote below it, and a node behind it installs the snapshot.

@Suite("Snapshot points and snapshot installs")
struct CompactionTests {
    /// Three values chosen and applied everywhere, the first named by a client.
    private func clusterWithThreeValues(tail: UInt64 = 0) -> (Cluster, named: CommandID) {
        var cluster = Cluster(size: 3) { $0.snapshotTailInstances = tail }
        let named = CommandID.clientNamed(7, 7)
        cluster.submit("A", at: 1, clientCommand: named)
        cluster.deliverAll()
        cluster.submit("B", at: 1)
        cluster.deliverAll()
        cluster.submit("C", at: 1)
        cluster.deliverAll()
        return (cluster, named)
    }

    @Test("below its snapshot point an acceptor answers no Prepare or Accept: the proposer is offered the snapshot")
    func acceptorRefusesBelowThePoint() {
        var (cluster, _) = clusterWithThreeValues()
        #expect(cluster[1].appliedThrough == 3)
        var node1 = cluster.nodes[node(1)]!
        let compaction = node1.compact(through: 2, fileBytes: 8)
        cluster.nodes[node(1)] = node1
        #expect(cluster[1].compactedThrough == 2)
        #expect(cluster[1].chosenCommand(2) == nil, "the value lives in the file now")
        #expect(cluster[1].acceptorState(2) == nil)
        #expect(cluster[1].chosenCommand(3)?.text == "C", "above the point everything stays")
        #expect(compaction.snapshotMetadata.first == .compacted(through: 2, fileBytes: 8))

        for message in [Message.prepare(instance: 2, ballot: Ballot(round: 99, node: node(2))),
                        .accept(instance: 1, ballot: Ballot(round: 99, node: node(2)), command: command("X", node: 2))] {
            let ready = cluster.deliver(Envelope(from: node(2), to: node(1), message: message))
            #expect(ready.persist.isEmpty, "no promise or acceptance below the point")
            #expect(ready.messages.map(\.message) == [.snapshotOffer(through: 2)])
        }
        let rangeAnswer = cluster.deliver(Envelope(from: node(2), to: node(1), message: .prepareFrom(from: 2, ballot: Ballot(round: 99, node: node(2)))))
        #expect(rangeAnswer.persist.isEmpty)
        #expect(rangeAnswer.messages.map(\.message) == [.snapshotOffer(through: 2)])
        let catchUp = cluster.deliver(Envelope(from: node(2), to: node(1), message: .catchUpRequest(from: 1)))
        #expect(catchUp.messages.map(\.message) == [.snapshotOffer(through: 2)])
    }

    @Test("a node restarted from its checkpoint is where it was, and answers a named retry from below the point")
    func checkpointRestoresTheNode() {
        var (cluster, named) = clusterWithThreeValues()
        var node1 = cluster.nodes[node(1)]!
        let compaction = node1.compact(through: 3, fileBytes: 12)
        let restarted = PaxosNode(configuration: cluster.configurations[node(1)]!,
                                  recovered: DurableState(replaying: compaction.checkpoint))
        #expect(restarted.compactedThrough == 3)
        #expect(restarted.appliedThrough == 3)
        #expect(restarted.highestChosen == 3)
        #expect(restarted.incarnation == node1.incarnation + 1)
        cluster.nodes[node(1)] = restarted
        let retry = cluster.submit("A", at: 1, request: 500, clientCommand: named)
        #expect(retry.replies == [.appliedEarlier(500, instance: 1)], "applied once; the shell reads the line from the file")
        #expect(retry.persist.isEmpty && retry.messages.isEmpty)
    }

    @Test("a checkpoint or snapshot replayed twice, or an older one after a newer, keeps the newest point and one table")
    func replayKeepsTheNewestPoint() {
        let id = CommandID.clientNamed(1, 2)
        var state = DurableState()
        for record: DurableRecord in [.compacted(through: 5, fileBytes: 10), .appliedCommand(id, instance: 4),
                                      .chosen(instance: 3, command: .noop), .chosen(instance: 6, command: .noop),
                                      .compacted(through: 5, fileBytes: 10), .appliedCommand(id, instance: 4),
                                      .compacted(through: 2, fileBytes: 4), .appliedCommand(id, instance: 1)] {
            state.apply(record)
        }
        #expect(state.compactedThrough == 5)
        #expect(state.appliedCommands == [AppliedCommand(command: id, instance: 4)])
        #expect(state.chosen.instances == [6], "decisions at or below the point are dropped")
    }

    @Test("a node behind its peers' snapshot point is offered the snapshot, installs it, and catches up above it")
    func laggingNodeInstallsTheSnapshot() {
        var cluster = Cluster(size: 3) { $0.snapshotTailInstances = 0 }
        cluster.startAll()
        cluster.deliverAll()
        cluster.crash(3)
        let named = CommandID.clientNamed(9, 9)
        cluster.submit("A", at: 1, clientCommand: named)
        cluster.deliverAll()
        cluster.submit("B", at: 1)
        cluster.deliverAll()
        var metadata: [DurableRecord] = []
        for raw: UInt32 in [1, 2] {
            var peer = cluster.nodes[node(raw)]!
            metadata = peer.compact(through: 2, fileBytes: 8).snapshotMetadata
            cluster.nodes[node(raw)] = peer
        }
        cluster.submit("C", at: 1)
        cluster.deliverAll()

        let started = cluster.restart(3)
        #expect(started.messages(kind(.catchUpRequest)).count == 2)
        let offers = cluster.deliver(kind(.catchUpRequest, to: 1))
        #expect(offers.flatMap { $0.messages.map(\.message) } == [.snapshotOffer(through: 2)])
        let wanted = cluster.deliver(kind(.snapshotOffer, to: 3))
        #expect(wanted.compactMap(\.snapshotWanted) == [SnapshotOffer(peer: node(1), through: 2)])

        var lagging = cluster.nodes[node(3)]!
        let installed = lagging.installSnapshot(metadata)
        cluster.nodes[node(3)] = lagging
        cluster.files[node(3)] = [FileEntry(instance: 1, value: "A"), FileEntry(instance: 2, value: "B")]
        cluster.perform(installed, at: node(3))
        #expect(cluster[3].appliedThrough == 2)
        #expect(cluster[3].compactedThrough == 2)
        #expect(installed.messages(kind(.catchUpRequest)).map(\.message) == [.catchUpRequest(from: 3), .catchUpRequest(from: 3)])
        cluster.deliverAll()
        #expect(cluster[3].appliedThrough == 3)
        #expect(cluster.lines(3) == cluster.lines(1), "\(cluster.lines(3)) vs \(cluster.lines(1))")
        // The snapshot carried the applied state: the named request is answered, not applied again.
        let retry = cluster.submit("A", at: 3, request: 900, clientCommand: named)
        #expect(retry.replies == [.appliedEarlier(900, instance: 1)])
    }

    @Test("decisions kept in the tail below the point are still sent one by one, and answer a Prepare with the decision")
    func tailServesPeersALittleBehind() {
        var (cluster, _) = clusterWithThreeValues(tail: 2)
        var node1 = cluster.nodes[node(1)]!
        _ = node1.compact(through: 3, fileBytes: 12)
        cluster.nodes[node(1)] = node1
        #expect(cluster[1].chosenCommand(1) == nil)
        #expect(cluster[1].chosenCommand(2)?.text == "B", "kept in the tail")
        let catchUp = cluster.deliver(Envelope(from: node(2), to: node(1), message: .catchUpRequest(from: 2)))
        #expect(catchUp.messages.map(\.message) == [.catchUpReply(entries: [ChosenEntry(instance: 2, command: cluster[2].chosenCommand(2)!),
                                                                             ChosenEntry(instance: 3, command: cluster[2].chosenCommand(3)!)])])
        let prepare = cluster.deliver(Envelope(from: node(2), to: node(1), message: .prepare(instance: 2, ballot: Ballot(round: 99, node: node(2)))))
        #expect(prepare.messages.map(\.message) == [.learn(instance: 2, command: cluster[2].chosenCommand(2)!)])
        let below = cluster.deliver(Envelope(from: node(2), to: node(1), message: .catchUpRequest(from: 1)))
        #expect(below.messages.map(\.message) == [.snapshotOffer(through: 3)])
    }

    @Test("a snapshot not ahead of what is applied is ignored")
    func staleSnapshotIgnored() {
        let (cluster, _) = clusterWithThreeValues()
        var node2 = cluster.nodes[node(2)]!
        let ready = node2.installSnapshot([.compacted(through: 2, fileBytes: 8)])
        #expect(ready.isEmpty)
        #expect(node2.appliedThrough == 3 && node2.compactedThrough == 0)
    }
}
