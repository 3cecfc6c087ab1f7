import Foundation
import PaxosCore

/// The write-ahead log of one node: `<directory>/paxos.wal`, a sequence of WALFormat records.
///
/// A node appends the `persist` records of a Ready, syncs, and only then sends what depends on
/// them (DESIGN.md section 4). Opening the log replays it into the `DurableState` the core
/// restarts from.
///
/// Threads: `sync()` may run on one thread while another appends (what GroupCommitLog does);
/// everything else is to be called from one thread at a time.
public final class PaxosLog: @unchecked Sendable {
    public static let fileName = "paxos.wal"

    /// What recovery found, for the node's start-up log line.
    public struct Recovery: Hashable, Sendable {
        public var records = 0
        /// Bytes of whole valid records: the size of the log after recovery.
        public var validBytes = 0
        /// Bytes of an incomplete or damaged last record that were cut off (0 if none).
        public var droppedTailBytes = 0
        /// Why the tail was dropped, if it was.
        public var droppedTailReason: String?
        /// Whether the log file did not exist and was created.
        public var created = false
    }

    public let directory: String
    public let path: String
    public let recovery: Recovery
    private let fileSystem: any FileSystem

    // Guards the four below. `sync()` reads `file` under it but syncs outside, so appends go on
    // while an fsync runs.
    private let lock = NSLock()
    private var file: (any AppendableFile)?
    private var sizeBytes: Int
    /// Set by the first failed write or sync. After a failed fsync the kernel may have dropped
    /// the dirty pages and will not report it again ("fsyncgate"), so nothing later could be
    /// trusted to be durable: the log refuses all further work, and the node must restart
    /// and recover from what is really on disk.
    private var failure: StorageError?
    /// Where appends encode their frames, reused so that an append allocates nothing; its
    /// start holds the last append's frames. Let go after an append larger than
    /// `frameBufferBytesKept`, so one big record does not stay resident.
    private var frameBuffer: [UInt8] = []
    static let frameBufferBytesKept = 1 << 16

    private init(directory: String, path: String, fileSystem: any FileSystem, file: any AppendableFile, sizeBytes: Int, recovery: Recovery) {
        self.directory = directory
        self.path = path
        self.fileSystem = fileSystem
        self.file = file
        self.sizeBytes = sizeBytes
        self.recovery = recovery
    }

    /// Opens or creates `<directory>/paxos.wal` and replays it.
    ///
    /// A torn tail (an incomplete or damaged last record) is cut off and the cut synced: it was
    /// never acknowledged, since every reply waits for the fsync of its records. A damaged record
    /// followed by a valid one is corruption: this throws a `StorageError` naming file and offset.
    public static func open(directory: String, fileSystem: any FileSystem) throws -> (log: PaxosLog, state: DurableState) {
        try fileSystem.createDirectory(directory)
        let path = FilePaths.join(directory, fileName)
        // A leftover of a reset interrupted before its rename: the reset did not happen.
        try fileSystem.remove(path + FilePaths.temporarySuffix)

        var (records, recovery) = try scan(path: path, fileSystem: fileSystem)
        let offset = recovery.validBytes

        let (file, created) = try fileSystem.openForAppending(path)
        do {
            if recovery.droppedTailBytes > 0 {
                try file.truncate(to: offset)
                try file.sync()
            }
            if created {
                recovery.created = true
                try fileSystem.syncDirectory(directory)
            }
        } catch {
            file.close()
            throw error
        }
        let log = PaxosLog(directory: directory, path: path, fileSystem: fileSystem, file: file, sizeBytes: offset, recovery: recovery)
        return (log, DurableState(replaying: records))
    }

    /// The records of the log in `directory`, in order, without changing anything: for tools
    /// and tests. Throws as `open` does on corruption; a torn tail is left out.
    public static func readRecords(directory: String, fileSystem: any FileSystem) throws -> [DurableRecord] {
        try scan(path: FilePaths.join(directory, fileName), fileSystem: fileSystem).records
    }

