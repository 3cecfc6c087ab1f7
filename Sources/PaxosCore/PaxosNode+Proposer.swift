/// The proposer (steps 1, 2, 4, 5 and 7) of each instance: ballots, phase 1 and 2, the
/// announcement of a leader's decisions on its next Accepts, preemption, timeouts and backoff.
extension PaxosNode {
    // MARK: - Proposer (steps 1, 2, 4, 5, 7)

    /// Steps 1 and 2: a ballot higher than any used or seen, sent to every member, this node
    /// included. A restart must never reuse a round, so rounds are reserved durably in blocks:
    /// one record (and fsync) per `roundReservation` rounds rather than one per Prepare, which
    /// lets a Prepare leave without waiting for the disk.
    mutating func startPrepare(_ instance: InstanceNumber) {
        guard var proposer = proposers[instance] else { return }
        if rejoin?.isFencing == true {
            // A rebuilt node does not know which ballots its lost life used: it proposes
            // nothing until fenced (its rounds are then above them). It tries again later.
            proposers[instance] = proposer
            ready.timers.append(.set(.proposer(instance), afterMilliseconds: configuration.phaseTimeoutMilliseconds))
            return
        }
        proposer.ballot = Ballot(round: takeRound(minimum: proposer.minimumRound), node: id)
        proposer.phase = .preparing(promisedBy: MemberSet(), highestAccepted: nil)
        proposers[instance] = proposer
        ready.trace.append(.prepareSent(instance: instance, ballot: proposer.ballot))
        ready.timers.append(.set(.proposer(instance), afterMilliseconds: configuration.phaseTimeoutMilliseconds))
        broadcastToAll(.prepare(instance: instance, ballot: proposer.ballot))
    }

    /// Step 1's round: higher than any used or seen, and reserved durably before it is used.
    mutating func takeRound(minimum: UInt64) -> UInt64 {
        let round = max(max(highestRoundUsed, highestRoundSeen) + 1, minimum)
        highestRoundUsed = round
        if round > roundsReservedThrough {
            roundsReservedThrough = round + max(configuration.roundReservation, 1) - 1
            ready.persist.append(.round(roundsReservedThrough))
        }
        return round
    }

    mutating func onPromise(from acceptor: NodeID, instance: InstanceNumber, ballot: Ballot, accepted: AcceptedProposal?) {
        if let accepted { noteRound(accepted.ballot.round) }
        guard var proposer = proposers[instance], let acceptorIndex = configuration.members.firstIndex(of: acceptor) else { return }
        let outcome = proposer.onPromise(from: acceptorIndex, ballot: ballot, accepted: accepted, quorum: configuration.quorum,
                                         ignoreAcceptedValues: mutations.proposerIgnoresAcceptedValues)
        proposers[instance] = proposer
        guard case .sendAccept(let command, let adopted) = outcome else { return }
        if let adopted {
            // Step 4: another proposer's value may already be chosen; ours waits for another instance.
            ready.trace.append(.valueAdopted(instance: instance, ballot: ballot, adopted: adopted))
            if let submit = proposer.submit {
                proposer.submit = nil
                proposers[instance] = proposer
                requeue(submit)
                startQueuedSubmits()
            }
        }
        sendAccept(instance, ballot: ballot, command: command)
    }

    /// Step 5. A leader whose followers alone make a majority leaves its own acceptor out
    /// (`leavesOwnVoteOut`) and adds its vote only if no majority answered within
    /// `ownVoteDelayMilliseconds`.
    mutating func sendAccept(_ instance: InstanceNumber, ballot: Ballot, command: Command) {
        let defersOwnVote = leavesOwnVoteOut(in: ballot)
        guard proposers.update(instance, { $0.beginAccepting(ballot: ballot, command: command, deferringOwnVote: defersOwnVote) }) != nil
        else { return }
        if let commandID = command.id { submits.update(commandID) { $0.sentInAccept = true } }
        ready.trace.append(.acceptSent(instance: instance, ballot: ballot, command: command))
        ready.timers.append(.set(.proposer(instance), afterMilliseconds: defersOwnVote
            ? configuration.ownVoteDelayMilliseconds : configuration.phaseTimeoutMilliseconds))
        broadcastAccept(instance, ballot: ballot, command: command, includingSelf: !defersOwnVote)
    }

