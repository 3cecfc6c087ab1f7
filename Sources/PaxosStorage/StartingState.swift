import PaxosCore

/// The start-up decision of bounded history: which durable state a node starts from, its log's
/// or a stored snapshot newer than the log's snapshot point. The live node (`NodeService.run`)
/// and the simulator's restarts both call `choose`, so the crashes the simulator injects in the
/// middle of a snapshot install are judged by the rule that runs.
///
/// Why a snapshot can be newer than the log: installing a peer's snapshot stores it whole first
/// (verified, renamed into place, directory synced), then replaces the replicated file, then
/// writes the log's checkpoint. A stop between the store and the checkpoint's sync leaves the
/// log at its old point and the snapshot in place: the node starts from the snapshot (its
/// applied state, then the log's records above it; older records are dropped by the
/// `compacted` record's replay). A transfer cut short (a partial file, possibly torn) or a
/// temporary file is never a snapshot: the node starts from its log, as if the install had not
/// begun. A snapshot file that fails its checks (size, name, checksum) is deleted: it was
/// written whole before its rename, so a bad one is damage, and the log still holds the state.
public struct StartingState {
    /// What the node starts from.
    public var state: DurableState
    /// The stored snapshot the state includes (newer than the log's point), if any: the
    /// replicated file must be its file bytes followed by the log's lines above it.
    public var snapshot: Snapshot?
    /// Snapshot files found unfit and deleted (temporary files of a write cut short, torn or
    /// damaged snapshots).
    public var discardedSnapshotFiles: [String]
    /// Transfers from a peer cut short, kept so that the next transfer of the same snapshot
    /// resumes (never used as a snapshot).
    public var partialTransfers: [String]

    public init(state: DurableState, snapshot: Snapshot? = nil, discardedSnapshotFiles: [String] = [], partialTransfers: [String] = []) {
        self.state = state
        self.snapshot = snapshot
        self.discardedSnapshotFiles = discardedSnapshotFiles
        self.partialTransfers = partialTransfers
    }

    /// `recovered` is what `PaxosLog.open` read back.
    public static func choose(log recovered: DurableState, snapshots: SnapshotStore) throws -> StartingState {
        var discarded: [String] = []
        var state = recovered
        var used: Snapshot? = nil
        if let latest = try snapshots.latest(discarding: &discarded), latest.instance > recovered.compactedThrough {
            let records = try SnapshotMetadata.decode(latest.metadata)
            guard case .compacted(let point, _)? = records.first, point == latest.instance else {
                throw SnapshotFormat.invalid(latest.path, "its applied state is for another instance than \(latest.instance)")
            }
            for record in records { state.apply(record) }
            used = latest
        }
        return StartingState(state: state, snapshot: used, discardedSnapshotFiles: discarded,
                             partialTransfers: try snapshots.partialTransfers())
    }
}