    /// Reads the log from the start, stopping at the first invalid record, which is a torn tail
    /// if nothing valid follows it and corruption otherwise (see WALFormat.validFrameExists).
    private static func scan(path: String, fileSystem: any FileSystem) throws -> (records: [DurableRecord], recovery: Recovery) {
        let bytes = fileSystem.exists(path) ? try fileSystem.readFile(path) : []
        var recovery = Recovery()
        var records: [DurableRecord] = []
        var offset = 0
        scan: while offset < bytes.count {
            switch WALFormat.frame(in: bytes, at: offset) {
            case .valid(let payload, let next):
                do {
                    records.append(try RecordCodec.decode(bytes[payload]))
                } catch {
                    throw StorageError.unreadableRecord(path: path, offset: offset, reason: error.description)
                }
                offset = next
            case .invalid(let reason):
                if WALFormat.validFrameExists(in: bytes, after: offset) {
                    throw StorageError.corruptRecord(path: path, offset: offset, reason: reason)
                }
                recovery.droppedTailBytes = bytes.count - offset
                recovery.droppedTailReason = "\(reason) at offset \(offset)"
                break scan
            }
        }
        recovery.records = records.count
        recovery.validBytes = offset
        return (records, recovery)
    }

    /// The size of the log in bytes, as written (not necessarily durable).
    public var size: Int { lock.withLock { sizeBytes } }

    /// Writes `records` to the operating system in one write: visible, not yet durable.
    /// An oversized record is refused before anything is written.
    public func append(_ records: [DurableRecord]) throws {
        if records.isEmpty { return }
        try lock.withLock {
            let count = try WALFormat.encodeFrames(of: records, into: &frameBuffer)
            defer { if frameBuffer.count > Self.frameBufferBytesKept { frameBuffer = [] } }
            let file = try usableFile()
            do {
                try frameBuffer.withUnsafeBytes { try file.write(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            } catch {
                // A partial write leaves garbage that later records would follow: stop here.
                failure = Self.storageError(error, path: path)
                throw error
            }
            sizeBytes += count
        }
    }

    /// fdatasync: everything appended before this call is durable when it returns.
    public func sync() throws {
        let file = try lock.withLock { try usableFile() }
        do {
            try file.sync()
        } catch {
            lock.withLock { if failure == nil { failure = Self.storageError(error, path: path) } }
            throw error
        }
    }

    /// Admin reset: atomically replaces the log by one holding only `.incarnation(incarnation)`,
    /// so a restarted node keeps a fresh incarnation and never reuses command identifiers.
    /// Records appended but not synced before the reset are discarded with the old log.
    public func reset(keepingIncarnation incarnation: UInt64) throws {
        var contents: [UInt8] = []
        try WALFormat.appendFrame(of: .incarnation(incarnation), to: &contents)
        try lock.withLock {
            let old = try usableFile()
            do {
                try fileSystem.replaceAtomically(path, with: contents)
                old.close()
                file = nil
                let (reopened, _) = try fileSystem.openForAppending(path)
                file = reopened
                sizeBytes = contents.count
            } catch {
                // The rename may or may not have happened: which file we would append to is unknown.
                failure = Self.storageError(error, path: path)
                throw error
            }
        }
    }

    /// Closes the file; appends and syncs after this throw.
    public func close() {
        lock.withLock {
            file?.close()
            file = nil
        }
    }

    /// Errors of a custom FileSystem keep their text.
    private static func storageError(_ error: any Error, path: String) -> StorageError {
        error as? StorageError ?? StorageError(kind: .io, path: path, description: "\(path): \(error)")
    }

    /// Must be called with `lock` held.
    private func usableFile() throws -> any AppendableFile {
        if let failure {
            throw StorageError(
                kind: .logFailed, path: path,
                description: "the log \(path) failed earlier and refuses further use until the node restarts: \(failure)")
        }
        guard let file else { throw StorageError(kind: .closed, path: path, description: "the log \(path) is closed") }
        return file
    }
}
