import Foundation

/// A deterministic disk in memory for the simulator and the tests, which can lose power.
///
/// It keeps two versions of everything: what the operating system shows (`content`, the names
/// of the directory) and what the disk holds (`durable`, the durable names). `sync()` of a file
/// copies its content to the disk; `syncDirectory` copies the names of that directory. A
/// `crash()` throws away everything else, as a power loss does under POSIX's weakest promise:
/// unsynced bytes are lost, and a file created or renamed without a directory sync vanishes or
/// keeps its old name, even if its own data was synced.
///
/// Simplification: directories themselves are durable as soon as they are created.
public final class InMemoryFileSystem: FileSystem, @unchecked Sendable {
    /// What the file system did, for a simulator's figures and for tests counting fsyncs.
    public struct Statistics: Hashable, Sendable {
        public var writes = 0
        public var bytesWritten = 0
        public var fileSyncs = 0
        public var directorySyncs = 0
        public var renames = 0
        public var crashes = 0
    }

    /// A file's identity: two names can lead to one inode between a rename and a crash.
    ///
    /// Writes overwrite (a preallocated file is zeros that the log writes over), so the disk's
    /// bytes are not a prefix of what readers see. Instead of a second copy of the file, each
    /// change since the last sync leaves an undo entry: a sync forgets them in O(1), a crash
    /// plays them backwards. Their size is bounded by what was written since the last sync.
    final class Inode {
        // Guarded by the file system's lock (or owned by one `durable` copy): the dynamic
        // exclusivity checks, several per write, are switched off.
        @exclusivity(unchecked) private(set) var content: [UInt8] = []

        private enum Undo {
            /// A write of `count` bytes at `offset` over the `overwrittenCount` old bytes it
            /// covered (kept in `undoBytes` from `overwrittenStart`) into a file that was
            /// `previousCount` long.
            case write(offset: Int, count: Int, overwrittenStart: Int, overwrittenCount: Int, previousCount: Int)
            /// A truncation that removed `removedCount` bytes (kept in `undoBytes` from
            /// `removedStart`) from the end.
            case truncate(removedStart: Int, removedCount: Int)
            /// A preallocation that grew the file from `previousCount`.
            case grow(previousCount: Int)
        }
        @exclusivity(unchecked) private var undo: [Undo] = []
        /// The old bytes the undo entries restore, one after the other: one buffer reused from
        /// sync to sync instead of an array per write.
        @exclusivity(unchecked) private var undoBytes: [UInt8] = []

        var durable: [UInt8] {
            let copy = Inode()
            copy.content = content
            copy.undo = undo
            copy.undoBytes = undoBytes
            copy.revertToDurable()
            return copy.content
        }

        /// (For tests: it replays the undo entries on a copy.)
        var durableByteCount: Int { undo.isEmpty ? content.count : durable.count }

