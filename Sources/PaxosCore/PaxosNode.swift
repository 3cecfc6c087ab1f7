/// One node of the cluster as a pure state machine: acceptor, proposer and learner of every
/// instance. Each `on…` handler takes one event and returns a `Ready` with the effects to perform,
/// in order (persist, then everything else). The node never touches a socket, a file or a clock:
/// the live shell and the simulator drive this same code.
///
/// This file holds the node's state, its event entry points and the dispatch of messages;
/// each role lives in an extension of its own: `PaxosNode+Acceptor`, `+Proposer`, `+Learner`,
/// `+Leadership`, `+Submits`, `+CatchUp`, `+Reads`, `+Compaction` and `+Rejoin`.
public struct PaxosNode: Sendable {
    public private(set) var configuration: PaxosConfiguration
    public var id: NodeID { configuration.node }

    // Durable state (mirrored in the log through `Ready.persist`).
    var acceptors: InstanceMap<AcceptorState>
    /// Multi-Paxos: this acceptor's promise for a whole range of instances.
    var rangePromise: RangePromise
    var highestRoundUsed: UInt64
    /// Rounds up to here may have been used by an earlier life: the durable bound (step 1).
    var roundsReservedThrough: UInt64
    public private(set) var incarnation: UInt64

    // Learner and state machine: what is chosen and the applied prefix (durable through
    // `Ready.persistEventually` and the snapshot point's checkpoint).
    var learnerLog: LearnerLog
    var chosen: InstanceMap<Command> { learnerLog.chosen }
    public var appliedThrough: InstanceNumber { learnerLog.appliedThrough }
    public var highestChosen: InstanceNumber { learnerLog.highestChosen }
    /// The lines applied above the snapshot point (`compactedThrough`); the older ones are in
    /// the replicated file only.
    public var fileEntries: [FileEntry] { learnerLog.fileEntries }
    var appliedCommands: AppliedCommands { learnerLog.appliedCommands }
    /// The snapshot point. Nothing about the instances up to it is needed any more: a Prepare
    /// or Accept for one is refused (the proposer is behind, and is offered the snapshot),
    /// since the value chosen there is all that matters.
    public var compactedThrough: InstanceNumber { learnerLog.compactedThrough }
    /// Linearizable reads waiting for a majority's answers or for this node to catch up.
    var reads = ReadQuorums()
    /// The highest instance where this acceptor accepted a value (what a read quorum asks).
    var highestAccepted: InstanceNumber = 0
    /// The highest instance in which a peer said it accepted a value (its heartbeat status).
    var peersAcceptedThrough: InstanceNumber = 0

    // Proposers and the clients waiting on them (volatile: lost in a crash, as the clients' calls are).
    var proposers = InstanceMap<Proposer>()
    var submits = SubmitTracker()
    var proposeWaiters = InstanceMap<[ProposeWaiter]>()
    /// Multi-Paxos: this node's range phase 1, while it is the distinguished proposer.
    var leadership: Leadership? = nil
    /// The leader's last Accept in its ballot went out with no other value of its own in
    /// flight (`PaxosConfiguration.ownVoteOnSequentialValues`).
    var lastAcceptWasAlone = false
    /// A node rebuilt from an empty data directory, until it votes again (see `Rejoin`).
    var rejoin: Rejoin? = nil
    /// Multi-Paxos: by position in `configuration.members`, the instances this leader decided in
    /// its ballot that the peer has not been told yet (see `announceChosen`). Each Accept to the
    /// peer takes its list, so a list holds at most the decisions of `proposalsInFlightMax`
    /// proposals in flight.
    var unannounced: [[InstanceNumber]]
    /// After a leadership ends, it is sought again when the `.leadership` timer fires (a
    /// randomized backoff, as a preempted proposer's); submits wait for it meanwhile.
    var leadershipRetryPending = false
    /// Leaderships that ended in a row without leading, for the backoff.
    var leadershipFailures = 0
    var nextSequence: UInt64 = 1
    var highestRoundSeen: UInt64 = 0
    var appliedAtLastHeartbeat: InstanceNumber = 0
    /// Heartbeats in a row that ended with a gap and nothing newly applied.
    var stalledHeartbeats: UInt64 = 0
    /// Heartbeats and whom they heard from: picks the distinguished proposer.
    var failureDetector: FailureDetector
    /// `configuration.mutations` as plain switches, asked for on every message.
    let mutations: Mutations
    /// `max(highestChosen, reads.horizon)` at the previous heartbeat (see `onHeartbeat`).
    var wantedAtLastHeartbeat: InstanceNumber = 0
    var random: SplitMix64

