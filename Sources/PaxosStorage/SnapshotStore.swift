/// A snapshot on disk: where its parts are, once its checksum has been verified.
public struct Snapshot: Hashable, Sendable {
    /// The last instance it covers.
    public var instance: UInt64
    public var path: String
    /// The core's opaque applied state (client-request window...).
    public var metadata: [UInt8]
    /// Where the replicated file's bytes start in the snapshot file, and how many there are.
    public var fileBytesOffset: Int
    public var fileByteCount: Int
    /// The size of the snapshot file: what a transfer sends.
    public var totalBytes: Int
}

/// `<data-dir>/snapshots/<16-digit instance>.snap` (SnapshotFormat), written atomically.
///
/// Reads and copies go in chunks of at most `chunkBytesMax`, so a snapshot of a large file never
/// needs to be in memory whole (the point of bounding the node's memory).
public final class SnapshotStore: @unchecked Sendable {
    public static let directoryName = "snapshots"
    static let suffix = ".snap"
    /// The largest chunk read, copied or accepted from a peer at once.
    public static let chunkBytesMax = 1 << 20

    public let directory: String
    public let fileSystem: any FileSystem

    public init(dataDirectory: String, fileSystem: any FileSystem) throws {
        directory = FilePaths.join(dataDirectory, Self.directoryName)
        self.fileSystem = fileSystem
        try fileSystem.createDirectory(directory)
    }

    public func path(instance: UInt64) -> String {
        FilePaths.join(directory, WALSegmentNames.fileName(sequence: instance).dropLast(WALSegmentNames.suffix.count) + Self.suffix)
    }

    /// Writes the snapshot through `instance`: `metadata`, then the first `fileByteCount` bytes of
    /// the file at `filePath` (the replicated file, whose lines through `instance` they must be:
    /// see ReplicatedFile.byteCount(through:)). Temporary file, fsync, rename, fsync directory: a
    /// crash leaves the previous snapshots as they were, with or without this one whole.
    ///
    /// The replicated file is appended without fsync, so sync it first (ReplicatedFile.sync):
    /// a later start-up trusts the file's prefix covered by the newest snapshot.
    @discardableResult
    public func write(instance: UInt64, metadata: [UInt8], fileBytesFrom filePath: String, fileByteCount: Int) throws -> Snapshot {
        let finalPath = path(instance: instance)
        let temporary = finalPath + FilePaths.temporarySuffix
        try fileSystem.remove(temporary)
        let (file, _) = try fileSystem.openForAppending(temporary)
        do {
            let header = SnapshotFormat.encode(.init(instance: instance, metadataBytes: metadata.count, fileBytes: fileByteCount))
            var checksum = CRC32C.update(CRC32C.update(0, with: header), with: metadata)
            try file.write(header)
            try file.write(metadata)
            var copied = 0
            while copied < fileByteCount {
                let chunk = try fileSystem.read(filePath, offset: copied, count: min(Self.chunkBytesMax, fileByteCount - copied))
                guard !chunk.isEmpty else {
                    throw SnapshotFormat.invalid(finalPath, "\(filePath) has only \(copied) of the \(fileByteCount) bytes to snapshot")
                }
                checksum = CRC32C.update(checksum, with: chunk)
                try file.write(chunk)
                copied += chunk.count
            }
            try file.write(SnapshotFormat.trailer(checksum))
            try file.sync()
            file.close()
        } catch {
            file.close()
            try? fileSystem.remove(temporary)
            throw error
        }
        try fileSystem.rename(temporary, to: finalPath)
        try fileSystem.syncDirectory(directory)
        return try verify(path: finalPath, instance: instance)
    }

    /// The instances of the snapshot files present (checked or not), ascending.
    public func instances() throws -> [UInt64] {
        try fileSystem.listDirectory(directory).compactMap { name -> UInt64? in
            guard name.hasSuffix(Self.suffix) else { return nil }
            return WALSegmentNames.sequence(fileName: name.dropLast(Self.suffix.count) + WALSegmentNames.suffix)
        }.sorted()
    }

