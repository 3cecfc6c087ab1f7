import PaxosCore
import PaxosStorage
import Testing

/// The replicated file serving reads from disk, and rebuilt when the log no longer holds everything.
@Suite("Replicated file reads and snapshot rebuild")
struct ReplicatedFileReadTests {
    let entries = (1...100).map { FileEntry(instance: $0, value: "v\($0) " + String(repeating: "x", count: Int($0 % 7))) }

    @Test(arguments: DiskKind.allCases)
    func entriesFromAnyInstanceComeFromTheDiskThroughTheSparseIndex(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let file = try ReplicatedFile(path: disk.directory + "/file", fileSystem: disk.fileSystem, indexStride: 8)
            try file.rebuild(from: Array(entries[0..<60]))
            try file.append(Array(entries[60...]))
            for from in [1, 2, 7, 8, 9, 50, 64, 99, 100] as [InstanceNumber] {
                #expect(try file.entries(from: from, limit: 5) == Array(entries[Int(from - 1)..<min(Int(from - 1) + 5, 100)]))
            }
            #expect(try file.entries(from: 101, limit: 5).isEmpty)
            #expect(try file.entries(from: 1, limit: 1000) == entries)
            #expect(try file.byteCount(through: 100) == file.byteCount)
            #expect(try file.byteCount(through: 30) == ReplicatedFile.render(Array(entries[0..<30])).count)
            file.close()
        }
    }

    @Test func rebuildFromASnapshotAndTheLogEntriesAboveIt() throws {
        let memory = InMemoryFileSystem()
        let file = try ReplicatedFile(path: "/d/file", fileSystem: memory, indexStride: 8)
        try file.rebuild(from: entries)
        try file.sync()
        let store = try SnapshotStore(dataDirectory: "/d", fileSystem: memory)
        let snapshot = try store.write(instance: 50, metadata: [], fileBytesFrom: file.path, fileByteCount: try file.byteCount(through: 50))
        let above = Array(entries[50...])
        // Intact: nothing rewritten.
        #expect(try file.rebuild(snapshot: snapshot, store: store, entries: above) == false)
        // Behind (the last appends lost), damaged in the tail, or missing: rewritten whole.
        let whole = try memory.readFile("/d/file")
        for damaged in [Array(whole.prefix(whole.count - 30)), Array(whole.prefix(100)), whole.map { $0 == 0x78 ? 0x79 : $0 }] {
            memory.overwrite(path: "/d/file", with: damaged)
            #expect(try file.rebuild(snapshot: snapshot, store: store, entries: above))
            #expect(try memory.readFile("/d/file") == whole)
        }
        try memory.remove("/d/file")
        #expect(try file.rebuild(snapshot: snapshot, store: store, entries: above))
        #expect(try file.entries(from: 49, limit: 3) == Array(entries[48..<51]))
        #expect(file.lastInstance == 100)
    }

    @Test func replaceWithSnapshotBytesIsAtomic() throws {
        let memory = InMemoryFileSystem()
        let file = try ReplicatedFile(path: "/d/file", fileSystem: memory)
        try file.rebuild(from: Array(entries[0..<3]))
        try file.replace(withSnapshotBytes: ReplicatedFile.render(Array(entries[0..<9])))
        #expect(file.lastInstance == 9)
        memory.crash()
        #expect(try memory.readFile("/d/file") == ReplicatedFile.render(Array(entries[0..<9])))
    }

    @Test func rebuildAboveTheNodesOwnSnapshotPointKeepsThePrefixAndRefusesALostOne() throws {
        let memory = InMemoryFileSystem()
        let file = try ReplicatedFile(path: "/d/file", fileSystem: memory, indexStride: 8)
        try file.rebuild(from: entries)
        let prefix = try file.byteCount(through: 50)
        let above = Array(entries[50...])
        #expect(try file.rebuild(prefixBytes: prefix, through: 50, entries: above) == false)
        let whole = try memory.readFile("/d/file")
        // The lines above the point lost or damaged: rebuilt from the log's entries.
        for damaged in [Array(whole.prefix(whole.count - 30)), Array(whole.prefix(prefix)), Array(whole.prefix(prefix)) + Array("51 junk\n".utf8)] {
            memory.overwrite(path: "/d/file", with: damaged)
            #expect(try file.rebuild(prefixBytes: prefix, through: 50, entries: above))
            #expect(try memory.readFile("/d/file") == whole)
        }
        // The lines up to the point are nowhere else: a file without them is refused, not rewritten.
        memory.overwrite(path: "/d/file", with: Array(whole.prefix(prefix - 3)))
        #expect(throws: StorageError.self) { try file.rebuild(prefixBytes: prefix, through: 50, entries: above) }
        try memory.remove("/d/file")
        #expect(throws: StorageError.self) { try file.rebuild(prefixBytes: prefix, through: 50, entries: above) }
    }

    /// The index saved at a snapshot point spares a restart reading the lines below it: a
    /// byte damaged there (which a scan would refuse) goes unread, and reads still find every
    /// line by the saved marks. An index that does not end at the point, or is damaged, is not
    /// used: the restart scans, as without one.
    @Test func aRestartUsesTheIndexSavedAtThePointAndScansOnlyWhatFollows() throws {
        let memory = InMemoryFileSystem()
        let file = try ReplicatedFile(path: "/d/file", fileSystem: memory, indexStride: 8)
        try file.rebuild(from: Array(entries[0..<50]))
        try file.reader.saveIndex()  // the point at 50
        try file.append(Array(entries[50...]))
        let prefix = try file.byteCount(through: 50)
        let above = Array(entries[50...])
        let intact = try memory.readFile("/d/file")
        let line20 = try file.byteCount(through: 19)
        memory.flipByte(path: "/d/file", offset: line20)  // the first digit of line 20: no longer a line
        let restarted = try ReplicatedFile(path: "/d/file", fileSystem: memory, indexStride: 8)
        #expect(try restarted.rebuild(prefixBytes: prefix, through: 50, entries: above) == false)
        #expect(restarted.lastInstance == 100 && restarted.lineCount == 100 && restarted.byteCount == intact.count)
        #expect(try restarted.entries(from: 41, limit: 20) == Array(entries[40..<60]))
        #expect(try restarted.entries(from: 97, limit: 10) == Array(entries[96...]))
        // Without a usable index the same restart reads the prefix and finds the damage.
        let saved = try memory.readFile("/d/file.index")
        for unusable in [Array(saved.dropLast()), saved.enumerated().map { $0.offset == 60 ? $0.element ^ 1 : $0.element }] {
            memory.overwrite(path: "/d/file.index", with: unusable)
            #expect(throws: StorageError.self) {
                try ReplicatedFile(path: "/d/file", fileSystem: memory, indexStride: 8).rebuild(prefixBytes: prefix, through: 50, entries: above)
            }
        }
        // An index of another point is not used either.
        memory.overwrite(path: "/d/file", with: intact)
        try restarted.reader.saveIndex()  // ends at 100, not at the point
        let scanned = try ReplicatedFile(path: "/d/file", fileSystem: memory, indexStride: 8)
        memory.flipByte(path: "/d/file", offset: line20)
        #expect(throws: StorageError.self) { try scanned.rebuild(prefixBytes: prefix, through: 50, entries: above) }
        memory.overwrite(path: "/d/file", with: intact)
        #expect(try scanned.rebuild(prefixBytes: prefix, through: 50, entries: above) == false)
        #expect(try scanned.entries(from: 1, limit: 1000) == entries)
        // A reset forgets the index with the lines.
        try scanned.reset()
        #expect(!memory.exists("/d/file.index"))
    }

    /// A saved index is read from the disk: whatever its numbers say (checksum intact), the
    /// restart neither traps nor trusts it, and scans instead.
    @Test func anIndexWithImpossibleNumbersIsIgnoredWithoutATrap() throws {
        let memory = InMemoryFileSystem()
        let file = try ReplicatedFile(path: "/d/file", fileSystem: memory, indexStride: 8)
        try file.rebuild(from: Array(entries[0..<50]))
        let prefix = file.byteCount
        func index(_ fields: [UInt64]) -> [UInt8] {
            var bytes = Array("PXLINDX1".utf8)
            for field in fields { withUnsafeBytes(of: field.littleEndian) { bytes += $0 } }
            withUnsafeBytes(of: CRC32C.checksum(bytes).littleEndian) { bytes += $0 }
            return bytes
        }
        // stride, lines, bytes, last instance, marks: overflowing counts, a zero stride.
        for fields: [UInt64] in [[8, .max, UInt64(prefix), 50, 1], [.max, 50, UInt64(prefix), 50, 1],
                                 [0, 50, UInt64(prefix), 50, 7], [8, 50, .max, 50, 7]] {
            memory.overwrite(path: "/d/file.index", with: index(fields))
            let restarted = try ReplicatedFile(path: "/d/file", fileSystem: memory, indexStride: 8)
            #expect(try restarted.rebuild(prefixBytes: prefix, through: 50, entries: []) == false)
            #expect(try restarted.entries(from: 1, limit: 100) == Array(entries[0..<50]))
        }
    }

    @Test func snapshotMetadataRoundTripsAndRefusesDamage() throws {
        let records: [DurableRecord] = [.compacted(through: 40, fileBytes: 900),
                                        .appliedCommand(.clientNamed(1, 2), instance: 33),
                                        .appliedCommand(CommandID(node: NodeID(2), incarnation: 3, sequence: 4), instance: 40)]
        let bytes = SnapshotMetadata.encode(records)
        #expect(try SnapshotMetadata.decode(bytes) == records)
        #expect(throws: RecordDecodingError.self) { try SnapshotMetadata.decode(Array(bytes.dropLast())) }
        #expect(throws: RecordDecodingError.self) { try SnapshotMetadata.decode([0xFF, 0xFF, 0xFF, 0x7F] + bytes) }
        #expect(throws: RecordDecodingError.self) { try SnapshotMetadata.decode(SnapshotMetadata.encode(Array(records.dropFirst()))) }
        #expect(throws: RecordDecodingError.self) { try SnapshotMetadata.decode(SnapshotMetadata.encode(records + [.round(3)])) }
    }
}
