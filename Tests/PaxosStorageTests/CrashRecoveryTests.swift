import PaxosCore
import PaxosStorage
import Testing

/// DESIGN.md section 7.3: crash at every point, on the simulated disk that loses power.
@Suite("Crash recovery on the in-memory disk")
struct CrashRecoveryTests {
    let directory = "/data/node1"
    var walPath: String { firstSegmentPath(directory) }

    @Test func unsyncedRecordsAreLostAndSyncedRecordsKept() throws {
        let fileSystem = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        try log.append([chosenRecord(1)])
        try log.sync()
        try log.append([chosenRecord(2)])
        fileSystem.crash()
        #expect { try log.append([chosenRecord(3)]) } throws: { _ in true }  // the dead process's handle

        let (reopened, state) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        reopened.close()
        #expect(state.chosen.instances == [1])
    }

    /// `sync`'s two halves apart (as the simulator runs them, and as the live fsync thread
    /// meets records staged while its fsync runs): the fsync covers what was written when it
    /// started; what was staged after stays in memory and dies with the process.
    @Test func recordsStagedWhileAnFsyncRunsAreNotCoveredByIt() throws {
        let fileSystem = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        try log.stage([chosenRecord(1)])
        try log.stage([chosenRecord(2)])
        try log.writeStaged()
        try log.stage([chosenRecord(3)])
        try log.syncWritten()
        #expect(fileSystem.lastUnsyncedWriteByteCount == nil)  // record 3 never reached the file
        fileSystem.crash()

        let (reopened, state) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        reopened.close()
        #expect(state.chosen.instances == [1, 2])
    }