    /// Whether an Accept in `ballot` goes to the followers only: in this node's leadership
    /// ballot, while the followers it hears from are a majority without it, unless the load is
    /// sequential (`ownVoteOnSequentialValues`). Safety does not depend on which majority
    /// accepts (any two majorities share a member, the leader counted or not, and a value both
    /// followers of three accepted is found by any later phase 1). The leader then writes no
    /// acceptance and syncs its log far less often: its own vote cost the cluster about a tenth
    /// of its CPU per submit at 64 connections (stop 40, `scripts/cpu-per-submit.sh`). A
    /// follower that dies costs the submits in flight the own-vote delay, until the failure
    /// detector stops counting it.
    private mutating func leavesOwnVoteOut(in ballot: Ballot) -> Bool {
        guard let leadership, leadership.isLeading, leadership.ballot == ballot,
              configuration.members.contains(id), failureDetector.heardCount - 1 >= configuration.quorum
        else { return false }
        guard configuration.ownVoteOnSequentialValues else { return true }
        // This instance's proposer is one of `proposers`.
        let alone = proposers.count == 1
        defer { lastAcceptWasAlone = alone }
        return !(alone && lastAcceptWasAlone)
    }

    /// Step 5's message to every member (or every peer, for a resend). An Accept in this node's
    /// leadership ballot carries the decisions the peer has not heard of (`announceChosen`).
    private mutating func broadcastAccept(_ instance: InstanceNumber, ballot: Ballot, command: Command, includingSelf: Bool) {
        let announces = leadership?.ballot == ballot
        for (index, member) in configuration.members.enumerated() {
            if member == id {
                if includingSelf { send(.accept(instance: instance, ballot: ballot, command: command), to: id) }
                continue
            }
            var chosenInstances: [InstanceNumber] = []
            if announces { swap(&chosenInstances, &unannounced[index]) }
            send(.accept(instance: instance, ballot: ballot, command: command, chosen: chosenInstances), to: member)
        }
    }

    mutating func onAccepted(from acceptor: NodeID, instance: InstanceNumber, ballot: Ballot) {
        guard let acceptorIndex = configuration.members.firstIndex(of: acceptor) else { return }
        let quorum = configuration.quorum, countTwice = mutations.proposerCountsAcceptorTwice
        let decided = proposers.update(instance) {
            $0.onAccepted(from: acceptorIndex, ballot: ballot, quorum: quorum, countAcceptorTwice: countTwice)
        }
        guard let command = decided ?? nil else { return }
        learn(instance, command, trace: .chosen(instance: instance, ballot: ballot, command: command))
        if let leadership, leadership.isLeading, leadership.ballot == ballot {
            announceChosen(instance, originator: command.id?.node)
        } else {
            broadcastToPeers(.learn(instance: instance, command: command))
        }
    }

    /// A leader's decision in its own ballot is not broadcast in a Learn of its own: it rides
    /// on the next Accept to each peer (as Raft's commit index rides on AppendEntries), which
    /// saves a message and, on the peer, a separate disk write per decision. The node whose
    /// client waits for the command hears at once, with every decision it has not heard of,
    /// so that it can apply and answer. What no Accept carried before the next heartbeat
    /// reaches the peers through the heartbeat's status (a peer behind asks for catch-up).
    private mutating func announceChosen(_ instance: InstanceNumber, originator: NodeID?) {
        for index in unannounced.indices where configuration.members[index] != id {
            unannounced[index].append(instance)
        }
        guard let originator, originator != id, let index = configuration.members.firstIndex(of: originator) else { return }
        // Emptied in place, keeping the list's storage for the next decisions.
        for position in unannounced[index].indices {
            let decided = unannounced[index][position]
            if let command = chosen[decided] { send(.learn(instance: decided, command: command), to: originator) }
        }
        unannounced[index].removeAll(keepingCapacity: true)
    }

