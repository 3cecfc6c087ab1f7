/// Bounded history (DESIGN.md): the snapshot point, the checkpoint that replaces the log,
/// and a snapshot installed from a peer.
extension PaxosNode {
    // MARK: - Bounded history: snapshot point, compaction, snapshot install

    /// What a snapshot point leaves: `checkpoint`, the records that replace the whole log
    /// (`GroupCommitLog.compact`), and `snapshotMetadata`, the applied state at the point
    /// that a snapshot sent to a peer carries beside the file's bytes.
    public struct Compaction: Hashable, Sendable {
        public var checkpoint: [DurableRecord]
        public var snapshotMetadata: [DurableRecord]
    }

    /// Moves the snapshot point to `instance`, whose line ends at byte `fileBytes` of the
    /// replicated file (which the shell has synced that far): chosen values, acceptor states
    /// and file lines up to there are dropped from memory. Safe for the acceptor: every
    /// instance there is chosen and known here, so no promise or accepted value of it can
    /// matter to any proposer any more (a proposer that still works there is behind, and
    /// learns the decision from the snapshot instead). Returns the checkpoint to write.
    ///
    /// The checkpoint holds all the durable state above the point: incarnation, reserved
    /// rounds, the range promise, every acceptor state and decision above it. The shell must
    /// append it to the log before any later record (the actor does both in one step).
    public mutating func compact(through instance: InstanceNumber, fileBytes: UInt64) -> Compaction {
        let appliedCommandRecords = learnerLog.compact(through: instance, tailInstances: configuration.snapshotTailInstances)
        acceptors.removeAll(through: instance)
        let metadata = [DurableRecord.compacted(through: instance, fileBytes: fileBytes)] + appliedCommandRecords
        var checkpoint: [DurableRecord] = rejoinCheckpoint + [.incarnation(incarnation), .round(roundsReservedThrough)]
        if rangePromise != .none { checkpoint.append(.promisedFrom(from: rangePromise.from, ballot: rangePromise.ballot)) }
        checkpoint += metadata
        acceptors.forEach { instance, state in
            if let accepted = state.accepted {
                checkpoint.append(.accepted(instance: instance, proposal: accepted))
                if state.promised > accepted.ballot { checkpoint.append(.promised(instance: instance, ballot: state.promised)) }
            } else {
                checkpoint.append(.promised(instance: instance, ballot: state.promised))
            }
        }
        let point = instance
        chosen.forEach { instance, command in
            if instance > point { checkpoint.append(.chosen(instance: instance, command: command)) }
        }
        ready.trace.append(.compacted(through: instance))
        return Compaction(checkpoint: checkpoint, snapshotMetadata: metadata)
    }

    /// A snapshot fetched from a peer (its `snapshotMetadata`), whose file the shell has
    /// installed as the replicated file: this node jumps to its point, with the applied
    /// state it carries, and goes on from there (catch-up asks for what follows). A snapshot
    /// not ahead of what is applied here is ignored.
    public mutating func installSnapshot(_ metadata: [DurableRecord]) -> Ready {
        var state = DurableState()
        for record in metadata { state.apply(record) }
        let point = state.compactedThrough
        guard point > appliedThrough else { return takeReady() }
        learnerLog.install(point: point, appliedCommands: state.appliedCommands)
        acceptors.removeAll(through: point)
        for instance in proposers.instances where instance <= point {
            let submit = proposers[instance]?.submit
            abandonProposer(instance)
            if let submit { requeue(submit) }
        }
        for (instance, waiters) in proposeWaiters.entries where instance <= point {
            proposeWaiters[instance] = nil
            for waiter in waiters { ready.replies.append(.failed(waiter.request, .compacted(through: point))) }
        }
        // Submits the snapshot shows applied are answered; the client reads its line from the file.
        // In command order: a dictionary's order differs from one run to the next, and the
        // simulator must replay a seed byte for byte.
        for commandID in submits.commandIDsInOrder {
            guard let instance = appliedCommands.instance(of: commandID),
                  let pending = submits.remove(commandID) else { continue }
            if let request = pending.request {
                ready.replies.append(.appliedEarlier(request, instance: instance))
            }
        }
        ready.trace.append(.snapshotInstalled(through: point))
        applyChosenPrefix()
        answerSatisfiedReads()
        broadcastToPeers(.catchUpRequest(from: appliedThrough + 1))
        startQueuedSubmits()
        drainLocalInbox()
        return takeReady()
    }

    mutating func offerSnapshot(to peer: NodeID) {
        guard peer != id else { return }
        send(.snapshotOffer(through: compactedThrough), to: peer)
    }
}
