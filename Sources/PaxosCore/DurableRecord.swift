/// A change of durable state. The shell appends these to the write-ahead log and makes them
/// durable (fsync) before it performs any other effect of the same `Ready` (DESIGN.md section 4).
public enum DurableRecord: Hashable, Sendable {
    /// Step 3: the acceptor promised not to accept below `ballot` in `instance`.
    case promised(instance: InstanceNumber, ballot: Ballot)
    /// Multi-Paxos step 3: the acceptor promised not to accept below `ballot` in any instance
    /// from `from` on (unless an instance's own promise is higher).
    case promisedFrom(from: InstanceNumber, ballot: Ballot)
    /// Step 6: the acceptor accepted a proposal; implies a promise of the same ballot.
    case accepted(instance: InstanceNumber, proposal: AcceptedProposal)
    /// The learner knows `command` is chosen in `instance`.
    case chosen(instance: InstanceNumber, command: Command)
    /// Step 1: the highest round this node's proposer may have used (rounds are reserved in
    /// blocks), so a restart never reuses a ballot.
    case round(UInt64)
    /// The node started for the `n`th time; command identifiers of this life carry it.
    case incarnation(UInt64)
    /// The node was rebuilt from an empty data directory (`Rejoin`): it votes on nothing until
    /// fenced. `floor` is above every round and incarnation of its lost life (the shell's wall
    /// clock): its new ballots and command ids are above it.
    case rejoinStarted(floor: UInt64)
    /// Every other member granted the rejoin ballot: the node promises `ballot` for every
    /// instance from `from` on, and votes there once it has applied every instance below.
    case rejoinFenced(from: InstanceNumber, ballot: Ballot)
    /// A snapshot point: every instance through `through` is chosen and applied, and lives in
    /// the replicated file (`bytes` bytes of it) and no longer in the log. Opens a checkpoint
    /// (`PaxosNode.compact(through:)`) or a snapshot's metadata; the `appliedCommand` records
    /// that follow it are the applied state's table at that point.
    case compacted(through: InstanceNumber, fileBytes: UInt64)
    /// Part of a snapshot's applied state: `command` was first applied at `instance`.
    case appliedCommand(CommandID, instance: InstanceNumber)
}

/// One entry of a snapshot's table of applied commands.
public struct AppliedCommand: Hashable, Sendable {
    public var command: CommandID
    public var instance: InstanceNumber

    public init(command: CommandID, instance: InstanceNumber) {
        self.command = command
        self.instance = instance
    }
}

/// Everything a node keeps across a crash, rebuilt by replaying the log in order.
///
/// Kept in `InstanceMap`s, the form the core works on: a restart replays each record with an
/// index computation instead of a hash, and the core takes the maps over as they are.
public struct DurableState: Hashable, Sendable {
    public var acceptors = InstanceMap<AcceptorState>()
    public var chosen = InstanceMap<Command>()
    public var rangePromise = RangePromise.none
    public var highestRound: UInt64 = 0
    public var incarnation: UInt64 = 0
    public var rejoin = RejoinProgress.none
    /// The latest snapshot point (`DurableRecord.compacted`): instances through it are in the
    /// replicated file, whose first `compactedFileBytes` bytes hold them.
    public var compactedThrough: InstanceNumber = 0
    public var compactedFileBytes: UInt64 = 0
    /// The applied state's table at `compactedThrough`, oldest first.
    public var appliedCommands: [AppliedCommand] = []
    /// While replaying the table of a snapshot point not newer than the one held (a checkpoint
    /// and a snapshot file of the same point): its entries are already here.
    private var skippingStaleTable = false

    public init() {}

    public mutating func apply(_ record: DurableRecord) {
        if case .appliedCommand(let command, let instance) = record {
            if !skippingStaleTable { appliedCommands.append(AppliedCommand(command: command, instance: instance)) }
            return
        }
        skippingStaleTable = false
        switch record {
        // Each record changes the acceptor's state in place (one lookup): a restart replays
        // the whole log, record by record.
        case .promised(let instance, let ballot):
            guard instance > compactedThrough, !chosen.contains(instance) else { return }
            if acceptors.update(instance, { $0.replayPromise(ballot) }) == nil {
                acceptors[instance] = AcceptorState(promised: ballot)
            }
        case .accepted(let instance, let proposal):
            guard instance > compactedThrough, !chosen.contains(instance) else { return }
            if acceptors.update(instance, { $0.replayAccept(proposal) }) == nil {
                acceptors[instance] = AcceptorState(promised: proposal.ballot, accepted: proposal)
            }
        case .chosen(let instance, let command):
            // The acceptor state stays (what it promised and accepted is part of the story a
            // scenario prints), but it is never consulted again: any later Prepare or Accept for
            // a chosen instance is answered with the chosen value.
            guard instance > compactedThrough else { return }
            chosen[instance] = command
        case .compacted(let through, let fileBytes):
            // Checkpoints and snapshot files may be replayed in either order: the newest point wins.
            guard through > compactedThrough else {
                skippingStaleTable = true
                return
            }
            compactedThrough = through
            compactedFileBytes = fileBytes
            appliedCommands = []
            chosen.removeAll(through: through)
            acceptors.removeAll(through: through)
        case .appliedCommand:
            break
        case .promisedFrom(let from, let ballot):
            rangePromise.extend(from: from, ballot: ballot)
        case .round(let round):
            highestRound = max(highestRound, round)
        case .incarnation(let incarnation):
            self.incarnation = max(self.incarnation, incarnation)
        case .rejoinStarted(let floor):
            // The new life's incarnation and rounds are above the floor (`PaxosNode.init` adds one).
            incarnation = max(incarnation, floor)
            highestRound = max(highestRound, floor)
            rejoin = .fencing
        case .rejoinFenced(let from, let ballot):
            rangePromise.extend(from: from, ballot: ballot)
            rejoin = .fenced(from: from, ballot: ballot)
        }
    }

    // Inlinable so that the storage module's call is specialized: unspecialized, every record
    // went through the generic iterator's witness table.
    @inlinable
    public init(replaying records: some Sequence<DurableRecord>) {
        self.init()
        for record in records { apply(record) }
    }
}

private extension AcceptorState {
    mutating func replayPromise(_ ballot: Ballot) {
        promised = max(promised, ballot)
    }

    /// An accept implies a promise of its ballot.
    mutating func replayAccept(_ proposal: AcceptedProposal) {
        promised = max(promised, proposal.ballot)
        if (accepted?.ballot ?? .zero) <= proposal.ballot { accepted = proposal }
    }
}
