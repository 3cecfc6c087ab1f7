/// The heartbeat and catch-up: status to the peers, requests for missed decisions, and
/// no-op proposals for gaps nobody fills.
extension PaxosNode {
    // MARK: - Catch-up and gaps

    mutating func onHeartbeat() {
        failureDetector.heartbeat()
        // Lead only while a majority is heard from: a leader that lost it would put values into
        // Accepts nobody can answer, and its clients would get "outcome unknown" (fault 2) where
        // Basic Paxos fails phase 1 cleanly with "not chosen" (fault 1).
        if leadership != nil && (distinguishedProposer != id || !hearsQuorum) { endLeadership(preemptedBy: nil) }
        takeBackForwardedSubmits()
        forgetAnnouncements()     // this status tells the peers instead
        ready.timers.append(.set(.heartbeat, afterMilliseconds: configuration.heartbeatMilliseconds))
        broadcastToPeers(.status(appliedThrough: appliedThrough, acceptedThrough: highestAccepted))
        resendRejoinSynced()
        // A read whose question or answers were lost asks again.
        for read in reads.gathering { broadcastToAll(.readIndexRequest(read: read)) }
        // Instances to decide: up to the highest chosen one, up to what a linearizable read
        // waits for, and up to the highest this node accepted a value in once the proposer of
        // that value is silent. The value may have been chosen by a leader that died before
        // anyone learned it: without new submits no leader would ever come to finish that
        // instance, and the survivors would never apply it (swarm seeds 5032200, 9031483: the
        // leader crashed as the faults stopped, its last instances accepted by the survivors
        // and learned by neither). Not while its proposer is heard from: a follower would then
        // compete with a leader that is alive but slow. The distinguished proposer also decides
        // what its peers accepted: a leader that left its own vote out of its Accepts
        // (`sendAccept`) and restarted before its decisions' records were synced knows nothing
        // of values its followers accepted and a client was told of, and the followers, hearing
        // from it, leave them to it (kill -9 of every node right after acknowledgments).
        let peersAccepted = distinguishedProposer == id ? peersAcceptedThrough : 0
        let wanted = max(max(highestChosen, reads.horizon), max(max(rejoinHorizon, acceptedFromASilentProposer), peersAccepted))
        // Only instances that were gaps at the previous heartbeat already (up to what was wanted
        // then, and nothing applied since) have outlived a whole heartbeat.
        let gapsThrough = min(wanted, wantedAtLastHeartbeat)
        wantedAtLastHeartbeat = wanted
        guard wanted > appliedThrough else {
            appliedAtLastHeartbeat = appliedThrough
            stalledHeartbeats = 0
            return
        }
        broadcastToPeers(.catchUpRequest(from: appliedThrough + 1))
        stalledHeartbeats = appliedAtLastHeartbeat == appliedThrough ? stalledHeartbeats + 1 : 0
        // A gap nobody told us about is decided by a no-op proposal, which adopts any value
        // accepted there (step 4), so nothing chosen is lost. The distinguished proposer does it
        // once the gap outlived a heartbeat; another node waits longer, since its proposal would
        // compete with the leader's (who usually fills the gap first), but still steps in if
        // the leader never learns of it.
        let patience = distinguishedProposer == id ? 1 : configuration.forwardPatienceHeartbeats
        if stalledHeartbeats >= patience {
            var filled = 0
            var instance = appliedThrough + 1
            while instance <= gapsThrough && filled < configuration.gapFillInstancesMax {
                if !chosen.contains(instance) && !proposers.contains(instance) {
                    proposers[instance] = Proposer(instance: instance, ownCommand: .noop, submit: nil, minimumRound: 0)
                    startPrepare(instance)
                    filled += 1
                }
                instance += 1
            }
        }
        appliedAtLastHeartbeat = appliedThrough
    }

    /// The highest instance this node accepted a value in, if the node that proposed that value
    /// is no longer heard from (0 otherwise).
    var acceptedFromASilentProposer: InstanceNumber {
        guard highestAccepted > appliedThrough, let proposer = acceptors[highestAccepted]?.accepted?.ballot.node else { return 0 }
        if proposer == id {
            // Its own value, from a proposer it no longer runs (an earlier life's, or one a client
            // deadline dropped): nobody else will finish it (swarm seed 60167344: a propose chosen
            // by two nodes, the proposer restarted, the other stayed down).
            return proposers.contains(highestAccepted) ? 0 : highestAccepted
        }
        guard let index = configuration.members.firstIndex(of: proposer),
              failureDetector.isSilent(memberAt: index) else { return 0 }
        return highestAccepted
    }

    mutating func onCatchUpRequest(from peer: NodeID, start: InstanceNumber) {
        // Below the point, only the tail of decisions kept in memory can be sent one by one.
        if start <= compactedThrough && !chosen.contains(start) {
            offerSnapshot(to: peer)
            return
        }
        var entries: [ChosenEntry] = []
        var valueBytes = 0
        var instance = max(start, 1)
        while entries.count < configuration.catchUpEntriesMax, let command = chosen[instance] {
            let bytes = command.text?.utf8.count ?? 0
            if !entries.isEmpty && valueBytes + bytes > configuration.catchUpValueBytesMax { break }
            valueBytes += bytes
            entries.append(ChosenEntry(instance: instance, command: command))
            instance += 1
        }
        if !entries.isEmpty { send(.catchUpReply(entries: entries), to: peer) }
    }
}
