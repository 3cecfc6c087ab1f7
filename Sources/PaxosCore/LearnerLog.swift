/// The learner's log and the state machine's place in it (DESIGN.md section 10, "Split by
/// role", as etcd raft keeps its `raftLog` apart from the node): what is chosen, how far it is
/// applied, the file lines applied since the snapshot point, and the commands applied recently.
/// `PaxosNode` decides *when* something is chosen, applied, compacted or installed; this type
/// keeps the bookkeeping of each consistent, and nothing else writes these fields.
///
/// What holds after every call (its order checked by `checkInvariants` in debug builds):
/// - `compactedThrough <= appliedThrough <= highestChosen`;
/// - every instance from `compactedThrough + 1` through `appliedThrough` is in `chosen`
///   (`chosen` also keeps a tail below the point, for peers slightly behind);
/// - `fileEntries` are the lines applied above the point, in instance order: one per applied
///   value, none for a no-op or for a command applied before (a retry chosen twice);
/// - `appliedCommands` knows every command applied within its windows, so none is applied twice.
struct LearnerLog: Hashable, Sendable {
    /// Decisions known here: above the snapshot point, and a tail below it.
    private(set) var chosen: InstanceMap<Command>
    /// The contiguous prefix applied to the replicated file.
    private(set) var appliedThrough: InstanceNumber
    /// The highest instance known to be chosen (at least the snapshot point).
    private(set) var highestChosen: InstanceNumber
    /// The lines applied above the snapshot point; the older ones are in the replicated file only.
    private(set) var fileEntries: [FileEntry] = []
    /// The commands applied in the recent log and where: applied once, retries answered.
    private(set) var appliedCommands: AppliedCommands
    /// The snapshot point: every instance up to here is chosen and applied, held in the
    /// replicated file and no longer here (DESIGN.md, "Bounded history").
    private(set) var compactedThrough: InstanceNumber

    /// What applying the next instance did.
    enum Applied: Equatable {
        /// A value applied for the first time: a line of the file.
        case line(FileEntry, CommandID)
        /// A no-op, or a command already applied (a retried submit chosen a second time).
        case skipped
    }

    /// The log a node restarts with: the decisions and applied commands its log holds, applied
    /// from the snapshot point on once the node calls `applyNext`.
    init(recovered: DurableState, clientWindowInstances: UInt64, nodeWindowInstances: UInt64) {
        chosen = recovered.chosen
        compactedThrough = recovered.compactedThrough
        appliedThrough = recovered.compactedThrough
        highestChosen = max(recovered.chosen.highestInstance ?? 0, recovered.compactedThrough)
        appliedCommands = AppliedCommands(clientInstancesMax: clientWindowInstances, nodeInstancesMax: nodeWindowInstances)
        for entry in recovered.appliedCommands { _ = appliedCommands.apply(entry.command, at: entry.instance) }
    }

    /// Whether `instance` is decided as far as this log can tell: known chosen, or below the point.
    func isDecided(_ instance: InstanceNumber) -> Bool {
        instance <= compactedThrough || chosen.contains(instance)
    }

    /// Records that `command` is chosen in `instance`. False, and nothing changes, when the
    /// instance is at or below the snapshot point or its decision is known already.
    mutating func record(_ command: Command, in instance: InstanceNumber) -> Bool {
        guard instance > compactedThrough, !chosen.contains(instance) else { return false }
        chosen[instance] = command
        highestChosen = max(highestChosen, instance)
        return true
    }

    /// Applies the next instance if it is chosen (nil if it is not known yet). A command chosen
    /// a second time is applied once, so every value appears once in the file.
    mutating func applyNext() -> Applied? {
        guard let command = chosen[appliedThrough + 1] else { return nil }
        appliedThrough += 1
        guard case .value(let commandID, let text) = command, appliedCommands.apply(commandID, at: appliedThrough) else {
            appliedCommands.expire(appliedThrough: appliedThrough)
            return .skipped
        }
        let entry = FileEntry(instance: appliedThrough, value: text)
        fileEntries.append(entry)
        return .line(entry, commandID)
    }

    /// Moves the snapshot point to `instance` (applied here): decisions are kept for
    /// `tailInstances` below it, file lines only above it. Returns the applied commands the
    /// point's metadata carries.
    mutating func compact(through instance: InstanceNumber, tailInstances tail: UInt64) -> [DurableRecord] {
        precondition(instance <= appliedThrough, "only applied instances can be compacted")
        precondition(instance >= compactedThrough, "the snapshot point never moves back")
        compactedThrough = instance
        chosen.removeAll(through: instance > tail ? instance - tail : 0)
        // The list keeps its storage: it grows again to the next point (an allocation per
        // doubling, each interval, was one of the simulator's most frequent).
        if let kept = fileEntries.firstIndex(where: { $0.instance > instance }) {
            fileEntries.removeFirst(kept)
        } else {
            fileEntries.removeAll(keepingCapacity: true)
        }
        return appliedCommands.records(through: instance)
    }

    /// A snapshot installed from a peer, whose point is ahead of what is applied here: the log
    /// jumps to it, with the applied commands it carries in place of this node's.
    mutating func install(point: InstanceNumber, appliedCommands applied: [AppliedCommand]) {
        precondition(point > appliedThrough, "a snapshot not ahead of what is applied is ignored before this")
        compactedThrough = point
        appliedThrough = point
        highestChosen = max(highestChosen, point)
        chosen.removeAll(through: point)
        fileEntries.removeAll()
        appliedCommands = AppliedCommands(clientInstancesMax: appliedCommands.clientInstancesMax,
                                          nodeInstancesMax: appliedCommands.nodeInstancesMax)
        for entry in applied { _ = appliedCommands.apply(entry.command, at: entry.instance) }
    }

    /// The order of the three positions and the file lines' place between them, asserted
    /// (debug builds: the tests and the simulator's test runs); the rest follows from the
    /// methods above being the only writers.
    func checkInvariants() {
        assert(compactedThrough <= appliedThrough && appliedThrough <= highestChosen,
               "learner log out of order: point \(compactedThrough), applied \(appliedThrough), chosen \(highestChosen)")
        assert(fileEntries.first.map { $0.instance > compactedThrough } ?? true, "a file line at or below the snapshot point")
        assert(fileEntries.last.map { $0.instance <= appliedThrough } ?? true, "a file line above the applied prefix")
    }
}
