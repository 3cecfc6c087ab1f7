import PaxosCore
import PaxosStorage
import Testing

/// The start-up rule of bounded history (`StartingState.choose`), which the live node and the
/// simulator's restarts share: the log's state, or a stored snapshot newer than its point, and
/// never a transfer cut short or a snapshot that fails its checks.
@Suite("Starting state")
struct StartingStateTests {
    static let data = "/d"

    /// A log state at snapshot point `point`, holding a decision above it.
    static func logState(point: InstanceNumber) -> DurableState {
        var state = DurableState()
        if point > 0 { state.apply(.compacted(through: point, fileBytes: 0)) }
        state.apply(.chosen(instance: point + 30, command: .noop))
        return state
    }

    /// The bytes of a peer's snapshot through `instance`.
    static func image(through instance: InstanceNumber) -> [UInt8] {
        let entries = (1...instance).map { FileEntry(instance: $0, value: "value \($0)") }
        let file = ReplicatedFile.render(entries)
        let metadata = SnapshotMetadata.encode([.compacted(through: instance, fileBytes: UInt64(file.count))])
        return SnapshotFormat.image(instance: instance, metadata: metadata, fileBytes: file)
    }

    /// Receives `image` whole into the store, as a fetch from a peer does.
    static func receive(_ image: [UInt8], instance: InstanceNumber, into store: SnapshotStore) throws -> Snapshot {
        let receiver = try SnapshotReceiver(store: store, instance: instance, totalBytes: image.count)
        try receiver.append(image, at: 0)
        return try receiver.finish()
    }

    @Test func withoutASnapshotTheNodeStartsFromItsLog() throws {
        let store = try SnapshotStore(dataDirectory: Self.data, fileSystem: InMemoryFileSystem())
        let start = try StartingState.choose(log: Self.logState(point: 10), snapshots: store)
        #expect(start.state == Self.logState(point: 10) && start.snapshot == nil)
        #expect(start.discardedSnapshotFiles.isEmpty && start.partialTransfers.isEmpty)
    }

    @Test func aStoredSnapshotNewerThanTheLogsPointIsUsedAndAnOlderOneIsNot() throws {
        let store = try SnapshotStore(dataDirectory: Self.data, fileSystem: InMemoryFileSystem())
        let stored = try Self.receive(Self.image(through: 20), instance: 20, into: store)
        let newer = try StartingState.choose(log: Self.logState(point: 10), snapshots: store)
        #expect(newer.snapshot == stored && newer.state.compactedThrough == 20)
        #expect(newer.state.chosen[40] == .noop, "the log's records above the snapshot's point stay")
        let older = try StartingState.choose(log: Self.logState(point: 20), snapshots: store)
        #expect(older.snapshot == nil && older.state == Self.logState(point: 20))
    }

    /// A crash in the middle of a transfer, tearing the chunk being written: the partial file
    /// is kept for the next transfer to resume, and never used as a snapshot.
    @Test(arguments: [false, true])
    func aTransferCutByACrashIsNeverUsed(tear: Bool) throws {
        let disk = InMemoryFileSystem()
        let store = try SnapshotStore(dataDirectory: Self.data, fileSystem: disk)
        let image = Self.image(through: 20)
        let receiver = try SnapshotReceiver(store: store, instance: 20, totalBytes: image.count)
        try receiver.append(Array(image.prefix(40)), at: 0)
        try receiver.write(Array(image[40...]), at: 40)
        disk.crash(tearLastWrite: tear)
        let start = try StartingState.choose(log: Self.logState(point: 10), snapshots: store)
        #expect(start.snapshot == nil && start.state == Self.logState(point: 10))
        #expect(start.partialTransfers == [receiver.partialPath])
        #expect(try disk.fileSize(receiver.partialPath) == (tear ? 40 + (image.count - 40) / 2 : 40))
    }

    /// A snapshot file that fails its checks is deleted, and the next older one (if newer than
    /// the log's point) is used.
    @Test func aDamagedSnapshotIsDeletedAndTheOlderOneUsed() throws {
        let disk = InMemoryFileSystem()
        let store = try SnapshotStore(dataDirectory: Self.data, fileSystem: disk)
        let older = try Self.receive(Self.image(through: 15), instance: 15, into: store)
        let newest = try Self.receive(Self.image(through: 20), instance: 20, into: store)
        disk.flipByte(path: newest.path, offset: newest.totalBytes - 10)
        let start = try StartingState.choose(log: Self.logState(point: 10), snapshots: store)
        #expect(start.snapshot == older && start.discardedSnapshotFiles == [newest.path])
        #expect(!disk.exists(newest.path))
    }
}
