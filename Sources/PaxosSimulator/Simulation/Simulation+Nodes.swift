import PaxosCore
import PaxosStorage

/// The shell's side of a node: performing a Ready in order (records synced before anything else
/// leaves), timers, crashes and restarts.
extension Simulation {
    /// Takes a node's Ready: writes its records and hands it to the node's pipeline, which
    /// releases its effects once they are synced (the live node's `ReadyPipeline`).
    func absorb(_ ready: consuming Ready, node index: Int) {
        let persistTicket = write(ready.persist, eventually: ready.persistEventually, node: index)
        if let now = nodes[index].pipeline.add(ready, persistTicket: persistTicket, durableTicket: nodes[index].syncedTicket) {
            // Moved, not copied: with its lists shared, taking the messages out would copy them.
            var now = consume now
            release(&now, node: index)
            nodes[index].core.recycle(consume now)
        }
        drain(node: index)
        // Between steps, as the live shell does (never inside a drain: a nested step's records
        // would follow the checkpoint's).
        if !nodes[index].draining { compactIfDue(node: index) }
    }

    /// Writes a step's records to the node's disk: `persist` under a new ticket,
    /// which it returns, then `eventually`, which nobody waits for.
    private func write(_ persist: [DurableRecord], eventually: [DurableRecord], node index: Int) -> UInt64? {
        var persistTicket: UInt64? = nil
        if !persist.isEmpty {
            do { try nodes[index].disk.append(persist) } catch { storageFailed(index, error) }
            nodes[index].appendedTicket += 1
            persistTicket = nodes[index].appendedTicket
        }
        if !eventually.isEmpty {
            do { try nodes[index].disk.append(eventually) } catch { storageFailed(index, error) }
            nodes[index].appendedTicket += 1
            for position in eventually.indices {
                if case .chosen(let instance, _) = eventually[position] {
                    nodes[index].unsyncedDecisions.append((nodes[index].appendedTicket, instance))
                }
            }
        }
        if syncMicroseconds == 0 && nodes[index].appendedTicket > nodes[index].syncedTicket {
            syncDisk(node: index)
        }
        return persistTicket
    }

    /// Performs what the node's pipeline releases, then starts a sync if it waits for one.
    private func drain(node index: Int) {
        guard !nodes[index].draining else { return }
        nodes[index].draining = true
        while true {
            if let ready = nodes[index].pipeline.takeReady(durableTicket: nodes[index].syncedTicket) {
                var ready = consume ready
                release(&ready, node: index)
                nodes[index].core.recycle(consume ready)
            } else if let message = nodes[index].pipeline.takeOwnMessage() {
                figures.coverage.count(.selfMessageDelivered)
                trace?.beginStep(at: now, "S\(index + 1) <- itself \(describe(message))")
                absorb(nodes[index].core.onMessage(from: nodes[index].core.id, message), node: index)
            } else {
                break
            }
        }
        nodes[index].draining = false
        sendDueAnswers(node: index)
        if nodes[index].callsToStart {
            nodes[index].callsToStart = false
            startCalls(node: index)
        }
        startSyncIfDue(node: index)
    }

    /// Starts an fsync of everything written so far, unless one is under way, if a held Ready
    /// waits for one or a checkpoint demands it.
    func startSyncIfDue(node index: Int) {
        guard !nodes[index].syncInFlight,
              nodes[index].pipeline.awaitedTicket(durableTicket: nodes[index].syncedTicket) != nil
                || nodes[index].demandedTicket > nodes[index].syncedTicket else { return }
        nodes[index].syncInFlight = true
        nodes[index].syncTarget = nodes[index].appendedTicket
        do { try nodes[index].disk.startSync() } catch { storageFailed(index, error) }
        nodes[index].syncEndsAt = now + syncDuration()
        queue.schedule(.syncDone(node: index, life: nodes[index].life), at: nodes[index].syncEndsAt)
    }

    /// How long an fsync starting now takes: the run's usual time or, with the `stall` fault
    /// while faults last, now and then 10 to 100 times as long, and one such stall in ten 100 to
    /// 1,000 times (a loaded disk stalls for far longer than its usual spikes).
    func syncDuration() -> UInt64 {
        guard stallFaults, faultsActive, syncMicroseconds > 0,
              random.next() % 1_000 < options.stallPerMille else { return syncMicroseconds }
        figures.coverage.count(.syncStalled)
        return syncMicroseconds * (random.next() % 10 == 0 ? randomValue(in: 100...1_000) : randomValue(in: 10...100))
    }

