/// One node of the cluster as a pure state machine: acceptor, proposer and learner of every
/// instance. Each `on…` handler takes one event and returns a `Ready` with the effects to perform,
/// in order (persist, then everything else). The node never touches a socket, a file or a clock:
/// the live shell and the simulator drive this same code.
public struct PaxosNode: Sendable {
    public private(set) var configuration: PaxosConfiguration
    public var id: NodeID { configuration.node }

    // Durable state (mirrored in the log through `Ready.persist`).
    private var acceptors: InstanceMap<AcceptorState>
    private var chosen: InstanceMap<Command>
    /// Multi-Paxos: this acceptor's promise for a whole range of instances.
    private var rangePromise: RangePromise
    private var highestRoundUsed: UInt64
    /// Rounds up to here may have been used by an earlier life: the durable bound (step 1).
    private var roundsReservedThrough: UInt64
    public private(set) var incarnation: UInt64

    // Learner and state machine: the applied prefix of the log.
    public private(set) var appliedThrough: InstanceNumber = 0
    public private(set) var highestChosen: InstanceNumber = 0
    /// The lines applied above the snapshot point (`compactedThrough`); the older ones are in
    /// the replicated file only.
    public private(set) var fileEntries: [FileEntry] = []
    /// The commands applied in the recent log and where: applied once, retries answered.
    private var appliedCommands: AppliedCommands
    /// The snapshot point: every instance up to here is chosen and applied, held in the
    /// replicated file and no longer here (DESIGN.md, "Bounded history"). Nothing about those
    /// instances is needed any more: a Prepare or Accept for one is refused (the proposer is
    /// behind, and is offered the snapshot), since the value chosen there is all that matters.
    public private(set) var compactedThrough: InstanceNumber = 0
    /// Linearizable reads waiting for a majority's answers or for this node to catch up.
    private var reads = ReadQuorums()
    /// The highest instance where this acceptor accepted a value (what a read quorum asks).
    private var highestAccepted: InstanceNumber = 0

    // Proposers and the clients waiting on them (volatile: lost in a crash, as the clients' calls are).
    private var proposers = InstanceMap<Proposer>()
    private var pendingSubmits: [CommandID: PendingSubmit] = [:]
    private var submitByRequest: [RequestID: CommandID] = [:]
    private var submitQueue = FIFO<CommandID>()
    private var proposeWaiters = InstanceMap<[ProposeWaiter]>()
    /// Multi-Paxos: this node's range phase 1, while it is the distinguished proposer.
    private var leadership: Leadership? = nil
    /// A node rebuilt from an empty data directory, until it votes again (see `Rejoin`).
    private var rejoin: Rejoin? = nil
    /// Multi-Paxos: by position in `configuration.members`, the instances this leader decided in
    /// its ballot that the peer has not been told yet (see `announceChosen`). Each Accept to the
    /// peer takes its list, so a list holds at most the decisions of `proposalsInFlightMax`
    /// proposals in flight.
    private var unannounced: [[InstanceNumber]]
    /// After a leadership ends, it is sought again when the `.leadership` timer fires (a
    /// randomized backoff, as a preempted proposer's); submits wait for it meanwhile.
    private var leadershipRetryPending = false
    /// Leaderships that ended in a row without leading, for the backoff.
    private var leadershipFailures = 0
    private var nextSequence: UInt64 = 1
    private var highestRoundSeen: UInt64 = 0
    private var appliedAtLastHeartbeat: InstanceNumber = 0
    /// Heartbeats in a row that ended with a gap and nothing newly applied.
    private var stalledHeartbeats: UInt64 = 0
    /// Heartbeats this node has had, and the last one in which it heard from each peer: the
    /// clock-free failure detector that picks the distinguished proposer.
    private var heartbeats: UInt64 = 0
    /// By position in `configuration.members`.
    private var heardAt: [UInt64]
    /// Positions in `configuration.members`, lowest node id first: the distinguished proposer's order.
    private let memberIndicesByID: [Int]
    /// `configuration.mutations` as plain switches, asked for on every message.
    private let mutations: Mutations
    /// `max(highestChosen, reads.horizon)` at the previous heartbeat (see `onHeartbeat`).
    private var wantedAtLastHeartbeat: InstanceNumber = 0
    private var random: SplitMix64

    // Effects of the step in progress, and messages this node sends to itself.
    private var ready = Ready()
    private var readyPool = ReadyPool()
    private var localInbox = FIFO<Message>()

    private struct PendingSubmit: Hashable, Sendable {
        /// The client waiting here, or nil for a submit another node forwarded to us.
        var request: RequestID?
        var command: Command
        var state: State
        /// Sticky: once an Accept carried the command, a failure can no longer promise it was not chosen.
        var sentInAccept = false

        enum State: Hashable, Sendable {
            /// Sent to the distinguished proposer at heartbeat `since`, for the `attempts`-th time; sent
            /// again, or taken back, if it does not decide it in time.
            case forwarded(to: NodeID, since: UInt64, attempts: Int)
            case queued
            case proposing(InstanceNumber)
            /// Chosen somewhere and not applied yet: only the application says where it lands
            /// (a command chosen twice is applied at the lower instance).
            case chosen
        }

        /// A queued submit goes into `instance`: its command, or nil if it was not queued.
        /// (One dictionary access for the check and the change.)
        mutating func startProposing(in instance: InstanceNumber) -> Command? {
            guard state == .queued else { return nil }
            state = .proposing(instance)
            return command
        }
    }

    private struct Mutations: Hashable, Sendable {
        let acceptorRepliesBeforePersisting, acceptorAcceptsBelowPromise, acceptorRecordsPersistEventually: Bool
        let proposerIgnoresAcceptedValues, proposerCountsAcceptorTwice: Bool
        let rejoinedNodeVotesAtOnce: Bool
        let acceptorVotesBelowSnapshotPoint: Bool

