/// Receives a snapshot from a peer in chunks and installs it in the SnapshotStore.
///
/// Chunks go to `<instance>.snap.partial`, each synced, so after a crash the transfer resumes
/// from `receivedBytes` (ask the sender for that offset). A chunk at any other offset is refused:
/// a duplicate or a gap would silently corrupt the file. `finish()` verifies the whole file's
/// checksum and only then renames it into place (atomic: the store has the snapshot whole, or
/// not at all). A snapshot that fails its check is deleted and must be fetched again.
public final class SnapshotReceiver {
    public static let partialSuffix = ".partial"

    public let instance: UInt64
    public let totalBytes: Int
    public let partialPath: String
    public private(set) var receivedBytes: Int
    private let store: SnapshotStore
    private var file: (any AppendableFile)?

    /// Starts or resumes receiving the snapshot through `instance`, of `totalBytes` bytes.
    /// Partial files of other snapshots are deleted (one transfer at a time).
    public init(store: SnapshotStore, instance: UInt64, totalBytes: Int) throws {
        guard totalBytes >= SnapshotFormat.headerBytes + SnapshotFormat.trailerBytes else {
            throw SnapshotFormat.invalid(store.path(instance: instance), "announced size \(totalBytes) is too small")
        }
        self.store = store
        self.instance = instance
        self.totalBytes = totalBytes
        partialPath = store.path(instance: instance) + Self.partialSuffix
        let fileSystem = store.fileSystem
        for name in try fileSystem.listDirectory(store.directory) where name.hasSuffix(Self.partialSuffix) {
            let path = FilePaths.join(store.directory, name)
            if path != partialPath { try fileSystem.remove(path) }
        }
        let (file, created) = try fileSystem.openForAppending(partialPath)
        do {
            if created { try fileSystem.syncDirectory(store.directory) }
            receivedBytes = try fileSystem.fileSize(partialPath)
            if receivedBytes > totalBytes {  // another transfer's leftover under this name
                try file.truncate(to: 0)
                receivedBytes = 0
            }
        } catch {
            file.close()  // the receiver is not made: nobody else would close it
            throw error
        }
        self.file = file
    }

    /// Appends `chunk`, which must start at `receivedBytes` and not pass `totalBytes`; durable
    /// when this returns.
    public func append(_ chunk: [UInt8], at offset: Int) throws {
        try write(chunk, at: offset)
        try sync()
    }

    /// `append` in its two steps, for a caller that lets time pass between them (the
    /// simulator, whose crashes may come, and tear the write, before the sync): the chunk is
    /// written, not yet durable, and counted in `receivedBytes`.
    public func write(_ chunk: [UInt8], at offset: Int) throws {
        guard let file else { throw StorageError(kind: .closed, path: partialPath, description: "\(partialPath) is closed") }
        guard offset == receivedBytes else {
            throw SnapshotFormat.invalid(partialPath, "chunk at offset \(offset), expected \(receivedBytes)")
        }
        guard chunk.count <= SnapshotStore.chunkBytesMax, chunk.count <= totalBytes - receivedBytes else {
            throw SnapshotFormat.invalid(partialPath, "chunk of \(chunk.count) bytes at \(offset) passes the limit or the announced size \(totalBytes)")
        }
        try file.write(chunk)
        receivedBytes += chunk.count
    }

    /// Makes every chunk written so far durable.
    public func sync() throws {
        guard let file else { throw StorageError(kind: .closed, path: partialPath, description: "\(partialPath) is closed") }
        try file.sync()
    }

    public var isComplete: Bool { receivedBytes == totalBytes }

    /// Verifies the received file and renames it into the store. Throws (and deletes the
    /// partial file) if its checks fail.
    public func finish() throws -> Snapshot {
        guard isComplete else {
            throw SnapshotFormat.invalid(partialPath, "only \(receivedBytes) of \(totalBytes) bytes received")
        }
        close()
        let fileSystem = store.fileSystem
        var snapshot: Snapshot
        do {
            snapshot = try store.verify(path: partialPath, instance: instance)
        } catch {
            try fileSystem.remove(partialPath)
            try fileSystem.syncDirectory(store.directory)
            throw error
        }
        let finalPath = store.path(instance: instance)
        try fileSystem.rename(partialPath, to: finalPath)
        try fileSystem.syncDirectory(store.directory)
        // The bytes just checked, under their final name (a rename moves no byte).
        snapshot.path = finalPath
        return snapshot
    }

    /// Abandons the transfer and deletes what was received.
    public func cancel() throws {
        close()
        try store.fileSystem.remove(partialPath)
    }

    public func close() {
        file?.close()
        file = nil
    }
}
