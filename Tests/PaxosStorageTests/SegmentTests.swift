import PaxosCore
import PaxosStorage
import Testing

/// The log across segment files: roll-over, preallocated tails, where damage is tolerated.
@Suite("WAL segments")
struct SegmentTests {
    let options = WALOptions(segmentBytesMax: 300, preallocationStepBytes: 128)
    let records = (1...20).map { chosenRecord($0) }

    @Test(arguments: DiskKind.allCases)
    func appendsRollOverIntoNumberedSegmentsAndRecoveryReadsThemInOrder(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let (log, _) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem, options: options)
            for record in records {
                try log.append([record])
                try log.sync()
            }
            let sequences = log.segmentSequences
            #expect(sequences == Array(1...UInt64(sequences.count)) && sequences.count >= 3)
            #expect(log.currentSegmentSize <= options.segmentBytesMax)
            let size = log.size
            log.close()
            let names = try disk.fileSystem.listDirectory(disk.directory + "/wal").sorted()
            #expect(names == sequences.map { WALSegmentNames.fileName(sequence: $0) })
            let (reopened, state) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem, options: options)
            reopened.close()
            #expect(state == DurableState(replaying: records))
            #expect(reopened.size == size && reopened.recovery.segments == sequences.count)
            #expect(reopened.recovery.droppedTailBytes == 0)
        }
    }

    @Test(arguments: DiskKind.allCases)
    func aNewSegmentIsPreallocatedAndItsZerosAreOverwrittenNotAppendedTo(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let (log, _) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem, options: options)
            try log.append([records[0]])
            try log.sync()
            let bytes = try disk.fileSystem.readFile(disk.walPath)
            #expect(bytes.count == 128)  // one preallocation step
            #expect(bytes[log.size...].allSatisfy { $0 == 0 })
            try log.append([records[1]])
            log.close()
            #expect(try disk.fileSystem.fileSize(disk.walPath) == 128)
            #expect(try PaxosLog.readRecords(directory: disk.directory, fileSystem: disk.fileSystem) == Array(records[0...1]))
        }
    }

    @Test func aTornRecordBeforePreallocatedZerosIsCutFromTheLastSegment() throws {
        let memory = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: memory, options: options)
        try log.append(Array(records[0..<4]))
        try log.sync()
        let good = log.currentSegmentSize
        try log.append([records[4]])  // fits the segment: no roll-over
        memory.crash(tornBytes: 20)
        let (reopened, state) = try PaxosLog.open(directory: "/d", fileSystem: memory, options: options)
        #expect(state == DurableState(replaying: Array(records[0..<4])))
        #expect(reopened.recovery.droppedTailBytes > 0)
        #expect(reopened.currentSegmentSize == good && reopened.segmentSequences == [1])
        try reopened.append([records[9]])
        try reopened.sync()
        reopened.close()
        #expect(try PaxosLog.readRecords(directory: "/d", fileSystem: memory) == Array(records[0..<4]) + [records[9]])
    }

    @Test func damageInASegmentBeforeTheLastIsCorruptionNamingFileAndOffset() throws {
        let memory = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: memory, options: options)
        for record in records {
            try log.append([record])
            try log.sync()
        }
        log.close()
        let first = firstSegmentPath("/d")
        // The last record of segment 1: nothing valid follows it in that file, yet it is not a tail.
        let size = try PaxosLog.readRecords(directory: "/d", fileSystem: memory).count
        #expect(size == records.count)
        let segmentBytes = try memory.readFile(first)
        let end = SegmentEnd.validBytes(segmentBytes)
        memory.flipByte(path: first, offset: end - 3)
        #expect {
            try PaxosLog.open(directory: "/d", fileSystem: memory, options: options)
        } throws: { error in
            guard let error = error as? StorageError else { return false }
            return error.kind == .corruption && error.path == first && error.description.contains("not the last")
        }
    }

    @Test func aMissingSegmentInTheMiddleIsCorruption() throws {
        let memory = InMemoryFileSystem()
        let (log, _) = try PaxosLog.open(directory: "/d", fileSystem: memory, options: options)
        for record in records {
            try log.append([record])
            try log.sync()
        }
        log.close()
        try memory.remove("/d/wal/" + WALSegmentNames.fileName(sequence: 2))
        #expect { try PaxosLog.open(directory: "/d", fileSystem: memory, options: options) } throws: { error in
            (error as? StorageError)?.kind == .corruption && "\(error)".contains("segment 2 is missing")
        }
    }
}

/// Where the frames of a segment end (the start of its zeros), for damage tests.
enum SegmentEnd {
    static func validBytes(_ bytes: [UInt8]) -> Int {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0 { end -= 1 }
        // The last frame's payload may end in zero bytes; a chosen record ends in text ("value n").
        return end
    }
}
