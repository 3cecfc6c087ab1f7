import PaxosCore
import PaxosStorage

/// The effect loop (DESIGN.md section 2): events go through the core one at a time, and each
/// `Ready` is performed in order by the `ReadyPipeline` — its records durable in the log
/// first, then messages, replies, file lines and timers. Peer calls enter here too.
extension NodeRuntime {
    // MARK: - Peers

    /// `paxos.peer`: takes the call's messages (`receive`), waits until the Readies they made
    /// are performed (their records durable), then answers with what is queued for the caller,
    /// which now holds the messages those steps produced for it (`PeerLink.takeAnswer`).
    func receiveAndAnswer(_ call: PeerCall.Decoded) async -> (era: UInt64, messages: [Message]) {
        guard let link = peers[call.from] else {
            receive(from: call.from, era: call.era, messages: call.messages)
            return (era, [])
        }
        // The peer answered our call `answered` before it sent this one: that answer first.
        await link.untilAnswerTaken(ofCall: call.answered)
        link.answerStarted()
        receive(from: call.from, era: call.era, messages: call.messages)
        let ticket = pipeline.lastTicket
        if !stopping && !pipeline.hasPerformed(through: ticket) {
            await withCheckedContinuation { answerWaiters.append((ticket, $0)) }
        }
        return (era, link.takeAnswer(toCall: call.call))
    }