    // Effects of the step in progress, and messages this node sends to itself.
    var ready = Ready()
    private var readyPool = ReadyPool()
    private var localInbox = FIFO<Message>()

    struct Mutations: Hashable, Sendable {
        let acceptorRepliesBeforePersisting, acceptorAcceptsBelowPromise, acceptorRecordsPersistEventually: Bool
        let proposerIgnoresAcceptedValues, proposerCountsAcceptorTwice: Bool
        let rejoinedNodeVotesAtOnce: Bool
        let acceptorVotesBelowSnapshotPoint: Bool
        let callStepPersistsLastMessageOnly: Bool

        init(_ set: Set<PaxosConfiguration.Mutation>) {
            acceptorRepliesBeforePersisting = set.contains(.acceptorRepliesBeforePersisting)
            acceptorAcceptsBelowPromise = set.contains(.acceptorAcceptsBelowPromise)
            acceptorRecordsPersistEventually = set.contains(.acceptorRecordsPersistEventually)
            proposerIgnoresAcceptedValues = set.contains(.proposerIgnoresAcceptedValues)
            proposerCountsAcceptorTwice = set.contains(.proposerCountsAcceptorTwice)
            rejoinedNodeVotesAtOnce = set.contains(.rejoinedNodeVotesAtOnce)
            acceptorVotesBelowSnapshotPoint = set.contains(.acceptorVotesBelowSnapshotPoint)
            callStepPersistsLastMessageOnly = set.contains(.callStepPersistsLastMessageOnly)
        }
    }

    struct ProposeWaiter: Hashable, Sendable {
        var request: RequestID
        var command: CommandID?
    }

    /// A node restarting from what its log holds (an empty state for a brand-new node).
    ///
    /// `rejoiningAbove`: the node was rebuilt from an empty data directory and must not vote
    /// until it has fenced its lost life (`Rejoin`). The value is above every round and
    /// incarnation that life used; the live shell passes its wall clock in microseconds (the
    /// lost life counted restarts and rounds from 1, or from an earlier rebuild's clock).
    public init(configuration: PaxosConfiguration, recovered: DurableState = DurableState(),
                rejoiningAbove floor: UInt64? = nil) {
        var recovered = recovered
        if let floor { recovered.apply(.rejoinStarted(floor: floor)) }
        self.configuration = configuration
        self.failureDetector = FailureDetector(members: configuration.members, own: configuration.node,
                                               silenceMax: configuration.peerSilenceHeartbeatsMax)
        self.unannounced = Array(repeating: [], count: configuration.members.count)
        self.mutations = Mutations(configuration.mutations)
        self.learnerLog = LearnerLog(recovered: recovered, clientWindowInstances: configuration.clientRequestWindowInstances,
                                     nodeWindowInstances: configuration.nodeCommandWindowInstances)
        self.acceptors = recovered.acceptors
        self.rangePromise = recovered.rangePromise
        self.highestRoundUsed = recovered.highestRound
        self.roundsReservedThrough = recovered.highestRound
        self.incarnation = recovered.incarnation + 1
        self.random = SplitMix64(seed: configuration.randomSeed ^ (recovered.incarnation &* 0x2545_F491_4F6C_DD1D))
        var highestPromised = recovered.rangePromise.ballot.round
        recovered.acceptors.forEach { _, state in highestPromised = max(highestPromised, state.promised.round) }
        highestRoundSeen = highestPromised
        recovered.acceptors.forEach { instance, state in
            if state.accepted != nil { highestAccepted = max(highestAccepted, instance) }
        }
        switch recovered.rejoin {
        case .none: break
        case .fencing: rejoin = Rejoin(phase: .fencing(ballot: nil, granted: MemberSet(), highestInstance: 0, highestRoundRefused: 0))
        case .fenced(let from, let ballot): rejoin = Rejoin(phase: .catchingUp(from: from, ballot: ballot))
        }
        rejoin?.floorToRecord = floor
        if mutations.rejoinedNodeVotesAtOnce && rejoin?.isFencing == true { rejoin = nil }
        applyChosenPrefix()
        // Decisions replayed from the log are durable already: a rebuilt node caught up below
        // its fence votes at once, without the note to itself (`finishRejoinIfCaughtUp`).
        if case .caughtUp? = rejoin?.phase {
            rejoin = nil
            localInbox = FIFO()
        }
        appliedAtLastHeartbeat = appliedThrough
        ready = Ready()
    }

