import PaxosCore

/// Reads the segments of a log and decides what the log is, without changing anything; PaxosLog
/// then carries out the plan (deletes, cuts) so that `readRecords` and `open` agree.
///
/// Where the log starts: at the newest segment that opens with a complete checkpoint (every
/// older segment was superseded by it, and is deleted), or at the oldest segment if none does.
/// A newest segment whose checkpoint is incomplete is a compaction cut short by a crash: nothing
/// in it was acknowledged (the compaction's ticket, and every later one, waits for the fsync of
/// the whole checkpoint), so it is discarded and the older segments are the log.
/// Only the last segment may end torn; earlier ones were synced before the next one was started.
struct WALRecovery {
    struct Segment: Equatable {
        var sequence: UInt64
        var path: String
        var validBytes: Int
        var fileBytes: Int
    }

    /// The live segments, oldest first; the writer continues in the last.
    var segments: [Segment] = []
    var records: [DurableRecord] = []
    /// Segments older than the starting checkpoint, and a discarded incomplete checkpoint.
    var obsoletePaths: [String] = []
    var discardedIncompleteCheckpoints = 0
    /// Records of the checkpoint the log starts from, if it starts from one.
    var checkpointRecords: Int?
    var droppedTailBytes = 0
    var droppedTailReason: String?

    static func plan(walDirectory: String, fileSystem: any FileSystem) throws -> WALRecovery {
        var plan = WALRecovery()
        let sequences = try WALSegmentNames.sequences(in: walDirectory, fileSystem: fileSystem)
        let paths = sequences.map { FilePaths.join(walDirectory, WALSegmentNames.fileName(sequence: $0)) }
        var scans: [SegmentScan] = []  // newest first, as read
        var last = sequences.count - 1
        var start = 0
        var index = sequences.count - 1
        while index >= 0 {
            let scan = try SegmentScan.scan(try fileSystem.readFile(paths[index]), path: paths[index])
            if index < last, case .torn(let reason, _) = scan.ending {
                throw StorageError.corruptRecord(path: paths[index], offset: scan.validBytes,
                                                 reason: "\(reason), in a segment that is not the last")
            }
            switch try scan.checkpoint(path: paths[index]) {
            case .none:
                scans.append(scan)
            case .complete(let count):
                scans.append(scan)
                plan.checkpointRecords = count
                start = index
                index = -1
                continue
            case .incomplete:
                guard index == last else {
                    throw StorageError(kind: .corruption, path: paths[index],
                                       description: "\(paths[index]): an incomplete checkpoint in a segment that is not the last (refusing to start)")
                }
                plan.obsoletePaths.append(paths[index])
                plan.discardedIncompleteCheckpoints += 1
                last -= 1
            }
            index -= 1
        }
        plan.obsoletePaths += paths[..<start]
        guard last >= start else { return plan }  // no segment left: a fresh log
        for sequenceIndex in start..<last where sequences[sequenceIndex + 1] != sequences[sequenceIndex] + 1 {
            throw StorageError(kind: .corruption, path: walDirectory,
                               description: "\(walDirectory): segment \(sequences[sequenceIndex] + 1) is missing between \(sequences[sequenceIndex]) and \(sequences[sequenceIndex + 1]) (refusing to start)")
        }
        // `scans` holds the kept segments newest first, possibly after a discarded one.
        let kept = Array(scans.reversed())
        for (offset, scan) in kept.enumerated() {
            let sequenceIndex = start + offset
            plan.segments.append(Segment(sequence: sequences[sequenceIndex], path: paths[sequenceIndex],
                                         validBytes: scan.validBytes, fileBytes: scan.fileBytes))
            plan.records += scan.records
        }
        if let scan = kept.last, case .torn(let reason, let bytes) = scan.ending {
            plan.droppedTailBytes = bytes
            plan.droppedTailReason = reason
        }
        return plan
    }
}