    /// The newest snapshot whose checks pass. Newer ones that fail (torn, damaged) are deleted:
    /// a snapshot is written whole before its rename, so a bad one is damage, and the older
    /// snapshot plus the log still hold the state. Leftover temporary files go too.
    public func latest() throws -> Snapshot? {
        var discarded: [String] = []
        return try latest(discarding: &discarded)
    }

    /// The same, naming in `discarded` the files it deleted (temporary, torn or damaged).
    public func latest(discarding discarded: inout [String]) throws -> Snapshot? {
        let discardedBefore = discarded.count
        defer { if discarded.count > discardedBefore { try? fileSystem.syncDirectory(directory) } }
        for name in try fileSystem.listDirectory(directory) where name.hasSuffix(FilePaths.temporarySuffix) {
            try fileSystem.remove(FilePaths.join(directory, name))
            discarded.append(FilePaths.join(directory, name))
        }
        for instance in try instances().reversed() {
            do {
                return try verify(path: path(instance: instance), instance: instance)
            } catch let error as StorageError where error.kind == .invalidSnapshot {
                try fileSystem.remove(path(instance: instance))
                discarded.append(path(instance: instance))
            }
        }
        return nil
    }

    /// Transfers from a peer that a stop cut short (`SnapshotReceiver`'s partial files): not
    /// snapshots yet, and never used as one; the next transfer of the same snapshot resumes
    /// from them, another one deletes them.
    public func partialTransfers() throws -> [String] {
        try fileSystem.listDirectory(directory).filter { $0.hasSuffix(SnapshotReceiver.partialSuffix) }
            .map { FilePaths.join(directory, $0) }.sorted()
    }

    /// Deletes the snapshots older than `instance` (once a newer one is in place).
    public func removeSnapshots(olderThan instance: UInt64) throws {
        let doomed = try instances().filter { $0 < instance }
        for old in doomed { try fileSystem.remove(path(instance: old)) }
        if !doomed.isEmpty { try fileSystem.syncDirectory(directory) }
    }

    /// Up to `maxBytes` (at most chunkBytesMax) of the snapshot file from `offset`: what a node
    /// sends a peer that is behind. Empty at the end.
    public func readChunk(of snapshot: Snapshot, offset: Int, maxBytes: Int = SnapshotStore.chunkBytesMax) throws -> [UInt8] {
        precondition(offset >= 0 && maxBytes > 0, "a chunk needs a place and a size")
        return try fileSystem.read(snapshot.path, offset: offset, count: min(maxBytes, Self.chunkBytesMax))
    }

    /// Reads and checks the snapshot at `path`: header, sizes, name, checksum (streamed).
    func verify(path: String, instance expected: UInt64?) throws -> Snapshot {
        let size = try fileSystem.fileSize(path)
        let header = try SnapshotFormat.decode(try fileSystem.read(path, offset: 0, count: SnapshotFormat.headerBytes), path: path)
        guard header.totalBytes == size else {
            throw SnapshotFormat.invalid(path, "\(size) bytes where the header announces \(header.totalBytes) (torn or damaged)")
        }
        if let expected, header.instance != expected {
            throw SnapshotFormat.invalid(path, "holds instance \(header.instance), not \(expected) as its name says")
        }
        var checksum: UInt32 = 0
        var offset = 0
        let covered = size - SnapshotFormat.trailerBytes
        while offset < covered {
            let chunk = try fileSystem.read(path, offset: offset, count: min(Self.chunkBytesMax, covered - offset))
            guard !chunk.isEmpty else { throw SnapshotFormat.invalid(path, "shorter than its size") }
            checksum = CRC32C.update(checksum, with: chunk)
            offset += chunk.count
        }
        let stored = SnapshotFormat.checksum(inTrailer: try fileSystem.read(path, offset: covered, count: SnapshotFormat.trailerBytes))
        guard stored == checksum else { throw SnapshotFormat.invalid(path, "checksum mismatch (torn, damaged or altered)") }
        let metadataOffset = SnapshotFormat.headerBytes
        return Snapshot(
            instance: header.instance, path: path,
            metadata: try fileSystem.read(path, offset: metadataOffset, count: header.metadataBytes),
            fileBytesOffset: metadataOffset + header.metadataBytes, fileByteCount: header.fileBytes, totalBytes: size)
    }
}
