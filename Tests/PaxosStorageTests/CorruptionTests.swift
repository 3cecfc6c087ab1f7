import Foundation
import PaxosCore
import PaxosStorage
import Testing

/// A damaged byte, on both disks: refuse to start if it is before the tail, drop it if it is
/// in the last record.
@Suite("Corruption and torn tails")
struct CorruptionTests {
    let records = (1...5).map { chosenRecord($0) }

    @Test(arguments: DiskKind.allCases)
    func aFlippedByteAnywhereInAMiddleRecordStopsTheOpenNamingFileAndOffset(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let (offsets, _) = try writeLog(records, on: disk)
            let damaged = 2
            for offset in offsets[damaged]..<offsets[damaged + 1] {
                try flipByte(on: disk, path: disk.walPath, offset: offset)
                #expect {
                    try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
                } throws: { error in
                    guard let error = error as? StorageError else { return false }
                    let message = error.description
                    return error.kind == .corruption && error.offset == offsets[damaged] && error.path == disk.walPath
                        && message.contains(disk.walPath) && message.contains("at offset \(offsets[damaged])")
                        && message.contains("refusing to start")
                }
                try flipByte(on: disk, path: disk.walPath, offset: offset)  // repair for the next byte
            }
            // Nothing was changed by the refused opens: the repaired log reads whole.
            #expect(try PaxosLog.readRecords(directory: disk.directory, fileSystem: disk.fileSystem) == records)
        }
    }

    /// A damaged last record is dropped like a torn write, because the two cannot be told apart
    /// from the file: both are bad bytes with nothing valid after them. Dropping is safe because
    /// a reply is sent only after the fsync of its records, and a crash can damage only bytes
    /// written after the last fsync, which nobody was told about. (A disk that corrupts synced
    /// bytes of the last record would lose it silently; checksums cannot see that case, only
    /// the other replicas still holding the value can.)
    @Test(arguments: DiskKind.allCases)
    func aFlippedByteAnywhereInTheLastRecordDropsItAsATornTail(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let (offsets, size) = try writeLog(records, on: disk)
            let lastOffset = offsets[offsets.count - 1]
            for offset in lastOffset..<size {
                // Rewrite the log each time: recovery truncates the damaged record away.
                try disk.fileSystem.remove(disk.walPath)
                try writeLog(records, on: disk)
                try flipByte(on: disk, path: disk.walPath, offset: offset)
                let (log, state) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
                log.close()
                #expect(state == DurableState(replaying: records.dropLast()), "flipped byte at \(offset)")
                #expect(log.recovery.droppedTailBytes == size - lastOffset)
                #expect(log.recovery.droppedTailReason?.contains("offset \(lastOffset)") == true)
                // Cut at the record: what follows is zeros (preallocated space) for the next append.
                let zerosAfterTheCut = isAllZeros(try disk.fileSystem.readFile(disk.walPath)[lastOffset...])
                #expect(zerosAfterTheCut)
            }
        }
    }

    @Test(arguments: DiskKind.allCases)
    func aTruncatedLastRecordIsDroppedAtEveryLength(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let (offsets, size) = try writeLog(records, on: disk)
            let whole = try disk.fileSystem.readFile(disk.walPath)
            let lastOffset = offsets[offsets.count - 1]
            for length in lastOffset..<size {
                try replaceContents(of: disk, with: Array(whole[0..<length]))
                let (log, state) = try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
                log.close()
                #expect(state == DurableState(replaying: records.dropLast()))
                #expect(log.recovery.droppedTailBytes == nonzeroExtent(whole[lastOffset..<length]))
            }
        }
    }

    @Test(arguments: DiskKind.allCases)
    func aRecordThatCannotBeReadDespiteAGoodChecksumStopsTheOpenEvenAtTheTail(kind: DiskKind) throws {
        // A newer version's record is not damage: skipping it would forget a promise.
        try withDisk(kind) { disk in
            let (_, size) = try writeLog(records, on: disk)
            var payload = RecordCodec.encode(.round(1))
            payload[0] = 2
            var frame = WALFormatTestFrame.frame(payload)
            frame = try disk.fileSystem.readFile(disk.walPath)[..<size] + frame
            try replaceContents(of: disk, with: frame)
            #expect {
                try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
            } throws: { error in
                let message = "\(error)"
                return message.contains(disk.walPath) && message.contains("at offset \(size)")
                    && message.contains("format version 2")
            }
        }
    }

    @Test(arguments: DiskKind.allCases)
    func garbageInsteadOfALogStopsTheOpen(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            try writeLog([], on: disk)
            // Valid records after garbage at offset 0: corruption, not a tail.
            var bytes = Array("this is not a write-ahead log\n".utf8)
            for record in records { try WALFormat.appendFrame(of: record, to: &bytes) }
            try replaceContents(of: disk, with: bytes)
            #expect {
                try PaxosLog.open(directory: disk.directory, fileSystem: disk.fileSystem)
            } throws: { error in
                (error as? StorageError)?.offset == 0 && "\(error)".contains("implausible record length")
            }
        }
    }

    private func replaceContents(of disk: Disk, with bytes: [UInt8]) throws {
        if let memory = disk.fileSystem as? InMemoryFileSystem {
            memory.overwrite(path: disk.walPath, with: bytes)
        } else {
            try Data(bytes).write(to: URL(fileURLWithPath: disk.walPath))
        }
    }
}

/// How many bytes recovery reports dropping for a torn tail of `bytes`: up to its last nonzero
/// byte, since zeros after a cut are indistinguishable from preallocated space.
func nonzeroExtent(_ bytes: ArraySlice<UInt8>) -> Int {
    bytes.lastIndex(where: { $0 != 0 }).map { $0 - bytes.startIndex + 1 } ?? 0
}

/// Frames an arbitrary payload the way WALFormat does, to build records the encoder refuses to.
enum WALFormatTestFrame {
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        let lengthBytes = (0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        let checksum = CRC32C.update(CRC32C.checksum(lengthBytes), with: payload)
        let checksumBytes = (0..<4).map { UInt8(truncatingIfNeeded: checksum >> (8 * $0)) }
        return lengthBytes + checksumBytes + payload
    }
}
