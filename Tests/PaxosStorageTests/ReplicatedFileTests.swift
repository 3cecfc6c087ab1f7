import Foundation
import PaxosCore
import PaxosStorage
import Testing

@Suite("Replicated file")
struct ReplicatedFileTests {
    let entries = [
        FileEntry(instance: 1, value: "alpha"),
        FileEntry(instance: 2, value: "beta gamma"),
        FileEntry(instance: 4, value: "δ"),  // instance 3 was a no-op: no line
    ]
    let expected = Array("1 alpha\n2 beta gamma\n4 δ\n".utf8)

    @Test func renderingIsOneLinePerEntryAndNothingElse() {
        #expect(ReplicatedFile.render(entries) == expected)
        #expect(ReplicatedFile.render([]) == [])
    }

    @Test(arguments: DiskKind.allCases)
    func aMissingFileIsWrittenWithTheExactBytes(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let file = try ReplicatedFile(path: disk.directory + "/replicated.txt", fileSystem: disk.fileSystem)
            #expect(try file.rebuild(from: entries))
            #expect(try disk.fileSystem.readFile(file.path) == expected)
            file.close()
        }
    }

    @Test(arguments: DiskKind.allCases)
    func aFileThatIsBehindIsRewritten(kind: DiskKind) throws {
        try rewriteCase(kind, startingWith: Array("1 alpha\n2 be".utf8))
    }

    @Test(arguments: DiskKind.allCases)
    func aFileWithGarbageIsRewritten(kind: DiskKind) throws {
        try rewriteCase(kind, startingWith: Array("1 alpha\n2 beta gamma\n4 X\n".utf8))
        try rewriteCase(kind, startingWith: [0, 0xFF, 0x0A, 0x41])
    }

    @Test(arguments: DiskKind.allCases)
    func aFileThatIsAheadOfTheLogIsRewrittenToTheLog(kind: DiskKind) throws {
        try rewriteCase(kind, startingWith: expected + Array("5 never chosen\n".utf8))
    }

    @Test(arguments: DiskKind.allCases)
    func aCorrectFileIsLeftUntouched(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let path = disk.directory + "/replicated.txt"
            let file = try ReplicatedFile(path: path, fileSystem: disk.fileSystem)
            try file.rebuild(from: entries)
            let renames = (disk.fileSystem as? InMemoryFileSystem)?.statistics.renames
            #expect(try !file.rebuild(from: entries))
            #expect((disk.fileSystem as? InMemoryFileSystem)?.statistics.renames == renames)
            #expect(try disk.fileSystem.readFile(path) == expected)
            file.close()
        }
    }

    @Test(arguments: DiskKind.allCases)
    func appendedLinesFollowTheRebuiltOnes(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let file = try ReplicatedFile(path: disk.directory + "/replicated.txt", fileSystem: disk.fileSystem)
            try file.rebuild(from: Array(entries.prefix(1)))
            try file.append(Array(entries.dropFirst()))
            #expect(try disk.fileSystem.readFile(file.path) == expected)
            file.close()
        }
    }

    @Test(arguments: DiskKind.allCases)
    func resetLeavesAnEmptyFileThatStartsAgainAtInstanceOne(kind: DiskKind) throws {
        try withDisk(kind) { disk in
            let file = try ReplicatedFile(path: disk.directory + "/replicated.txt", fileSystem: disk.fileSystem)
            try file.rebuild(from: entries)
            try file.reset()
            #expect(try disk.fileSystem.readFile(file.path) == [])
            try file.append([FileEntry(instance: 1, value: "again")])
            #expect(try disk.fileSystem.readFile(file.path) == Array("1 again\n".utf8))
            file.close()
        }
    }

    @Test func linesLostInACrashAreRestoredByTheRebuild() throws {
        let fileSystem = InMemoryFileSystem()
        let file = try ReplicatedFile(path: "/data/replicated.txt", fileSystem: fileSystem)
        try file.rebuild(from: [])
        try file.append(entries)
        fileSystem.crash()
        #expect(try fileSystem.readFile("/data/replicated.txt") == [])

        let restarted = try ReplicatedFile(path: "/data/replicated.txt", fileSystem: fileSystem)
        #expect(try restarted.rebuild(from: entries))
        fileSystem.crash()  // the rewrite was atomic and synced
        #expect(try fileSystem.readFile("/data/replicated.txt") == expected)
    }

    private func rewriteCase(_ kind: DiskKind, startingWith bytes: [UInt8]) throws {
        try withDisk(kind) { disk in
            let path = disk.directory + "/replicated.txt"
            let file = try ReplicatedFile(path: path, fileSystem: disk.fileSystem)
            if let memory = disk.fileSystem as? InMemoryFileSystem {
                memory.overwrite(path: path, with: bytes)
            } else {
                try Data(bytes).write(to: URL(fileURLWithPath: path))
            }
            #expect(try file.rebuild(from: entries))
            #expect(try disk.fileSystem.readFile(path) == expected)
            #expect(!disk.fileSystem.exists(path + FilePaths.temporarySuffix))
            file.close()
        }
    }
}
