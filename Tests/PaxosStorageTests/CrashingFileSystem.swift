import PaxosStorage

/// An InMemoryFileSystem that hears of each change before it happens (`willChange`): the base of
/// the test disks that crash at a chosen change or hold an fsync at a gate. Reads and creating a
/// directory are not changes; creating a file is.
class InterceptingFileSystem: FileSystem, @unchecked Sendable {
    enum Change { case write, sync, truncate, preallocate, create, rename, remove, syncDirectory }

    let memory: InMemoryFileSystem

    init(_ memory: InMemoryFileSystem = InMemoryFileSystem()) { self.memory = memory }

    /// Called before each change; throwing stops it.
    func willChange(_ change: Change) throws {}

    func exists(_ path: String) -> Bool { memory.exists(path) }
    func createDirectory(_ path: String) throws { try memory.createDirectory(path) }
    func readFile(_ path: String) throws -> [UInt8] { try memory.readFile(path) }
    func read(_ path: String, offset: Int, count: Int) throws -> [UInt8] { try memory.read(path, offset: offset, count: count) }
    func fileSize(_ path: String) throws -> Int { try memory.fileSize(path) }
    func listDirectory(_ path: String) throws -> [String] { try memory.listDirectory(path) }
    func rename(_ source: String, to destination: String) throws {
        try willChange(.rename)
        try memory.rename(source, to: destination)
    }
    func remove(_ path: String) throws {
        try willChange(.remove)
        try memory.remove(path)
    }
    func syncDirectory(_ path: String) throws {
        try willChange(.syncDirectory)
        try memory.syncDirectory(path)
    }
    func openForAppending(_ path: String) throws -> (file: any AppendableFile, created: Bool) {
        if !memory.exists(path) { try willChange(.create) }
        let (file, created) = try memory.openForAppending(path)
        return (File(file: file, owner: self), created)
    }

    final class File: AppendableFile {
        let file: any AppendableFile
        let owner: InterceptingFileSystem
        init(file: any AppendableFile, owner: InterceptingFileSystem) {
            self.file = file
            self.owner = owner
        }
        var path: String { file.path }
        func write(_ bytes: UnsafeRawBufferPointer) throws {
            try owner.willChange(.write)
            try file.write(bytes)
        }
        func sync() throws {
            try owner.willChange(.sync)
            try file.sync()
        }
        func truncate(to size: Int) throws {
            try owner.willChange(.truncate)
            try file.truncate(to: size)
        }
        func preallocate(bytes: Int) throws {
            try owner.willChange(.preallocate)
            try file.preallocate(bytes: bytes)
        }
        func close() { file.close() }
    }
}

/// An InMemoryFileSystem that loses power just before its n-th change (a write, sync, truncate,
/// preallocation, create, rename, remove or directory sync), then refuses everything, as a dead
/// process would. Running an operation with n = 0, 1, 2... until it completes visits every
/// crash point of it.
final class CrashingFileSystem: InterceptingFileSystem, @unchecked Sendable {
    struct PowerLoss: Error {}

    /// Changes allowed before the crash; nil: never crash.
    var changesBeforeCrash: Int?
    /// Whether the crash tears the last unsynced write (half of it kept) instead of dropping it.
    var tearLastWrite = false
    private(set) var crashed = false

    override func willChange(_ change: Change) throws {
        if crashed { throw PowerLoss() }
        guard let remaining = changesBeforeCrash else { return }
        if remaining == 0 {
            memory.crash(tearLastWrite: tearLastWrite)
            crashed = true
            throw PowerLoss()
        }
        changesBeforeCrash = remaining - 1
    }
}

/// Runs `operation` with a crash before its first change, then before its second, and so on,
/// until it completes; `check` sees the disk after each crash (with the step and whether the
/// operation's acknowledged part got through). Returns the number of crash points visited.
@discardableResult
func atEveryCrashPoint(
    tear: Bool,
    setUp: (CrashingFileSystem) throws -> Void,
    operation: (CrashingFileSystem, inout Int) throws -> Void,
    check: (InMemoryFileSystem, _ step: Int, _ acknowledged: Int) throws -> Void
) throws -> Int {
    var step = 0
    while true {
        let disk = CrashingFileSystem()
        try setUp(disk)
        disk.changesBeforeCrash = step
        disk.tearLastWrite = tear
        var acknowledged = 0
        do {
            try operation(disk, &acknowledged)
            return step
        } catch is CrashingFileSystem.PowerLoss {
            try check(disk.memory, step, acknowledged)
        }
        step += 1
        precondition(step < 10_000, "the operation never completes")
    }
}
