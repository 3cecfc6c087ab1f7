/// The learner and the state machine: a chosen value becomes durable, the clients that
/// waited on it hear, and the contiguous prefix is applied to the replicated file.
extension PaxosNode {
    // MARK: - Learner and state machine

    /// `command` is chosen in `instance`: make it durable, stop proposing there, answer the
    /// clients that waited on it, and apply every instance that is now contiguous.
    mutating func learn(_ instance: InstanceNumber, _ command: Command, trace: TraceEvent) {
        guard learnerLog.record(command, in: instance) else { return }
        // The client may hear before this record is durable: see `Ready.persistEventually`.
        ready.persistEventually.append(.chosen(instance: instance, command: command))
        ready.trace.append(trace)

        if let proposer = proposers[instance] {
            abandonProposer(instance)
            if let submit = proposer.submit, command.id != submit { requeue(submit) }
        }
        if let commandID = command.id { submits.update(commandID) { $0.state = .chosen } }
        for waiter in proposeWaiters.removeValue(forKey: instance) ?? [] {
            let ours = waiter.command != nil && command.id == waiter.command
            ready.replies.append(.proposed(waiter.request, instance: instance, chosen: command, ours: ours))
        }
        applyChosenPrefix()
        answerSatisfiedReads()
        startQueuedSubmits()
    }

    /// Applies chosen instances in order. A command chosen a second time (a retried submit whose
    /// earlier Accept survived) is applied once, so every value appears once in the file.
    mutating func applyChosenPrefix() {
        while let applied = learnerLog.applyNext() {
            guard case .line(let entry, let commandID) = applied else { continue }
            ready.applied.append(entry)
            if let pending = submits.remove(commandID), let request = pending.request {
                ready.replies.append(.submitted(request, instance: entry.instance, value: entry.value))
            }
        }
        learnerLog.checkInvariants()
        if rejoin != nil { finishRejoinIfCaughtUp() }
    }

    /// The receiving side of `announceChosen`: instances chosen in `ballot`. Where this acceptor
    /// accepted a value in `ballot`, that value is the chosen one (a ballot carries one value per
    /// instance); elsewhere the news is left to catch-up.
    mutating func learnChosen(_ instances: [InstanceNumber], in ballot: Ballot) {
        for instance in instances where !learnerLog.isDecided(instance) {
            guard let proposal = acceptors[instance]?.accepted, proposal.ballot == ballot else { continue }
            learn(instance, proposal.command, trace: .learned(instance: instance, command: proposal.command))
        }
    }
}