    // MARK: - Events

    /// The first step of every life: makes the new incarnation durable before any command of it
    /// can leave the node, asks the peers for what was chosen meanwhile, and starts the heartbeat.
    public mutating func onStart() -> Ready {
        // A rebuilt node's record goes first: a crash that keeps any part of this write keeps it.
        startRejoin()
        ready.persist.append(.incarnation(incarnation))
        broadcastToPeers(.catchUpRequest(from: appliedThrough + 1))
        ready.timers.append(.set(.heartbeat, afterMilliseconds: configuration.heartbeatMilliseconds))
        return takeReady()
    }

    /// A client asks for `value` to be appended to the replicated file, in whatever instance is free.
    /// The shell has checked the value against `ValueRules`.
    ///
    /// `clientCommand` is the identity the client gave the request (`CommandID.clientNamed`), the
    /// same at every node it tries: a request already applied is answered with its first
    /// outcome, one still waiting here is taken over by this call, and otherwise it goes into
    /// the log under that identity, so that whichever copy is chosen first is the one applied.
    public mutating func onSubmit(request: RequestID, value: String, clientCommand: CommandID? = nil) -> Ready {
        if let clientCommand {
            if let instance = appliedCommands.instance(of: clientCommand) {
                if let command = chosen[instance] {
                    ready.replies.append(.submitted(request, instance: instance, value: command.text ?? ""))
                } else {
                    // Below the snapshot point: the line is in the file, which the shell reads.
                    ready.replies.append(.appliedEarlier(request, instance: instance))
                }
                return takeReady()
            }
            if submits.contains(clientCommand) {
                // The client gave up on its first call and asked again here: the retry waits in
                // its place (a forwarded copy waiting here gets a client to answer).
                if let earlier = submits.takeOver(clientCommand, for: request) {
                    ready.replies.append(.failed(earlier, .outcomeUnknown))
                }
                return takeReady()
            }
        }
        guard submits.count < configuration.pendingSubmitsMax else {
            ready.replies.append(.failed(request, .overloaded(limit: configuration.pendingSubmitsMax)))
            return takeReady()
        }
        let commandID = clientCommand ?? makeCommandID()
        let command = Command.value(commandID, value)
        let leader = distinguishedProposer
        if configuration.forwardSubmitsToDistinguishedProposer && leader != id {
            // Only one proposer should issue proposals, or competing proposers can preempt each
            // other forever (Lamport, "Paxos Made Simple", section 2.4). The distinguished
            // proposer runs both phases for this value; we take it back if it does not decide.
            // It may have sent an Accept by then, so a failure can no longer say "not chosen".
            submits.add(commandID, PendingSubmit(request: request, command: command,
                                                 state: .forwarded(to: leader, since: failureDetector.heartbeats, attempts: 1),
                                                 sentInAccept: true),
                        queued: false)
            send(.forward(command: command), to: leader)
            return takeReady()
        }
        submits.add(commandID, PendingSubmit(request: request, command: command, state: .queued), queued: true)
        startQueuedSubmits()
        drainLocalInbox()
        return takeReady()
    }

