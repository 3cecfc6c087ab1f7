import PaxosCore

/// The simulated network: latency, and while faults are active, drops, duplicates, reordering,
/// long delays and cut links.
extension Simulation {
    func send(_ envelope: consuming Envelope) {
        if envelope.from == envelope.to {
            // The pipeline delivers these once the Ready that sent them is performed: no
            // latency, no network fault, gone with a crash.
            nodes[Int(envelope.from.rawValue) - 1].pipeline.addOwnMessage(envelope.message)
            return
        }
        figures.messagesSent += 1
        if staleFaults && faultsActive { keepForReplay(envelope) }
        if options.peerCalls {
            // Queued for its peer; the shell starts the calls once the node's current work is
            // done, every Ready it released having queued its messages (`startCalls` at the end
            // of `drain`), as the live `PeerLink` takes its queue after the loop's current work.
            let link = (Int(envelope.from.rawValue) - 1) * options.nodes + Int(envelope.to.rawValue) - 1
            if !peerQueues[link].enqueue(envelope.message) { figures.messagesDropped += 1 }
            return
        }
        guard faultsActive, anyFaults else {
            queue.schedule(.deliver(envelope), at: now + latency())
            return
        }
        if dropFaults && happens(perMille: options.dropPerMille) {
            figures.messagesDropped += 1
            trace?.note("network drops \(describe(envelope))")
            return
        }
        var delay = latency()
        if delayFaults && happens(perMille: options.delayPerMille) {
            figures.messagesDelayed += 1
            delay += randomValue(in: 1...options.longDelayMaximumMicroseconds)
        }
        queue.schedule(.deliver(envelope), at: now + delay)
        if duplicateFaults && happens(perMille: options.duplicatePerMille) {
            figures.messagesDuplicated += 1
            queue.schedule(.deliver(envelope), at: now + latency())
        }
    }

    /// The `stale` fault: remembers some of the last messages sent and, now and then, delivers
    /// one of them again, long after it was sent (an old ballot's Promise, Accept or Accepted).
    private func keepForReplay(_ envelope: Envelope) {
        // One message in eight is kept: the list then reaches further back, and copying every
        // message into it cost more than the replays themselves.
        recentCounter &+= 1
        if recentCounter & 7 == 0 { remember(envelope) }
        guard !recentEnvelopes.isEmpty, happens(perMille: options.stalePerMille) else { return }
        let old = recentEnvelopes[Int(random.next() % UInt64(recentEnvelopes.count))]
        figures.coverage.count(.staleMessageReplayed)
        trace?.note("network will replay \(describe(old)) late")
        queue.schedule(.deliver(old), at: now + latency() + randomValue(in: 1...options.longDelayMaximumMicroseconds))
    }

    private func remember(_ envelope: Envelope) {
        if recentEnvelopes.count < Self.recentEnvelopesMax {
            recentEnvelopes.append(envelope)
        } else {
            recentEnvelopes[recentNext] = envelope
            recentNext = (recentNext + 1) % Self.recentEnvelopesMax
        }
    }

    /// Links are FIFO unless reordering is a fault of this run: then every message draws its own latency.
    func latency() -> SimulatedTime {
        guard faultsActive, reorderFaults else { return options.fixedLatencyMicroseconds }
        return randomValue(in: options.latencyMinimumMicroseconds...options.latencyMaximumMicroseconds)
    }

    // MARK: - Peer calls (`SimulationOptions.peerCalls`)

    /// Starts the calls node `index` may send now, one per peer with messages queued and no
    /// call in flight. The network's faults take a call whole: lost, late or duplicated.
    func startCalls(node index: Int) {
        for to in 0..<options.nodes where to != index {
            let link = index * options.nodes + to
            guard let messages = peerQueues[link].takeCall() else { continue }
            var call = SimulatedPeerCall(from: index, to: to, senderLife: nodes[index].life, messages: messages,
                                         lost: false, endsCall: true, number: peerQueues[link].callNumber,
                                         answered: peerQueues[link].answeredCall)
            guard faultsActive, anyFaults else {
                queue.schedule(.peerCall(call), at: now + latency())
                continue
            }
            let delay = latency()
            if dropFaults && happens(perMille: options.dropPerMille) {
                figures.messagesDropped += messages.count
                trace?.note("network loses S\(index + 1)'s call to S\(to + 1) (\(messages.count) messages)")
                call.lost = true
            } else if delayFaults && happens(perMille: options.delayPerMille) {
                // The sender gives up on the call when its answer is due (the live call times
                // out) and sends the next one, while this one arrives long after, behind later
                // calls: a late call does not stall its link.
                figures.messagesDelayed += messages.count
                var late = call
                late.endsCall = false
                queue.schedule(.peerCall(late), at: now + delay + randomValue(in: 1...options.longDelayMaximumMicroseconds))
                call.lost = true
                call.messages = []
            }
            if !call.lost && duplicateFaults && happens(perMille: options.duplicatePerMille) {
                figures.messagesDuplicated += messages.count
                var duplicate = call
                duplicate.endsCall = false
                queue.schedule(.peerCall(duplicate), at: now + latency())
            }
            queue.schedule(.peerCall(call), at: now + delay)
        }
    }

