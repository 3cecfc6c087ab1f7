import PaxosCore
import PaxosStorage
import Testing

@Suite("Write-ahead log")
struct PaxosLogTests {
    @Test(arguments: DiskKind.allCases)
    func aFreshLogCreatesItsDirectoryAndFileAndRecoversAnEmptyState(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let (log, state) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
            defer { log.close() }
            #expect(state == DurableState())
            #expect(log.recovery.created)
            #expect(disk.fileSystem.exists(disk.walPath))
            #expect(log.path == disk.walPath)
        }
    }

    @Test(arguments: DiskKind.allCases)
    func everyKindOfRecordSurvivesAppendSyncAndReopen(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            try writeLog(everyKindOfRecord, on: disk)
            #expect(try PaxosLog.readRecords(directory: disk.directory, fileSystem: disk.fileSystem) == everyKindOfRecord)
            let (log, state) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
            defer { log.close() }
            #expect(state == DurableState(replaying: everyKindOfRecord))
            #expect(log.recovery.records == everyKindOfRecord.count)
            #expect(log.recovery.droppedTailBytes == 0)
            #expect(!log.recovery.created)
        }
    }

    @Test(arguments: DiskKind.allCases)
    func aReopenedLogAppendsAfterWhatItRecovered(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            try writeLog([chosenRecord(1), chosenRecord(2)], on: disk)
            try writeLog([chosenRecord(3)], on: disk)
            let records = try PaxosLog.readRecords(directory: disk.directory, fileSystem: disk.fileSystem)
            #expect(records == [chosenRecord(1), chosenRecord(2), chosenRecord(3)])
        }
    }

    @Test(arguments: DiskKind.allCases)
    func severalRecordsInOneAppendAreReadBackInOrder(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let (log, _) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
            try log.append(everyKindOfRecord)
            try log.sync()
            log.close()
            #expect(try PaxosLog.readRecords(directory: disk.directory, fileSystem: disk.fileSystem) == everyKindOfRecord)
        }
    }

    @Test(arguments: DiskKind.allCases)
    func resetKeepsOnlyTheIncarnation(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let (log, _) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
            try log.append(everyKindOfRecord)
            try log.sync()
            try log.reset(keepingIncarnation: 5)
            // The log stays usable after a reset, and appends follow the incarnation.
            try log.append([chosenRecord(1)])
            try log.sync()
            log.close()
            let records = try PaxosLog.readRecords(directory: disk.directory, fileSystem: disk.fileSystem)
            #expect(records == [.incarnation(5), chosenRecord(1)])
            #expect(!disk.fileSystem.exists(disk.walPath + FilePaths.temporarySuffix))
        }
    }

    @Test(arguments: DiskKind.allCases)
    func aRecordOverTheSizeLimitIsRefusedAndNothingIsWritten(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let (log, _) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
            defer { log.close() }
            let huge = chosenRecord(2, String(repeating: "x", count: WALFormat.recordPayloadBytesMax))
            #expect {
                try log.append([chosenRecord(1), huge])
            } throws: { error in
                (error as? StorageError)?.kind == .recordTooLarge
            }
            #expect(log.size == 0)
            // Refusing a record is not a failure of the log.
            try log.append([chosenRecord(1)])
            try log.sync()
        }
    }

    /// Appends encode into a buffer the log reuses: a short append after a long one must write
    /// only its own frames, not the stale tail of the earlier ones; and after an append larger
    /// than the buffer the log keeps, the next one must still be right.
    @Test(arguments: DiskKind.allCases)
    func appendsOfDifferentSizesReadBackExactly(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let batches: [[DurableRecord]] = [
                (1...5).map { chosenRecord($0, "value \($0) " + String(repeating: "a", count: 40)) },
                [.round(7)],
                [chosenRecord(6, String(repeating: "b", count: 70_000))],  // over the 64 KiB the log keeps,
                [chosenRecord(7, "c"), .incarnation(2)],
            ]
            let (log, _) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
            for batch in batches { try log.append(batch) }
            try log.sync()
            let expectedSize = try WALFormat.frames(of: batches.flatMap { $0 }).count
            #expect(log.size == expectedSize)
            log.close()
            let records = try PaxosLog.readRecords(directory: disk.directory, fileSystem: disk.fileSystem)
            #expect(records == batches.flatMap { $0 })
        }
    }

    @Test(arguments: DiskKind.allCases)
    func appendingToAClosedLogThrowsClosed(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let (log, _) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
            log.close()
            #expect { try log.append([.round(1)]) } throws: { ($0 as? StorageError)?.kind == .closed }
        }
    }

    /// Versions before segments reset through `paxos.wal.tmp`; a leftover of theirs is dropped.
    @Test func aLeftoverTemporaryFileOfAnInterruptedResetIsRemovedAndTheLogKept() throws {
        let fileSystem = InMemoryFileSystem()
        let disk = Disk(fileSystem: fileSystem, directory: "/data/node1")
        try writeLog([chosenRecord(1)], on: disk)
        let leftover = FilePaths.join(disk.directory, WALSegmentNames.legacyFileName) + FilePaths.temporarySuffix
        fileSystem.overwrite(path: leftover, with: [1, 2, 3])
        let (log, state) = try PaxosLog.open(directory: disk.directory, fileSystem: fileSystem)
        log.close()
        #expect(state.chosen.count == 1)
        #expect(!fileSystem.exists(leftover))
    }

    @Test func aFailedSyncMakesTheLogRefuseEverythingAfterwards() throws {
        let fileSystem = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: fileSystem)
        defer { log.close() }
        try log.append([.round(1)])
        fileSystem.injectSyncFailures(1)
        #expect { try log.sync() } throws: { ($0 as? StorageError)?.kind == .io }
        // The kernel may have dropped the pages and would report success now: never trust it.
        #expect { try log.sync() } throws: { ($0 as? StorageError)?.kind == .logFailed }
        #expect { try log.append([.round(2)]) } throws: { ($0 as? StorageError)?.kind == .logFailed }
    }
}