    /// A client runs single-decree Paxos on `instance` with `value` (the lab's scenarios): the
    /// answer is whatever is chosen there, which may be another proposer's value.
    public mutating func onPropose(request: RequestID, instance: InstanceNumber, value: String,
                                   minimumRound: UInt64 = 0) -> Ready {
        precondition(instance >= 1, "instances are numbered from 1")
        if let command = chosen[instance] {
            ready.replies.append(.proposed(request, instance: instance, chosen: command, ours: false))
            return takeReady()
        }
        if instance <= compactedThrough {
            ready.replies.append(.failed(request, .compacted(through: compactedThrough)))
            return takeReady()
        }
        if proposers.contains(instance) {
            proposeWaiters[instance] = (proposeWaiters[instance] ?? []) + [ProposeWaiter(request: request, command: nil)]
            return takeReady()
        }
        let commandID = makeCommandID()
        proposeWaiters[instance] = (proposeWaiters[instance] ?? []) + [ProposeWaiter(request: request, command: commandID)]
        proposers[instance] = Proposer(instance: instance, ownCommand: .value(commandID, value),
                                       submit: nil, minimumRound: minimumRound)
        startPrepare(instance)
        drainLocalInbox()
        return takeReady()
    }

    /// A client asks for a linearizable read (`ReadQuorums`): answered with `.readable` once
    /// this node has applied everything a majority may have accepted when the read began.
    public mutating func onRead(request: RequestID) -> Ready {
        guard !reads.isFull else {
            ready.replies.append(.failed(request, .overloaded(limit: ReadQuorums.readsMax)))
            return takeReady()
        }
        reads.start(request)
        broadcastToAll(.readIndexRequest(read: request))
        drainLocalInbox()
        return takeReady()
    }

    /// The shell's deadline for a client request passed: answer it now and stop working for it.
    public mutating func onDeadline(request: RequestID) -> Ready {
        if reads.cancel(request) {
            ready.replies.append(.failed(request, .noQuorum))
            return takeReady()
        }
        if let (commandID, pending) = submits.remove(waitingFor: request) {
            switch pending.state {
            case .chosen:
                // Chosen, but not applied yet: an earlier instance is still unknown here, and
                // it may hold the same command (a retry chosen twice), which is then where the
                // line goes. The instance is not known until then, so the answer is "unknown";
                // a retry of a named request is answered with it once applied.
                ready.replies.append(.failed(request, .outcomeUnknown))
            case .queued, .forwarded:
                ready.replies.append(.failed(request, pending.sentInAccept ? .outcomeUnknown : .noQuorum))
            case .proposing(let instance):
                ready.replies.append(.failed(request, pending.sentInAccept ? .outcomeUnknown : .noQuorum))
                if var proposer = proposers[instance], proposer.submit == commandID {
                    proposer.submit = nil
                    if proposer.hasSentAccept {
                        // Let phase 2 finish: it decides the instance one way or the other.
                        proposers[instance] = proposer
                    } else {
                        abandonProposer(instance)
                    }
                }
            }
            return takeReady()
        }
        for (instance, waiters) in proposeWaiters.entries {
            guard let index = waiters.firstIndex(where: { $0.request == request }) else { continue }
            let waiter = waiters[index]
            var remaining = waiters
            remaining.remove(at: index)
            proposeWaiters[instance] = remaining.isEmpty ? nil : remaining
            let proposer = proposers[instance]
            let mayBeChosen = proposer.map { $0.hasSentAccept && $0.ownCommand.id == waiter.command } ?? false
            ready.replies.append(.failed(request, mayBeChosen ? .outcomeUnknown : .noQuorum))
            if let proposer, remaining.isEmpty, proposer.submit == nil, !proposer.hasSentAccept {
                abandonProposer(instance)
            }
            break
        }
        return takeReady()
    }

    /// A message from a peer (or, through the shell, from this node itself).
    public mutating func onMessage(from sender: NodeID, _ message: Message) -> Ready {
        if heardFromMember(sender) { take(message, from: sender) }
        return takeReady()
    }

