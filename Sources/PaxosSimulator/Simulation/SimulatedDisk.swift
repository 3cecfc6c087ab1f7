import PaxosCore
import PaxosStorage

/// The narrow view of a node's storage the simulator needs: its write-ahead log on a disk that
/// can crash, and the snapshots it stores. Writes are volatile until `sync`; a crash loses what
/// was not synced (and may leave a torn piece of the last write, which recovery must discard).
protocol SimulatedDisk {
    /// Hands records to the log, not yet durable: the log may keep them in memory until the
    /// next `startSync` (the live node stages them and its fsync thread writes them).
    mutating func append(_ records: [DurableRecord]) throws
    /// An fsync starts: everything appended so far reaches the file, in one write.
    mutating func startSync() throws
    /// The fsync started last finishes: what `startSync` wrote is durable. Records appended
    /// since wait for the next one.
    mutating func sync() throws
    /// A write of the log's that holds more than one `append`: a crash may tear it between
    /// two steps' records.
    var lastWriteHoldsSeveralAppends: Bool { get }
    /// Power loss. Returns whether a write was torn.
    mutating func crash(tearLastWrite: Bool, random: inout SplitMix64) -> Bool
    /// The node's start-up: what recovery reads back from the log, or a stored snapshot newer
    /// than its point (`StartingState.choose`, the live node's rule).
    mutating func start() throws -> StartingState
    /// A checkpoint that replaces everything written before it once it is synced
    /// (`GroupCommitLog.compact`): until then, a crash leaves the old records.
    mutating func compact(checkpoint: [DurableRecord]) throws

    // Snapshots received from a peer (`WALDisk` only: `storesSnapshots`).
    var storesSnapshots: Bool { get }
    /// The last write is a chunk of a snapshot transfer, not synced: a crash would tear that.
    var lastWriteIsSnapshotChunk: Bool { get }
    /// Starts receiving the snapshot through `instance`, or resumes a transfer of it cut short;
    /// returns how many of its bytes are already here.
    mutating func receiveSnapshot(instance: UInt64, totalBytes: Int) throws -> Int
    /// Writes the next chunk of `image` (the snapshot's bytes), not synced.
    mutating func writeSnapshotChunk(of image: [UInt8], bytesMax: Int) throws
    /// Syncs the chunks written; returns whether the snapshot is complete.
    mutating func syncSnapshotChunk() throws -> Bool
    /// Verifies the complete snapshot and renames it into place.
    mutating func finishSnapshot() throws -> Snapshot
    func snapshotParts(_ snapshot: Snapshot) throws -> (metadata: [UInt8], fileBytes: [UInt8])
    /// The whole snapshot file.
    func snapshotBytes(_ snapshot: Snapshot) throws -> [UInt8]
    mutating func removeSnapshots(olderThan instance: UInt64) throws
    /// Deletes a stored snapshot no longer needed (no directory sync, as the live node).
    mutating func discardSnapshot(_ snapshot: Snapshot)
    /// A disk without files (`RecordDisk`) keeps an installed snapshot's records (its
    /// `compacted` record first) as the live node keeps its file: durable before the core
    /// installs it, and used at start-up when newer than the log's point.
    mutating func storeInstalledSnapshot(_ records: [DurableRecord])
}

/// A disk without files stores no snapshot: installs stay one step of the simulator's model.
extension SimulatedDisk {
    var storesSnapshots: Bool { false }
    var lastWriteIsSnapshotChunk: Bool { false }
    var lastWriteHoldsSeveralAppends: Bool { false }
    mutating func receiveSnapshot(instance: UInt64, totalBytes: Int) throws -> Int { preconditionFailure("no snapshot files") }
    mutating func writeSnapshotChunk(of image: [UInt8], bytesMax: Int) throws { preconditionFailure("no snapshot files") }
    mutating func syncSnapshotChunk() throws -> Bool { preconditionFailure("no snapshot files") }
    mutating func finishSnapshot() throws -> Snapshot { preconditionFailure("no snapshot files") }
    func snapshotParts(_ snapshot: Snapshot) throws -> (metadata: [UInt8], fileBytes: [UInt8]) { preconditionFailure("no snapshot files") }
    func snapshotBytes(_ snapshot: Snapshot) throws -> [UInt8] { preconditionFailure("no snapshot files") }
    mutating func removeSnapshots(olderThan instance: UInt64) {}
    mutating func discardSnapshot(_ snapshot: Snapshot) {}
    mutating func storeInstalledSnapshot(_ records: [DurableRecord]) { preconditionFailure("snapshots are files here") }
}

