import PaxosCore
import PaxosStorage

/// The real write-ahead log (`PaxosLog`: length + CRC32C frames, torn-tail recovery) over the
/// storage's in-memory file system, whose crash loses unsynced bytes and may tear the last write
/// at any byte. Recovery is `PaxosLog.open`, as in a node process.
struct WALDisk: SimulatedDisk {
    private static let directory = "/node"
    /// Small segments and a small preallocation step: every run rolls over segments and
    /// recovers logs that end in zeros, and the in-memory disk holds kilobytes, not the live
    /// node's megabytes of preallocated space (which made the simulator four times slower).
    private static let options = WALOptions(segmentBytesMax: 256 << 10, preallocationStepBytes: 4 << 10)
    private let fileSystem = InMemoryFileSystem()
    private var log: PaxosLog?
    private(set) var hasUnsyncedWrites = false
    /// The segment a checkpoint opened, whose older segments go once it is synced.
    private var compactedSegment: UInt64?

    init() throws {
        log = try PaxosLog.open(directory: Self.directory, fileSystem: fileSystem, options: Self.options).log
    }

    mutating func append(_ records: [DurableRecord]) throws {
        guard !records.isEmpty, let log else { return }
        try log.append(records)
        hasUnsyncedWrites = true
    }

    mutating func sync() throws {
        guard hasUnsyncedWrites, let log else { return }
        try log.sync()
        hasUnsyncedWrites = false
        if let segment = compactedSegment {
            try log.removeSegments(before: segment)
            compactedSegment = nil
        }
    }

    mutating func compact(checkpoint: [DurableRecord]) throws {
        guard let log else { return }
        compactedSegment = try log.compact(checkpoint: checkpoint)
        hasUnsyncedWrites = true
    }

    mutating func crash(tearLastWrite: Bool, random: inout SplitMix64) -> Bool {
        let torn = tearLastWrite ? fileSystem.lastUnsyncedWriteByteCount : nil
        // Anywhere inside the last write, both ends included: nothing of it, or all of it.
        let kept = torn.map { Int(random.next() % UInt64($0 + 1)) }
        let end = log?.currentSegmentSize ?? 0
        fileSystem.crash(tearLastWrite: torn != nil, tornBytes: kept)
        // Half the time the sector being written when the power went holds garbage, not the
        // bytes meant for it: one byte among the last few kept is wrong. Only the CRC can
        // tell; recovery must drop the record as a torn tail (nothing after it is valid, and
        // it was never synced, so never acknowledged).
        if let torn, let kept, kept > 0, random.next() % 2 == 0, let path = log?.path {
            let keptEnd = end - torn + kept
            fileSystem.flipByte(path: path, offset: keptEnd - 1 - Int(random.next() % UInt64(min(kept, 8))))
        }
        log?.close()
        log = nil
        hasUnsyncedWrites = false
        compactedSegment = nil
        return torn != nil
    }

    mutating func recover() throws -> DurableState {
        let (log, state) = try PaxosLog.open(directory: Self.directory, fileSystem: fileSystem, options: Self.options)
        self.log = log
        return state
    }
}