    /// The messages that came together from one peer (a peer call, or the answer to one of
    /// ours), each taken as `onMessage` takes it, into one Ready: the effects of every message
    /// wait for the records of all of them. Only later than one step per message, never earlier
    /// (a message, reply or line of the first waits for the last one's records), which an
    /// asynchronous network allows anyway: `paxos model-check --peer-calls` takes calls as
    /// this step and reaches the same states as single deliveries. One Ready per call instead
    /// of one per message is what the shell gains: one list of records, one hand-over, one
    /// sending of messages.
    public mutating func onMessages(from sender: NodeID, _ messages: [Message]) -> Ready {
        if heardFromMember(sender) {
            for message in messages {
                if mutations.callStepPersistsLastMessageOnly { ready.persist.removeAll() }
                take(message, from: sender)
            }
        }
        return takeReady()
    }

    /// Whether `sender` is a member (anyone else is ignored); the failure detector hears it.
    private mutating func heardFromMember(_ sender: NodeID) -> Bool {
        guard let senderIndex = configuration.members.firstIndex(of: sender) else { return false }
        if configuration.forwardSubmitsToDistinguishedProposer { failureDetector.heard(fromMemberAt: senderIndex) }
        return true
    }

    private mutating func take(_ message: Message, from sender: NodeID) {
        handle(from: sender, message)
        drainLocalInbox()
    }

    public mutating func onTimer(_ timer: TimerID) -> Ready {
        switch timer {
        case .heartbeat:
            onHeartbeat()
        case .proposer(let instance):
            onProposerTimer(instance)
        case .leadership:
            if let leadership {
                // The range Prepare heard no majority in time.
                if !leadership.isLeading { endLeadership(preemptedBy: nil) }
            } else if leadershipRetryPending {
                leadershipRetryPending = false
                startQueuedSubmits()
            }
        case .rejoin:
            startRejoinAttempt()
        }
        drainLocalInbox()
        return takeReady()
    }

    /// Changes how proposers wait: the lecture's scenarios script every message, so they want
    /// no phase timeout getting in the way, and the livelock wants no backoff at all.
    public mutating func setTiming(backoff: PaxosConfiguration.Backoff, phaseTimeoutMilliseconds: UInt64) {
        configuration.backoff = backoff
        configuration.phaseTimeoutMilliseconds = phaseTimeoutMilliseconds
    }

    // MARK: - Reading state (for status, read, and the checkers)

    public func chosenCommand(_ instance: InstanceNumber) -> Command? { chosen[instance] }

    public func acceptorState(_ instance: InstanceNumber) -> AcceptorState? { acceptors[instance] }

    public var chosenInstances: [ChosenEntry] {
        chosen.entries.map { ChosenEntry(instance: $0.instance, command: $0.value) }
    }

    public var activeProposals: Int { proposers.count }
    /// The highest ballot round this node has used or seen.
    public var highestRound: UInt64 { max(highestRoundUsed, highestRoundSeen) }
    public var pendingSubmitCount: Int { submits.count }

    // MARK: - Dispatch

