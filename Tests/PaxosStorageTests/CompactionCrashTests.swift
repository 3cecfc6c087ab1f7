import PaxosCore
import PaxosStorage
import Testing

/// DESIGN.md 7.3 for compaction: a crash at any point leaves the old log or the new one,
/// and nothing acknowledged is lost.
@Suite("Compaction at every crash point")
struct CompactionCrashTests {
    let directory = "/data/node1"
    /// Small segments, so the log has several before it is compacted (a record is 50 bytes);
    /// the checkpoint and the records after it fit in one.
    let options = WALOptions(segmentBytesMax: 300, preallocationStepBytes: 64)
    let before = (1...12).map { chosenRecord($0) }
    let checkpoint: [DurableRecord] = [.incarnation(2), .round(9), chosenRecord(12, "kept by the checkpoint")]
    let after = [chosenRecord(13), chosenRecord(14)]

    @Test(arguments: [false, true])
    func aCrashAnywhereInACompactionLeavesTheOldOrTheNewLog(tear: Bool) throws {
        let points = try atEveryCrashPoint(tear: tear, setUp: { disk in
            let (log, _) = try PaxosLog.open(directory: directory, fileSystem: disk, options: options)
            for record in before {
                try log.append([record])
                try log.sync()
            }
            #expect(log.segmentSequences.count >= 2)
            log.close()
        }, operation: { disk, acknowledged in
            let (log, _) = try PaxosLog.open(directory: directory, fileSystem: disk, options: options)
            let sequence = try log.compact(checkpoint: checkpoint)
            try log.sync()
            acknowledged = 1  // the compaction is durable: the new log must come back
            try log.removeSegments(before: sequence)
            try log.append(after)
            try log.sync()
            acknowledged = 2
            log.close()
        }, check: { memory, step, acknowledged in
            let records = try PaxosLog.readRecords(directory: directory, fileSystem: memory)
            let isOld = records == before
            let isNew = records == checkpoint || records == checkpoint + after
                || records == checkpoint + after.prefix(1)
            #expect(isOld || isNew, "crash before change \(step): \(records.count) records")
            if acknowledged >= 1 { #expect(isNew, "crash before change \(step): the durable compaction was lost") }
            // Recovery finishes the compaction (or forgets it) and a second crash changes nothing.
            let (log, state) = try PaxosLog.open(directory: directory, fileSystem: memory, options: options)
            #expect(state == DurableState(replaying: records))
            if isNew { #expect(log.segmentSequences.count == 1, "older segments deleted by recovery") }
            try log.append([.round(99)])
            try log.sync()
            log.close()
            memory.crash()
            #expect(try PaxosLog.readRecords(directory: directory, fileSystem: memory) == records + [.round(99)])
        })
        #expect(points > 10)
    }

    /// The live node stages a compaction between records (`GroupCommitLog.compact`), and the
    /// fsync thread's write makes the switch: the records staged before the checkpoint end the
    /// old segment, those staged after follow it in the new one. A crash anywhere in that sync
    /// leaves the old log (with some of the records before) or the new one.
    @Test(arguments: [false, true])
    func aStagedCompactionWrittenByTheNextSyncLeavesTheOldOrTheNewLog(tear: Bool) throws {
        let staged = [chosenRecord(13), chosenRecord(14)]
        let later = [chosenRecord(15)]
        let points = try atEveryCrashPoint(tear: tear, setUp: { disk in
            let (log, _) = try PaxosLog.open(directory: directory, fileSystem: disk, options: options)
            try log.append(before)
            try log.sync()
            log.close()
        }, operation: { disk, acknowledged in
            let (log, _) = try PaxosLog.open(directory: directory, fileSystem: disk, options: options)
            let segments = log.segmentSequences
            try log.stage(staged)
            try log.stageCompaction(checkpoint: checkpoint)
            try log.stage(later)
            #expect(log.segmentSequences == segments, "staging starts no segment")
            #expect(log.syncedCheckpointSegment == nil)
            try log.sync()
            acknowledged = 1
            let checkpointSegment = try #require(log.syncedCheckpointSegment)
            #expect(checkpointSegment > segments.last! && log.segmentSequences.last == checkpointSegment)
            try log.removeSegments(before: checkpointSegment)
            log.close()
        }, check: { memory, step, acknowledged in
            let records = try PaxosLog.readRecords(directory: directory, fileSystem: memory)
            let isOld = (0...staged.count).contains { records == before + staged.prefix($0) }
            let isNew = records == checkpoint || records == checkpoint + later
            #expect(isOld || isNew, "crash before change \(step): \(records.count) records")
            if acknowledged >= 1 { #expect(records == checkpoint + later, "crash before change \(step): the synced compaction was lost") }
        })
        #expect(points > 5)
    }

    @Test func aCheckpointCutShortIsDiscardedAndTheOlderSegmentsUsed() throws {
        let memory = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: directory, fileSystem: memory, options: options)
        try log.append(before)
        try log.sync()
        _ = try log.compact(checkpoint: checkpoint)
        // The checkpoint segment is named (the directory was synced), its frames torn half way.
        memory.crash(tearLastWrite: true)
        let (reopened, state) = try PaxosLog.open(directory: directory, fileSystem: memory, options: options)
        reopened.close()
        #expect(state == DurableState(replaying: before))
        #expect(reopened.recovery.discardedIncompleteCheckpoints == 1)
        #expect(reopened.segmentSequences == [1])
        #expect(try memory.listDirectory(directory + "/wal") == [WALSegmentNames.fileName(sequence: 1)])
    }

    @Test func aCheckpointSegmentWithNothingOnDiskIsJustAnEmptyLastSegment() throws {
        let memory = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: directory, fileSystem: memory, options: options)
        try log.append(before)
        try log.sync()
        _ = try log.compact(checkpoint: checkpoint)
        memory.crash()  // named, but none of its bytes reached the disk
        let (reopened, state) = try PaxosLog.open(directory: directory, fileSystem: memory, options: options)
        #expect(state == DurableState(replaying: before))
        try reopened.append(after)
        try reopened.sync()
        reopened.close()
        #expect(try PaxosLog.readRecords(directory: directory, fileSystem: memory) == before + after)
    }

    @Test func recoveryStartsFromTheNewestCompleteCheckpointAndDeletesWhatItSupersedes() throws {
        let memory = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: directory, fileSystem: memory, options: options)
        try log.append(before)
        let sequence = try log.compact(checkpoint: checkpoint)
        try log.append(after)
        try log.sync()
        log.close()  // the old segments were never deleted: a crash before removeSegments
        let (reopened, state) = try PaxosLog.open(directory: directory, fileSystem: memory, options: options)
        reopened.close()
        #expect(state == DurableState(replaying: checkpoint + after))
        #expect(reopened.recovery.checkpointRecords == checkpoint.count)
        #expect(reopened.recovery.removedSegments == 1)
        #expect(reopened.segmentSequences == [sequence])
    }

    @Test func groupCommitDeletesTheOlderSegmentsBeforeTheCompactionTicketIsDurable() async throws {
        let memory = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: directory, fileSystem: memory, options: options)
        let group = GroupCommitLog(log: log)
        for record in before { try await group.appendDurably([record]) }
        let oldSegments = log.segmentSequences
        #expect(oldSegments.count >= 2)
        let ticket = try group.compact(checkpoint: checkpoint)
        let next = try group.append(after)
        #expect(next == ticket + 1)
        try await group.waitUntilDurable(next)
        #expect(log.segmentSequences == [oldSegments.last! + 1])
        #expect(group.logSizeBytes == log.size)
        group.close()
        memory.crash()
        #expect(try PaxosLog.readRecords(directory: directory, fileSystem: memory) == checkpoint + after)
        let names = try memory.listDirectory(directory + "/wal")
        #expect(names == [WALSegmentNames.fileName(sequence: oldSegments.last! + 1)])
    }
}
