import PaxosStorage
import Testing

/// The simulated disk must be at least as unforgiving as POSIX allows a real one to be.
@Suite("In-memory file system")
struct InMemoryFileSystemTests {
    @Test func aCreatedFileVanishesInACrashIfItsDirectoryWasNotSynced() throws {
        let fileSystem = InMemoryFileSystem()
        try fileSystem.createDirectory("/d")
        let (file, created) = try fileSystem.openForAppending("/d/f")
        #expect(created)
        try file.write([1, 2, 3])
        try file.sync()
        fileSystem.crash()
        #expect(!fileSystem.exists("/d/f"))
    }

    @Test func aRenameIsUndoneByACrashUntilTheDirectoryIsSynced() throws {
        let fileSystem = InMemoryFileSystem()
        try fileSystem.createDirectory("/d")
        try fileSystem.replaceAtomically("/d/f", with: [1])
        let (file, _) = try fileSystem.openForAppending("/d/g")
        try file.write([2])
        try file.sync()
        try fileSystem.syncDirectory("/d")
        try fileSystem.rename("/d/g", to: "/d/f")
        fileSystem.crash()
        #expect(try fileSystem.readFile("/d/f") == [1])
        #expect(try fileSystem.readFile("/d/g") == [2])
    }

    @Test func syncedBytesSurviveAndUnsyncedBytesDoNot() throws {
        let fileSystem = InMemoryFileSystem()
        try fileSystem.createDirectory("/d")
        let (file, _) = try fileSystem.openForAppending("/d/f")
        try fileSystem.syncDirectory("/d")
        try file.write([1, 2])
        try file.sync()
        try file.write([3, 4])
        #expect(try fileSystem.readFile("/d/f") == [1, 2, 3, 4])
        fileSystem.crash()
        #expect(try fileSystem.readFile("/d/f") == [1, 2])
    }

    @Test func aTornWriteKeepsTheRequestedPrefix() throws {
        let fileSystem = InMemoryFileSystem()
        try fileSystem.createDirectory("/d")
        let (file, _) = try fileSystem.openForAppending("/d/f")
        try fileSystem.syncDirectory("/d")
        try file.write([1, 2])
        try file.sync()
        try file.write([3, 4, 5, 6])
        #expect(fileSystem.lastUnsyncedWriteByteCount == 4)
        fileSystem.crash(tearLastWrite: true, tornBytes: 3)
        #expect(try fileSystem.readFile("/d/f") == [1, 2, 3, 4, 5])
    }

    @Test func handlesOpenedBeforeACrashAreDead() throws {
        let fileSystem = InMemoryFileSystem()
        try fileSystem.createDirectory("/d")
        let (file, _) = try fileSystem.openForAppending("/d/f")
        fileSystem.crash()
        #expect(throws: StorageError.self) { try file.write([1]) }
        #expect(throws: StorageError.self) { try file.sync() }
    }

    @Test func statisticsCountWritesBytesAndSyncs() throws {
        let fileSystem = InMemoryFileSystem()
        try fileSystem.createDirectory("/d")
        let (file, _) = try fileSystem.openForAppending("/d/f")
        try file.write([1, 2, 3])
        try file.write([4])
        try file.sync()
        try fileSystem.syncDirectory("/d")
        let statistics = fileSystem.statistics
        #expect(statistics.writes == 2)
        #expect(statistics.bytesWritten == 4)
        #expect(statistics.fileSyncs == 1)
        #expect(statistics.directorySyncs == 1)
    }

    /// A directory sync asks, of every name, whether it is in that directory: the quick answer
    /// must be `parent(of:)`'s.
    @Test func anEntryOfADirectoryIsWhatItsParentSays() {
        let paths = ["/d/f", "/d/e/f", "/d", "/df", "/dd/f", "/f", "f", "d/f", "/d/f/", "/d//f", "/é/f", "/d/é", "//f", "/"]
        for path in paths {
            for directory in ["/d", "/", ".", "d", "/d/e", "/d/", "/é", "/dd"] {
                #expect(FilePaths.isEntry(path, of: directory) == (FilePaths.parent(of: path) == directory), "\(path) in \(directory)")
            }
        }
    }
}