    /// One write holds the records of several steps: a crash may tear it inside any of them.
    /// Recovery keeps the whole records before the tear, in order, and nothing after it.
    @Test func aWriteOfSeveralStepsTornAnywhereKeepsTheWholeRecordsBeforeTheTear() throws {
        let steps = [[chosenRecord(1)], [chosenRecord(2), .round(7)], [chosenRecord(3, "the third step")]]
        let sizes = try steps.flatMap { try $0.map(framedSize) }
        let total = sizes.reduce(0, +)
        for tornBytes in 0...total {
            let fileSystem = InMemoryFileSystem()
            let (log, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
            for step in steps { try log.stage(step) }
            try log.writeStaged()
            #expect(fileSystem.lastUnsyncedWriteByteCount == total)
            let written = try fileSystem.readFile(walPath)[0..<total]
            fileSystem.crash(tearLastWrite: true, tornBytes: tornBytes)

            let (reopened, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
            reopened.close()
            let records = try PaxosLog.readRecords(directory: directory, fileSystem: fileSystem)
            // A record is whole if the tear kept it, or kept all of it but trailing zero bytes
            // (the preallocated file holds zeros there: the frame reads back exactly).
            var whole = 0, end = 0
            while whole < sizes.count, end + sizes[whole] <= tornBytes
                || (end < tornBytes && nonzeroExtent(written[end..<(end + sizes[whole])]) <= tornBytes - end) {
                end += sizes[whole]; whole += 1
            }
            #expect(records == Array(steps.joined().prefix(whole)), "torn after \(tornBytes) bytes")
        }
    }

    @Test func aNewLogSurvivesACrashRightAfterOpeningBecauseItsDirectoryWasSynced() throws {
        let fileSystem = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        log.close()
        fileSystem.crash()
        #expect(fileSystem.exists(walPath))
    }

    /// The write being torn was never synced, so never acknowledged: dropping it is safe, and
    /// everything before it must survive, at whichever byte the power went.
    @Test func aTornLastRecordIsDroppedAtEveryByteOffsetAndEverythingBeforeKept() throws {
        let before = [chosenRecord(1), .round(4), chosenRecord(2)]
        let last = chosenRecord(3, "the last value, torn")
        let lastSize = try framedSize(last)
        for tornBytes in 0...lastSize {
            let fileSystem = InMemoryFileSystem()
            let (log, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
            try log.append(before)
            try log.sync()
            let goodSize = log.size
            try log.append([last])
            let lastBytes = try fileSystem.readFile(walPath)[goodSize..<(goodSize + lastSize)]
            #expect(fileSystem.lastUnsyncedWriteByteCount == lastSize)
            fileSystem.crash(tearLastWrite: true, tornBytes: tornBytes)

            let (reopened, state) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
            let records = try PaxosLog.readRecords(directory: directory, fileSystem: fileSystem)
            if tornBytes == lastSize {
                // Written whole but not synced: it may survive, and does here.
                #expect(records == before + [last])
                #expect(reopened.recovery.droppedTailBytes == 0)
            } else {
                #expect(records == before, "torn after \(tornBytes) bytes")
                #expect(state == DurableState(replaying: before))
                #expect(reopened.recovery.droppedTailBytes == nonzeroExtent(lastBytes.prefix(tornBytes)))
                #expect(reopened.size == goodSize)
                // The cut was synced: a second crash right away finds the same log, zeros after it.
                fileSystem.crash()
                #expect(try PaxosLog.readRecords(directory: directory, fileSystem: fileSystem) == before)
                let zerosAfterTheCut = isAllZeros(try fileSystem.readFile(walPath)[goodSize...])
                #expect(zerosAfterTheCut)
            }
            reopened.close()
        }
    }

    @Test func aTornBatchKeepsItsWholeRecordsAndDropsThePartialOne() throws {
        let batch = (1...4).map { chosenRecord($0) }
        let sizes = try batch.map(framedSize)
        let total = sizes.reduce(0, +)
        for tornBytes in 0..<total {
            let fileSystem = InMemoryFileSystem()
            let (log, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
            try log.append(batch)
            fileSystem.crash(tornBytes: tornBytes)
            log.close()
            var whole = 0
            var covered = 0
            while whole < sizes.count, covered + sizes[whole] <= tornBytes {
                covered += sizes[whole]
                whole += 1
            }
            let (reopened, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
            reopened.close()
            #expect(try PaxosLog.readRecords(directory: directory, fileSystem: fileSystem) == Array(batch.prefix(whole)))
        }
    }

    @Test func afterDroppingATornTailNewRecordsFollowTheLastGoodOne() throws {
        let fileSystem = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        try log.append([chosenRecord(1)])
        try log.sync()
        try log.append([chosenRecord(2)])
        fileSystem.crash(tornBytes: 5)

        let (reopened, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        try reopened.append([chosenRecord(3)])
        try reopened.sync()
        fileSystem.crash()
        #expect(try PaxosLog.readRecords(directory: directory, fileSystem: fileSystem) == [chosenRecord(1), chosenRecord(3)])
    }

    @Test func aZeroFilledTailIsTheNormalEndNotDamage() throws {
        // Preallocated space, or ext4 persisting a file's new size before its data: zeros.
        let fileSystem = InMemoryFileSystem()
        let disk = Disk(fileSystem: fileSystem, directory: directory)
        let (_, size) = try writeLog([chosenRecord(1), chosenRecord(2)], on: disk)
        fileSystem.overwrite(path: walPath, with: try fileSystem.readFile(walPath) + [UInt8](repeating: 0, count: 4096))
        let (log, state) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        log.close()
        #expect(state.chosen.count == 2)
        #expect(log.recovery.droppedTailBytes == 0)
        #expect(log.size == size)
    }

    @Test func aResetInterruptedByACrashLeavesTheOldOrTheNewLogNeverAMix() throws {
        let records = [chosenRecord(1), chosenRecord(2)]
        // Crash with nothing synced after the reset's own syncs: the reset is complete.
        let fileSystem = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: directory, fileSystem: fileSystem)
        try log.append(records)
        try log.sync()
        try log.reset(keepingIncarnation: 3)
        fileSystem.crash()
        #expect(try PaxosLog.readRecords(directory: directory, fileSystem: fileSystem) == [.incarnation(3)])

        // A temporary file written and synced but never renamed: the reset did not happen.
        let other = InMemoryFileSystem()
        let disk = Disk(fileSystem: other, directory: directory)
        try writeLog(records, on: disk)
        var incarnationOnly: [UInt8] = []
        try WALFormat.appendFrame(of: .incarnation(3), to: &incarnationOnly)
        other.overwrite(path: walPath + FilePaths.temporarySuffix, with: incarnationOnly)
        other.crash()
        #expect(try PaxosLog.readRecords(directory: directory, fileSystem: other) == records)
    }

    private func framedSize(_ record: DurableRecord) throws -> Int {
        var buffer: [UInt8] = []
        try WALFormat.appendFrame(of: record, to: &buffer)
        return buffer.count
    }
}