    private mutating func handle(from sender: NodeID, _ message: Message) {
        if rejoin != nil && !Rejoin.mayHandleWhileNotVoting(message, isChosen: { chosen.contains($0) }) { return }
        switch message {
        case .prepare(let instance, let ballot):
            onPrepare(from: sender, instance: instance, ballot: ballot)
        case .accept(let instance, let ballot, let command, let chosenInstances):
            learnChosen(chosenInstances, in: ballot)
            onAccept(from: sender, instance: instance, ballot: ballot, command: command)
        case .promise(let instance, let ballot, let accepted):
            onPromise(from: sender, instance: instance, ballot: ballot, accepted: accepted)
        case .accepted(let instance, let ballot):
            onAccepted(from: sender, instance: instance, ballot: ballot)
        case .nack(let instance, let ballot, let promised):
            onNack(from: sender, instance: instance, ballot: ballot, promised: promised)
        case .learn(let instance, let command):
            learn(instance, command, trace: .learned(instance: instance, command: command))
        case .status(let peerApplied, let peerAccepted):
            peersAcceptedThrough = max(peersAcceptedThrough, peerAccepted)
            if peerApplied > appliedThrough {
                send(.catchUpRequest(from: appliedThrough + 1), to: sender)
            }
        case .catchUpRequest(let from):
            onCatchUpRequest(from: sender, start: from)
        case .catchUpReply(let entries):
            for entry in entries where !chosen.contains(entry.instance) {
                learn(entry.instance, entry.command, trace: .learned(instance: entry.instance, command: entry.command))
            }
            // A reply is bounded in entries and bytes: while answers come, ask for the rest.
            if (!entries.isEmpty && highestChosen > appliedThrough) || entries.count >= configuration.catchUpEntriesMax {
                send(.catchUpRequest(from: appliedThrough + 1), to: sender)
            }
        case .forward(let command):
            onForward(command)
        case .prepareFrom(let start, let ballot):
            onPrepareFrom(from: sender, start: start, ballot: ballot)
        case .promiseFrom(_, let ballot, let accepted, let chosenEntries):
            onPromiseFrom(from: sender, ballot: ballot, accepted: accepted, chosen: chosenEntries)
        case .nackFrom(_, let ballot, let promised):
            noteRound(promised.round)
            if leadership?.ballot == ballot { endLeadership(preemptedBy: promised) }
        case .readIndexRequest(let read):
            send(.readIndexReply(read: read, highest: max(highestAccepted, highestChosen)), to: sender)
        case .readIndexReply(let read, let highest):
            onReadIndexReply(from: sender, read: read, highest: highest)
        case .rejoinPrepare(let ballot):
            onRejoinPrepare(from: sender, ballot: ballot)
        case .rejoinPromise(let ballot, let highest):
            onRejoinPromise(from: sender, ballot: ballot, highestInstance: highest)
        case .rejoinNack(let ballot, let round):
            onRejoinNack(ballot: ballot, round: round)
        case .rejoinSynced:
            onRejoinSynced(from: sender)
        case .snapshotOffer(let through):
            if through > appliedThrough {
                ready.snapshotWanted = SnapshotOffer(peer: sender, through: through)
                ready.trace.append(.snapshotOffered(through: through, by: sender))
            }
        }
    }

    // MARK: - Sending

    mutating func noteRound(_ round: UInt64) {
        highestRoundSeen = max(highestRoundSeen, round)
    }

    mutating func send(_ message: Message, to node: NodeID) {
        if node == id && !configuration.selfDeliveryThroughShell {
            localInbox.append(message)
        } else {
            ready.messages.append(Envelope(from: id, to: node, message: message))
        }
    }

    mutating func broadcastToAll(_ message: Message) {
        for member in configuration.members { send(message, to: member) }
    }

    mutating func broadcastToPeers(_ message: Message) {
        for member in configuration.members where member != id { send(message, to: member) }
    }

    /// Messages to itself are handled at once, inside the same step: their records join the same
    /// `Ready`, so they are durable before anything they caused leaves the node.
    mutating func drainLocalInbox() {
        var handled = 0
        while let message = localInbox.popFirst() {
            handle(from: id, message)
            handled += 1
            precondition(handled < 1_000_000, "a node kept sending itself messages")
        }
    }

    mutating func takeReady() -> Ready {
        // Swapped rather than copied: no reference counting of the six lists.
        var taken = readyPool.take()
        swap(&taken, &ready)
        return taken
    }

    /// The shell is done with `ready` (its effects are performed): its storage serves later
    /// steps, so a busy node stops allocating a Ready per event. Optional: a Ready never given
    /// back is simply freed.
    public mutating func recycle(_ ready: consuming Ready) {
        readyPool.put(ready)
    }
}

/// Whole-state equality and hashing, so that the model checker can recognise a state it has
/// already explored (nodes are values: a copy is a branch of the search).
extension PaxosNode: Hashable {}