/// A disk at record granularity, without the log's encoding: synced records survive; unsynced
/// ones are lost, except that a torn crash keeps the earlier unsynced writes and a prefix of the
/// last one (the disk got that far before the power went). For runs that measure the protocol
/// alone; `WALDisk` runs the real storage code.
struct RecordDisk: SimulatedDisk {
    private var durableState = DurableState()
    /// Unsynced writes, each the records of one `append` or one checkpoint.
    private var pending: [(records: [DurableRecord], isCheckpoint: Bool)] = []

    /// How many of `pending` the fsync under way covers (those written when it started).
    private var coveredBySync = 0
    /// The snapshot installed last (`storeInstalledSnapshot`), durable: the live node's stored
    /// file, synced and renamed into place before the install. Without it, a rebuilt node that
    /// caught up by an install said it voted once its step's records were synced while the
    /// decisions below its fence were only in the checkpoint after them, and a crash before the
    /// next fsync brought it back behind its fence (`--disk records`, seed 385).
    private var storedSnapshot: [DurableRecord] = []

    mutating func append(_ records: [DurableRecord]) {
        guard !records.isEmpty else { return }
        pending.append((records, false))
    }

    mutating func startSync() { coveredBySync = pending.count }

    mutating func sync() {
        for write in pending.prefix(coveredBySync) { keep(write.records[...]) }
        pending.removeFirst(coveredBySync)
        coveredBySync = 0
    }

    /// A torn checkpoint counts for nothing: the real log recognises a checkpoint only once it
    /// is whole (`CheckpointMarker`), and keeps the older records until then. Keeping part of
    /// one here would make the node forget what the missing part restates (applied commands,
    /// acceptor states), which no real disk can do.
    mutating func crash(tearLastWrite: Bool, random: inout SplitMix64) -> Bool {
        defer { pending.removeAll(); coveredBySync = 0 }
        guard tearLastWrite, let last = pending.last else { return false }
        for write in pending.dropLast() { keep(write.records[...]) }
        if !last.isCheckpoint { keep(last.records.prefix(Int(random.next() % UInt64(last.records.count)))) }
        return true
    }

    /// The live start-up rule (`StartingState.choose`): a stored snapshot newer than the log's
    /// point is applied over the log's state. Unlike the live node (and `WALDisk`), no checkpoint
    /// of it is taken at start-up (`start` names no snapshot file): the stored snapshot stays the
    /// only copy of that state until the node's next point. That window is wider than the live
    /// node's, and kept so: it is where an early deletion of the snapshot is caught (README,
    /// "Limits").
    func start() throws -> StartingState {
        var state = durableState
        if case .compacted(let point, _)? = storedSnapshot.first, point > state.compactedThrough {
            for record in storedSnapshot { state.apply(record) }
        }
        return StartingState(state: state)
    }

    mutating func storeInstalledSnapshot(_ records: [DurableRecord]) { storedSnapshot = records }

    mutating func removeSnapshots(olderThan instance: UInt64) {
        if case .compacted(let point, _)? = storedSnapshot.first, point < instance { storedSnapshot = [] }
    }

    /// The checkpoint's `compacted` record drops what it covers when replayed, and it restates
    /// everything above: replaying it after the older records is the same as replacing them.
    mutating func compact(checkpoint: [DurableRecord]) {
        guard !checkpoint.isEmpty else { return }
        pending.append((checkpoint, true))
    }

    private mutating func keep(_ records: ArraySlice<DurableRecord>) {
        for record in records { durableState.apply(record) }
    }
}