    func finishSync(node index: Int, life: UInt32) {
        guard nodes[index].isUp, nodes[index].life == life else { return }
        trace?.beginStep(at: now, "S\(index + 1) fsync done")
        nodes[index].syncInFlight = false
        syncDisk(node: index, through: nodes[index].syncTarget)
        drain(node: index)
    }

    /// The records appended up to `ticket` become durable: the fsync that started when they
    /// were the last ones finishes. What was appended while it ran stays in the log's memory
    /// and waits for the next one (group commit, as the live `GroupCommitLog`). Without a
    /// ticket, an fsync of everything appended so far, at once (no simulated fsync time).
    func syncDisk(node index: Int, through ticket: UInt64? = nil) {
        do {
            if ticket == nil { try nodes[index].disk.startSync() }
            try nodes[index].disk.sync()
        } catch {
            storageFailed(index, error)
        }
        let synced = ticket ?? nodes[index].appendedTicket
        nodes[index].syncedTicket = synced
        nodes[index].unsyncedDecisions.removeAll { $0.ticket <= synced }
        if let removal = nodes[index].snapshotRemoval, removal.ticket <= synced {
            nodes[index].snapshotRemoval = nil
            if let stored = nodes[index].pointOfStoredSnapshot, stored < removal.point { nodes[index].pointOfStoredSnapshot = nil }
            do { try nodes[index].disk.removeSnapshots(olderThan: removal.point) } catch { storageFailed(index, error) }
        }
    }

    /// The simulated disk never fails on its own: an error is a bug of the storage code.
    func storageFailed(_ index: Int, _ error: any Error) {
        checker.fail(.recovery, "S\(index + 1)'s log failed: \(error)")
    }

    /// The records of `ready` are durable: its effects happen now. Walked by index, so that no
    /// reference to its lists is taken: the caller then gives the core back their storage
    /// (`recycle`). Its messages are moved out rather than copied (see `takeMessages`).
    private func release(_ ready: inout Ready, node index: Int) {
        for position in ready.trace.indices {
            trace?.note("S\(index + 1) \(ready.trace[position])")
            switch ready.trace[position] {
            case .acceptedValue(let instance, let ballot, _, let command):
                checker.nodeAccepted(index, instance: instance, ballot: ballot, command: command)
            case .promised(let instance, let ballot, _, _):
                checker.nodePromised(index, instance: instance, ballot: ballot)
            case .rangePromised(let start, let ballot, _, _):
                checker.nodePromisedRange(index, from: start, ballot: ballot)
            case .prepareSent(_, let ballot), .acceptSent(_, let ballot, _), .rangePrepareSent(_, let ballot):
                if ballot > nodes[index].latestBallot { nodes[index].latestBallot = ballot }
            case .valueAdopted:
                figures.coverage.count(.valueAdopted)
            case .prepareRefused, .acceptRefused, .rangePrepareRefused:
                figures.coverage.count(.nack)
            case .preempted:
                figures.coverage.count(.proposerPreempted)
            case .timedOut:
                figures.coverage.count(.proposerTimedOut)
            case .leading(_, _, let reproposed):
                figures.coverage.count(.leadershipGained)
                figures.coverage.count(.reproposedAfterRangePromise, reproposed)
            case .leadershipEnded(_, _, let by):
                figures.coverage.count(by == nil ? .leadershipLost : .leadershipPreempted)
            case .rejoined:
                figures.coverage.count(.rejoinCompleted)
                // Voting on the strength of an installed snapshot whose checkpoint is not durable
                // yet: until its fsync, only the stored snapshot file says so after a crash.
                if nodes[index].installCheckpointTicket > nodes[index].syncedTicket {
                    figures.coverage.count(.votingBeforeInstallCheckpointSynced)
                }
            default:
                break
            }
        }
        // Decisions go with `persistEventually`, except those a step makes durable at once
        // (`PaxosNode.finishRejoinIfCaughtUp`). Counted once the Ready is performed: its
        // records are durable, or were written before (`persistEventually`).
        for position in ready.persist.indices {
            if case .chosen(let instance, let command) = ready.persist[position] {
                checker.nodeLearned(index, instance: instance, command: command)
            }
        }
        for position in ready.persistEventually.indices {
            if case .chosen(let instance, let command) = ready.persistEventually[position] {
                checker.nodeLearned(index, instance: instance, command: command)
            }
        }
        let sendsMessages = !ready.messages.isEmpty
        takeMessages(from: &ready) { send($0) }
        if options.peerCalls && sendsMessages { nodes[index].callsToStart = true }
        for position in ready.applied.indices {
            // Lines a snapshot installed meanwhile already holds are not written again.
            if let last = nodes[index].file.last, ready.applied[position].instance <= last.instance { continue }
            checker.nodeWroteLine(index, lineIndex: nodes[index].file.count, entry: ready.applied[position])
            nodes[index].file.append(ready.applied[position])
        }
        if let offer = ready.snapshotWanted { fetchSnapshot(node: index, offer) }
        for position in ready.replies.indices { answer(ready.replies[position], node: index) }
        for position in ready.timers.indices { arm(ready.timers[position], node: index) }
    }