        func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
            precondition(offset <= content.count, "writes leave no holes")
            let overlap = min(bytes.count, content.count - offset)
            undo.append(.write(offset: offset, count: bytes.count, overwrittenStart: undoBytes.count,
                               overwrittenCount: overlap, previousCount: content.count))
            guard bytes.count > 0 else { return }
            if overlap > 0 {
                // Keep the old bytes, then copy the new ones over them in place.
                content.withUnsafeMutableBytes { content in
                    let old = UnsafeRawBufferPointer(rebasing: content[offset..<(offset + overlap)])
                    undoBytes.append(contentsOf: old)
                    content.baseAddress!.advanced(by: offset).copyMemory(from: bytes.baseAddress!, byteCount: overlap)
                }
            }
            if overlap < bytes.count {
                content.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[overlap...]))
            }
        }

        func grow(to size: Int) {
            guard size > content.count else { return }
            undo.append(.grow(previousCount: content.count))
            // Copied from a static page of zeros, not a generic append of repeated zeros:
            // unoptimized test builds would take a generic path per byte, and a preallocation is
            // a megabyte. (No temporary array per preallocation step either.)
            var extra = size - content.count
            Self.zeroPage.withUnsafeBytes { zeros in
                while extra > 0 {
                    let step = min(extra, zeros.count)
                    content.append(contentsOf: UnsafeRawBufferPointer(rebasing: zeros[..<step]))
                    extra -= step
                }
            }
        }

        private static let zeroPage = [UInt8](repeating: 0, count: 64 << 10)

        /// fsync: everything readers see is on the disk. (The undo storage is kept for the next
        /// writes; it is bounded by what was written between two syncs.)
        func sync() {
            undo.removeAll(keepingCapacity: true)
            undoBytes.removeAll(keepingCapacity: true)
        }

        /// Readers and the disk both see `bytes` (a crash's outcome, or an overwrite).
        func setDurably(_ bytes: [UInt8]) {
            content = bytes
            sync()
        }

        /// A crash: readers see what the disk holds.
        func revertToDurable() {
            while let entry = undo.popLast() { revert(entry, keepingWrittenBytes: 0) }
            undoBytes.removeAll(keepingCapacity: true)
        }

        /// A crash inside the last write: the disk got `kept` bytes of it, and everything before it.
        func keepDurably(lastWriteBytes kept: Int) {
            if let entry = undo.popLast() { revert(entry, keepingWrittenBytes: kept) }
            sync()
        }

        private func revert(_ entry: Undo, keepingWrittenBytes kept: Int) {
            switch entry {
            case .write(let offset, let count, let overwrittenStart, let overwrittenCount, let previousCount):
                let kept = min(kept, count)
                if kept < overwrittenCount {
                    content.replaceSubrange((offset + kept)..<(offset + overwrittenCount),
                                            with: undoBytes[(overwrittenStart + kept)..<(overwrittenStart + overwrittenCount)])
                }
                let size = max(previousCount, offset + kept)
                if size < content.count { content.removeSubrange(size...) }
            case .truncate(let removedStart, let removedCount):
                content.append(contentsOf: undoBytes[removedStart..<(removedStart + removedCount)])
            case .grow(let previousCount):
                content.removeSubrange(previousCount...)
            }
        }

        func truncate(to size: Int) {
            guard size < content.count else { return }
            undo.append(.truncate(removedStart: undoBytes.count, removedCount: content.count - size))
            undoBytes.append(contentsOf: content[size...])
            content.removeSubrange(size...)
        }

        /// Damage that is on the disk and in what readers see, as a bad sector's would be.
        func flipByte(at offset: Int) {
            content[offset] ^= 0xFF
            // An unsynced change that would restore this byte at a crash must restore it flipped.
            for entry in undo {
                switch entry {
                case .write(let writeOffset, _, let overwrittenStart, let overwrittenCount, _)
                    where offset >= writeOffset && offset < writeOffset + overwrittenCount:
                    undoBytes[overwrittenStart + offset - writeOffset] ^= 0xFF
                default:
                    break
                }
            }
        }
    }

    /// The most recent write, which a crash may tear; forgotten once synced.
    private struct Write {
        var inode: Inode
        var offset: Int
        var count: Int
    }

    // Guards everything below: the group-commit thread syncs while tasks append. (Only touched
    // with it held, so their dynamic exclusivity checks, several per simulated write, are off.)
    private let lock = NSLock()
    @exclusivity(unchecked) private var names: [String: Inode] = [:]
    @exclusivity(unchecked) private var durableNames: [String: Inode] = [:]
    @exclusivity(unchecked) private var directories: Set<String> = ["/", "."]
    @exclusivity(unchecked) private var lastWrite: Write?
    @exclusivity(unchecked) private var syncFailuresToInject = 0
    @exclusivity(unchecked) private var statisticsStorage = Statistics()
    /// Bumped by every crash: handles opened before it refuse to work, as a dead process's would.
    @exclusivity(unchecked) private var epoch = 0

    public init() {}

    public var statistics: Statistics { lock.withLock { statisticsStorage } }

    // MARK: Faults

    /// Power loss: every byte not yet synced is lost, files whose directory was not synced after
    /// their creation or rename vanish or keep their old name, and open handles die.
    ///
    /// `tearLastWrite: true` (or any `tornBytes`) instead keeps a prefix of the last unsynced write:
    /// `tornBytes` of it (default: half), and with it the unsynced writes to the same file that
    /// preceded it, as a disk that writes in order and loses power in the middle of a write.
    public func crash(tearLastWrite: Bool = false, tornBytes: Int? = nil) {
        lock.withLock {
            epoch += 1
            statisticsStorage.crashes += 1
            names = durableNames
            let tear = (tearLastWrite || tornBytes != nil) ? lastWrite : nil
            var survivors: [ObjectIdentifier: Inode] = [:]
            for inode in names.values { survivors[ObjectIdentifier(inode)] = inode }
            for inode in survivors.values {
                if let tear, tear.inode === inode {
                    let kept = min(max(tornBytes ?? tear.count / 2, 0), tear.count)
                    inode.keepDurably(lastWriteBytes: kept)
                } else {
                    inode.revertToDurable()
                }
            }
            lastWrite = nil
        }
    }

    /// The size of the last write if a crash would tear it (it is not synced yet).
    public var lastUnsyncedWriteByteCount: Int? { lock.withLock { lastWrite?.count } }

    /// Flips every bit of one byte, on the disk and in what readers see.
    public func flipByte(path: String, offset: Int) {
        lock.withLock {
            guard let inode = names[path] else { preconditionFailure("flipByte: no file \(path)") }
            precondition(offset >= 0 && offset < inode.content.count, "flipByte: offset \(offset) outside \(path)")
            inode.flipByte(at: offset)
        }
    }

    /// Replaces a file's content, durably, as another program or a bad disk would.
    public func overwrite(path: String, with contents: [UInt8]) {
        lock.withLock {
            let inode = names[path] ?? Inode()
            inode.setDurably(contents)
            names[path] = inode
            durableNames[path] = inode
            if lastWrite?.inode === inode { lastWrite = nil }
        }
    }

    /// The next `count` file syncs fail with EIO, as a dying disk's would.
    public func injectSyncFailures(_ count: Int) {
        lock.withLock { syncFailuresToInject += count }
    }

    /// Every file name, sorted.
    public var paths: [String] { lock.withLock { names.keys.sorted() } }

    /// How many bytes of `path` would survive a crash now (nil if its name would not).
    public func durableSize(_ path: String) -> Int? {
        lock.withLock { durableNames[path]?.durableByteCount }
    }

    // MARK: FileSystem

    public func exists(_ path: String) -> Bool {
        lock.withLock { names[path] != nil || directories.contains(path) }
    }

    public func createDirectory(_ path: String) throws {
        lock.withLock {
            var current = path
            while !directories.contains(current) {
                directories.insert(current)
                current = FilePaths.parent(of: current)
            }
        }
    }

    public func readFile(_ path: String) throws -> [UInt8] {
        try lock.withLock {
            guard let inode = names[path] else { throw Self.missing("open", path) }
            return inode.content
        }
    }

    public func read(_ path: String, offset: Int, count: Int) throws -> [UInt8] {
        try lock.withLock {
            guard let inode = names[path] else { throw Self.missing("open", path) }
            let start = min(offset, inode.content.count)
            return Array(inode.content[start..<min(start + count, inode.content.count)])
        }
    }

    public func fileSize(_ path: String) throws -> Int {
        try lock.withLock {
            guard let inode = names[path] else { throw Self.missing("stat", path) }
            return inode.content.count
        }
    }

    public func listDirectory(_ path: String) throws -> [String] {
        try lock.withLock {
            guard directories.contains(path) else { throw Self.missing("opendir", path) }
            let prefix = path.hasSuffix("/") ? path : path + "/"
            // (`isEntry` builds no parent string per name: restarts list the log's directory.)
            return names.keys.filter { FilePaths.isEntry($0, of: path) }.map { String($0.dropFirst(prefix.count)) }
        }
    }

    public func openForAppending(_ path: String) throws -> (file: any AppendableFile, created: Bool) {
        try lock.withLock {
            if let inode = names[path] {
                return (InMemoryAppendableFile(fileSystem: self, inode: inode, path: path, epoch: epoch), false)
            }
            guard directories.contains(FilePaths.parent(of: path)) else { throw Self.missing("create", path) }
            let inode = Inode()
            names[path] = inode
            return (InMemoryAppendableFile(fileSystem: self, inode: inode, path: path, epoch: epoch), true)
        }
    }

    public func rename(_ source: String, to destination: String) throws {
        try lock.withLock {
            guard let inode = names[source] else { throw Self.missing("rename to \(destination)", source) }
            guard directories.contains(FilePaths.parent(of: destination)) else {
                throw Self.missing("rename from \(source)", destination)
            }
            names[destination] = inode
            names[source] = nil
            statisticsStorage.renames += 1
        }
    }

    public func remove(_ path: String) throws {
        lock.withLock { names[path] = nil }
    }

    public func syncDirectory(_ path: String) throws {
        try lock.withLock {
            guard directories.contains(path) else { throw Self.missing("open directory", path) }
            // Without building a set of every name, or a parent string per name: the simulator
            // syncs directories at every segment, snapshot transfer and install.
            for (name, inode) in names where FilePaths.isEntry(name, of: path) { durableNames[name] = inode }
            let vanished = durableNames.keys.filter { names[$0] == nil && FilePaths.isEntry($0, of: path) }
            for name in vanished { durableNames[name] = nil }
            statisticsStorage.directorySyncs += 1
        }
    }

    // MARK: Handles

    func write(_ bytes: UnsafeRawBufferPointer, to inode: Inode, at offset: Int, path: String, epoch handleEpoch: Int) throws {
        try lock.withLock {
            try checkAlive(handleEpoch, path)
            lastWrite = Write(inode: inode, offset: offset, count: bytes.count)
            inode.write(bytes, at: offset)
            statisticsStorage.writes += 1
            statisticsStorage.bytesWritten += bytes.count
        }
    }

    func sync(_ inode: Inode, path: String, epoch handleEpoch: Int) throws {
        try lock.withLock {
            try checkAlive(handleEpoch, path)
            if syncFailuresToInject > 0 {
                syncFailuresToInject -= 1
                throw StorageError.io("fdatasync", path: path, errorNumber: EIO, message: "Input/output error (injected)")
            }
            inode.sync()
            if lastWrite?.inode === inode { lastWrite = nil }
            statisticsStorage.fileSyncs += 1
        }
    }

    func truncate(_ inode: Inode, to size: Int, path: String, epoch handleEpoch: Int) throws {
        try lock.withLock {
            try checkAlive(handleEpoch, path)
            precondition(size >= 0 && size <= inode.content.count, "truncate only cuts back")
            inode.truncate(to: size)
            if lastWrite?.inode === inode { lastWrite = nil }
        }
    }

    func preallocate(_ inode: Inode, bytes: Int, path: String, epoch handleEpoch: Int) throws {
        try lock.withLock {
            try checkAlive(handleEpoch, path)
            inode.grow(to: bytes)
            // The zero-fill is not a write a crash could tear; the write before it is no longer last.
            if lastWrite?.inode === inode { lastWrite = nil }
        }
    }

    private func checkAlive(_ handleEpoch: Int, _ path: String) throws {
        guard handleEpoch == epoch else {
            throw StorageError.io("use of a handle opened before a crash for", path: path, errorNumber: EBADF, message: "Bad file descriptor")
        }
    }

    private static func missing(_ operation: String, _ path: String) -> StorageError {
        .io(operation, path: path, errorNumber: ENOENT, message: "No such file or directory")
    }
}

