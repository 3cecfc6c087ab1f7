import PaxosCore
import PaxosStorage

/// The real write-ahead log (`PaxosLog`: length + CRC32C frames, torn-tail recovery) and the
/// real snapshot store (`SnapshotReceiver`, `SnapshotStore`) over the storage's in-memory file
/// system, whose crash loses unsynced bytes and may tear the last write at any byte. Start-up is
/// `PaxosLog.open` and `StartingState.choose`, as in a node process.
struct WALDisk: SimulatedDisk {
    private static let directory = "/node"
    /// Small segments and a small preallocation step: every run rolls over segments and
    /// recovers logs that end in zeros, and the in-memory disk holds kilobytes, not the live
    /// node's megabytes of preallocated space (which made the simulator four times slower).
    private static let options = WALOptions(segmentBytesMax: 256 << 10, preallocationStepBytes: 4 << 10)
    private let fileSystem = InMemoryFileSystem()
    private var log: PaxosLog?
    /// Appends staged in the log's memory (`PaxosLog.stage`), not written yet; appends written
    /// and not synced; how many appends the log's last write held.
    private var stagedAppends = 0
    private var hasUnsyncedWrites = false
    private var appendsInLastWrite = 0
    /// The checkpoint segment before which segments were deleted: once a newer checkpoint is
    /// synced, the segments older than it go.
    private var removedBefore: UInt64 = 0
    private let snapshots: SnapshotStore
    /// The snapshot transfer under way; whether snapshots may be stored (only then do
    /// compactions look for older ones to delete), and the newest one stored.
    private var receiver: SnapshotReceiver?
    private var mayHoldSnapshots = false
    private var newestStored: UInt64 = 0
    private(set) var lastWriteIsSnapshotChunk = false

    init() throws {
        log = try PaxosLog.open(directory: Self.directory, fileSystem: fileSystem, options: Self.options).log
        snapshots = try SnapshotStore(dataDirectory: Self.directory, fileSystem: fileSystem)
    }

    /// Staged, as the live node's thread does (`GroupCommitLog`): nothing reaches the file
    /// until the next fsync starts, and a crash before that loses it.
    mutating func append(_ records: [DurableRecord]) throws {
        guard !records.isEmpty, let log else { return }
        try log.stage(records)
        stagedAppends += 1
    }

    /// The live fsync thread's write: everything staged, in one write.
    mutating func startSync() throws {
        guard stagedAppends > 0, let log else { return }
        try log.writeStaged()
        noteWrite(appends: stagedAppends)
    }

    private mutating func noteWrite(appends: Int) {
        appendsInLastWrite = appends
        stagedAppends = 0
        hasUnsyncedWrites = true
        lastWriteIsSnapshotChunk = false
    }

    var lastWriteHoldsSeveralAppends: Bool { !lastWriteIsSnapshotChunk && appendsInLastWrite > 1 }

    mutating func sync() throws {
        guard hasUnsyncedWrites, let log else { return }
        try log.syncWritten()
        hasUnsyncedWrites = false
        if let segment = log.syncedCheckpointSegment, segment > removedBefore {
            try log.removeSegments(before: segment)
            removedBefore = segment
        }
    }

    mutating func compact(checkpoint: [DurableRecord]) throws {
        guard let log else { return }
        // Staged, as the live node does (`GroupCommitLog.compact`): the next fsync starts the
        // checkpoint's segment after the records staged before it.
        try log.stageCompaction(checkpoint: checkpoint)
        stagedAppends += 1
    }

    // MARK: Snapshots received from a peer

    var storesSnapshots: Bool { true }

    mutating func receiveSnapshot(instance: UInt64, totalBytes: Int) throws -> Int {
        receiver?.close()
        let receiver = try SnapshotReceiver(store: snapshots, instance: instance, totalBytes: totalBytes)
        self.receiver = receiver
        mayHoldSnapshots = true
        return receiver.receivedBytes
    }

    mutating func writeSnapshotChunk(of image: [UInt8], bytesMax: Int) throws {
        guard let receiver else { throw StorageError(kind: .closed, path: snapshots.directory, description: "no snapshot transfer") }
        let start = receiver.receivedBytes
        try receiver.write(Array(image[start..<min(image.count, start + bytesMax)]), at: start)
        lastWriteIsSnapshotChunk = true
    }

    mutating func syncSnapshotChunk() throws -> Bool {
        guard let receiver else { throw StorageError(kind: .closed, path: snapshots.directory, description: "no snapshot transfer") }
        try receiver.sync()
        lastWriteIsSnapshotChunk = false
        return receiver.isComplete
    }

    mutating func finishSnapshot() throws -> Snapshot {
        guard let receiver else { throw StorageError(kind: .closed, path: snapshots.directory, description: "no snapshot transfer") }
        self.receiver = nil
        let snapshot = try receiver.finish()
        newestStored = max(newestStored, snapshot.instance)
        return snapshot
    }

    func snapshotParts(_ snapshot: Snapshot) throws -> (metadata: [UInt8], fileBytes: [UInt8]) {
        (snapshot.metadata, try fileSystem.read(snapshot.path, offset: snapshot.fileBytesOffset, count: snapshot.fileByteCount))
    }

    func snapshotBytes(_ snapshot: Snapshot) throws -> [UInt8] {
        try fileSystem.read(snapshot.path, offset: 0, count: snapshot.totalBytes)
    }

    mutating func removeSnapshots(olderThan instance: UInt64) throws {
        guard mayHoldSnapshots else { return }
        try snapshots.removeSnapshots(olderThan: instance)
        // Past the newest snapshot stored, with no transfer under way, none is left.
        if instance > newestStored && receiver == nil { mayHoldSnapshots = false }
    }

    mutating func discardSnapshot(_ snapshot: Snapshot) {
        try? fileSystem.remove(snapshot.path)
    }

    mutating func crash(tearLastWrite: Bool, random: inout SplitMix64) -> Bool {
        let torn = tearLastWrite ? fileSystem.lastUnsyncedWriteByteCount : nil
        // Anywhere inside the last write, both ends included: nothing of it, or all of it.
        let kept = torn.map { Int(random.next() % UInt64($0 + 1)) }
        // The write torn is the log's, or a chunk of a snapshot transfer.
        let (tornPath, end) = lastWriteIsSnapshotChunk
            ? (receiver?.partialPath, receiver?.receivedBytes ?? 0) : (log?.path, log?.currentSegmentSize ?? 0)
        fileSystem.crash(tearLastWrite: torn != nil, tornBytes: kept)
        // Half the time the sector being written when the power went holds garbage, not the
        // bytes meant for it: one byte among the last few kept is wrong. Only the CRC can
        // tell; recovery must drop the record as a torn tail (nothing after it is valid, and
        // it was never synced, so never acknowledged). A snapshot's checksum must catch it.
        if let torn, let kept, kept > 0, random.next() % 2 == 0, let path = tornPath {
            let keptEnd = end - torn + kept
            fileSystem.flipByte(path: path, offset: keptEnd - 1 - Int(random.next() % UInt64(min(kept, 8))))
        }
        log?.close()
        log = nil
        receiver?.close()
        receiver = nil
        lastWriteIsSnapshotChunk = false
        hasUnsyncedWrites = false
        stagedAppends = 0
        appendsInLastWrite = 0
        removedBefore = 0
        return torn != nil
    }

    mutating func start() throws -> StartingState {
        let (log, state) = try PaxosLog.open(directory: Self.directory, fileSystem: fileSystem, options: Self.options)
        self.log = log
        return try StartingState.choose(log: state, snapshots: snapshots)
    }
}
