/// The acceptor (steps 3 and 6): Prepare and Accept for one instance, and Multi-Paxos's
/// range promise for every instance from a point on. Every answer waits for its record.
extension PaxosNode {
    // MARK: - Acceptor (steps 3 and 6)

    /// Where this acceptor need not vote: an instance it knows chosen is answered with the
    /// decision, one at or below its snapshot point with a snapshot offer. Returns whether it
    /// answered so.
    private mutating func answeredWithoutVoting(_ instance: InstanceNumber, to proposer: NodeID) -> Bool {
        if let command = chosen[instance] {
            send(.learn(instance: instance, command: command), to: proposer)
            return true
        }
        if instance <= compactedThrough && !mutations.acceptorVotesBelowSnapshotPoint {
            offerSnapshot(to: proposer)
            return true
        }
        return false
    }

    mutating func onPrepare(from proposer: NodeID, instance: InstanceNumber, ballot: Ballot) {
        noteRound(ballot.round)
        if answeredWithoutVoting(instance, to: proposer) { return }
        var state = acceptor(instance)
        let before = state
        switch state.onPrepare(ballot) {
        case .promise(let accepted):
            acceptors[instance] = state
            if state != before && !mutations.acceptorRepliesBeforePersisting {
                persistAcceptorRecord(.promised(instance: instance, ballot: ballot))
            }
            ready.trace.append(.promised(instance: instance, ballot: ballot, to: proposer, accepted: accepted))
            send(.promise(instance: instance, ballot: ballot, accepted: accepted), to: proposer)
        case .nack(let promised):
            ready.trace.append(.prepareRefused(instance: instance, ballot: ballot, to: proposer, promised: promised))
            send(.nack(instance: instance, ballot: ballot, promised: promised), to: proposer)
        }
    }

    mutating func onAccept(from proposer: NodeID, instance: InstanceNumber, ballot: Ballot, command: Command) {
        noteRound(ballot.round)
        if answeredWithoutVoting(instance, to: proposer) { return }
        var state = acceptor(instance)
        let before = state
        let answer = state.onAccept(ballot, command: command,
                                    acceptBelowPromise: mutations.acceptorAcceptsBelowPromise)
        switch answer {
        case .accepted:
            acceptors[instance] = state
            highestAccepted = max(highestAccepted, instance)
            if state != before && !mutations.acceptorRepliesBeforePersisting {
                persistAcceptorRecord(.accepted(instance: instance, proposal: AcceptedProposal(ballot: ballot, command: command)))
            }
            ready.trace.append(.acceptedValue(instance: instance, ballot: ballot, from: proposer, command: command))
            send(.accepted(instance: instance, ballot: ballot), to: proposer)
        case .nack(let promised):
            ready.trace.append(.acceptRefused(instance: instance, ballot: ballot, from: proposer, promised: promised))
            send(.nack(instance: instance, ballot: ballot, promised: promised), to: proposer)
        }
    }

    /// Multi-Paxos step 3's durable part: the range promise now covers `ballot` from `start` on
    /// (a leader's range Prepare, or a rebuilt node's rejoin ballot).
    mutating func extendRangePromise(from start: InstanceNumber, ballot: Ballot) {
        var extended = rangePromise
        extended.extend(from: start, ballot: ballot)
        guard extended != rangePromise else { return }
        rangePromise = extended
        if !mutations.acceptorRepliesBeforePersisting {
            persistAcceptorRecord(.promisedFrom(from: extended.from, ballot: ballot))
        }
    }

    /// A promise or acceptance must be durable before the answer that reveals it leaves.
    private mutating func persistAcceptorRecord(_ record: DurableRecord) {
        if mutations.acceptorRecordsPersistEventually {
            ready.persistEventually.append(record)
        } else {
            ready.persist.append(record)
        }
    }

    /// The acceptor of `instance` with the range promise folded into its promise.
    private func acceptor(_ instance: InstanceNumber) -> AcceptorState {
        var state = acceptors[instance] ?? AcceptorState()
        state.promised = rangePromise.promise(at: instance, own: state.promised)
        return state
    }

    /// Multi-Paxos step 3: one promise for every instance from `start` on, given only if no
    /// open instance there has promised more. It reports every accepted proposal in the range,
    /// and every chosen value (a chosen instance's acceptor state is not kept current).
    mutating func onPrepareFrom(from proposer: NodeID, start: InstanceNumber, ballot: Ballot) {
        noteRound(ballot.round)
        if start <= compactedThrough && !chosen.contains(start) {
            // The proposer has not applied what this node compacted: the values chosen there
            // are not in memory to report, so no promise can be given. It is offered the
            // snapshot. (Within the tail kept below the point every instance is chosen and
            // reported as such, as for any chosen instance.)
            offerSnapshot(to: proposer)
            return
        }
        var highest = rangePromise.ballot
        var accepted: [AcceptedEntry] = []
        for (instance, state) in acceptors.entries(from: start) where !chosen.contains(instance) {
            highest = max(highest, state.promised)
            if let proposal = state.accepted { accepted.append(AcceptedEntry(instance: instance, proposal: proposal)) }
        }
        guard ballot != .zero, ballot >= highest else {
            ready.trace.append(.rangePrepareRefused(instance: start, ballot: ballot, to: proposer, promised: highest))
            send(.nackFrom(from: start, ballot: ballot, promised: highest), to: proposer)
            return
        }
        let chosenEntries = chosen.entries(from: start).map { ChosenEntry(instance: $0.instance, command: $0.value) }
        let valueBytes = accepted.reduce(0) { $0 + ($1.proposal.command.text?.utf8.count ?? 0) }
            + chosenEntries.reduce(0) { $0 + ($1.command.text?.utf8.count ?? 0) }
        guard accepted.count + chosenEntries.count <= configuration.catchUpEntriesMax,
              valueBytes <= configuration.catchUpValueBytesMax else {
            // Too much for one message: the proposer is far behind. Catch it up instead; it
            // asks again after a heartbeat, and Basic Paxos serves its submits meanwhile.
            onCatchUpRequest(from: proposer, start: start)
            return
        }
        extendRangePromise(from: start, ballot: ballot)
        ready.trace.append(.rangePromised(instance: start, ballot: ballot, to: proposer, reported: accepted.count))
        send(.promiseFrom(from: start, ballot: ballot, accepted: accepted, chosen: chosenEntries), to: proposer)
    }
}
