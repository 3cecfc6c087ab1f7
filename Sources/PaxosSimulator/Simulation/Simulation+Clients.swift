import PaxosCore

/// Clients: submits at random live nodes, each with a deadline, and what they are told.
extension Simulation {
    func scheduleNextSubmit() {
        queue.schedule(.submit, at: now + randomValue(in: 1...2 * options.submitIntervalMicroseconds))
    }

    func submitAtRandomNode() {
        guard faultsActive else { return }
        scheduleNextSubmit()
        submit(isCalm: false)
    }

    /// Submits a fresh value at a random live node. Returns false when every node is down.
    @discardableResult
    func submit(isCalm: Bool) -> Bool {
        // The live nodes are counted and walked by index rather than collected into an array:
        // one allocation fewer per submit, the same pick from the same random number. (A
        // closure over the elements would copy each whole node.)
        var liveCount = 0
        for candidate in nodes.indices where nodes[candidate].isUp { liveCount += 1 }
        guard liveCount > 0 else { return false }
        var pick = Int(random.next() % UInt64(liveCount))
        var index = 0
        while !nodes[index].isUp || pick > 0 {
            if nodes[index].isUp { pick -= 1 }
            index += 1
        }
        if !isCalm, options.submitTarget > 0, nodes[options.submitTarget - 1].isUp { index = options.submitTarget - 1 }
        let request = nextRequest
        nextRequest += 1
        let value = "v\(request)"
        checker.offered(value)
        figures.submits += 1
        let deadline = isCalm ? options.livenessBoundMilliseconds : options.submitDeadlineMilliseconds
        let deadlineEvent = queue.schedule(.deadline(node: index, life: nodes[index].life, request: request),
                                           at: now + .milliseconds(deadline))
        requests.open(request, ClientRequests.Request(node: index, value: value, isCalm: isCalm, deadline: deadlineEvent))
        nodes[index].outstanding.append(request)
        trace?.beginStep(at: now, "client submits \(value) at S\(index + 1) (request \(request))")
        absorb(nodes[index].core.onSubmit(request: request, value: value), node: index)
        return true
    }

    func expire(_ request: RequestID, node index: Int, life: UInt32) {
        guard nodes[index].isUp, nodes[index].life == life, requests[request] != nil else { return }
        trace?.beginStep(at: now, "deadline of request \(request) at S\(index + 1)")
        figures.coverage.count(.deadlinePassed)
        absorb(nodes[index].core.onDeadline(request: request), node: index)
    }

    func answer(_ reply: ClientReply, node index: Int) {
        guard let request = requests.close(reply.request) else { return }
        queue.cancel(request.deadline)
        nodes[index].forgetOutstanding(reply.request)
        switch reply {
        case .submitted(_, let instance, let value):
            figures.submitsAcknowledged += 1
            if request.isCalm { calmSubmitsAcknowledged += 1 }
            trace?.note("client told \(value) is instance \(instance)")
            if value != request.value {
                checker.fail(.durability, "request \(reply.request) submitted '\(request.value)' but was told '\(value)'")
            }
            checker.acknowledged(instance: instance, value: value)
        case .failed(_, let failure):
            figures.submitsFailed += 1
            trace?.note("client told request \(reply.request) failed: \(failure)")
            if request.isCalm {
                checker.fail(.liveness, "a submit made after the faults stopped failed: \(failure)")
            }
        case .proposed(_, let instance, let chosen, _):
            trace?.note("client told \(chosen) is instance \(instance)")
            checker.proposeAnswered(instance: instance, command: chosen)
        case .readable:
            break
        }
    }

    // MARK: - Contention (the `contend` fault)

    func scheduleContention() {
        queue.schedule(.contend, at: now + randomValue(in: 1...options.contendIntervalMaximumMicroseconds))
    }

    /// Two or more live nodes run single-decree `propose` on one instance at once, just above
    /// what was learned: their ballots duel with each other and with the leader's range, whose
    /// Accepts there get refused (a leader preempted in the middle of its range).
    func proposeContended() {
        guard faultsActive else { return }
        scheduleContention()
        let live = nodes.indices.filter { nodes[$0].isUp }
        guard live.count >= 2 else { return }
        let instance = checker.highestLearned + 1 + random.next() % 3
        let count = 2 + Int(random.next() % UInt64(live.count - 1))
        let start = Int(random.next() % UInt64(live.count))
        figures.coverage.count(.contestedInstance)
        for offset in 0..<count {
            let index = live[(start + offset) % live.count]
            let request = nextRequest
            nextRequest += 1
            let value = "c\(request)"
            checker.offered(value)
            let deadlineEvent = queue.schedule(.deadline(node: index, life: nodes[index].life, request: request),
                                               at: now + .milliseconds(options.submitDeadlineMilliseconds))
            requests.open(request, ClientRequests.Request(node: index, value: value, isCalm: false, deadline: deadlineEvent))
            nodes[index].outstanding.append(request)
            trace?.beginStep(at: now, "client proposes \(value) for instance \(instance) at S\(index + 1) (request \(request))")
            absorb(nodes[index].core.onPropose(request: request, instance: instance, value: value), node: index)
        }
    }
}
