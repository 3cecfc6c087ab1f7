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

    /// Submits a fresh value at a random live node, or retries `earlier` (same value, same
    /// request id) at a live node other than the one it failed at. Returns false when every
    /// node is down.
    @discardableResult
    func submit(isCalm: Bool, retrying earlier: ClientRequests.Request? = nil) -> Bool {
        guard var index = randomLiveNode() else { return false }
        if let earlier, index == earlier.node, let other = nextLiveNode(after: index) { index = other }
        if !isCalm, earlier == nil, options.submitTarget > 0, nodes[options.submitTarget - 1].isUp { index = options.submitTarget - 1 }
        let request = nextRequest
        nextRequest += 1
        let value = earlier?.value ?? "v\(request)"
        var name = earlier?.name
        if earlier == nil, !isCalm, options.namedSubmitsPerMille > 0, random.next() % 1_000 < options.namedSubmitsPerMille {
            name = CommandID.clientNamed(UInt64(request), 0x5E1F)
        }
        checker.offered(value)
        figures.submits += 1
        let deadline = isCalm ? options.livenessBoundMilliseconds : options.submitDeadlineMilliseconds
        let deadlineEvent = queue.schedule(.deadline(node: index, life: nodes[index].life, request: request),
                                           at: now + .milliseconds(deadline))
        requests.open(request, ClientRequests.Request(node: index, value: value, isCalm: isCalm, deadline: deadlineEvent,
                                                      name: name, isRetry: earlier != nil))
        nodes[index].outstanding.append(request)
        trace?.beginStep(at: now, "client \(earlier == nil ? "submits" : "retries") \(value) at S\(index + 1) (request \(request)\(name == nil ? "" : ", named"))")
        absorb(nodes[index].core.onSubmit(request: request, value: value, clientCommand: name), node: index)
        return true
    }

    /// A named submit that failed or whose node died is retried once elsewhere, under its name:
    /// whatever became of the first attempt, the value must end up in the file once.
    func retryIfNamed(_ request: ClientRequests.Request) {
        guard request.name != nil, !request.isRetry, request.readFloor == nil else { return }
        figures.coverage.count(.namedSubmitRetried)
        submit(isCalm: false, retrying: request)
    }

    /// A live node picked at random (walked by index: no array per pick, and a closure over the
    /// elements would copy each whole node).
    private func randomLiveNode() -> Int? {
        var liveCount = 0
        for candidate in nodes.indices where nodes[candidate].isUp { liveCount += 1 }
        guard liveCount > 0 else { return nil }
        var pick = Int(random.next() % UInt64(liveCount))
        var index = 0
        while !nodes[index].isUp || pick > 0 {
            if nodes[index].isUp { pick -= 1 }
            index += 1
        }
        return index
    }

    private func nextLiveNode(after index: Int) -> Int? {
        for offset in 1..<nodes.count where nodes[(index + offset) % nodes.count].isUp { return (index + offset) % nodes.count }
        return nil
    }

    // MARK: - Linearizable reads

    func scheduleNextRead() {
        queue.schedule(.read, at: now + randomValue(in: 1...2 * options.readIntervalMicroseconds))
    }

    /// A client asks a random live node for a linearizable read; it remembers the highest
    /// instance acknowledged so far, which the answer must reach.
    func readAtRandomNode() {
        guard faultsActive else { return }
        scheduleNextRead()
        guard let index = randomLiveNode() else { return }
        let request = nextRequest
        nextRequest += 1
        let deadlineEvent = queue.schedule(.deadline(node: index, life: nodes[index].life, request: request),
                                           at: now + .milliseconds(options.submitDeadlineMilliseconds))
        requests.open(request, ClientRequests.Request(node: index, value: "", isCalm: false, deadline: deadlineEvent,
                                                      readFloor: checker.highestAcknowledged))
        nodes[index].outstanding.append(request)
        trace?.beginStep(at: now, "client reads at S\(index + 1) (request \(request), acknowledged through \(checker.highestAcknowledged))")
        absorb(nodes[index].core.onRead(request: request), node: index)
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
        var reply = reply
        if case .appliedEarlier(let id, let instance) = reply {
            // The shell answers with the file's line there, as the live node does.
            guard let line = nodes[index].file.first(where: { $0.instance == instance }) else {
                checker.fail(.durability, "S\(index + 1) said request \(id) was applied at instance \(instance), which its file lacks")
                return
            }
            reply = .submitted(id, instance: instance, value: line.value)
        }
        switch reply {
        case .appliedEarlier:
            preconditionFailure("answered from the file above")
        case .submitted(_, let instance, let value):
            figures.submitsAcknowledged += 1
            if request.isCalm { calmSubmitsAcknowledged += 1 }
            trace?.note("client told \(value) is instance \(instance)")
            if value != request.value {
                checker.fail(.durability, "request \(reply.request) submitted '\(request.value)' but was told '\(value)'")
            }
            checker.acknowledged(instance: instance, value: value)
        case .failed(_, let failure):
            guard request.readFloor == nil else { break }
            figures.submitsFailed += 1
            trace?.note("client told request \(reply.request) failed: \(failure)")
            if request.isCalm {
                checker.fail(.liveness, "a submit made after the faults stopped failed: \(failure)")
            }
            if failure == .noQuorum || failure == .outcomeUnknown { retryIfNamed(request) }
        case .proposed(_, let instance, let chosen, _):
            trace?.note("client told \(chosen) is instance \(instance)")
            checker.proposeAnswered(instance: instance, command: chosen)
        case .readable(_, let through):
            let floor = request.readFloor ?? 0
            trace?.note("client read through instance \(through) (acknowledged through \(floor) when it began)")
            figures.coverage.count(.linearizableReadAnswered)
            if through > floor { figures.coverage.count(.linearizableReadWaited) }
            if through < floor || nodes[index].core.appliedThrough < floor {
                checker.fail(.linearizableRead, "a linearizable read at S\(index + 1) was answered through instance \(through), but instance \(floor) was acknowledged before it began")
            }
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
