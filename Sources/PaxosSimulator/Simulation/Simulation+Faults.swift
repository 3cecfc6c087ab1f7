import PaxosCore

/// Crash faults over time, and the end of all faults.
extension Simulation {
    func scheduleCrash() {
        queue.schedule(.crashSomeNode, at: now + randomValue(in: 1...options.crashIntervalMaximumMicroseconds))
    }

    /// Crashes a random live node, keeping a majority up so that the run can make progress, and
    /// schedules its restart.
    func crashSomeNode() {
        guard faultsActive else { return }
        scheduleCrash()
        guard mayCrashAnother else { return }
        let live = nodes.indices.filter { nodes[$0].isUp }
        crashAndRestartLater(live[Int(random.next() % UInt64(live.count))])
    }

    /// Whether one more node may crash: a majority stays up after it, so the run goes on. Every
    /// crash fault asks, the random ones and the aimed ones.
    var mayCrashAnother: Bool {
        nodes.indices.filter { nodes[$0].isUp }.count > options.nodes / 2 + 1
    }

    /// Crashes node `index` and brings it back within the run's downtime.
    func crashAndRestartLater(_ index: Int) {
        crash(index)
        queue.schedule(.restart(node: index), at: now + randomValue(in: 1...options.downtimeMaximumMicroseconds))
    }

    /// The end of the fault phase: links heal, crashed nodes restart, and the last submits are made.
    func stopFaults() {
        faultsActive = false
        calmStartedAt = now
        trace?.beginStep(at: now, "faults stop")
        if linkCut.contains(true) { healPartition(partitionNumber) }
        // With no submit to follow (`calmSubmits` 0), half the time a crash aimed at the leader
        // while it holds decisions not yet durable: it comes straight back without them, and
        // only the protocol's own anti-entropy can finish what it decided and answered (a leader
        // that left its own vote out knows nothing then of what its followers accepted).
        if crashFaults, options.calmSubmits == 0,
           let leader = nodes.indices.first(where: { nodes[$0].isUp && nodes[$0].core.isLeading }),
           !nodes[leader].unsyncedDecisions.isEmpty, random.next() % 2 == 0 {
            figures.coverage.count(.leaderCrashedAsFaultsStop)
            crash(leader)
        }
        // A rebuilt node votes only once every other member granted its rejoin: the node that
        // is to stay down comes back until then (a rebuilt node and a dead one are two failures).
        for index in nodes.indices where !nodes[index].isUp && index != options.calmNodeDown { restart(index) }
        if let down = options.calmNodeDown, !nodes[down].isUp,
           nodes.indices.contains(where: { $0 != down && !nodes[$0].core.isVoting }) {
            restart(down)
        }
        // The calm submits follow, so that none is made at the node about to go down.
        calmCrashPending = true
        crashCalmNodeOnceOthersVote()
    }

    /// The node meant to stay down goes down once every other node votes.
    func crashCalmNodeOnceOthersVote() {
        guard calmCrashPending else { return }
        if let down = options.calmNodeDown {
            for index in nodes.indices where index != down && !(nodes[index].isUp && nodes[index].core.isVoting) { return }
            if nodes[down].isUp {
                trace?.note("S\(down + 1) stays down: a majority must do")
                crash(down)
            }
        }
        calmCrashPending = false
        for _ in 0..<options.calmSubmits { submit(isCalm: true) }
    }

    /// Every request answered, every calm submit chosen, every node up with all it could learn applied.
    var isSettled: Bool {
        guard requests.isEmpty, calmSubmitsAcknowledged == options.calmSubmits else { return false }
        let longest = checker.longestFile.count
        // By index: a `for node in nodes` copies every node (and retains all it holds) per event.
        for index in nodes.indices where index != options.calmNodeDown {
            guard nodes[index].isUp, nodes[index].pipeline.isIdle, nodes[index].core.appliedThrough >= checker.highestLearned,
                  nodes[index].file.count == longest else { return false }
        }
        return true
    }

    var unsettledReason: String {
        var reasons: [String] = []
        if !requests.isEmpty {
            reasons.append("requests \(requests.openNumbers.map(String.init).joined(separator: ",")) unanswered")
        }
        if calmSubmitsAcknowledged < options.calmSubmits {
            reasons.append("\(calmSubmitsAcknowledged) of \(options.calmSubmits) calm submits acknowledged")
        }
        for (index, node) in nodes.enumerated()
        where index != options.calmNodeDown && (node.core.appliedThrough < checker.highestLearned || !node.isUp) {
            reasons.append("S\(index + 1) \(node.isUp ? "up" : "down"), applied through \(node.core.appliedThrough) of \(checker.highestLearned)")
        }
        return "not settled \(options.livenessBoundMilliseconds) ms after the faults stopped: " + reasons.joined(separator: "; ")
    }
}