    /// A call reaches its addressee (unless lost, cut off or down), which takes its messages as
    /// one step and answers once they are performed, as the live node's `paxos.peer`
    /// does. A call that does not arrive ends when its answer would have been due (the live
    /// caller's timeout, or its connection failing): the sender may send what it queued meanwhile.
    func arrive(_ call: SimulatedPeerCall) {
        let delivered = !call.lost && nodes[call.to].isUp && !linkCut[call.from * options.nodes + call.to]
        if !delivered {
            if !call.lost { figures.messagesUndeliverable += call.messages.count }
            if call.endsCall { endCall(from: call.from, to: call.to, life: call.senderLife) }
            return
        }
        // The sender answered our call `answered` before it sent this one: that answer first.
        if !peerQueues[call.to * options.nodes + call.from].mayTakeCall(answered: call.answered) {
            figures.coverage.count(.callWaitedForAnswer)
            nodes[call.to].parkedCalls.append(call)
            return
        }
        // A duplicate, or a call its sender gave up on, is taken, but nobody waits for its answer.
        // (A caller that crashed meanwhile is answered all the same: the answer is then lost.)
        let answered = call.endsCall
        if answered { peerQueues[call.to * options.nodes + call.from].answerStarted() }
        take(call.messages, from: call.from, at: call.to, in: "a call")
        if answered {
            nodes[call.to].pendingAnswers.append(SimulatedNode.PendingAnswer(
                caller: call.from, callerLife: call.senderLife, call: call.number, ticket: nodes[call.to].pipeline.lastTicket))
            sendDueAnswers(node: call.to)
        } else if call.endsCall {
            endCall(from: call.from, to: call.to, life: call.senderLife)
        }
    }

    /// The caller's call to `to` ends (answered, failed or given up): it may send what it
    /// queued meanwhile. A call of an earlier life ends nothing (the crash emptied the queue).
    private func endCall(from caller: Int, to callee: Int, life: UInt32) {
        guard nodes[caller].life == life else { return }
        peerQueues[caller * options.nodes + callee].callEnded()
        if nodes[caller].isUp { startCalls(node: caller) }
        // The callee's calls that waited for this one's answer may be taken now.
        guard nodes[caller].parkedCalls.contains(where: { $0.from == callee }) else { return }
        let parked = nodes[caller].parkedCalls.filter { $0.from == callee }
        nodes[caller].parkedCalls.removeAll { $0.from == callee }
        for call in parked { arrive(call) }
    }

    /// Answers the calls whose steps are performed, with what the node queued for each caller
    /// (`PeerQueue.takeAnswer`), then starts the calls that may go now. The network loses an
    /// answer, or delays it past the caller's patience, as it does calls; it does not duplicate
    /// one (an HTTP response is read once).
    func sendDueAnswers(node index: Int) {
        guard !nodes[index].pendingAnswers.isEmpty else { return }
        var waiting: [SimulatedNode.PendingAnswer] = []
        var answeredAny = false
        for pending in nodes[index].pendingAnswers {
            guard nodes[index].pipeline.hasPerformed(through: pending.ticket) else {
                waiting.append(pending)
                continue
            }
            answeredAny = true
            let messages = peerQueues[index * options.nodes + pending.caller].takeAnswer(toCall: pending.call)
            var answer = SimulatedPeerAnswer(from: index, to: pending.caller, callerLife: pending.callerLife,
                                             messages: messages, lost: false)
            if faultsActive && anyFaults
                && ((dropFaults && happens(perMille: options.dropPerMille)) || (delayFaults && happens(perMille: options.delayPerMille))) {
                figures.messagesDropped += messages.count
                trace?.note("network loses S\(index + 1)'s answer to S\(pending.caller + 1) (\(messages.count) messages)")
                answer.lost = true
                answer.messages = []
            }
            queue.schedule(.peerAnswer(answer), at: now + latency())
        }
        nodes[index].pendingAnswers = waiting
        if answeredAny { startCalls(node: index) }
    }

    /// An answer reaches its caller: the call ends, and the caller takes the answer's messages
    /// as one step, as it would a call's (the live `PeerLink` hands them to its node).
    func arrive(_ answer: SimulatedPeerAnswer) {
        endCall(from: answer.to, to: answer.from, life: answer.callerLife)
        guard !answer.lost, !answer.messages.isEmpty else { return }
        guard nodes[answer.to].isUp, nodes[answer.to].life == answer.callerLife,
              !linkCut[answer.from * options.nodes + answer.to] else {
            figures.messagesUndeliverable += answer.messages.count
            return
        }
        figures.coverage.count(.answerCarriedMessages)
        take(answer.messages, from: answer.from, at: answer.to, in: "an answer")
    }

