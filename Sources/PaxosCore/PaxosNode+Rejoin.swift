/// A node rebuilt from an empty data directory (`Rejoin`): it fences its lost life with a
/// ballot every other member grants, catches up below the fence, then votes again.
extension PaxosNode {
    // MARK: - A rebuilt node (see `Rejoin`)

    mutating func startRejoin() {
        guard let started = rejoin else { return }
        if let floor = started.floorToRecord {
            // Durable before anything of this life leaves the node, and the first record of its
            // log: a crash from here on restarts it rejoining, never as a fresh voter.
            ready.persist.append(.rejoinStarted(floor: floor))
            rejoin?.floorToRecord = nil
        }
        switch started.phase {
        case .fencing: startRejoinAttempt()
        case .catchingUp:
            finishRejoinIfCaughtUp()
        case .caughtUp:
            resendRejoinSynced()
        }
    }

    /// Asks every other member to grant a new rejoin ballot, above every round seen refused.
    mutating func startRejoinAttempt() {
        guard var fencing = rejoin, fencing.isFencing else { return }
        let peers = configuration.members.count - 1
        let ballot = Ballot(round: takeRound(minimum: fencing.highestRoundRefused + 1), node: id)
        fencing.startAttempt(ballot)
        rejoin = fencing
        if peers == 0 {
            // Alone: nobody else can have counted on the lost life.
            onRejoinFenced(from: 1, ballot: ballot)
            return
        }
        ready.timers.append(.set(.rejoin, afterMilliseconds: configuration.phaseTimeoutMilliseconds))
        broadcastToPeers(.rejoinPrepare(ballot: ballot))
    }

    /// A member asked to fence its lost life. A member grants only a round above every round it
    /// used, saw or reserved (hence above every promise it holds), and promises it for every
    /// instance above its applied prefix (instances up to there are chosen and known to it, and
    /// at most what it reports). A member rebuilding itself may grant too: its rounds are above
    /// its own floor, it votes nowhere yet, and the promise binds it once it does; what its
    /// lost life accepted is reported by the members that kept their disks (fewer than a
    /// majority may lose theirs at once, or chosen values are lost whatever the protocol).
    mutating func onRejoinPrepare(from sender: NodeID, ballot: Ballot) {
        let bound = max(max(highestRoundUsed, highestRoundSeen), roundsReservedThrough)
        guard sender != id, ballot.node == sender, ballot.round > bound else {
            send(.rejoinNack(ballot: ballot, round: bound), to: sender)
            return
        }
        noteRound(ballot.round)
        let start = appliedThrough + 1
        extendRangePromise(from: start, ballot: ballot)
        ready.trace.append(.rangePromised(instance: start, ballot: ballot, to: sender, reported: 0))
        send(.rejoinPromise(ballot: ballot, highestInstance: max(highestAccepted, highestChosen)), to: sender)
    }

    mutating func onRejoinPromise(from sender: NodeID, ballot: Ballot, highestInstance: InstanceNumber) {
        guard var fencing = rejoin, sender != id, let index = configuration.members.firstIndex(of: sender) else { return }
        let fence = fencing.onGrant(from: index, ballot: ballot, highestInstance: highestInstance,
                                    needed: configuration.members.count - 1)
        rejoin = fencing
        if let fence { onRejoinFenced(from: fence.from, ballot: fence.ballot) }
    }

    mutating func onRejoinNack(ballot: Ballot, round: UInt64) {
        guard var fencing = rejoin, fencing.onRefusal(ballot: ballot, round: round) else { return }
        // This attempt cannot finish: asked again, higher, after a randomized backoff, as a
        // preempted proposer does (step 7).
        let wait = backoffMilliseconds(afterFailures: fencing.failedAttempts)
        fencing.failedAttempts += 1
        rejoin = fencing
        ready.timers.append(.set(.rejoin, afterMilliseconds: wait))
    }

