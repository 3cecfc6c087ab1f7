import PaxosCore
import PaxosStorage
import Testing

/// A snapshot sent in chunks to a node that is behind, received and installed.
@Suite("Snapshot transfer and install")
struct SnapshotTransferTests {
    /// A sender's store with the snapshot through 40 of a 40-line file, and its bytes.
    static func sender() throws -> (store: SnapshotStore, snapshot: Snapshot) {
        let memory = InMemoryFileSystem()
        let file = try SnapshotStoreTests.replicatedFile(on: memory, through: 40)
        let store = try SnapshotStore(dataDirectory: "/d", fileSystem: memory)
        let snapshot = try store.write(instance: 40, metadata: [4, 0], fileBytesFrom: file.path, fileByteCount: file.byteCount)
        return (store, snapshot)
    }

    static func send(_ snapshot: Snapshot, from store: SnapshotStore, to receiver: SnapshotReceiver, chunkBytes: Int = 100) throws {
        while !receiver.isComplete {
            let chunk = try store.readChunk(of: snapshot, offset: receiver.receivedBytes, maxBytes: chunkBytes)
            try receiver.append(chunk, at: receiver.receivedBytes)
        }
    }

    @Test func aChunkAtTheWrongOffsetIsRefusedAndNothingWritten() throws {
        let (source, snapshot) = try Self.sender()
        let store = try SnapshotStore(dataDirectory: "/n", fileSystem: InMemoryFileSystem())
        let receiver = try SnapshotReceiver(store: store, instance: 40, totalBytes: snapshot.totalBytes)
        let first = try source.readChunk(of: snapshot, offset: 0, maxBytes: 100)
        try receiver.append(first, at: 0)
        for wrong in [0, 50, 200] {
            #expect { try receiver.append(first, at: wrong) } throws: { ($0 as? StorageError)?.kind == .invalidSnapshot }
        }
        #expect(receiver.receivedBytes == 100)
        #expect { try receiver.append([UInt8](repeating: 1, count: snapshot.totalBytes), at: 100) } throws: { _ in true }
        #expect { try receiver.finish() } throws: { ($0 as? StorageError)?.kind == .invalidSnapshot }
    }

    @Test func aSnapshotWithABadChecksumIsRefusedAtTheEndAndDeleted() throws {
        let (source, snapshot) = try Self.sender()
        let memory = InMemoryFileSystem()
        let store = try SnapshotStore(dataDirectory: "/n", fileSystem: memory)
        let receiver = try SnapshotReceiver(store: store, instance: 40, totalBytes: snapshot.totalBytes)
        var offset = 0
        while offset < snapshot.totalBytes {
            var chunk = try source.readChunk(of: snapshot, offset: offset, maxBytes: 100)
            if offset == 200 { chunk[5] ^= 0x01 }  // one bit wrong on the way
            try receiver.append(chunk, at: offset)
            offset += chunk.count
        }
        #expect { try receiver.finish() } throws: { ($0 as? StorageError)?.kind == .invalidSnapshot }
        #expect(try store.latest() == nil)
        #expect(!memory.exists(receiver.partialPath))
    }

    @Test func aTransferResumesFromWhatWasReceivedBeforeACrash() throws {
        let (source, snapshot) = try Self.sender()
        let memory = InMemoryFileSystem()
        let store = try SnapshotStore(dataDirectory: "/n", fileSystem: memory)
        let receiver = try SnapshotReceiver(store: store, instance: 40, totalBytes: snapshot.totalBytes)
        for offset in stride(from: 0, to: 300, by: 100) {
            try receiver.append(try source.readChunk(of: snapshot, offset: offset, maxBytes: 100), at: offset)
        }
        memory.crash()
        let resumed = try SnapshotReceiver(store: try SnapshotStore(dataDirectory: "/n", fileSystem: memory),
                                           instance: 40, totalBytes: snapshot.totalBytes)
        #expect(resumed.receivedBytes == 300)
        try Self.send(snapshot, from: source, to: resumed)
        let installed = try resumed.finish()
        #expect(installed.instance == 40 && installed.metadata == [4, 0])
        #expect(try memory.readFile(installed.path) == (try source.fileSystemBytes(of: snapshot)))
    }

