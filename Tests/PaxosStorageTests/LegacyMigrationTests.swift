import PaxosCore
import PaxosStorage
import Testing

/// A data directory of a version before segments: its `paxos.wal` becomes segment 1.
@Suite("Migration of a single-file log")
struct LegacyMigrationTests {
    let records = [chosenRecord(1), .round(3), chosenRecord(2)]

    /// Builds the old layout: `<dir>/paxos.wal` holding `records`, durably.
    func legacyLog(on memory: InMemoryFileSystem) throws {
        var bytes: [UInt8] = []
        for record in records { try WALFormat.appendFrame(of: record, to: &bytes) }
        try memory.createDirectory("/d")
        memory.overwrite(path: "/d/paxos.wal", with: bytes)
    }

    @Test func anOldLogIsMovedIntoTheSegmentDirectoryAndReplayed() throws {
        let memory = InMemoryFileSystem()
        try legacyLog(on: memory)
        #expect(try PaxosLog.readRecords(directory: "/d", fileSystem: memory) == records)
        let (log, state) = try PaxosLog.open(directory: "/d", fileSystem: memory)
        #expect(log.recovery.migratedLegacyLog)
        #expect(state == DurableState(replaying: records))
        try log.append([chosenRecord(3)])
        try log.sync()
        log.close()
        memory.crash()  // the move was durable
        #expect(!memory.exists("/d/paxos.wal"))
        #expect(memory.exists(firstSegmentPath("/d")))
        #expect(try PaxosLog.readRecords(directory: "/d", fileSystem: memory) == records + [chosenRecord(3)])
    }

    @Test func aCrashAtEveryPointOfTheMigrationKeepsTheLogWhole() throws {
        let points = try atEveryCrashPoint(tear: false, setUp: { disk in
            try legacyLog(on: disk.memory)
        }, operation: { disk, _ in
            let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: disk)
            log.close()
        }, check: { memory, step, _ in
            #expect(try PaxosLog.readRecords(directory: "/d", fileSystem: memory) == records, "crash before change \(step)")
            let (log, state) = try PaxosLog.open(directory: "/d", fileSystem: memory)
            log.close()
            #expect(state == DurableState(replaying: records))
            #expect(!memory.exists("/d/paxos.wal"))
        })
        #expect(points >= 3)
    }
}