    /// Resumes the answers whose Readies are performed (every one, when the node stops).
    func resumeAnswerWaiters(all: Bool = false) {
        guard !answerWaiters.isEmpty else { return }
        var waiting: [(ticket: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in answerWaiters {
            if all || pipeline.hasPerformed(through: waiter.ticket) {
                waiter.continuation.resume()
            } else {
                waiting.append(waiter)
            }
        }
        answerWaiters = waiting
    }

    /// Messages from a peer of the same era (a reset starts a new era; older messages are stale),
    /// from a call or from the answer to one of ours.
    public func receive(from sender: NodeID, era senderEra: UInt64, messages: [Message]) {
        guard !stopping, senderEra == era, sender != member.nodeID else { return }
        // The call's messages make one step (`PaxosNode.onMessages`): their records go to the
        // log in one write, and their effects wait for one fsync.
        for message in messages {
            if message.isProtocolStep { observe(.delivered(from: sender, message)) }
            if case .catchUpReply(let entries) = message { metrics.received(catchUpEntries: entries.count) }
        }
        step { $0.onMessages(from: sender, messages) }
    }

    // MARK: - The effect loop

    /// Messages pass the fault filter, then go to their peer; messages to this node wait in the
    /// pipeline as events of their own, taken by the `drain` every caller runs next.
    private func send(_ envelopes: [Envelope]) {
        let admitted = envelopes.filter { faults.admit($0) }
        metrics.filtered(envelopes.count - admitted.count)
        deliver(admitted)
    }

    func deliver(_ envelopes: [Envelope]) {
        var byPeer: [NodeID: [Message]] = [:]
        var order: [NodeID] = []
        for envelope in envelopes {
            if envelope.to == member.nodeID {
                pipeline.addOwnMessage(envelope.message)
                continue
            }
            if byPeer[envelope.to] == nil { order.append(envelope.to) }
            byPeer[envelope.to, default: []].append(envelope.message)
        }
        for peer in order { peers[peer]?.enqueue(byPeer[peer]!) }
    }

    /// Runs one event through the core and hands its Ready to the pipeline behind its records.
    /// A message a Ready sends the node itself is a step after that Ready is performed whole
    /// (`ReadyPipeline`), as in the simulator: performing only queues it, and the `drain` at
    /// the end takes it. Never called while a Ready is performed (asserted), which would put a
    /// step before that Ready's replies and timers.
    func step(_ event: (inout PaxosNode) -> Ready) {
        assert(!performing, "a step inside the performance of a Ready")
        let ready = event(&core)
        record(ready.trace)
        let persistTicket = append(ready.persist, eventually: ready.persistEventually)
        if let now = addToPipeline(ready, persistTicket: persistTicket) { perform(now) }
        drain()
    }

    /// Stages a step's records in the log: `persist` under a ticket, which it
    /// returns and the Ready waits for; then `eventually`, written after in log order and never
    /// waited for (`Ready.persistEventually`): no fsync of their own, which the next step's
    /// records would wait behind. A log that cannot take them stops the node.
    private func append(_ persist: [DurableRecord], eventually: [DurableRecord]) -> UInt64? {
        metrics.appended(records: persist.count + eventually.count)
        var ticket: UInt64? = nil
        do {
            if !persist.isEmpty { ticket = try commitLog.append(persist) }
            if !eventually.isEmpty { _ = try commitLog.appendLazily(eventually) }
        } catch {
            failStop("cannot append to the log: \(error)")
        }
        return ticket
    }

    /// Performs whatever the pipeline releases (effects of durable Readies, messages to this
    /// node) until it must wait for the disk. Never nested: a step taken for an own message
    /// only adds to the pipeline, and this loop goes on.
    func drain() {
        guard !draining else { return }
        draining = true
        while true {
            var durable: [Ready] = []
            while let ready = takeDurableReady() { durable.append(ready) }
            if !durable.isEmpty {
                perform(durable)
                continue
            }
            guard let message = takeOwnMessage() else { break }
            if message.isProtocolStep { observe(.delivered(from: member.nodeID, message)) }
            step { $0.onMessage(from: member.nodeID, message) }
        }
        draining = false
        resumeAnswerWaiters()
        awaitDurability()
    }

    // Each access to the pipeline in a function of its own: written inline as
    // `if let … = pipeline.takeReady(…) { perform } else if let … = pipeline.takeOwnMessage()`,
    // the optimized build merged the two accesses into one scope and a later access on the
    // same thread was reported as simultaneous ("Fatal access conflict"), a crash only the
    // release build showed.
    @inline(never)
    private func addToPipeline(_ ready: Ready, persistTicket: UInt64?) -> Ready? {
        let durable = commitLog.durableTicket
        return pipeline.add(ready, persistTicket: persistTicket, durableTicket: durable)
    }

    @inline(never)
    private func takeDurableReady() -> Ready? {
        let durable = commitLog.durableTicket
        return pipeline.takeReady(durableTicket: durable)
    }

    @inline(never)
    private func takeOwnMessage() -> Message? {
        pipeline.takeOwnMessage()
    }

    private func awaitDurability() {
        guard !awaitingDurability, let ticket = pipeline.awaitedTicket(durableTicket: commitLog.durableTicket) else { return }
        awaitingDurability = true
        // On the loop: the log's (nonisolated) wait resumes there, straight from the fsync
        // thread, rather than through a thread of Swift's global executor first.
        Task(executorPreference: loopExecutor) {
            var failure: (any Error)? = nil
            do {
                try await self.commitLog.waitUntilDurable(ticket)
            } catch {
                failure = error
            }
            await self.durabilityReached(failure: failure)
        }
    }

    private func durabilityReached(failure: (any Error)?) {
        if let failure { failStop("cannot make the log durable: \(failure)") }
        awaitingDurability = false
        drain()
    }

    /// Readies released together: their lines go to the file in one write, before any of
    /// their effects (a reply announces a line that is in the file), then each is performed.
    private func perform(_ readies: [Ready]) {
        if readies.count == 1 { return perform(readies[0]) }
        var lines: [FileEntry] = []
        for ready in readies { lines += ready.applied }
        writeLines(lines)
        for ready in readies { perform(ready, linesWritten: true) }
    }

    private func perform(_ ready: Ready, linesWritten: Bool = false) {
        performing = true
        defer { performing = false }
        if !linesWritten { writeLines(ready.applied) }
        if let offer = ready.snapshotWanted { fetchSnapshot(offer) }
        if !ready.messages.isEmpty {
            send(ready.messages)
        }
        for reply in ready.replies {
            alarms.cancel(.deadline(reply.request))
            waiters.removeValue(forKey: reply.request)?.resume(returning: .success(reply))
        }
        for timer in ready.timers {
            switch timer {
            case .set(let id, let milliseconds): arm(.timer(id), afterMilliseconds: milliseconds)
            case .cancel(let id): alarms.cancel(.timer(id))
            }
        }
    }

    private func writeLines(_ applied: [FileEntry]) {
        guard !applied.isEmpty else { return }
        // Lines a snapshot installed meanwhile already holds are not written again.
        let last = file.lastInstance ?? 0
        let lines = applied[0].instance > last ? applied : applied.filter { $0.instance > last }
        do {
            try file.append(lines)
        } catch {
            // The file is a view of the log: the next start rebuilds it.
            logger.error("cannot append to the replicated file: \(error)", metadata: ["file": "\(file.path)"])
        }
        compactIfDue()
    }
}