    /// The install of a node behind: receive, rename into the store, replace the replicated file,
    /// drop the old snapshot. At a restart the node takes the newest valid snapshot and rebuilds
    /// its file from it: it must be wholly on its old state (snapshot 10, file through 10) or
    /// wholly on the new one (snapshot 40, file through 40), whatever the crash point.
    @Test(arguments: [false, true])
    func aCrashAnywhereInReceivingAndInstallingLeavesTheOldStateOrTheNew(tear: Bool) throws {
        let (source, snapshot) = try Self.sender()
        let oldBytes = ReplicatedFile.render(SnapshotStoreTests.fileEntries(1...10))
        let newBytes = ReplicatedFile.render(SnapshotStoreTests.fileEntries(1...40))
        let points = try atEveryCrashPoint(tear: tear, setUp: { disk in
            let file = try SnapshotStoreTests.replicatedFile(on: disk, through: 10)
            let store = try SnapshotStore(dataDirectory: "/d", fileSystem: disk)
            try file.sync()
            try store.write(instance: 10, metadata: [1], fileBytesFrom: file.path, fileByteCount: file.byteCount)
            file.close()
        }, operation: { disk, acknowledged in
            let store = try SnapshotStore(dataDirectory: "/d", fileSystem: disk)
            let receiver = try SnapshotReceiver(store: store, instance: 40, totalBytes: snapshot.totalBytes)
            try Self.send(snapshot, from: source, to: receiver, chunkBytes: 256)
            let installed = try receiver.finish()
            acknowledged = 1
            let file = try ReplicatedFile(path: "/d/file", fileSystem: disk, indexStride: 4)
            try file.replace(withSnapshot: installed, store: store)
            try store.removeSnapshots(olderThan: 40)
        }, check: { memory, step, acknowledged in
            // The restart: newest valid snapshot, file rebuilt from it (no log entries above it here).
            let store = try SnapshotStore(dataDirectory: "/d", fileSystem: memory)
            let latest = try #require(try store.latest(), "crash before change \(step)")
            let file = try ReplicatedFile(path: "/d/file", fileSystem: memory, indexStride: 4)
            try file.rebuild(snapshot: latest, store: store, entries: [])
            let bytes = try memory.readFile("/d/file")
            if latest.instance == 10 {
                #expect(acknowledged == 0 && bytes == oldBytes && latest.metadata == [1], "crash before change \(step)")
            } else {
                #expect(latest.instance == 40 && bytes == newBytes && latest.metadata == [4, 0], "crash before change \(step)")
            }
            #expect(file.lastInstance == latest.instance)
            // A transfer cut short resumes where its durable part ends.
            if latest.instance == 10 {
                let receiver = try SnapshotReceiver(store: store, instance: 40, totalBytes: snapshot.totalBytes)
                try Self.send(snapshot, from: source, to: receiver)
                #expect(try receiver.finish().instance == 40)
            }
        })
        #expect(points > 10)
    }

    /// The live node copies a snapshot's file off its actor (`replacement(copyingSnapshot:)`,
    /// `prepare()`), keeps appending meanwhile, then commits: the file is the snapshot's bytes,
    /// and the index built during the copy serves reads and further appends.
    @Test func aReplacementPreparedWhileTheFileGrowsCommitsToTheSnapshotsBytes() async throws {
        let (store, snapshot) = try Self.sender()
        let file = try ReplicatedFile(path: "/d/node-file", fileSystem: store.fileSystem, indexStride: 4)
        try file.append(SnapshotStoreTests.fileEntries(1...5))
        let replacement = file.replacement(copyingSnapshot: snapshot)
        let prepared = try await Task.detached { try replacement.prepare() }.value
        try file.append(SnapshotStoreTests.fileEntries(6...7))  // lines the install replaces
        try file.commit(prepared)
        #expect(try store.fileSystem.readFile("/d/node-file") == ReplicatedFile.render(SnapshotStoreTests.fileEntries(1...40)))
        #expect(file.lastInstance == 40 && file.lineCount == 40)
        #expect(try file.entries(from: 37, limit: 10).map(\.instance) == [37, 38, 39, 40])
        try file.append(SnapshotStoreTests.fileEntries(41...41))
        #expect(try file.entries(from: 40, limit: 10).map(\.instance) == [40, 41])
        #expect(!store.fileSystem.exists("/d/node-file" + FilePaths.temporarySuffix))
    }

    /// A snapshot whose file part is not `<instance> <value>` lines is refused while copying:
    /// the node's file stays as it was and no temporary file is left.
    @Test func aSnapshotWhoseFileIsNotLinesIsRefusedBeforeAnythingIsReplaced() throws {
        let memory = InMemoryFileSystem()
        let store = try SnapshotStore(dataDirectory: "/d", fileSystem: memory)
        try memory.replaceAtomically("/d/garbage", with: Array("1 one\nnot a line\n".utf8))
        let bad = try store.write(instance: 2, metadata: [1], fileBytesFrom: "/d/garbage", fileByteCount: 17)
        let file = try ReplicatedFile(path: "/d/node-file", fileSystem: memory, indexStride: 4)
        try file.append(SnapshotStoreTests.fileEntries(1...1))
        let before = try memory.readFile("/d/node-file")
        #expect { try file.replacement(copyingSnapshot: bad).prepare() } throws: { ($0 as? StorageError)?.kind == .corruption }
        #expect(try memory.readFile("/d/node-file") == before)
        #expect(!memory.exists("/d/node-file" + FilePaths.temporarySuffix))
    }
}

extension SnapshotStore {
    /// The whole snapshot file, read through chunks as a sender would.
    func fileSystemBytes(of snapshot: Snapshot) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < snapshot.totalBytes {
            bytes += try readChunk(of: snapshot, offset: bytes.count, maxBytes: 1000)
        }
        return bytes
    }
}