    /// Every other member granted `ballot`: promise it from `from` on (durably, before any vote).
    private mutating func onRejoinFenced(from: InstanceNumber, ballot: Ballot) {
        ready.persist.append(.rejoinFenced(from: from, ballot: ballot))
        rangePromise.extend(from: from, ballot: ballot)
        noteRound(ballot.round)
        rejoin = Rejoin(phase: .catchingUp(from: from, ballot: ballot))
        ready.timers.append(.cancel(.rejoin))
        ready.trace.append(.rangePromised(instance: from, ballot: ballot, to: id, reported: 0))
        broadcastToPeers(.catchUpRequest(from: appliedThrough + 1))
        finishRejoinIfCaughtUp()
        startQueuedSubmits()
    }

    /// Fenced and caught up below the fence: every instance below it is chosen and known
    /// here, every one from it on is promised the fence's ballot. The node votes again once
    /// those decisions are durable.
    ///
    /// A restart finds the node voting only if its log holds them (`PaxosNode.init` replays
    /// them, then checks this), and decisions are otherwise synced only with a later step's
    /// records (`Ready.persistEventually`). A node that said it voted and came back from a
    /// crash behind its fence again was one more member without its state: with two others
    /// rebuilding, two of five voted, and the instances below the fences that needed a third
    /// vote were never decided (swarm seed 9054214). So this step writes the decisions to be
    /// synced, and sends the node `rejoinSynced`: a message to itself is delivered only after
    /// the Ready that sent it was performed, hence after its records are durable
    /// (`ReadyPipeline`). Until then it votes on nothing, and `isVoting` says so.
    mutating func finishRejoinIfCaughtUp() {
        guard case .catchingUp(let from, let ballot)? = rejoin?.phase, appliedThrough + 1 >= from else { return }
        rejoin = Rejoin(phase: .caughtUp(from: from, ballot: ballot))
        // The decisions learned in this step, in their order after this step's own records; then
        // the range promise, recorded again (replaying it twice changes nothing) so that the step
        // has a record to sync even when its decisions were all learned in earlier steps.
        ready.persist.append(contentsOf: ready.persistEventually)
        ready.persistEventually.removeAll()
        ready.persist.append(.promisedFrom(from: rangePromise.from, ballot: rangePromise.ballot))
        send(.rejoinSynced, to: id)
    }

    /// The note `finishRejoinIfCaughtUp` sent itself: the decisions below the fence are durable.
    mutating func onRejoinSynced(from sender: NodeID) {
        guard sender == id, case .caughtUp(let from, let ballot)? = rejoin?.phase else { return }
        rejoin = nil
        ready.trace.append(.rejoined(instance: from, ballot: ballot))
    }

    /// At the heartbeat: a note to itself that a fault rule dropped is sent again (the records
    /// it waits for were synced when its step was performed).
    mutating func resendRejoinSynced() {
        guard case .caughtUp? = rejoin?.phase else { return }
        send(.rejoinSynced, to: id)
    }

    /// A checkpoint replaces the whole log: a rebuilt node that does not vote yet keeps saying
    /// so in it, first (its floor is in the checkpoint's incarnation and round already).
    var rejoinCheckpoint: [DurableRecord] {
        switch rejoin?.phase {
        case nil: return []
        case .fencing?: return [.rejoinStarted(floor: 0)]
        case .catchingUp(let from, let ballot)?, .caughtUp(let from, let ballot)?:
            return [.rejoinStarted(floor: 0), .rejoinFenced(from: from, ballot: ballot)]
        }
    }

    /// A fenced rebuilt node votes once every instance below its fence is decided: one that
    /// nobody decides (accepted somewhere, never chosen) is filled like any gap.
    var rejoinHorizon: InstanceNumber {
        switch rejoin?.phase {
        case .catchingUp(let from, _)?, .caughtUp(let from, _)?: return from - 1
        default: return 0
        }
    }

    /// Whether the node votes (false while a rebuilt node fences its lost life or catches up).
    public var isVoting: Bool { rejoin == nil }
}
