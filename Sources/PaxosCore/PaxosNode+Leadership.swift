/// Multi-Paxos leadership (`Leadership`): one phase 1 for every instance ahead, and the
/// clock-free failure detector that names the distinguished proposer.
extension PaxosNode {
    // MARK: - Multi-Paxos leadership (see `Leadership`)

    mutating func startLeadership() {
        let started = Leadership(from: appliedThrough + 1, ballot: Ballot(round: takeRound(minimum: 0), node: id))
        leadership = started
        ready.trace.append(.rangePrepareSent(instance: started.from, ballot: started.ballot))
        ready.timers.append(.set(.leadership, afterMilliseconds: configuration.phaseTimeoutMilliseconds))
        broadcastToAll(.prepareFrom(from: started.from, ballot: started.ballot))
    }

    mutating func onPromiseFrom(from acceptor: NodeID, ballot: Ballot, accepted: [AcceptedEntry], chosen chosenEntries: [ChosenEntry]) {
        for entry in accepted { noteRound(entry.proposal.ballot.round) }
        for entry in chosenEntries where !chosen.contains(entry.instance) {
            learn(entry.instance, entry.command, trace: .learned(instance: entry.instance, command: entry.command))
        }
        guard var granted = leadership, let acceptorIndex = configuration.members.firstIndex(of: acceptor) else { return }
        let reported = granted.onPromise(from: acceptorIndex, ballot: ballot, accepted: accepted, quorum: configuration.quorum)
        leadership = granted
        if let reported { beginLeading(reported: reported) }
    }

    /// A majority promised the range. Step 4 for each instance where a value was reported: it
    /// may be chosen already, so it is proposed again; every instance above is free.
    private mutating func beginLeading(reported: [InstanceNumber: AcceptedProposal]) {
        guard var granted = leadership else { return }
        var used: Set<InstanceNumber> = []
        var reproposed = 0
        if !mutations.proposerIgnoresAcceptedValues {
            for instance in reported.keys.sorted() {
                used.insert(instance)
                // Applied is decided too, even where the decision was compacted away since the
                // range Prepare left (swarm seed 5033648: proposers for compacted instances,
                // which no acceptor answers any more, held the window and starved every submit).
                guard instance > appliedThrough, !chosen.contains(instance), !proposers.contains(instance),
                      let proposal = reported[instance] else { continue }
                proposers[instance] = Proposer(instance: instance, ownCommand: .noop, submit: nil, minimumRound: 0)
                ready.trace.append(.valueAdopted(instance: instance, ballot: granted.ballot, adopted: proposal))
                sendAccept(instance, ballot: granted.ballot, command: proposal.command)
                reproposed += 1
            }
        }
        granted.phase = .leading(used: used)
        leadership = granted
        leadershipFailures = 0
        ready.timers.append(.cancel(.leadership))
        ready.trace.append(.leading(instance: granted.from, ballot: granted.ballot, reproposed: reproposed))
        startQueuedSubmits()
    }

    /// The range promise is lost (a higher ballot somewhere) or was never granted: proposers
    /// already at work finish by Basic Paxos. New submits wait for the next attempt while this
    /// node is still the distinguished proposer and hears a majority; otherwise they go by
    /// Basic Paxos (which fails phase 1 cleanly without a majority).
    mutating func endLeadership(preemptedBy: Ballot?) {
        guard let ended = leadership else { return }
        leadership = nil
        // Sought again after a backoff, not at once: a nack means another proposer is at work,
        // and two that preempt each other at once can do so forever (step 7's livelock).
        leadershipRetryPending = true
        ready.timers.append(.set(.leadership, afterMilliseconds: backoffMilliseconds(afterFailures: leadershipFailures)))
        leadershipFailures += 1
        forgetAnnouncements()     // later Accepts carry another ballot
        ready.trace.append(.leadershipEnded(instance: ended.from, ballot: ended.ballot, by: preemptedBy))
        startQueuedSubmits()
    }

    // MARK: - The distinguished proposer

    /// The lowest-numbered member heard from within the last `peerSilenceHeartbeatsMax`
    /// heartbeats (this node always counts). Every node computes it from what it hears, so
    /// nodes may briefly disagree; that costs only duels, never safety.
    public var distinguishedProposer: NodeID {
        failureDetector.distinguishedIndex.map { configuration.members[$0] } ?? id
    }

    /// Whether a majority (this node included) was heard from within `peerSilenceHeartbeatsMax`
    /// heartbeats: the failure detector's view of whether phase 2 alone can succeed.
    var hearsQuorum: Bool { failureDetector.heardCount >= configuration.quorum }

    /// Whether this node holds a Multi-Paxos leadership: its submits skip phase 1.
    public var isLeading: Bool { leadership?.isLeading ?? false }
}
