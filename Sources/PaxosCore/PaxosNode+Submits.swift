/// Client submits: the queue of commands waiting for an instance, forwarding to the
/// distinguished proposer and taking a forward back when it is not decided in time.
extension PaxosNode {
    // MARK: - Submits

    /// A client's command (or a forwarded one) from its submit to its answer.
    struct PendingSubmit: Hashable, Sendable {
        /// The client waiting here, or nil for a submit another node forwarded to us.
        var request: RequestID?
        var command: Command
        var state: State
        /// Sticky: once an Accept carried the command, a failure can no longer promise it was not chosen.
        var sentInAccept = false

        enum State: Hashable, Sendable {
            /// Sent to the distinguished proposer at heartbeat `since`, for the `attempts`-th time; sent
            /// again, or taken back, if it does not decide it in time.
            case forwarded(to: NodeID, since: UInt64, attempts: Int)
            case queued
            case proposing(InstanceNumber)
            /// Chosen somewhere and not applied yet: only the application says where it lands
            /// (a command chosen twice is applied at the lower instance).
            case chosen
        }

        /// A queued submit goes into `instance`: its command, or nil if it was not queued.
        /// (One dictionary access for the check and the change.)
        mutating func startProposing(in instance: InstanceNumber) -> Command? {
            guard state == .queued else { return nil }
            state = .proposing(instance)
            return command
        }
    }

    mutating func makeCommandID() -> CommandID {
        defer { nextSequence += 1 }
        return CommandID(node: id, incarnation: incarnation, sequence: nextSequence)
    }

    mutating func requeue(_ commandID: CommandID) {
        let requeued = submits.update(commandID) { pending in
            if case .chosen = pending.state { return false }
            pending.state = .queued
            return true
        }
        if requeued == true { submits.enqueueFirst(commandID) }
    }

    /// `submit(v)` proposes v for the lowest instance not known to be chosen and not already being
    /// proposed here (DESIGN.md section 3), up to `proposalsInFlightMax` instances at once.
    /// The distinguished proposer first seeks a leadership (one phase 1 for all instances
    /// ahead) and holds its submits until it has one or gave up; then each goes straight to step 5.
    mutating func startQueuedSubmits() {
        guard submits.hasQueued, rejoin?.isFencing != true else { return }
        if configuration.multiPaxos && configuration.forwardSubmitsToDistinguishedProposer && distinguishedProposer == id
            && hearsQuorum {
            if leadership == nil && !leadershipRetryPending { startLeadership() }
            if leadershipRetryPending || leadership?.isLeading == false { return }
        }
        var candidate = appliedThrough + 1
        while proposers.count < configuration.proposalsInFlightMax, let commandID = submits.nextQueued() {
            while chosen.contains(candidate) || proposers.contains(candidate) { candidate += 1 }
            guard let command = submits.update(commandID, { $0.startProposing(in: candidate) }) ?? nil else { continue }
            proposers[candidate] = Proposer(instance: candidate, ownCommand: command, submit: commandID, minimumRound: 0)
            let applied = appliedThrough  // read before `leadership` is borrowed for the claim
            if let ballot = leadership?.ballot, leadership?.claim(candidate, applied: applied) == true {
                sendAccept(candidate, ballot: ballot, command: command)
            } else {
                startPrepare(candidate)
            }
        }
    }

    /// A submit forwarded to us: propose it as if a client had sent it here (without a client
    /// to answer: the originator answers when it applies the command).
    mutating func onForward(_ command: Command) {
        guard let commandID = command.id, !appliedCommands.contains(commandID), !submits.contains(commandID),
              submits.count < configuration.pendingSubmitsMax else { return }
        submits.add(commandID, PendingSubmit(request: nil, command: command, state: .queued), queued: true)
        startQueuedSubmits()
    }

    /// Submits the distinguished proposer did not decide in time (it died, or the forward was
    /// lost) are forwarded again, to whoever is the distinguished proposer now, up to
    /// `forwardAttemptsMax` times in all; then (or when this node is the distinguished proposer)
    /// they are proposed here. The command keeps its identity, so if both end up choosing it,
    /// it is applied once.
    mutating func takeBackForwardedSubmits() {
        let leader = distinguishedProposer
        // The due ones are picked out first and only they are sorted: sorting every pending
        // key and looking each up again cost a hash per submit at every heartbeat. Acting on
        // one changes no other's state, so the outcome is the same.
        var due: [(commandID: CommandID, attempts: Int)] = []
        for (commandID, pending) in submits.all {
            guard case .forwarded(let to, let since, let attempts) = pending.state else { continue }
            guard to != leader || failureDetector.heartbeats - since >= configuration.forwardPatienceHeartbeats else { continue }
            due.append((commandID, attempts))
        }
        due.sort { $0.commandID < $1.commandID }
        for (commandID, attempts) in due {
            if leader != id && attempts < configuration.forwardAttemptsMax {
                // A lost forward, or a leader that restarted and forgot it: ask again rather than
                // run phase 1 here against the leader's own.
                let since = failureDetector.heartbeats
                let command = submits.update(commandID) { pending in
                    pending.state = .forwarded(to: leader, since: since, attempts: attempts + 1)
                    return pending.command
                }!
                send(.forward(command: command), to: leader)
            } else {
                submits.update(commandID) { $0.state = .queued }
                submits.enqueue(commandID)
            }
        }
        startQueuedSubmits()
    }
}