    /// Node `index` takes messages that came together from `from` (a call or an answer) as
    /// one step (`PaxosNode.onMessages`), as the live node's `paxos.peer` takes them.
    private func take(_ messages: [Message], from: Int, at index: Int, in carrier: String) {
        figures.messagesDelivered += messages.count
        if messages.count > 1 { figures.coverage.count(.peerCallBatched) }
        for message in messages { noteCoverage(of: message, at: index) }
        if trace != nil {
            let what = messages.count == 1
                ? "\(describe(messages[0])) (\(carrier))"
                : "\(carrier) of \(messages.count):" + messages.map { "\n    \(describe($0))" }.joined()
            trace?.beginStep(at: now, "S\(index + 1) <- S\(from + 1) \(what)")
        }
        absorb(nodes[index].core.onMessages(from: NodeID(UInt32(from + 1)), messages), node: index)
    }

    func deliver(_ envelope: Envelope) {
        let from = Int(envelope.from.rawValue) - 1
        let to = Int(envelope.to.rawValue) - 1
        guard nodes[to].isUp, !linkCut[from * options.nodes + to] else {
            figures.messagesUndeliverable += 1
            return
        }
        figures.messagesDelivered += 1
        noteCoverage(of: envelope.message, at: to)
        trace?.beginStep(at: now, "S\(to + 1) <- S\(from + 1) \(describe(envelope.message))")
        absorb(nodes[to].core.onMessage(from: envelope.from, envelope.message), node: to)
    }

    /// What a delivered message tells about the schedule: answers of an older attempt arriving,
    /// decisions announced on an Accept, catch-up at work.
    private func noteCoverage(of message: Message, at index: Int) {
        switch message {
        case .promise(_, let ballot, _), .accepted(_, let ballot), .promiseFrom(_, let ballot, _, _):
            if ballot < nodes[index].latestBallot { figures.coverage.count(.staleAnswerArrived) }
        case .accept(_, _, _, let chosen):
            if !chosen.isEmpty { figures.coverage.count(.decisionAnnounced, chosen.count) }
        case .catchUpReply(let entries):
            if !entries.isEmpty { figures.coverage.count(.catchUpReplied) }
        default:
            break
        }
    }


    // MARK: - Partitions

    func schedulePartition() {
        queue.schedule(.partitionStart, at: now + randomValue(in: 1...options.partitionIntervalMaximumMicroseconds))
    }

    /// Cuts the cluster in two groups (both ways), or one node's outgoing or incoming links (one way).
    func startPartition() {
        guard faultsActive else { return }
        partitionNumber += 1
        figures.partitions += 1
        let count = options.nodes
        let shape = random.next() % 3
        if shape == 0 {
            // A random proper, non-empty subset on one side.
            let mask = randomValue(in: 1...(UInt64(1) << count) - 2)
            for from in 0..<count {
                for to in 0..<count where ((mask >> from) & 1) != ((mask >> to) & 1) {
                    linkCut[from * count + to] = true
                }
            }
            trace?.beginStep(at: now, "partition \(partitionNumber): \(describeSides(mask: mask)) cut both ways")
        } else {
            let node = Int(random.next() % UInt64(count))
            let outgoing = shape == 1
            for other in 0..<count where other != node {
                linkCut[outgoing ? node * count + other : other * count + node] = true
            }
            trace?.beginStep(at: now, "partition \(partitionNumber): S\(node + 1) can \(outgoing ? "hear but not speak" : "speak but not hear")")
        }
        queue.schedule(.partitionHeal(partition: partitionNumber),
                       at: now + randomValue(in: 1...options.partitionDurationMaximumMicroseconds))
    }

    func healPartition(_ partition: Int) {
        guard partition == partitionNumber, linkCut.contains(true) else { return }
        trace?.beginStep(at: now, "partition \(partition) heals")
        for index in linkCut.indices { linkCut[index] = false }
        if faultsActive { schedulePartition() }
    }

    private func describeSides(mask: UInt64) -> String {
        let sides = (0..<options.nodes).map { ((mask >> $0) & 1, "S\($0 + 1)") }
        let left = sides.filter { $0.0 == 1 }.map(\.1).joined(separator: ",")
        let right = sides.filter { $0.0 == 0 }.map(\.1).joined(separator: ",")
        return "{\(left)} | {\(right)}"
    }

    func describe(_ envelope: Envelope) -> String {
        "S\(envelope.from) -> S\(envelope.to) \(describe(envelope.message))"
    }

    func describe(_ message: Message) -> String {
        MessageDescription.text(of: message)
    }
}
