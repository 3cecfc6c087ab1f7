import PaxosStorage
import Testing

/// A handle closed twice must not close its descriptor number twice: the kernel gives the
/// lowest free number to the next open, on this thread or another, and a second close would
/// take that file (or socket) away from its owner. A test run once crashed in NIO's
/// `getsockname` with EBADF after some descriptor of the process was closed under it.
@Suite("Closing files")
struct FileCloseTests {
    /// On a real disk (the in-memory one stops at a second close: it is the caller's bug).
    @Test func aSecondCloseLeavesAFileOpenedInBetweenUsable() throws {
        try withDisk(.posix) { disk in
            let fileSystem = disk.fileSystem
            try fileSystem.createDirectory(disk.directory)
            let (first, _) = try fileSystem.openForAppending(disk.directory + "/first")
            first.close()
            // On a real disk this open gets the number `first` just gave back.
            let (second, _) = try fileSystem.openForAppending(disk.directory + "/second")
            first.close()
            try second.write([1, 2, 3])
            try second.sync()
            second.close()
            #expect(try fileSystem.readFile(disk.directory + "/second") == [1, 2, 3])
        }
    }

    /// A snapshot whose file part ends in the middle of a line is refused after the copy is
    /// synced: the copy is closed once (the in-memory disk would stop at a second close),
    /// deleted, and the node's file is left as it was.
    @Test(arguments: DiskKind.allCases)
    func aSnapshotEndingInAPartialLineIsRefusedAndItsCopyRemoved(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let fileSystem = disk.fileSystem
            let store = try SnapshotStore(dataDirectory: disk.directory, fileSystem: fileSystem)
            let source = disk.directory + "/partial"
            let bytes = Array("1 one\n2 tw".utf8)
            try fileSystem.replaceAtomically(source, with: bytes)
            let snapshot = try store.write(instance: 2, metadata: [1], fileBytesFrom: source, fileByteCount: bytes.count)
            let path = disk.directory + "/node-file"
            let file = try ReplicatedFile(path: path, fileSystem: fileSystem, indexStride: 4)
            defer { file.close() }
            try file.append(SnapshotStoreTests.fileEntries(1...1))
            let before = try fileSystem.readFile(path)
            #expect { try file.replacement(copyingSnapshot: snapshot).prepare() } throws: { ($0 as? StorageError)?.kind == .corruption }
            #expect(try fileSystem.readFile(path) == before)
            #expect(!fileSystem.exists(path + FilePaths.temporarySuffix))
        }
    }
}