    /// Decisions not announced yet are left to the status exchange: a peer whose applied prefix
    /// is behind a status it receives asks for catch-up.
    mutating func forgetAnnouncements() {
        for index in unannounced.indices { unannounced[index].removeAll(keepingCapacity: true) }
    }

    mutating func onNack(from acceptor: NodeID, instance: InstanceNumber, ballot: Ballot, promised: Ballot) {
        noteRound(promised.round)
        if let leadership, leadership.ballot == ballot, promised > ballot { endLeadership(preemptedBy: promised) }
        guard var proposer = proposers[instance], proposer.isAwaitingAnswers(to: ballot) else { return }
        // Step 7: a higher ballot is about; this attempt cannot succeed. Back off, then try higher.
        let wait = backoffMilliseconds(afterFailures: proposer.failedAttempts)
        proposer.failedAttempts += 1
        proposer.phase = .waiting
        proposers[instance] = proposer
        ready.trace.append(.preempted(instance: instance, ballot: ballot, by: promised, retryAfterMilliseconds: wait))
        ready.timers.append(.set(.proposer(instance), afterMilliseconds: wait))
    }

    mutating func onProposerTimer(_ instance: InstanceNumber) {
        guard var proposer = proposers[instance] else { return }
        if case .waiting = proposer.phase {
            startPrepare(instance)
            return
        }
        if let leadership, leadership.isLeading, proposer.ballot == leadership.ballot,
           case .accepting(let command, let acceptedBy, _) = proposer.phase {
            if proposer.ownVoteDeferred {
                // No majority of the followers answered within the own-vote delay (one is down
                // or slow): the leader's own acceptor votes too, and a phase timeout later the
                // Accept goes again to whoever has not answered.
                proposer.ownVoteDeferred = false
                proposers[instance] = proposer
                ready.trace.append(.acceptSent(instance: instance, ballot: proposer.ballot, command: command))
                ready.timers.append(.set(.proposer(instance), afterMilliseconds: configuration.phaseTimeoutMilliseconds))
                send(.accept(instance: instance, ballot: proposer.ballot, command: command), to: id)
                return
            }
            // The leadership's ballot still holds here: Accepts or their answers were lost. Send
            // the same Accept again (acceptors answer it idempotently) instead of a phase 1 that
            // would only compete with this node's own leadership. To this node's own acceptor
            // too if it has not accepted: a rebuilt node ignores every Accept until it votes
            // again (`Rejoin`), its own first one included, and with a peer down the cluster
            // would wait for that vote forever (simulator, `--seed 4862 --swarm`).
            let ownVote = configuration.members.firstIndex(of: id).map { acceptedBy.contains($0) } ?? true
            ready.trace.append(.acceptSent(instance: instance, ballot: proposer.ballot, command: command))
            ready.timers.append(.set(.proposer(instance), afterMilliseconds: configuration.phaseTimeoutMilliseconds))
            broadcastAccept(instance, ballot: proposer.ballot, command: command, includingSelf: !ownVote)
            return
        }
        // No majority answered in time (lost messages, dead nodes): start over with a higher ballot.
        let wait = backoffMilliseconds(afterFailures: proposer.failedAttempts)
        proposer.failedAttempts += 1
        ready.trace.append(.timedOut(instance: instance, ballot: proposer.ballot, retryAfterMilliseconds: wait))
        proposer.phase = .waiting
        proposers[instance] = proposer
        ready.timers.append(.set(.proposer(instance), afterMilliseconds: wait))
    }

    mutating func backoffMilliseconds(afterFailures failures: Int) -> UInt64 {
        switch configuration.backoff {
        case .none:
            return 0
        case .randomizedExponential(let base, let maximum):
            let ceiling = min(maximum, base << UInt64(min(failures, 20)))
            return ceiling <= base ? base : base + random.next() % (ceiling - base + 1)
        }
    }

    mutating func abandonProposer(_ instance: InstanceNumber) {
        proposers[instance] = nil
        ready.timers.append(.cancel(.proposer(instance)))
    }
}
