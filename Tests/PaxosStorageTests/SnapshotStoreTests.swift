import PaxosCore
import PaxosStorage
import Testing

/// Snapshots: checksummed, atomic, the newest valid one wins.
@Suite("Snapshot store")
struct SnapshotStoreTests {
    static func fileEntries(_ range: ClosedRange<InstanceNumber>) -> [FileEntry] {
        range.map { FileEntry(instance: $0, value: "value \($0)") }
    }

    /// A replicated file with lines 1...last at `/d/file`.
    static func replicatedFile(on fileSystem: any FileSystem, through last: InstanceNumber) throws -> ReplicatedFile {
        let file = try ReplicatedFile(path: "/d/file", fileSystem: fileSystem, indexStride: 4)
        try file.rebuild(from: fileEntries(1...last))
        return file
    }

    @Test(arguments: DiskKind.allCases)
    func aSnapshotRoundTripsMetadataAndTheFilePrefix(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let file = try ReplicatedFile(path: disk.directory + "/file", fileSystem: disk.fileSystem, indexStride: 4)
            try file.rebuild(from: Self.fileEntries(1...30))
            let store = try SnapshotStore(dataDirectory: disk.directory, fileSystem: disk.fileSystem)
            try file.sync()
            let count = try file.byteCount(through: 20)
            let written = try store.write(instance: 20, metadata: [1, 2, 3], fileBytesFrom: file.path, fileByteCount: count)
            let latest = try #require(try store.latest())
            #expect(latest == written && latest.instance == 20 && latest.metadata == [1, 2, 3])
            let bytes = try disk.fileSystem.read(latest.path, offset: latest.fileBytesOffset, count: latest.fileByteCount)
            #expect(bytes == ReplicatedFile.render(Self.fileEntries(1...20)))
            file.close()
        }
    }

    @Test func aDamagedOrTornNewestSnapshotFallsBackToTheOlderOneAndIsDeleted() throws {
        let memory = InMemoryFileSystem()
        let file = try Self.replicatedFile(on: memory, through: 30)
        let store = try SnapshotStore(dataDirectory: "/d", fileSystem: memory)
        try store.write(instance: 10, metadata: [], fileBytesFrom: file.path, fileByteCount: try file.byteCount(through: 10))
        let newest = try store.write(instance: 20, metadata: [9], fileBytesFrom: file.path, fileByteCount: try file.byteCount(through: 20))
        for damage in ["flip", "tear", "swap"] {
            let original = try memory.readFile(newest.path)
            switch damage {
            case "flip": memory.flipByte(path: newest.path, offset: original.count / 2)
            case "tear": memory.overwrite(path: newest.path, with: Array(original.prefix(original.count - 7)))
            default:  // two bytes of the file part exchanged: same length, same bytes, wrong order
                var swapped = original
                let a = newest.fileBytesOffset, b = newest.fileBytesOffset + 2  // "1" and "v" of "1 value 1"
                swapped.swapAt(a, b)
                #expect(swapped != original)
                memory.overwrite(path: newest.path, with: swapped)
            }
            #expect(try store.latest()?.instance == 10, "\(damage)")
            #expect(!memory.exists(newest.path))
            memory.overwrite(path: newest.path, with: original)
            #expect(try store.latest()?.instance == 20)
        }
        // A snapshot renamed to another instance is refused too.
        try memory.rename(newest.path, to: store.path(instance: 25))
        #expect(try store.latest()?.instance == 10)
        try store.removeSnapshots(olderThan: 11)
        #expect(try store.latest() == nil)
    }

    @Test(arguments: [false, true])
    func aCrashAnywhereInWritingASnapshotLeavesTheOldOneOrTheNewOne(tear: Bool) throws {
        let points = try atEveryCrashPoint(tear: tear, setUp: { disk in
            let file = try Self.replicatedFile(on: disk, through: 30)
            let store = try SnapshotStore(dataDirectory: "/d", fileSystem: disk)
            try file.sync()
            try store.write(instance: 10, metadata: [1], fileBytesFrom: file.path, fileByteCount: try file.byteCount(through: 10))
            file.close()
        }, operation: { disk, acknowledged in
            let file = try ReplicatedFile(path: "/d/file", fileSystem: disk, indexStride: 4)
            try file.rebuild(from: Self.fileEntries(1...30))
            let store = try SnapshotStore(dataDirectory: "/d", fileSystem: disk)
            try store.write(instance: 20, metadata: [2], fileBytesFrom: file.path, fileByteCount: try file.byteCount(through: 20))
            acknowledged = 1
            try store.removeSnapshots(olderThan: 20)
        }, check: { memory, step, acknowledged in
            let store = try SnapshotStore(dataDirectory: "/d", fileSystem: memory)
            let latest = try #require(try store.latest(), "crash before change \(step): no snapshot")
            #expect(latest.instance == 10 || latest.instance == 20)
            if acknowledged == 1 { #expect(latest.instance == 20) }
            #expect(latest.metadata == (latest.instance == 10 ? [1] : [2]))
            #expect(try memory.listDirectory("/d/snapshots").allSatisfy { !$0.hasSuffix(".tmp") })
        })
        #expect(points > 5)
    }
}
