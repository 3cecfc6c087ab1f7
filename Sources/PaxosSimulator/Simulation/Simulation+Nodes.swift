import PaxosCore

/// The shell's side of a node: performing a Ready in order (records synced before anything else
/// leaves), timers, crashes and restarts.
extension Simulation {
    /// Takes a node's Ready: writes its records, and releases its effects once they are synced.
    func absorb(_ ready: Ready, node index: Int) {
        if !ready.persist.isEmpty {
            do { try nodes[index].disk.append(ready.persist) } catch { storageFailed(index, error) }
        }
        if syncMicroseconds == 0 {
            if !ready.persist.isEmpty {
                do { try nodes[index].disk.sync() } catch { storageFailed(index, error) }
            }
            release(ready, node: index)
            return
        }
        if ready.persist.isEmpty && nodes[index].held.isEmpty {
            release(ready, node: index)
            return
        }
        nodes[index].held.append(ready)
        if !nodes[index].syncInFlight {
            nodes[index].syncInFlight = true
            queue.schedule(.syncDone(node: index, life: nodes[index].life), at: now + syncMicroseconds)
        }
    }

    func finishSync(node index: Int, life: UInt32) {
        guard nodes[index].isUp, nodes[index].life == life else { return }
        trace?.beginStep(at: now, "S\(index + 1) fsync done")
        do { try nodes[index].disk.sync() } catch { storageFailed(index, error) }
        nodes[index].syncInFlight = false
        // Taken out rather than copied, so that emptying it does not allocate; releasing never
        // holds anything new (only `absorb` does), so the emptied buffer goes back.
        var held: [Ready] = []
        swap(&held, &nodes[index].held)
        for ready in held { release(ready, node: index) }
        held.removeAll(keepingCapacity: true)
        if nodes[index].held.isEmpty { swap(&held, &nodes[index].held) }
    }

    /// The simulated disk never fails on its own: an error is a bug of the storage code.
    private func storageFailed(_ index: Int, _ error: any Error) {
        checker.fail(.recovery, "S\(index + 1)'s log failed: \(error)")
    }

    /// The records of `ready` are durable: its effects happen now.
    private func release(_ ready: Ready, node index: Int) {
        for event in ready.trace {
            trace?.note("S\(index + 1) \(event)")
            if case .acceptedValue(let instance, let ballot, _, let command) = event {
                checker.nodeAccepted(index, instance: instance, ballot: ballot, command: command)
            }
        }
        for record in ready.persist {
            if case .chosen(let instance, let command) = record {
                checker.nodeLearned(index, instance: instance, command: command)
            }
        }
        for envelope in ready.messages { send(envelope) }
        for entry in ready.applied {
            checker.nodeWroteLine(index, lineIndex: nodes[index].file.count, entry: entry)
            nodes[index].file.append(entry)
        }
        for reply in ready.replies { answer(reply, node: index) }
        for request in ready.timers { arm(request, node: index) }
    }

    private func arm(_ request: TimerRequest, node index: Int) {
        switch request {
        case .set(let timer, let milliseconds):
            let generation = nextTimerGeneration()
            nodes[index].timerGenerations[timer] = generation
            queue.schedule(.timer(node: index, life: nodes[index].life, timer, generation: generation),
                           at: now + .milliseconds(milliseconds))
        case .cancel(let timer):
            nodes[index].timerGenerations[timer] = nil
        }
    }

    private func nextTimerGeneration() -> UInt64 {
        // Generations only need to differ from each other; the event count since the start does.
        timerGenerationCounter += 1
        return timerGenerationCounter
    }

    func fireTimer(node index: Int, life: UInt32, _ timer: TimerID, generation: UInt64) {
        guard nodes[index].isUp, nodes[index].life == life,
              nodes[index].timerGenerations[timer] == generation else { return }
        nodes[index].timerGenerations[timer] = nil
        trace?.beginStep(at: now, "S\(index + 1) timer \(timer)")
        absorb(nodes[index].core.onTimer(timer), node: index)
    }

    // MARK: - Crash and restart

    func crash(_ index: Int) {
        let tear = tornFaults && random.next() % 2 == 0
        let torn = nodes[index].disk.crash(tearLastWrite: tear, random: &random)
        figures.crashes += 1
        if torn { figures.tornWrites += 1 }
        trace?.beginStep(at: now, "S\(index + 1) crashes\(torn ? ", tearing its last write" : "")")
        nodes[index].isUp = false
        nodes[index].life += 1
        nodes[index].held.removeAll()
        nodes[index].syncInFlight = false
        nodes[index].timerGenerations.removeAll()
        // The clients' connections break: they hear nothing, so nothing was acknowledged.
        for request in nodes[index].outstanding {
            requests[request] = nil
            figures.submitsFailed += 1
        }
        nodes[index].outstanding.removeAll()
    }

    func restart(_ index: Int) {
        guard !nodes[index].isUp else { return }
        trace?.beginStep(at: now, "S\(index + 1) restarts from its log")
        let recovered: DurableState
        do {
            recovered = try nodes[index].disk.recover()
        } catch {
            checker.fail(.recovery, "S\(index + 1) could not read its log back: \(error)")
            return
        }
        checker.nodeRecovered(index, chosen: recovered.chosen)
        nodes[index].core = PaxosNode(configuration: nodes[index].core.configuration, recovered: recovered)
        nodes[index].isUp = true
        // The replicated file is a view of the log, rebuilt at start-up.
        nodes[index].file = nodes[index].core.fileEntries
        for (line, entry) in nodes[index].file.enumerated() {
            checker.nodeWroteLine(index, lineIndex: line, entry: entry)
        }
        absorb(nodes[index].core.onStart(), node: index)
    }
}