        init(_ set: Set<PaxosConfiguration.Mutation>) {
            acceptorRepliesBeforePersisting = set.contains(.acceptorRepliesBeforePersisting)
            acceptorAcceptsBelowPromise = set.contains(.acceptorAcceptsBelowPromise)
            acceptorRecordsPersistEventually = set.contains(.acceptorRecordsPersistEventually)
            proposerIgnoresAcceptedValues = set.contains(.proposerIgnoresAcceptedValues)
            proposerCountsAcceptorTwice = set.contains(.proposerCountsAcceptorTwice)
            rejoinedNodeVotesAtOnce = set.contains(.rejoinedNodeVotesAtOnce)
            acceptorVotesBelowSnapshotPoint = set.contains(.acceptorVotesBelowSnapshotPoint)
        }
    }

    private struct ProposeWaiter: Hashable, Sendable {
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
        self.heardAt = Array(repeating: 0, count: configuration.members.count)
        self.unannounced = Array(repeating: [], count: configuration.members.count)
        self.memberIndicesByID = configuration.members.indices.sorted { configuration.members[$0] < configuration.members[$1] }
        self.mutations = Mutations(configuration.mutations)
        self.appliedCommands = AppliedCommands(clientInstancesMax: configuration.clientRequestWindowInstances,
                                               nodeInstancesMax: configuration.nodeCommandWindowInstances)
        self.acceptors = recovered.acceptors
        self.chosen = recovered.chosen
        self.rangePromise = recovered.rangePromise
        self.highestRoundUsed = recovered.highestRound
        self.roundsReservedThrough = recovered.highestRound
        self.incarnation = recovered.incarnation + 1
        self.random = SplitMix64(seed: configuration.randomSeed ^ (recovered.incarnation &* 0x2545_F491_4F6C_DD1D))
        self.compactedThrough = recovered.compactedThrough
        self.appliedThrough = recovered.compactedThrough
        self.highestChosen = max(recovered.chosen.highestInstance ?? 0, recovered.compactedThrough)
        for entry in recovered.appliedCommands { _ = appliedCommands.apply(entry.command, at: entry.instance) }
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
            if let index = pendingSubmits.index(forKey: clientCommand) {
                // The client gave up on its first call and asked again here: the retry waits in
                // its place (a forwarded copy waiting here gets a client to answer).
                let earlier = pendingSubmits.values[index].request
                pendingSubmits.values[index].request = request
                submitByRequest[request] = clientCommand
                if let earlier {
                    submitByRequest[earlier] = nil
                    ready.replies.append(.failed(earlier, .outcomeUnknown))
                }
                return takeReady()
            }
        }
        guard pendingSubmits.count < configuration.pendingSubmitsMax else {
            ready.replies.append(.failed(request, .overloaded(limit: configuration.pendingSubmitsMax)))
            return takeReady()
        }
        let commandID = clientCommand ?? makeCommandID()
        let command = Command.value(commandID, value)
        submitByRequest[request] = commandID
        let leader = distinguishedProposer
        if configuration.forwardSubmitsToDistinguishedProposer && leader != id {
            // Only one proposer should issue proposals, or competing proposers can preempt each
            // other forever (Lamport, "Paxos Made Simple", section 2.4). The distinguished
            // proposer runs both phases for this value; we take it back if it does not decide.
            // It may have sent an Accept by then, so a failure can no longer say "not chosen".
            pendingSubmits[commandID] = PendingSubmit(request: request, command: command,
                                                      state: .forwarded(to: leader, since: heartbeats, attempts: 1), sentInAccept: true)
            send(.forward(command: command), to: leader)
            return takeReady()
        }
        pendingSubmits[commandID] = PendingSubmit(request: request, command: command, state: .queued)
        submitQueue.append(commandID)
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
        if let commandID = submitByRequest.removeValue(forKey: request), let pending = pendingSubmits.removeValue(forKey: commandID) {
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
        guard let senderIndex = configuration.members.firstIndex(of: sender) else { return takeReady() }
        if configuration.forwardSubmitsToDistinguishedProposer { heardAt[senderIndex] = heartbeats }
        handle(from: sender, message)
        drainLocalInbox()
        return takeReady()
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
    public var pendingSubmitCount: Int { pendingSubmits.count }

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
        case .status(let peerApplied):
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
        case .snapshotOffer(let through):
            if through > appliedThrough {
                ready.snapshotWanted = SnapshotOffer(peer: sender, through: through)
                ready.trace.append(.snapshotOffered(through: through, by: sender))
            }
        }
    }

    private mutating func onReadIndexReply(from sender: NodeID, read: RequestID, highest: InstanceNumber) {
        guard let index = configuration.members.firstIndex(of: sender),
              let through = reads.onReply(read, from: index, highest: highest, quorum: configuration.quorum) else { return }
        if through > appliedThrough {
            // Behind: ask the peers now rather than at the next heartbeat.
            broadcastToPeers(.catchUpRequest(from: appliedThrough + 1))
        } else {
            answerSatisfiedReads()
        }
    }

    private mutating func answerSatisfiedReads() {
        for request in reads.takeSatisfied(appliedThrough: appliedThrough) {
            ready.replies.append(.readable(request, through: appliedThrough))
        }
    }

    // MARK: - Acceptor (steps 3 and 6)

    private mutating func onPrepare(from proposer: NodeID, instance: InstanceNumber, ballot: Ballot) {
        noteRound(ballot.round)
        if let command = chosen[instance] {
            send(.learn(instance: instance, command: command), to: proposer)
            return
        }
        if instance <= compactedThrough && !mutations.acceptorVotesBelowSnapshotPoint {
            offerSnapshot(to: proposer)
            return
        }
        var state = acceptor(instance)
        let before = state
        switch state.onPrepare(ballot) {
        case .promise(let accepted):
            acceptors[instance] = state
            if state != before && !mutations.acceptorRepliesBeforePersisting {
                persistAcceptorRecord(.promised(instance: instance, ballot: ballot))
            }
            ready.trace.append(.promised(instance: instance, ballot: ballot, to: proposer, accepted: accepted))
            send(.promise(instance: instance, ballot: ballot, accepted: accepted), to: proposer)
        case .nack(let promised):
            ready.trace.append(.prepareRefused(instance: instance, ballot: ballot, to: proposer, promised: promised))
            send(.nack(instance: instance, ballot: ballot, promised: promised), to: proposer)
        }
    }

    private mutating func onAccept(from proposer: NodeID, instance: InstanceNumber, ballot: Ballot, command: Command) {
        noteRound(ballot.round)
        if let chosenCommand = chosen[instance] {
            send(.learn(instance: instance, command: chosenCommand), to: proposer)
            return
        }
        if instance <= compactedThrough && !mutations.acceptorVotesBelowSnapshotPoint {
            offerSnapshot(to: proposer)
            return
        }
        var state = acceptor(instance)
        let before = state
        let answer = state.onAccept(ballot, command: command,
                                    acceptBelowPromise: mutations.acceptorAcceptsBelowPromise)
        switch answer {
        case .accepted:
            acceptors[instance] = state
            highestAccepted = max(highestAccepted, instance)
            if state != before && !mutations.acceptorRepliesBeforePersisting {
                persistAcceptorRecord(.accepted(instance: instance, proposal: AcceptedProposal(ballot: ballot, command: command)))
            }
            ready.trace.append(.acceptedValue(instance: instance, ballot: ballot, from: proposer, command: command))
            send(.accepted(instance: instance, ballot: ballot), to: proposer)
        case .nack(let promised):
            ready.trace.append(.acceptRefused(instance: instance, ballot: ballot, from: proposer, promised: promised))
            send(.nack(instance: instance, ballot: ballot, promised: promised), to: proposer)
        }
    }

    /// Multi-Paxos step 3's durable part: the range promise now covers `ballot` from `start` on
    /// (a leader's range Prepare, or a rebuilt node's rejoin ballot).
    private mutating func extendRangePromise(from start: InstanceNumber, ballot: Ballot) {
        var extended = rangePromise
        extended.extend(from: start, ballot: ballot)
        guard extended != rangePromise else { return }
        rangePromise = extended
        if !mutations.acceptorRepliesBeforePersisting {
            persistAcceptorRecord(.promisedFrom(from: extended.from, ballot: ballot))
        }
    }

    /// A promise or acceptance must be durable before the answer that reveals it leaves.
    private mutating func persistAcceptorRecord(_ record: DurableRecord) {
        if mutations.acceptorRecordsPersistEventually {
            ready.persistEventually.append(record)
        } else {
            ready.persist.append(record)
        }
    }

    /// The acceptor of `instance` with the range promise folded into its promise.
    private func acceptor(_ instance: InstanceNumber) -> AcceptorState {
        var state = acceptors[instance] ?? AcceptorState()
        state.promised = rangePromise.promise(at: instance, own: state.promised)
        return state
    }

    /// Multi-Paxos step 3: one promise for every instance from `start` on, given only if no
    /// open instance there has promised more. It reports every accepted proposal in the range,
    /// and every chosen value (a chosen instance's acceptor state is not kept current).
    private mutating func onPrepareFrom(from proposer: NodeID, start: InstanceNumber, ballot: Ballot) {
        noteRound(ballot.round)
        if start <= compactedThrough && !chosen.contains(start) {
            // The proposer has not applied what this node compacted: the values chosen there
            // are not in memory to report, so no promise can be given. It is offered the
            // snapshot. (Within the tail kept below the point every instance is chosen and
            // reported as such, as for any chosen instance.)
            offerSnapshot(to: proposer)
            return
        }
        var highest = rangePromise.ballot
        var accepted: [AcceptedEntry] = []
        for (instance, state) in acceptors.entries(from: start) where !chosen.contains(instance) {
            highest = max(highest, state.promised)
            if let proposal = state.accepted { accepted.append(AcceptedEntry(instance: instance, proposal: proposal)) }
        }
        guard ballot != .zero, ballot >= highest else {
            ready.trace.append(.rangePrepareRefused(instance: start, ballot: ballot, to: proposer, promised: highest))
            send(.nackFrom(from: start, ballot: ballot, promised: highest), to: proposer)
            return
        }
        let chosenEntries = chosen.entries(from: start).map { ChosenEntry(instance: $0.instance, command: $0.value) }
        let valueBytes = accepted.reduce(0) { $0 + ($1.proposal.command.text?.utf8.count ?? 0) }
            + chosenEntries.reduce(0) { $0 + ($1.command.text?.utf8.count ?? 0) }
        guard accepted.count + chosenEntries.count <= configuration.catchUpEntriesMax,
              valueBytes <= configuration.catchUpValueBytesMax else {
            // Too much for one message: the proposer is far behind. Catch it up instead; it
            // asks again after a heartbeat, and Basic Paxos serves its submits meanwhile.
            onCatchUpRequest(from: proposer, start: start)
            return
        }
        extendRangePromise(from: start, ballot: ballot)
        ready.trace.append(.rangePromised(instance: start, ballot: ballot, to: proposer, reported: accepted.count))
        send(.promiseFrom(from: start, ballot: ballot, accepted: accepted, chosen: chosenEntries), to: proposer)
    }

    // MARK: - Proposer (steps 1, 2, 4, 5, 7)

    /// Steps 1 and 2: a ballot higher than any used or seen, sent to every member, this node
    /// included. A restart must never reuse a round, so rounds are reserved durably in blocks:
    /// one record (and fsync) per `roundReservation` rounds rather than one per Prepare, which
    /// lets a Prepare leave without waiting for the disk.
    private mutating func startPrepare(_ instance: InstanceNumber) {
        guard var proposer = proposers[instance] else { return }
        if rejoin?.isFencing == true {
            // A rebuilt node does not know which ballots its lost life used: it proposes
            // nothing until fenced (its rounds are then above them). It tries again later.
            proposers[instance] = proposer
            ready.timers.append(.set(.proposer(instance), afterMilliseconds: configuration.phaseTimeoutMilliseconds))
            return
        }
        proposer.ballot = Ballot(round: takeRound(minimum: proposer.minimumRound), node: id)
        proposer.phase = .preparing(promisedBy: MemberSet(), highestAccepted: nil)
        proposers[instance] = proposer
        ready.trace.append(.prepareSent(instance: instance, ballot: proposer.ballot))
        ready.timers.append(.set(.proposer(instance), afterMilliseconds: configuration.phaseTimeoutMilliseconds))
        broadcastToAll(.prepare(instance: instance, ballot: proposer.ballot))
    }

    /// Step 1's round: higher than any used or seen, and reserved durably before it is used.
    private mutating func takeRound(minimum: UInt64) -> UInt64 {
        let round = max(max(highestRoundUsed, highestRoundSeen) + 1, minimum)
        highestRoundUsed = round
        if round > roundsReservedThrough {
            roundsReservedThrough = round + max(configuration.roundReservation, 1) - 1
            ready.persist.append(.round(roundsReservedThrough))
        }
        return round
    }

    private mutating func onPromise(from acceptor: NodeID, instance: InstanceNumber, ballot: Ballot, accepted: AcceptedProposal?) {
        if let accepted { noteRound(accepted.ballot.round) }
        guard var proposer = proposers[instance], let acceptorIndex = configuration.members.firstIndex(of: acceptor) else { return }
        let outcome = proposer.onPromise(from: acceptorIndex, ballot: ballot, accepted: accepted, quorum: configuration.quorum,
                                         ignoreAcceptedValues: mutations.proposerIgnoresAcceptedValues)
        proposers[instance] = proposer
        guard case .sendAccept(let command, let adopted) = outcome else { return }
        if let adopted {
            // Step 4: another proposer's value may already be chosen; ours waits for another instance.
            ready.trace.append(.valueAdopted(instance: instance, ballot: ballot, adopted: adopted))
            if let submit = proposer.submit {
                proposer.submit = nil
                proposers[instance] = proposer
                requeue(submit)
                startQueuedSubmits()
            }
        }
        sendAccept(instance, ballot: ballot, command: command)
    }

    /// Step 5.
    private mutating func sendAccept(_ instance: InstanceNumber, ballot: Ballot, command: Command) {
        guard proposers.update(instance, { $0.beginAccepting(ballot: ballot, command: command) }) != nil else { return }
        if let commandID = command.id { updatePendingSubmit(commandID) { $0.sentInAccept = true } }
        ready.trace.append(.acceptSent(instance: instance, ballot: ballot, command: command))
        ready.timers.append(.set(.proposer(instance), afterMilliseconds: configuration.phaseTimeoutMilliseconds))
        broadcastAccept(instance, ballot: ballot, command: command, includingSelf: true)
    }

    /// Step 5's message to every member (or every peer, for a resend). An Accept in this node's
    /// leadership ballot carries the decisions the peer has not heard of (`announceChosen`).
    private mutating func broadcastAccept(_ instance: InstanceNumber, ballot: Ballot, command: Command, includingSelf: Bool) {
        let announces = leadership?.ballot == ballot
        for (index, member) in configuration.members.enumerated() {
            if member == id {
                if includingSelf { send(.accept(instance: instance, ballot: ballot, command: command), to: id) }
                continue
            }
            var chosenInstances: [InstanceNumber] = []
            if announces { swap(&chosenInstances, &unannounced[index]) }
            send(.accept(instance: instance, ballot: ballot, command: command, chosen: chosenInstances), to: member)
        }
    }

    private mutating func onAccepted(from acceptor: NodeID, instance: InstanceNumber, ballot: Ballot) {
        guard let acceptorIndex = configuration.members.firstIndex(of: acceptor) else { return }
        let quorum = configuration.quorum, countTwice = mutations.proposerCountsAcceptorTwice
        let decided = proposers.update(instance) {
            $0.onAccepted(from: acceptorIndex, ballot: ballot, quorum: quorum, countAcceptorTwice: countTwice)
        }
        guard let command = decided ?? nil else { return }
        learn(instance, command, trace: .chosen(instance: instance, ballot: ballot, command: command))
        if let leadership, leadership.isLeading, leadership.ballot == ballot {
            announceChosen(instance, originator: command.id?.node)
        } else {
            broadcastToPeers(.learn(instance: instance, command: command))
        }
    }

    /// A leader's decision in its own ballot is not broadcast in a Learn of its own: it rides
    /// on the next Accept to each peer (as Raft's commit index rides on AppendEntries), which
    /// saves a message and, on the peer, a separate disk write per decision. The node whose
    /// client waits for the command hears at once, with every decision it has not heard of,
    /// so that it can apply and answer. What no Accept carried before the next heartbeat
    /// reaches the peers through the heartbeat's status (a peer behind asks for catch-up).
    private mutating func announceChosen(_ instance: InstanceNumber, originator: NodeID?) {
        for index in unannounced.indices where configuration.members[index] != id {
            unannounced[index].append(instance)
        }
        guard let originator, originator != id, let index = configuration.members.firstIndex(of: originator) else { return }
        var told: [InstanceNumber] = []
        swap(&told, &unannounced[index])
        for decided in told {
            if let command = chosen[decided] { send(.learn(instance: decided, command: command), to: originator) }
        }
    }

    /// Decisions not announced yet are left to the status exchange: a peer whose applied prefix
    /// is behind a status it receives asks for catch-up.
    private mutating func forgetAnnouncements() {
        for index in unannounced.indices { unannounced[index].removeAll(keepingCapacity: true) }
    }

    /// The receiving side of `announceChosen`: instances chosen in `ballot`. Where this acceptor
    /// accepted a value in `ballot`, that value is the chosen one (a ballot carries one value per
    /// instance); elsewhere the news is left to catch-up.
    private mutating func learnChosen(_ instances: [InstanceNumber], in ballot: Ballot) {
        for instance in instances where instance > compactedThrough && !chosen.contains(instance) {
            guard let proposal = acceptors[instance]?.accepted, proposal.ballot == ballot else { continue }
            learn(instance, proposal.command, trace: .learned(instance: instance, command: proposal.command))
        }
    }

    private mutating func onNack(from acceptor: NodeID, instance: InstanceNumber, ballot: Ballot, promised: Ballot) {
        noteRound(promised.round)
        if let leadership, leadership.ballot == ballot, promised > ballot { endLeadership(preemptedBy: promised) }
        guard var proposer = proposers[instance], proposer.isAwaitingAnswers(to: ballot) else { return }
        // Step 7: a higher ballot is about; this attempt cannot succeed. Back off, then try higher.
        let wait = backoffMilliseconds(afterFailures: proposer.failedAttempts)
        proposer.failedAttempts += 1
        proposer.phase = .waiting
        proposers[instance] = proposer
        ready.trace.append(.preempted(instance: instance, ballot: ballot, by: promised, retryAfterMilliseconds: wait))
        ready.timers.append(.set(.proposer(instance), afterMilliseconds: wait))
    }

    private mutating func onProposerTimer(_ instance: InstanceNumber) {
        guard var proposer = proposers[instance] else { return }
        if case .waiting = proposer.phase {
            startPrepare(instance)
            return
        }
        if let leadership, leadership.isLeading, proposer.ballot == leadership.ballot,
           case .accepting(let command, _, _) = proposer.phase {
            // The leadership's ballot still holds here: Accepts or their answers were lost. Send
            // the same Accept again (acceptors answer it idempotently) instead of a phase 1 that
            // would only compete with this node's own leadership.
            ready.trace.append(.acceptSent(instance: instance, ballot: proposer.ballot, command: command))
            ready.timers.append(.set(.proposer(instance), afterMilliseconds: configuration.phaseTimeoutMilliseconds))
            broadcastAccept(instance, ballot: proposer.ballot, command: command, includingSelf: false)
            return
        }
        // No majority answered in time (lost messages, dead nodes): start over with a higher ballot.
        let wait = backoffMilliseconds(afterFailures: proposer.failedAttempts)
        proposer.failedAttempts += 1
        ready.trace.append(.timedOut(instance: instance, ballot: proposer.ballot, retryAfterMilliseconds: wait))
        proposer.phase = .waiting
        proposers[instance] = proposer
        ready.timers.append(.set(.proposer(instance), afterMilliseconds: wait))
    }

    private mutating func backoffMilliseconds(afterFailures failures: Int) -> UInt64 {
        switch configuration.backoff {
        case .none:
            return 0
        case .randomizedExponential(let base, let maximum):
            let ceiling = min(maximum, base << UInt64(min(failures, 20)))
            return ceiling <= base ? base : base + random.next() % (ceiling - base + 1)
        }
    }

    private mutating func abandonProposer(_ instance: InstanceNumber) {
        proposers[instance] = nil
        ready.timers.append(.cancel(.proposer(instance)))
    }

    // MARK: - Learner and state machine

    /// `command` is chosen in `instance`: make it durable, stop proposing there, answer the
    /// clients that waited on it, and apply every instance that is now contiguous.
    private mutating func learn(_ instance: InstanceNumber, _ command: Command, trace: TraceEvent) {
        guard instance > compactedThrough, !chosen.contains(instance) else { return }
        chosen[instance] = command
        highestChosen = max(highestChosen, instance)
        // The client may hear before this record is durable: see `Ready.persistEventually`.
        ready.persistEventually.append(.chosen(instance: instance, command: command))
        ready.trace.append(trace)

        if let proposer = proposers[instance] {
            abandonProposer(instance)
            if let submit = proposer.submit, command.id != submit { requeue(submit) }
        }
        if let commandID = command.id { updatePendingSubmit(commandID) { $0.state = .chosen } }
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
    private mutating func applyChosenPrefix() {
        while let command = chosen[appliedThrough + 1] {
            appliedThrough += 1
            guard case .value(let commandID, let text) = command, appliedCommands.apply(commandID, at: appliedThrough) else {
                appliedCommands.expire(appliedThrough: appliedThrough)
                continue
            }
            let entry = FileEntry(instance: appliedThrough, value: text)
            fileEntries.append(entry)
            ready.applied.append(entry)
            if let pending = pendingSubmits.removeValue(forKey: commandID), let request = pending.request {
                submitByRequest[request] = nil
                ready.replies.append(.submitted(request, instance: appliedThrough, value: text))
            }
        }
        if rejoin != nil { finishRejoinIfCaughtUp() }
    }

    // MARK: - Bounded history: snapshot point, compaction, snapshot install

    /// What a snapshot point leaves: `checkpoint`, the records that replace the whole log
    /// (`GroupCommitLog.compact`), and `snapshotMetadata`, the applied state at the point
    /// that a snapshot sent to a peer carries beside the file's bytes.
    public struct Compaction: Hashable, Sendable {
        public var checkpoint: [DurableRecord]
        public var snapshotMetadata: [DurableRecord]
    }

    /// Moves the snapshot point to `instance`, whose line ends at byte `fileBytes` of the
    /// replicated file (which the shell has synced that far): chosen values, acceptor states
    /// and file lines up to there are dropped from memory. Safe for the acceptor: every
    /// instance there is chosen and known here, so no promise or accepted value of it can
    /// matter to any proposer any more (a proposer that still works there is behind, and
    /// learns the decision from the snapshot instead). Returns the checkpoint to write.
    ///
    /// The checkpoint holds all the durable state above the point: incarnation, reserved
    /// rounds, the range promise, every acceptor state and decision above it. The shell must
    /// append it to the log before any later record (the actor does both in one step).
    public mutating func compact(through instance: InstanceNumber, fileBytes: UInt64) -> Compaction {
        precondition(instance <= appliedThrough, "only applied instances can be compacted")
        precondition(instance >= compactedThrough, "the snapshot point never moves back")
        compactedThrough = instance
        let tail = configuration.snapshotTailInstances
        chosen.removeAll(through: instance > tail ? instance - tail : 0)
        acceptors.removeAll(through: instance)
        if let kept = fileEntries.firstIndex(where: { $0.instance > instance }) {
            fileEntries.removeFirst(kept)
        } else {
            fileEntries.removeAll()
        }
        let metadata = [DurableRecord.compacted(through: instance, fileBytes: fileBytes)] + appliedCommands.records(through: instance)
        var checkpoint: [DurableRecord] = rejoinCheckpoint + [.incarnation(incarnation), .round(roundsReservedThrough)]
        if rangePromise != .none { checkpoint.append(.promisedFrom(from: rangePromise.from, ballot: rangePromise.ballot)) }
        checkpoint += metadata
        acceptors.forEach { instance, state in
            if let accepted = state.accepted {
                checkpoint.append(.accepted(instance: instance, proposal: accepted))
                if state.promised > accepted.ballot { checkpoint.append(.promised(instance: instance, ballot: state.promised)) }
            } else {
                checkpoint.append(.promised(instance: instance, ballot: state.promised))
            }
        }
        let point = instance
        chosen.forEach { instance, command in
            if instance > point { checkpoint.append(.chosen(instance: instance, command: command)) }
        }
        ready.trace.append(.compacted(through: instance))
        return Compaction(checkpoint: checkpoint, snapshotMetadata: metadata)
    }

    /// A snapshot fetched from a peer (its `snapshotMetadata`), whose file the shell has
    /// installed as the replicated file: this node jumps to its point, with the applied
    /// state it carries, and goes on from there (catch-up asks for what follows). A snapshot
    /// not ahead of what is applied here is ignored.
    public mutating func installSnapshot(_ metadata: [DurableRecord]) -> Ready {
        var state = DurableState()
        for record in metadata { state.apply(record) }
        let point = state.compactedThrough
        guard point > appliedThrough else { return takeReady() }
        compactedThrough = point
        appliedThrough = point
        highestChosen = max(highestChosen, point)
        chosen.removeAll(through: point)
        acceptors.removeAll(through: point)
        fileEntries.removeAll()
        appliedCommands = AppliedCommands(clientInstancesMax: configuration.clientRequestWindowInstances,
                                          nodeInstancesMax: configuration.nodeCommandWindowInstances)
        for entry in state.appliedCommands { _ = appliedCommands.apply(entry.command, at: entry.instance) }
        for instance in proposers.instances where instance <= point {
            let submit = proposers[instance]?.submit
            abandonProposer(instance)
            if let submit { requeue(submit) }
        }
        for (instance, waiters) in proposeWaiters.entries where instance <= point {
            proposeWaiters[instance] = nil
            for waiter in waiters { ready.replies.append(.failed(waiter.request, .compacted(through: point))) }
        }
        // Submits the snapshot shows applied are answered; the client reads its line from the file.
        // In command order: a dictionary's order differs from one run to the next, and the
        // simulator must replay a seed byte for byte.
        for commandID in pendingSubmits.keys.sorted() {
            guard let instance = appliedCommands.instance(of: commandID),
                  let pending = pendingSubmits.removeValue(forKey: commandID) else { continue }
            if let request = pending.request {
                submitByRequest[request] = nil
                ready.replies.append(.appliedEarlier(request, instance: instance))
            }
        }
        ready.trace.append(.snapshotInstalled(through: point))
        applyChosenPrefix()
        answerSatisfiedReads()
        broadcastToPeers(.catchUpRequest(from: appliedThrough + 1))
        startQueuedSubmits()
        drainLocalInbox()
        return takeReady()
    }

    private mutating func offerSnapshot(to peer: NodeID) {
        guard peer != id else { return }
        send(.snapshotOffer(through: compactedThrough), to: peer)
    }

    // MARK: - Submits

    private mutating func makeCommandID() -> CommandID {
        defer { nextSequence += 1 }
        return CommandID(node: id, incarnation: incarnation, sequence: nextSequence)
    }

    /// Changes the pending submit `commandID` in place; nil if there is none. Through
    /// `values[index]` rather than `pendingSubmits[commandID]?.…`: the dictionary's keyed modify
    /// accessor is a coroutine that is not inlined, and its frame, too big for the caller's
    /// buffer, went to the heap: two allocations per access, a third of the simulator's.
    @discardableResult
    private mutating func updatePendingSubmit<Result>(_ commandID: CommandID, _ change: (inout PendingSubmit) -> Result) -> Result? {
        guard let index = pendingSubmits.index(forKey: commandID) else { return nil }
        return change(&pendingSubmits.values[index])
    }

    private mutating func requeue(_ commandID: CommandID) {
        let requeued = updatePendingSubmit(commandID) { pending in
            if case .chosen = pending.state { return false }
            pending.state = .queued
            return true
        }
        if requeued == true { submitQueue.prepend(commandID) }
    }

    /// `submit(v)` proposes v for the lowest instance not known to be chosen and not already being
    /// proposed here (DESIGN.md section 3), up to `proposalsInFlightMax` instances at once.
    /// The distinguished proposer first seeks a leadership (one phase 1 for all instances
    /// ahead) and holds its submits until it has one or gave up; then each goes straight to step 5.
    private mutating func startQueuedSubmits() {
        guard !submitQueue.isEmpty, rejoin?.isFencing != true else { return }
        if configuration.multiPaxos && configuration.forwardSubmitsToDistinguishedProposer && distinguishedProposer == id
            && hearsQuorum {
            if leadership == nil && !leadershipRetryPending { startLeadership() }
            if leadershipRetryPending || leadership?.isLeading == false { return }
        }
        var candidate = appliedThrough + 1
        while proposers.count < configuration.proposalsInFlightMax, let commandID = submitQueue.popFirst() {
            while chosen.contains(candidate) || proposers.contains(candidate) { candidate += 1 }
            guard let command = updatePendingSubmit(commandID, { $0.startProposing(in: candidate) }) ?? nil else { continue }
            proposers[candidate] = Proposer(instance: candidate, ownCommand: command, submit: commandID, minimumRound: 0)
            if let ballot = leadership?.ballot, leadership?.claim(candidate, applied: appliedThrough) == true {
                sendAccept(candidate, ballot: ballot, command: command)
            } else {
                startPrepare(candidate)
            }
        }
    }

    // MARK: - Multi-Paxos leadership (see `Leadership`)

    private mutating func startLeadership() {
        let started = Leadership(from: appliedThrough + 1, ballot: Ballot(round: takeRound(minimum: 0), node: id))
        leadership = started
        ready.trace.append(.rangePrepareSent(instance: started.from, ballot: started.ballot))
        ready.timers.append(.set(.leadership, afterMilliseconds: configuration.phaseTimeoutMilliseconds))
        broadcastToAll(.prepareFrom(from: started.from, ballot: started.ballot))
    }

    private mutating func onPromiseFrom(from acceptor: NodeID, ballot: Ballot, accepted: [AcceptedEntry], chosen chosenEntries: [ChosenEntry]) {
        for entry in accepted { noteRound(entry.proposal.ballot.round) }
        for entry in chosenEntries where !chosen.contains(entry.instance) {
            learn(entry.instance, entry.command, trace: .learned(instance: entry.instance, command: entry.command))
        }
        guard var granted = leadership, let acceptorIndex = configuration.members.firstIndex(of: acceptor) else { return }
        let reported = granted.onPromise(from: acceptorIndex, ballot: ballot, accepted: accepted, quorum: configuration.quorum)
        leadership = granted
        if let reported { beginLeading(reported: reported) }
    }

    /// A majority promised the range. Step 4 for each instance where a value was reported: it
    /// may be chosen already, so it is proposed again; every instance above is free.
    private mutating func beginLeading(reported: [InstanceNumber: AcceptedProposal]) {
        guard var granted = leadership else { return }
        var used: Set<InstanceNumber> = []
        var reproposed = 0
        if !mutations.proposerIgnoresAcceptedValues {
            for instance in reported.keys.sorted() {
                used.insert(instance)
                guard !chosen.contains(instance), !proposers.contains(instance), let proposal = reported[instance] else { continue }
                proposers[instance] = Proposer(instance: instance, ownCommand: .noop, submit: nil, minimumRound: 0)
                ready.trace.append(.valueAdopted(instance: instance, ballot: granted.ballot, adopted: proposal))
                sendAccept(instance, ballot: granted.ballot, command: proposal.command)
                reproposed += 1
            }
        }
        granted.phase = .leading(used: used)
        leadership = granted
        leadershipFailures = 0
        ready.timers.append(.cancel(.leadership))
        ready.trace.append(.leading(instance: granted.from, ballot: granted.ballot, reproposed: reproposed))
        startQueuedSubmits()
    }

    /// The range promise is lost (a higher ballot somewhere) or was never granted: proposers
    /// already at work finish by Basic Paxos. New submits wait for the next attempt while this
    /// node is still the distinguished proposer and hears a majority; otherwise they go by
    /// Basic Paxos (which fails phase 1 cleanly without a majority).
    private mutating func endLeadership(preemptedBy: Ballot?) {
        guard let ended = leadership else { return }
        leadership = nil
        // Sought again after a backoff, not at once: a nack means another proposer is at work,
        // and two that preempt each other at once can do so forever (step 7's livelock).
        leadershipRetryPending = true
        ready.timers.append(.set(.leadership, afterMilliseconds: backoffMilliseconds(afterFailures: leadershipFailures)))
        leadershipFailures += 1
        forgetAnnouncements()     // later Accepts carry another ballot
        ready.trace.append(.leadershipEnded(instance: ended.from, ballot: ended.ballot, by: preemptedBy))
        startQueuedSubmits()
    }

    // MARK: - The distinguished proposer

    /// The lowest-numbered member heard from within the last `peerSilenceHeartbeatsMax`
    /// heartbeats (this node always counts). Every node computes it from what it hears, so
    /// nodes may briefly disagree; that costs only duels, never safety.
    public var distinguishedProposer: NodeID {
        for index in memberIndicesByID {
            let member = configuration.members[index]
            if member == id { return id }
            if heartbeats - heardAt[index] <= configuration.peerSilenceHeartbeatsMax { return member }
        }
        return id
    }

    /// Whether a majority (this node included) was heard from within `peerSilenceHeartbeatsMax`
    /// heartbeats: the failure detector's view of whether phase 2 alone can succeed.
    private var hearsQuorum: Bool {
        var heard = 0
        for index in heardAt.indices where configuration.members[index] == id || heartbeats - heardAt[index] <= configuration.peerSilenceHeartbeatsMax {
            heard += 1
        }
        return heard >= configuration.quorum
    }

    /// Whether this node holds a Multi-Paxos leadership: its submits skip phase 1.
    public var isLeading: Bool { leadership?.isLeading ?? false }

    /// A submit forwarded to us: propose it as if a client had sent it here (without a client
    /// to answer: the originator answers when it applies the command).
    private mutating func onForward(_ command: Command) {
        guard let commandID = command.id, !appliedCommands.contains(commandID), pendingSubmits[commandID] == nil,
              pendingSubmits.count < configuration.pendingSubmitsMax else { return }
        pendingSubmits[commandID] = PendingSubmit(request: nil, command: command, state: .queued)
        submitQueue.append(commandID)
        startQueuedSubmits()
    }

    /// Submits the distinguished proposer did not decide in time (it died, or the forward was
    /// lost) are forwarded again, to whoever is the distinguished proposer now, up to
    /// `forwardAttemptsMax` times in all; then (or when this node is the distinguished proposer)
    /// they are proposed here. The command keeps its identity, so if both end up choosing it,
    /// it is applied once.
    private mutating func takeBackForwardedSubmits() {
        let leader = distinguishedProposer
        // The due ones are picked out first and only they are sorted: sorting every pending
        // key and looking each up again cost a hash per submit at every heartbeat. Acting on
        // one changes no other's state, so the outcome is the same.
        var due: [(commandID: CommandID, attempts: Int)] = []
        for (commandID, pending) in pendingSubmits {
            guard case .forwarded(let to, let since, let attempts) = pending.state else { continue }
            guard to != leader || heartbeats - since >= configuration.forwardPatienceHeartbeats else { continue }
            due.append((commandID, attempts))
        }
        due.sort { $0.commandID < $1.commandID }
        for (commandID, attempts) in due {
            if leader != id && attempts < configuration.forwardAttemptsMax {
                // A lost forward, or a leader that restarted and forgot it: ask again rather than
                // run phase 1 here against the leader's own.
                let since = heartbeats
                let command = updatePendingSubmit(commandID) { pending in
                    pending.state = .forwarded(to: leader, since: since, attempts: attempts + 1)
                    return pending.command
                }!
                send(.forward(command: command), to: leader)
            } else {
                updatePendingSubmit(commandID) { $0.state = .queued }
                submitQueue.append(commandID)
            }
        }
        startQueuedSubmits()
    }

    // MARK: - Catch-up and gaps

    private mutating func onHeartbeat() {
        heartbeats += 1
        // Lead only while a majority is heard from: a leader that lost it would put values into
        // Accepts nobody can answer, and its clients would get "outcome unknown" (fault 2) where
        // Basic Paxos fails phase 1 cleanly with "not chosen" (fault 1).
        if leadership != nil && (distinguishedProposer != id || !hearsQuorum) { endLeadership(preemptedBy: nil) }
        takeBackForwardedSubmits()
        forgetAnnouncements()     // this status tells the peers instead
        ready.timers.append(.set(.heartbeat, afterMilliseconds: configuration.heartbeatMilliseconds))
        broadcastToPeers(.status(appliedThrough: appliedThrough))
        // A read whose question or answers were lost asks again.
        for read in reads.gathering { broadcastToAll(.readIndexRequest(read: read)) }
        // Instances to decide: up to the highest chosen one, and up to what a linearizable read
        // waits for (an instance someone accepted that nobody may ever finish deciding).
        let wanted = max(max(highestChosen, reads.horizon), rejoinHorizon)
        // Only instances that were gaps at the previous heartbeat already (up to what was wanted
        // then, and nothing applied since) have outlived a whole heartbeat.
        let gapsThrough = min(wanted, wantedAtLastHeartbeat)
        wantedAtLastHeartbeat = wanted
        guard wanted > appliedThrough else {
            appliedAtLastHeartbeat = appliedThrough
            stalledHeartbeats = 0
            return
        }
        broadcastToPeers(.catchUpRequest(from: appliedThrough + 1))
        stalledHeartbeats = appliedAtLastHeartbeat == appliedThrough ? stalledHeartbeats + 1 : 0
        // A gap nobody told us about is decided by a no-op proposal, which adopts any value
        // accepted there (step 4), so nothing chosen is lost. The distinguished proposer does it
        // once the gap outlived a heartbeat; another node waits longer, since its proposal would
        // compete with the leader's (who usually fills the gap first), but still steps in if
        // the leader never learns of it.
        let patience = distinguishedProposer == id ? 1 : configuration.forwardPatienceHeartbeats
        if stalledHeartbeats >= patience {
            var filled = 0
            var instance = appliedThrough + 1
            while instance <= gapsThrough && filled < configuration.gapFillInstancesMax {
                if !chosen.contains(instance) && !proposers.contains(instance) {
                    proposers[instance] = Proposer(instance: instance, ownCommand: .noop, submit: nil, minimumRound: 0)
                    startPrepare(instance)
                    filled += 1
                }
                instance += 1
            }
        }
        appliedAtLastHeartbeat = appliedThrough
    }

    private mutating func onCatchUpRequest(from peer: NodeID, start: InstanceNumber) {
        // Below the point, only the tail of decisions kept in memory can be sent one by one.
        if start <= compactedThrough && !chosen.contains(start) {
            offerSnapshot(to: peer)
            return
        }
        var entries: [ChosenEntry] = []
        var valueBytes = 0
        var instance = max(start, 1)
        while entries.count < configuration.catchUpEntriesMax, let command = chosen[instance] {
            let bytes = command.text?.utf8.count ?? 0
            if !entries.isEmpty && valueBytes + bytes > configuration.catchUpValueBytesMax { break }
            valueBytes += bytes
            entries.append(ChosenEntry(instance: instance, command: command))
            instance += 1
        }
        if !entries.isEmpty { send(.catchUpReply(entries: entries), to: peer) }
    }

    // MARK: - A rebuilt node (see `Rejoin`)

    private mutating func startRejoin() {
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
        }
    }

    /// Asks every other member to grant a new rejoin ballot, above every round seen refused.
    private mutating func startRejoinAttempt() {
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
    private mutating func onRejoinPrepare(from sender: NodeID, ballot: Ballot) {
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

    private mutating func onRejoinPromise(from sender: NodeID, ballot: Ballot, highestInstance: InstanceNumber) {
        guard var fencing = rejoin, sender != id, let index = configuration.members.firstIndex(of: sender) else { return }
        let fence = fencing.onGrant(from: index, ballot: ballot, highestInstance: highestInstance,
                                    needed: configuration.members.count - 1)
        rejoin = fencing
        if let fence { onRejoinFenced(from: fence.from, ballot: fence.ballot) }
    }

    private mutating func onRejoinNack(ballot: Ballot, round: UInt64) {
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
    /// here, every one from it on is promised the fence's ballot. The node votes again.
    private mutating func finishRejoinIfCaughtUp() {
        guard case .catchingUp(let from, let ballot)? = rejoin?.phase, appliedThrough + 1 >= from else { return }
        rejoin = nil
        ready.trace.append(.rejoined(instance: from, ballot: ballot))
    }

    /// A checkpoint replaces the whole log: a rebuilt node that does not vote yet keeps saying
    /// so in it, first (its floor is in the checkpoint's incarnation and round already).
    private var rejoinCheckpoint: [DurableRecord] {
        switch rejoin?.phase {
        case nil: return []
        case .fencing?: return [.rejoinStarted(floor: 0)]
        case .catchingUp(let from, let ballot)?: return [.rejoinStarted(floor: 0), .rejoinFenced(from: from, ballot: ballot)]
        }
    }

    /// A fenced rebuilt node votes once every instance below its fence is decided: one that
    /// nobody decides (accepted somewhere, never chosen) is filled like any gap.
    private var rejoinHorizon: InstanceNumber {
        if case .catchingUp(let from, _)? = rejoin?.phase { return from - 1 }
        return 0
    }

    /// Whether the node votes (false while a rebuilt node fences its lost life or catches up).
    public var isVoting: Bool { rejoin == nil }

    // MARK: - Sending

    private mutating func noteRound(_ round: UInt64) {
        highestRoundSeen = max(highestRoundSeen, round)
    }

    private mutating func send(_ message: Message, to node: NodeID) {
        if node == id && !configuration.selfDeliveryThroughShell {
            localInbox.append(message)
        } else {
            ready.messages.append(Envelope(from: id, to: node, message: message))
        }
    }

    private mutating func broadcastToAll(_ message: Message) {
        for member in configuration.members { send(message, to: member) }
    }

    private mutating func broadcastToPeers(_ message: Message) {
        for member in configuration.members where member != id { send(message, to: member) }
    }

    /// Messages to itself are handled at once, inside the same step: their records join the same
    /// `Ready`, so they are durable before anything they caused leaves the node.
    private mutating func drainLocalInbox() {
        var handled = 0
        while let message = localInbox.popFirst() {
            handle(from: id, message)
            handled += 1
            precondition(handled < 1_000_000, "a node kept sending itself messages")
        }
    }

    private mutating func takeReady() -> Ready {
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