/// A handle on an `InMemoryFileSystem` file; dies with the "process" at the next crash.
final class InMemoryAppendableFile: AppendableFile {
    let path: String
    private let fileSystem: InMemoryFileSystem
    private let inode: InMemoryFileSystem.Inode
    private let epoch: Int
    private var closed = false
    private var position: Int

    init(fileSystem: InMemoryFileSystem, inode: InMemoryFileSystem.Inode, path: String, epoch: Int) {
        self.fileSystem = fileSystem
        self.inode = inode
        self.path = path
        self.epoch = epoch
        position = inode.content.count
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try checkOpen()
        try fileSystem.write(bytes, to: inode, at: position, path: path, epoch: epoch)
        position += bytes.count
    }

    func preallocate(bytes: Int) throws {
        try checkOpen()
        try fileSystem.preallocate(inode, bytes: bytes, path: path, epoch: epoch)
    }

    func sync() throws {
        try checkOpen()
        try fileSystem.sync(inode, path: path, epoch: epoch)
    }

    func truncate(to size: Int) throws {
        try checkOpen()
        try fileSystem.truncate(inode, to: size, path: path, epoch: epoch)
        position = size
    }

    /// A second close is a bug of the caller: on a real disk it would close whatever file or
    /// socket got the number meanwhile (`PosixAppendableFile` refuses to; here the tests and the
    /// simulator stop at it).
    func close() {
        precondition(!closed, "\(path) closed twice")
        closed = true
    }

    private func checkOpen() throws {
        if closed { throw StorageError(kind: .closed, path: path, description: "\(path) is closed") }
    }
}