    /// Hands each of the Ready's messages over, in order, moved rather than copied: a copy
    /// retained every reference in the message (a command's text, the lists it carries), and
    /// the Ready's recycling released them again, once per message sent. Each slot keeps a
    /// message that holds no reference, so the list keeps its storage for the core's next step.
    private func takeMessages(from ready: inout Ready, _ body: (consuming Envelope) -> Void) {
        // (An empty list is the shared empty array: asking it for mutable storage would copy it.)
        guard !ready.messages.isEmpty else { return }
        ready.messages.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for position in 0..<buffer.count {
                let envelope = (base + position).move()
                (base + position).initialize(to: Envelope(from: envelope.from, to: envelope.to, message: .status(appliedThrough: 0)))
                body(envelope)
            }
        }
    }

    private func arm(_ request: TimerRequest, node index: Int) {
        switch request {
        case .set(let timer, let milliseconds):
            // Setting a timer that is armed replaces it.
            let event = queue.schedule(.timer(node: index, life: nodes[index].life, timer),
                                       at: now + .milliseconds(milliseconds))
            if let armed = nodes[index].timers.firstIndex(where: { $0.id == timer }) {
                queue.cancel(nodes[index].timers[armed].event)
                nodes[index].timers[armed].event = event
            } else {
                nodes[index].timers.append((timer, event))
            }
        case .cancel(let timer):
            if let armed = nodes[index].timers.firstIndex(where: { $0.id == timer }) {
                queue.cancel(nodes[index].timers.remove(at: armed).event)
            }
        }
    }

    /// A timer fires: it is armed (replaced and cancelled ones left the queue), so it leaves the list.
    func fireTimer(node index: Int, life: UInt32, _ timer: TimerID) {
        guard nodes[index].isUp, nodes[index].life == life,
              let armed = nodes[index].timers.firstIndex(where: { $0.id == timer }) else { return }
        nodes[index].timers.remove(at: armed)
        trace?.beginStep(at: now, "S\(index + 1) timer \(timer)")
        absorb(nodes[index].core.onTimer(timer), node: index)
    }

    // MARK: - Crash and restart

    func crash(_ index: Int) {
        let tear = tornFaults && random.next() % 2 == 0
        let tearsSnapshot = tear && nodes[index].disk.lastWriteIsSnapshotChunk
        let tearsSeveralAppends = tear && nodes[index].disk.lastWriteHoldsSeveralAppends
        var torn = nodes[index].disk.crash(tearLastWrite: tear, random: &random)
        if nodes[index].isInstallingSnapshot { figures.coverage.count(.crashDuringSnapshotInstall) }
        nodes[index].snapshotCutAtCrash = nodes[index].isReceivingSnapshot
        nodes[index].snapshotTransfer = nil
        nodes[index].servedSnapshot = nil
        nodes[index].storedSnapshot = nil
        nodes[index].installCheckpointTicket = 0
        // Within the budget of nodes without their state (lost, or not voting again yet).
        let withoutState = nodes.indices.filter { $0 != index && (nodes[$0].diskLost || !nodes[$0].core.isVoting) }.count
        if amnesiaFaults && random.next() % 3 == 0 && DiskLossBudget.allowsAnother(members: options.nodes, withoutState: withoutState) {
            // The disk is gone: the node restarts from an empty one, remembering no promise,
            // acceptance, decision or incarnation, and rejoins (`Rejoin`) as an operator's
            // `paxos node --rejoin` does. The checker forgets what it learned (a rebuilt node
            // may), but not what it promised: the acceptor contract still holds it to those,
            // which is what a safe rejoin must guarantee.
            // The floor stands for the live node's wall clock: above every round and
            // incarnation the lost life used (time in microseconds, or more).
            let core = nodes[index].core
            nodes[index].rejoinFloor = max(nodes[index].rejoinFloor, now, core.highestRound, core.incarnation)
            nodes[index].diskLost = true
            nodes[index].rebuiltSinceDiskLoss = false
            nodes[index].pointOfStoredSnapshot = nil
            nodes[index].disk = Self.makeDisk(options.disk)
            nodes[index].file = []
            nodes[index].snapshotMetadata = []
            nodes[index].snapshotLines = 0
            checker.nodeLostDisk(index)
            torn = false
            nodes[index].snapshotCutAtCrash = false
            trace?.note("S\(index + 1)'s disk is lost")
        }
        // What the node reported (`paxos.status`'s `voting`) must survive a plain crash: an
        // operator rebuilds the next node once this one says it votes.
        nodes[index].votedAtCrash = !nodes[index].diskLost && nodes[index].core.isVoting
        figures.crashes += 1
        if torn { figures.tornWrites += 1 }
        if torn && tearsSeveralAppends { figures.coverage.count(.tornWriteOfSeveralSteps) }
        if nodes[index].appendedTicket > nodes[index].syncedTicket { figures.coverage.count(.crashWithUnsyncedWrites) }
        nodes[index].tornAtCrash = torn && !tearsSnapshot
        trace?.beginStep(at: now, "S\(index + 1) crashes\(torn ? ", tearing its last write" : "")")
        nodes[index].isUp = false
        nodes[index].life += 1
        nodes[index].pipeline.removeAll()
        // What the node had queued for its peers dies with it; its calls on the way still arrive.
        // Call numbers of a new life start elsewhere, as a live node's start at random.
        let firstCallNumber = Int(nodes[index].life) << 20 % (PeerQueue.callNumberLimit - 1) + 1
        for to in 0..<options.nodes { peerQueues[index * options.nodes + to] = PeerQueue(firstCallNumber: firstCallNumber) }
        // The calls it was to answer, or had put aside, fail: their callers see the connection close.
        for pending in nodes[index].pendingAnswers {
            queue.schedule(.peerAnswer(SimulatedPeerAnswer(from: index, to: pending.caller, callerLife: pending.callerLife,
                                                           messages: [], lost: true)), at: now + latency())
        }
        for parked in nodes[index].parkedCalls where parked.endsCall {
            queue.schedule(.peerAnswer(SimulatedPeerAnswer(from: index, to: parked.from, callerLife: parked.senderLife,
                                                           messages: [], lost: true)), at: now + latency())
        }
        nodes[index].pendingAnswers.removeAll()
        nodes[index].parkedCalls.removeAll()
        nodes[index].syncInFlight = false
        nodes[index].demandedTicket = 0
        nodes[index].snapshotRemoval = nil
        nodes[index].fetchingSnapshot = false
        nodes[index].compacting = false
        // Decisions not synced may be lost (unless a torn write kept them): the node may
        // learn them again, and is not held to remember them.
        for decision in nodes[index].unsyncedDecisions { checker.nodeMayForget(index, instance: decision.instance) }
        nodes[index].unsyncedDecisions.removeAll()
        nodes[index].syncedTicket = nodes[index].appendedTicket
        for armed in nodes[index].timers { queue.cancel(armed.event) }
        nodes[index].timers.removeAll()
        // The clients' connections break: they hear nothing, so nothing was acknowledged. A
        // client that named its submit asks another node.
        var abandoned: [ClientRequests.Request] = []
        for request in nodes[index].outstanding {
            guard let open = requests.close(request) else { continue }
            queue.cancel(open.deadline)
            if open.readFloor == nil { figures.submitsFailed += 1 }
            abandoned.append(open)
        }
        nodes[index].outstanding.removeAll()
        for request in abandoned { retryIfNamed(request) }
    }

    func restart(_ index: Int) {
        guard !nodes[index].isUp else { return }
        trace?.beginStep(at: now, "S\(index + 1) restarts from its log")
        // The live node's start-up rule: the log's state, or a stored snapshot newer than its point.
        let start: StartingState
        do {
            start = try nodes[index].disk.start()
        } catch {
            checker.fail(.recovery, "S\(index + 1) could not read its log back: \(error)")
            return
        }
        let recovered = start.state
        checker.nodeRecovered(index, chosen: recovered.chosen, compactedThrough: recovered.compactedThrough)
        if nodes[index].tornAtCrash { figures.coverage.count(.tornWriteRecovered) }
        // A transfer the crash cut (torn or not) is a partial file, never a snapshot: the node
        // starts from what it had.
        if nodes[index].snapshotCutAtCrash || !start.discardedSnapshotFiles.isEmpty {
            figures.coverage.count(.tornSnapshotIgnoredAtStart)
        }
        nodes[index].snapshotCutAtCrash = false
        // A node whose disk was lost restarts rebuilt until its log holds something of its new life.
        let rebuilt = nodes[index].diskLost && recovered == DurableState()
        if !rebuilt { nodes[index].diskLost = false }
        if rebuilt { nodes[index].rebuiltSinceDiskLoss = true }
        if let snapshot = start.snapshot { nodes[index].pointOfStoredSnapshot = snapshot.instance }
        nodes[index].core = PaxosNode(configuration: nodes[index].core.configuration, recovered: recovered,
                                      rejoiningAbove: rebuilt ? nodes[index].rejoinFloor : nil)
        nodes[index].isUp = true
        if nodes[index].votedAtCrash && !nodes[index].core.isVoting {
            checker.fail(.stability, "S\(index + 1) said it voted, but came back from a crash behind its rejoin fence")
        }
        // The replicated file is a view of the log above the snapshot point, rebuilt at
        // start-up; the lines up to it were synced before the point was recorded, or are the
        // stored snapshot's (the live `ReplicatedFile.rebuild(snapshot:)`).
        let point = recovered.compactedThrough
        let kept: Int
        let checkedFrom: Int
        if let snapshot = start.snapshot {
            guard let lines = storedSnapshotLines(node: index, snapshot, lines: recovered.compactedFileBytes) else { return }
            figures.coverage.count(.startedFromStoredSnapshot)
            trace?.note("S\(index + 1) starts from its stored snapshot through instance \(snapshot.instance)")
            nodes[index].file = lines
            kept = lines.count
            checkedFrom = 0
        } else {
            kept = nodes[index].file.prefix { $0.instance <= point }.count
            if point > 0 && Int(recovered.compactedFileBytes) != kept {
                checker.fail(.recovery, "S\(index + 1) recovered a snapshot point at instance \(point) covering \(recovered.compactedFileBytes) lines, but its file holds \(kept) there")
            }
            nodes[index].file.removeSubrange(kept...)
            checkedFrom = kept
        }
        nodes[index].snapshotLines = kept
        nodes[index].snapshotMetadata = point == 0 ? []
            : [.compacted(through: point, fileBytes: recovered.compactedFileBytes)]
                + recovered.appliedCommands.map { .appliedCommand($0.command, instance: $0.instance) }
        nodes[index].file += nodes[index].core.fileEntries
        for (line, entry) in nodes[index].file.enumerated() where line >= checkedFrom {
            checker.nodeWroteLine(index, lineIndex: line, entry: entry)
        }
        // As the live start-up: the log's checkpoint catches up with the snapshot the install left.
        // Until that checkpoint is durable, the stored snapshot is still what a restart needs.
        if let snapshot = start.snapshot {
            compactLog(node: index, through: snapshot.instance, lines: kept)
            nodes[index].installCheckpointTicket = nodes[index].appendedTicket
        }
        absorb(nodes[index].core.onStart(), node: index)
    }
}
